#!/usr/bin/env bash
# Installs the Debian tools the test suites use, if they are missing:
# oathtool (an independent TOTP implementation to check ours against),
# pamtester (a PAM application to drive the pbotp PAM steps through a real
# Linux-PAM stack), OpenSSH's server and client (the same steps behind
# keyboard-interactive; the test runs sshd -i as the client's ProxyCommand,
# never as a daemon), openssl (throwaway certificates), PostgreSQL's server
# (test/helpers/postgres.ts starts throwaway servers of its own; the cluster
# the package creates is left unstarted, see policy-rc.d below), zbarimg (a
# QR decoder to read enrolment QR codes back, from captured terminal screens
# and files; rsvg-convert draws the SVG ones for it), chromium (the browser
# the enrolment pages are tested in, /usr/bin/chromium, driven by
# playwright-core), pskc2csv (pskc-utils, with python3-pskc: PSKC files
# encrypted and read back by an implementation independent of ours) and,
# with --e2e, debootstrap for the real-Asterisk suite.
set -euo pipefail
want=(oathtool:oathtool pamtester:pamtester sshd:openssh-server ssh:openssh-client openssl:openssl zbarimg:zbar-tools rsvg-convert:librsvg2-bin chromium:chromium pskc2csv:pskc-utils ip:iproute2)
[[ "${1:-}" == "--e2e" ]] && want+=(debootstrap:debootstrap)
missing=()
for pair in "${want[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${pair%%:*}" ]] || missing+=("${pair#*:}")
done
# Debian keeps the server off PATH, one directory per major version.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
if ! command -v sox >/dev/null 2>&1; then
  missing+=(sox libsox-fmt-base)
elif [[ ! "$(sox -h 2>/dev/null || true)" =~ AUDIO\ FILE\ FORMATS:[^$'\n']*\ gsm\  ]]; then
  missing+=(libsox-fmt-base)
fi
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
  command -v sudo >/dev/null 2>&1 || { echo "need Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2; exit 1; }
else
  sudo_cmd=()
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# openssh-server's install would start sshd on port 22, postgresql's its
# cluster on 5432: tell invoke-rc.d not to start services, unless the machine
# already says so itself.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo_cmd[@]}" chmod 755 /usr/sbin/policy-rc.d
  trap '"${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${sudo_cmd[@]}" apt-get update -qq >&2
"${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >&2
