# Sourced by scripts/asterisk-e2e.sh: the README's PAM stacks ("pbotp for
# PAM logins") through the programs they are for, inside the chroot, so the
# machine's own /etc/pam.d is never touched. The stacks, the sshd_config
# lines and the [pbotp-pam] section are README.md's as printed
# (scripts/readme-blocks.mjs), only the example public key replaced by the
# suite's authority's; their pam_exec lines start /usr/bin/node and the
# bundle where the README says, which in the chroot is where they are. su
# is driven on a pseudo-terminal by an unprivileged user (su-pty.py), sshd
# by OpenSSH's client (a public key, then keyboard-interactive; `sshd -i` as
# its ProxyCommand, so no port); both are answered with `astotp pbotp
# respond` as the authority would. pamtester alone would not do: it does
# not call pam_setcred as su and sshd do.

E2E_PAM_USER=e2e-pam
# Debian's own service files and sshd_config, saved before the first change
# and put back after each case.
E2E_PAM_SAVED=/var/lib/astotp-e2e/pam-originals
E2E_PAM_WORK=/var/tmp/astotp-e2e-pam
E2E_PAM_STATE=/run/astotp-pam
E2E_ALL_CASES+=" pam-su pam-sshd pam-doctor"

readme_block() { "$NODE" "$ROOT/scripts/readme-blocks.mjs" "$E2E_README_FILE" "$1"; }

# A value of the README's [pbotp-pam] section ($1: the section, $2: the key).
pam_conf_value() { sed -n "s/^$2[[:space:]]*=[[:space:]]*\([^[:space:];]*\).*/\1/p" <<<"$1" | head -n 1; }

# Installs the README's stacks and section; sets E2E_PAM_URL_RE, the
# pattern of a challenge URL for user $1. On failure sets E2E_GOT.
e2e_pam_setup() {
  local user=$1 su sshd conf path base group
  su=$(readme_block '`/etc/pam.d/su`') && sshd=$(readme_block '`/etc/pam.d/sshd`') &&
    conf=$(readme_block "The parameters are pam_pbotp's") || {
    E2E_GOT="README.md lacks a PAM block (see the suite's stderr)"
    return 1
  }
  # The file the stacks name with config=.
  path=$(grep -o 'config=[^[:space:]]*' <<<"$sshd" | head -n 1 | cut -d= -f2)
  [ -n "$path" ] || { E2E_GOT="README's sshd stack names no config= file"; return 1; }
  # su needs a terminal: a devpts instance of the chroot's own.
  if ! mountpoint -q "$E2E_CHROOT/dev/pts"; then
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$E2E_CHROOT/dev/pts" || { E2E_GOT="cannot mount devpts"; return 1; }
    E2E_MOUNTED+=("$E2E_CHROOT/dev/pts")
  fi
  ln -sfn /usr/local/bin/node "$E2E_CHROOT/usr/bin/node"
  in_chroot sh -c "id -u $E2E_PAM_USER >/dev/null 2>&1 || useradd -m -s /bin/sh $E2E_PAM_USER"
  if [ ! -d "$E2E_CHROOT$E2E_PAM_SAVED" ]; then
    mkdir -p "$E2E_CHROOT$E2E_PAM_SAVED"
    cp -a "$E2E_CHROOT/etc/pam.d/su" "$E2E_CHROOT/etc/pam.d/sshd" "$E2E_CHROOT/etc/ssh/sshd_config" "$E2E_CHROOT$E2E_PAM_SAVED/"
  fi
  rm -rf "$E2E_CHROOT$E2E_PAM_WORK" "$E2E_CHROOT$E2E_PAM_STATE"
  mkdir -p -m 0700 "$E2E_CHROOT$E2E_PAM_WORK"
  mkdir -p -m 0755 "$E2E_CHROOT$(dirname "$path")"
  sed "s/^pubkey[[:space:]]*=[[:space:]]*[^[:space:];]*/pubkey = $E2E_PBOTP_PUB/" <<<"$conf" >"$E2E_CHROOT$path"
  chmod 0644 "$E2E_CHROOT$path"
  # The su stack is the whole file; the sshd one replaces `@include common-auth` in Debian's.
  printf '%s\n' "$su" >"$E2E_CHROOT/etc/pam.d/su"
  awk -v block="$sshd" '/^@include common-auth$/ && !done { print block; done = 1; next } { print }' \
    "$E2E_CHROOT$E2E_PAM_SAVED/sshd" >"$E2E_CHROOT/etc/pam.d/sshd"
  E2E_PAM_CONF=$path
  base=$(pam_conf_value "$conf" baseurl)
  group=$(pam_conf_value "$conf" group)
  # For grep -E and for Python alike.
  E2E_PAM_URL_RE="$(sed 's/[.]/\\./g' <<<"$base")/$group/[^/ ]+/$user/[A-Za-z0-9_-]{43}"
}

e2e_pam_restore() {
  cp -a "$E2E_CHROOT$E2E_PAM_SAVED/su" "$E2E_CHROOT$E2E_PAM_SAVED/sshd" "$E2E_CHROOT/etc/pam.d/"
  rm -rf "$E2E_CHROOT$(dirname "$E2E_PAM_CONF")" "$E2E_CHROOT$E2E_PAM_WORK" "$E2E_CHROOT$E2E_PAM_STATE"
}

# Challenges left in the state directory (none once every login has ended).
pam_states_left() { find "$E2E_CHROOT$E2E_PAM_STATE" -maxdepth 1 -type f -regex '.*/[0-9a-f]\{64\}' 2>/dev/null | wc -l; }

# su as $E2E_PAM_USER on a pseudo-terminal; $1 names the try, $2 is right or
# wrong. Sets SU_STATUS and SU_SCREEN (what the terminal showed).
pam_su() {
  local name=$1 how=$2 out
  install -m 0755 "$ROOT/scripts/e2e/su-pty.py" "$E2E_CHROOT$E2E_PAM_WORK/su-pty.py"
  out=$(in_chroot python3 "$E2E_PAM_WORK/su-pty.py" --user "$E2E_PAM_USER" --url "$E2E_PAM_URL_RE" \
    --transcript "$E2E_PAM_WORK/$name.screen" $([ "$how" = wrong ] && echo --wrong) -- \
    /usr/local/bin/node "$E2E_AGI" pbotp respond --key "$E2E_PBOTP_KEY" 2>>"$E2E_WORK/$name.log")
  SU_STATUS=$(sed -n 's/^status //p' <<<"$out")
  cp "$E2E_CHROOT$E2E_PAM_WORK/$name.screen" "$E2E_WORK/$name.screen" 2>/dev/null
  SU_SCREEN=$(tr -d '\r' <"$E2E_WORK/$name.screen" 2>/dev/null)
}

# One line of E2E_GOT for a login: its exit status, whether the challenge and
# the command's output were shown, and the last line of the screen.
pam_login_got() { printf '%s: exit %s, %s, last line: %s' "$1" "$2" "$3" "$(grep -v '^[[:space:]]*$' <<<"$4" | tail -n 1 | cut -c1-80)"; }

# README's su stack: root approved by the authority instead of root's password.
case_pam_su() {
  local ok=0
  # A wrong code is pam_exec's PAM_SYSTEM_ERR, which su reports as "System error".
  E2E_EXPECT="su as $E2E_PAM_USER: the right code gives a root shell (exit 0), a wrong one none (exit 1, su: System error); no challenge left"
  e2e_pam_setup root || return 1
  pam_su pam-su-right right
  E2E_GOT=$(pam_login_got right "$SU_STATUS" "$(grep -qE "$E2E_PAM_URL_RE" <<<"$SU_SCREEN" && echo 'challenge shown' || echo 'no challenge')" "$SU_SCREEN")
  [ "$SU_STATUS" = 0 ] && grep -q '^su-as-uid-0$' <<<"$SU_SCREEN" || ok=1
  pam_su pam-su-wrong wrong
  E2E_GOT+="; $(pam_login_got wrong "$SU_STATUS" "$(grep -q 'su-as-uid' <<<"$SU_SCREEN" && echo 'a root shell' || echo 'no shell')" "$SU_SCREEN")"
  [ "$SU_STATUS" = 1 ] && grep -q '^su: System error' <<<"$SU_SCREEN" && ! grep -q 'su-as-uid' <<<"$SU_SCREEN" || ok=1
  E2E_GOT+="; $(pam_states_left) challenges left"
  [ "$(pam_states_left)" = 0 ] || ok=1
  pam_check_log pam-su "accepted for [^ ]*/root" "refused: wrong code" || ok=1
  e2e_pam_restore
  return $ok
}

# No syslog daemon runs in the chroot: the steps' reasons must be in the
# state directory's log file, root's and 0600. Arguments: the case's name
# (its copy goes to the logs as NAME.admin.log), then patterns of the verify
# step's lines that must be there.
pam_check_log() {
  local name=$1 log=$E2E_CHROOT$E2E_PAM_STATE/astotp-pam.log p ok=0
  shift
  if [ -S "$E2E_CHROOT/dev/log" ]; then
    E2E_GOT+="; log file not checked: the chroot has a /dev/log"
    return 0
  fi
  E2E_EXPECT+="; $E2E_PAM_STATE/astotp-pam.log (0600 root): $*"
  E2E_GOT+="; log file: $(stat -c '%a %U' "$log" 2>&1)"
  [ "$(stat -c '%a %U' "$log" 2>/dev/null)" = "600 root" ] || ok=1
  for p in "$@"; do
    if grep -qE "astotp-pam\[[0-9]+\]: pam-verify: .*: $p\$" "$log" 2>/dev/null; then E2E_GOT+=", has '$p'"; else E2E_GOT+=", lacks '$p'"; ok=1; fi
  done
  cp "$log" "$E2E_WORK/$name.admin.log" 2>/dev/null
  return $ok
}

# ssh to $E2E_PAM_USER through README's sshd stack and sshd_config lines; $1
# names the try, $2 is right or wrong. Sets SSH_STATUS, SSH_OUT and
# SSH_SHOWN (what the client showed: its stderr and the prompt). OpenSSH's
# client prints the PAM messages before the prompt on stderr (older servers
# put them into the prompt), so the authority reads the URL from both.
pam_ssh() {
  local name=$1 how=$2 w=$E2E_PAM_WORK reply
  if [ "$how" = right ]; then
    reply="url=\$({ cat $w/$name.stderr; printf '%s\n' \"\$1\"; } | grep -oE '$E2E_PAM_URL_RE' | tail -n 1)
/usr/local/bin/node $E2E_AGI pbotp respond --key $E2E_PBOTP_KEY \"\$url\" | tail -n 1"
  else
    reply='echo 000000000'
  fi
  printf '#!/bin/sh\nprintf "%%s" "$1" > %s\n%s\n' "$w/$name.prompt" "$reply" >"$E2E_CHROOT$w/askpass-$name"
  chmod 0755 "$E2E_CHROOT$w/askpass-$name"
  SSH_OUT=$(env -i PATH="$E2E_PATH" HOME=/root LANG=C.UTF-8 SSH_ASKPASS="$w/askpass-$name" SSH_ASKPASS_REQUIRE=force \
    timeout 60 chroot "$E2E_CHROOT" ssh -F /dev/null -i "$w/client" -o IdentitiesOnly=yes \
    -o "ProxyCommand=/usr/sbin/sshd -i -f $w/sshd_config -E $w/$name.sshd.log" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o NumberOfPasswordPrompts=1 \
    "$E2E_PAM_USER@pbx" echo LOGGED-IN </dev/null 2>"$E2E_CHROOT$w/$name.stderr")
  SSH_STATUS=$?
  SSH_SHOWN=$(cat "$E2E_CHROOT$w/$name.stderr" "$E2E_CHROOT$w/$name.prompt" 2>/dev/null)
  cat "$E2E_CHROOT$w/$name.stderr" "$E2E_CHROOT$w/$name.sshd.log" >"$E2E_WORK/$name.log" 2>/dev/null
}

# README's sshd stack in Debian's /etc/pam.d/sshd and its sshd_config lines:
# a public key first, then the authority's code at the keyboard-interactive prompt.
case_pam_sshd() {
  local ok=0 config w=$E2E_PAM_WORK home
  E2E_EXPECT="ssh to $E2E_PAM_USER: the right code logs in (exit 0), a wrong one 'Permission denied' (exit 255); no challenge left"
  config=$(readme_block 'and in `/etc/ssh/sshd_config`') || { E2E_GOT="README.md lacks the sshd_config block"; return 1; }
  e2e_pam_setup "$E2E_PAM_USER" || return 1
  home=$(in_chroot sh -c "getent passwd $E2E_PAM_USER | cut -d: -f6")
  in_chroot sh -c "ssh-keygen -q -t ed25519 -N '' -f $w/client && mkdir -p -m 0700 $home/.ssh && cp $w/client.pub $home/.ssh/authorized_keys &&
    chown -R $E2E_PAM_USER: $home/.ssh && chmod 0600 $home/.ssh/authorized_keys && mkdir -p -m 0755 /run/sshd"
  # The README's lines first (sshd takes the first value it reads), then what a test server needs.
  printf '%s\n' "$config" "HostKey /etc/ssh/ssh_host_ed25519_key" "PidFile none" "LogLevel VERBOSE" >"$E2E_CHROOT$w/sshd_config"
  pam_ssh pam-sshd-right right
  E2E_GOT=$(pam_login_got right "$SSH_STATUS" "$(grep -qE "$E2E_PAM_URL_RE" <<<"$SSH_SHOWN" && echo 'challenge shown' || echo 'no challenge')" "$SSH_OUT")
  [ "$SSH_STATUS" = 0 ] && [ "$SSH_OUT" = LOGGED-IN ] || ok=1
  pam_ssh pam-sshd-wrong wrong
  E2E_GOT+="; $(pam_login_got wrong "$SSH_STATUS" "$(grep -q 'Permission denied' <<<"$SSH_SHOWN" && echo 'Permission denied' || echo 'no denial')" "$SSH_OUT")"
  [ "$SSH_STATUS" = 255 ] && [ -z "$SSH_OUT" ] && grep -q 'Permission denied' <<<"$SSH_SHOWN" || ok=1
  E2E_GOT+="; $(pam_states_left) challenges left"
  [ "$(pam_states_left)" = 0 ] || ok=1
  pam_check_log pam-sshd "accepted for [^ ]*/$E2E_PAM_USER" "refused: wrong code" || ok=1
  in_chroot rm -rf "$home/.ssh"
  e2e_pam_restore
  return $ok
}

# `astotp doctor` (its default /etc/pbotp/pam.conf) with the README's stacks
# installed: each line that names the file read as a login reads it, the
# state directory they use, Linux-PAM's version; then the state directory
# opened to others, and (a dpkg-query stand-in first on PATH) a Linux-PAM
# older than 1.5.2, on which the lines' quiet_log fails every login.
case_pam_doctor() {
  local ok=0 out w=$E2E_PAM_WORK n
  E2E_EXPECT="no pam FAIL, the su and sshd lines read; FAIL for a state directory open to others; FAIL for quiet_log on Linux-PAM 1.4.0"
  e2e_pam_setup root || return 1
  mkdir -p -m 0700 "$E2E_CHROOT$E2E_PAM_STATE"
  out=$(astotp_cli doctor 2>&1 | grep '  pam: ')
  printf '%s\n' "$out" >"$E2E_WORK/pam-doctor.log"
  n=$(grep -cE "^PASS  pam: line /etc/pam.d/(su|sshd):[0-9]+: group ssh, host [^ ]+, 9-digit codes, QR utf8$" <<<"$out")
  E2E_GOT="$(grep -c '^FAIL' <<<"$out") FAIL, $n lines read"
  [ "$n" = 4 ] && ! grep -q '^FAIL' <<<"$out" || ok=1
  grep -q "^PASS  pam: state directory $E2E_PAM_STATE: root's, 0700$" <<<"$out" || { E2E_GOT+=", state directory not passed"; ok=1; }
  grep -q '^PASS  pam: Linux-PAM [0-9.]* (dpkg-query): pam_exec takes quiet_log$' <<<"$out" || { E2E_GOT+=", version not passed"; ok=1; }

  chmod 0755 "$E2E_CHROOT$E2E_PAM_STATE"
  out=$(astotp_cli doctor 2>&1 | grep '  pam: ')
  printf '%s\n' "$out" >>"$E2E_WORK/pam-doctor.log"
  if grep -q "^FAIL  pam: state directory $E2E_PAM_STATE is open to group or others" <<<"$out"; then E2E_GOT+="; open state directory: FAIL"; else E2E_GOT+="; open state directory: no FAIL"; ok=1; fi
  chmod 0700 "$E2E_CHROOT$E2E_PAM_STATE"

  mkdir -p "$E2E_CHROOT$w/bin"
  printf '#!/bin/sh\necho 1.4.0-9+deb11u1\n' >"$E2E_CHROOT$w/bin/dpkg-query"
  chmod 0755 "$E2E_CHROOT$w/bin/dpkg-query"
  out=$(env -i PATH="$w/bin:$E2E_PATH" HOME=/root LANG=C.UTF-8 chroot "$E2E_CHROOT" /usr/local/bin/node "$E2E_AGI" doctor 2>&1 | grep '  pam: ')
  printf '%s\n' "$out" >>"$E2E_WORK/pam-doctor.log"
  if grep -qE '^FAIL  pam: Linux-PAM 1\.4\.0 \(dpkg-query\) is older than 1\.5\.2: .*remove it from /etc/pam.d/sshd:[0-9]+, /etc/pam.d/su:3$' <<<"$out"; then
    E2E_GOT+="; Linux-PAM 1.4.0: FAIL naming the two quiet_log lines"
  else
    E2E_GOT+="; Linux-PAM 1.4.0: $(grep 'Linux-PAM' <<<"$out" | cut -c1-100)"
    ok=1
  fi
  e2e_pam_restore
  return $ok
}
