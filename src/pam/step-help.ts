// What both steps' --help shows: the pam_exec lines exactly as README's
// stacks print them (test/pbotp-pam-help.test.ts holds the two together),
// since a weaker line copied from a help text (node started without
// `env -u NODE_OPTIONS -u NODE_PATH`) lets the PAM environment load code
// into the step, and the parameters.

export const PAM_STACK_HELP = `In the PAM service (e.g. /etc/pam.d/sshd in place of @include common-auth),
with the paths of node and of this file:

auth optional  pam_faildelay.so delay=3000000
auth optional  pam_exec.so quiet quiet_log stdout /usr/bin/env -u NODE_OPTIONS -u NODE_PATH /usr/bin/node --no-warnings /usr/share/asterisk/agi-bin/otp/astotp pbotp pam-challenge config=/etc/pbotp/pam.conf
auth required  pam_exec.so quiet expose_authtok /usr/bin/env -u NODE_OPTIONS -u NODE_PATH /usr/bin/node --no-warnings /usr/share/asterisk/agi-bin/otp/astotp pbotp pam-verify config=/etc/pbotp/pam.conf
auth required  pam_permit.so

Omit quiet_log on Linux-PAM older than 1.5.2 (astotp doctor --pam-config says).
`;

export const PAM_HELP_PARAMS = `Parameters (key=value on the pam_exec line, or keys of the [pbotp-pam] section
of the file config= names; only that section is read):
  pubkey=KEY | pubkey_file=FILE   the authority's public key
  baseurl=URL                     the responder; the challenge URL is below it
  group=GROUP                     device group the authority decides on
  host=HOST                       this device's name (default: the system host name)
  response_mode=code|phrase       what the user types (default code)
  length=N                        code digits 6..19 (9), phrase words 3..23 (5)
  qr=utf8|ascii|ansi|none         the QR code's style (default utf8)
  config=FILE                     line only: read [pbotp-pam] of FILE (root's, 0644 or closer)
  state_dir=DIR                   line only: where the nonce waits (default /run/astotp-pam)
`;
