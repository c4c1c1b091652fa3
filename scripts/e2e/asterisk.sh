# Sourced by scripts/asterisk-e2e.sh: configures the chroot, runs Asterisk in
# it as the asterisk user, and tears everything down again.

E2E_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
E2E_AGI=/usr/share/asterisk/agi-bin/otp/astotp
E2E_SOUNDS=/usr/share/asterisk/sounds/en/otp
# The languages astotp has prompts for (sounds/<lang>/prompts.tsv).
E2E_LANGS="en es fr it ru"
E2E_RESULTS=/var/tmp/astotp-e2e
E2E_LOG=/var/log/asterisk/e2e-full
E2E_MOUNTED=()
E2E_ASTERISK_PID=

# Runs a command inside the chroot with a clean environment, as root.
in_chroot() {
  env -i PATH="$E2E_PATH" HOME=/root LANG=C.UTF-8 chroot "$E2E_CHROOT" "$@"
}

# The host's path of a directory in the chroot. Debian's sounds/<lang> are
# absolute links (through /etc/alternatives), which the host would resolve
# against its own root.
chroot_path() { echo "$E2E_CHROOT$(in_chroot readlink -f "$1")"; }

# asterisk -rx with a deadline, so a wedged Asterisk cannot hang the suite.
ast_rx() {
  timeout 15 env -i PATH="$E2E_PATH" chroot "$E2E_CHROOT" /usr/sbin/asterisk -rx "$1"
}

e2e_mount() {
  mkdir -p "$E2E_CHROOT/proc"
  mount -t proc proc "$E2E_CHROOT/proc" && E2E_MOUNTED+=("$E2E_CHROOT/proc")
  # Containers often keep debootstrap from creating device nodes.
  if [ ! -c "$E2E_CHROOT/dev/null" ] || [ ! -c "$E2E_CHROOT/dev/urandom" ]; then
    mount --bind /dev "$E2E_CHROOT/dev" && E2E_MOUNTED+=("$E2E_CHROOT/dev")
  fi
}

# Processes whose root directory is the chroot: Asterisk and AGI children.
e2e_chroot_pids() {
  local p root
  for p in /proc/[0-9]*; do
    root=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$root" = "$E2E_CHROOT" ] && echo "${p#/proc/}"
  done
}

# PIDs of AGI (node) processes running in the chroot; a serve-agi outlives
# its calls by design, so it is not one of them.
e2e_agi_pids() {
  local p cmd
  for p in $(e2e_chroot_pids); do
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
    case $cmd in *serve-agi*) ;; *agi-bin/otp*) echo "$p" ;; esac
  done
  return 0
}

e2e_teardown() {
  local i p
  if [ -n "$E2E_ASTERISK_PID" ] && kill -0 "$E2E_ASTERISK_PID" 2>/dev/null; then
    ast_rx 'core stop now' >/dev/null 2>&1 || true
    for i in $(seq 50); do kill -0 "$E2E_ASTERISK_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$E2E_ASTERISK_PID" 2>/dev/null || true
    wait "$E2E_ASTERISK_PID" 2>/dev/null || true
  fi
  # Anything else we started inside the chroot (AGI scripts, System() shells).
  if [ -n "${E2E_CHROOT:-}" ]; then
    for p in $(e2e_chroot_pids); do kill -9 "$p" 2>/dev/null || true; done
  fi
  for ((i = ${#E2E_MOUNTED[@]} - 1; i >= 0; i--)); do
    umount "${E2E_MOUNTED[$i]}" 2>/dev/null || umount -l "${E2E_MOUNTED[$i]}" 2>/dev/null || true
  done
  E2E_MOUNTED=()
}

# Path of the Asterisk module directory inside the chroot.
e2e_moddir() {
  local d
  d=$(sed -n 's/^[[:space:]]*astmoddir[[:space:]]*=>[[:space:]]*//p' "$E2E_CHROOT/etc/asterisk/asterisk.conf" | head -n1)
  [ -n "$d" ] || d=$(dirname "$(cd "$E2E_CHROOT" && ls -d usr/lib/*/asterisk/modules/res_agi.so | head -n1)")
  echo "${d#/}"
}

e2e_write_modules_conf() {
  local moddir m
  moddir=$(e2e_moddir)
  {
    echo '; Written by scripts/asterisk-e2e.sh: only what the suite needs.'
    echo '[modules]'
    echo 'autoload=no'
    # res_agi needs res_speech's symbols.
    for m in res_speech res_agi pbx_config pbx_spool res_timing_timerfd app_senddtmf app_playback app_system app_userevent; do
      echo "load => $m.so"
    done
    # Every format, codec and dialplan function the package ships.
    for m in "$E2E_CHROOT/$moddir"/format_*.so "$E2E_CHROOT/$moddir"/codec_*.so "$E2E_CHROOT/$moddir"/func_*.so; do
      [ -e "$m" ] || continue
      # Skipped: they need modules the suite does not load (SIP, ODBC, crypto...).
      case "${m##*/}" in func_pjsip_* | func_odbc.so | func_curl.so | func_realtime.so | func_aes.so | func_periodic_hook.so) continue ;; esac
      echo "load => ${m##*/}"
    done
  } >"$E2E_CHROOT/etc/asterisk/modules.conf"
}

e2e_write_logger_conf() {
  cat >"$E2E_CHROOT/etc/asterisk/logger.conf" <<'CONF'
; Written by scripts/asterisk-e2e.sh.
[general]
dateformat=%F %T.%3q
[logfiles]
e2e-full => notice,warning,error,verbose,dtmf
CONF
}

# The dialplan. $1: the README's snippet (lines), or empty if none was found;
# $2: the README's FastAGI snippet, already pointed at the suite's serve-agi,
# whose agi:// URL (with its secret) is $3 and URL without the secret $4;
# $5: the README's lines for [globals] (the #include of the secret).
e2e_write_extensions_conf() {
  local readme=$1 fastagi=${2:-} fastagi_url=${3:-agi://127.0.0.1/otp} fastagi_bare=${4:-agi://127.0.0.1/otp} globals=${5:-}
  local rec='Set(E2E_ERR=${FILTER(a-zA-Z0-9 _.:/=-,${ASTOTP_ERROR})})'
  local put="echo \"ASTOTP=\${ASTOTP} ASTOTP_REASON=\${ASTOTP_REASON} ASTOTP_USER=\${ASTOTP_USER} AGISTATUS=\${AGISTATUS} PLAYBACKSTATUS=\${PLAYBACKSTATUS} ASTOTP_ERROR=\${E2E_ERR}\" >> $E2E_RESULTS/\${E2E_CASE}"
  cat >"$E2E_CHROOT/etc/asterisk/extensions.conf" <<CONF
; Written by scripts/asterisk-e2e.sh.
[general]
static=yes
writeprotect=yes

[globals]
${globals}

; The dialplan the README documents; the h extension records the outcome.
[otp-test]
exten => 777,1,AGI(otp/astotp)
 same => n,GotoIf(\$["\${ASTOTP}" = "SUCCESS"]?ok)
 same => n,Hangup()
 same => n(ok),Playback(otp/astotp-success)

; Variants with AGI arguments; each records right after the AGI too.
exten => 778,1,AGI(otp/astotp)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
exten => 779,1,AGI(otp/astotp,user=1007)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
exten => 780,1,AGI(otp/astotp,profile=nopin)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
; A PIN changed on the phone: the profile [pin] has change_pin = yes.
exten => 787,1,AGI(otp/astotp,profile=pin)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
; The caller ID comes from the call file (E2E_CID), as a SIP caller would set it.
; 781 is the form earlier READMEs showed: caller data in the argument list.
exten => 781,1,Set(CALLERID(num)=\${E2E_CID})
 same => n,AGI(otp/astotp,user=\${CALLERID(num)})
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
; The notices' UserEvent (notify.sh): the caller ID set, the ID typed.
exten => 788,1,Set(CALLERID(num)=\${E2E_CID})
 same => n,AGI(otp/astotp)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
exten => 782,1,Set(CALLERID(num)=\${E2E_CID})
 same => n,AGI(otp/astotp,user=callerid)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()

; The call's language from the call file (E2E_LANG), as an endpoint's
; language= would set it.
exten => 783,1,Set(CHANNEL(language)=\${E2E_LANG})
 same => n,AGI(otp/astotp)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
exten => 784,1,Set(CHANNEL(language)=\${E2E_LANG})
 same => n,AGI(otp/astotp,profile=pbotp)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()

exten => h,1,$rec
 same => n,System(${put}.h)

; The README's FastAGI snippet, with the port serve-agi was given by the OS.
[otp-fastagi]
${fastagi}
exten => 785,1,AGI(${fastagi_url}?user=1012)
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()
; As a local user would connect, with the path but not the secret.
exten => 786,1,AGI(${fastagi_bare})
 same => n,$rec
 same => n,System(${put}.after-agi)
 same => n,Hangup()

exten => h,1,$rec
 same => n,System(${put}.h)

; The snippet exactly as README.md shows it.
[otp-readme]
${readme}

exten => h,1,$rec
 same => n,System(${put}.h)

; The caller: PLAN is a /-separated list of steps: w<seconds> waits,
; d<digits> sends DTMF, h hangs up, f<name> waits for the file
; <case>.<name> the suite writes once it knows the answer, then types it.
; The channel's name, without ;1, tells the suite which log lines are this
; call's while other calls run.
[otp-caller]
exten => s,1,System(echo \${CHANNEL:0:-2} > $E2E_RESULTS/\${E2E_CASE}.chan)
 same => n,Set(i=1)
 same => n(next),Set(step=\${CUT(PLAN,/,\${i})})
 same => n,Set(i=\$[\${i} + 1])
 same => n,GotoIf(\$["\${step}" = ""]?end)
 same => n,GotoIf(\$["\${step:0:1}" = "w"]?wait)
 same => n,GotoIf(\$["\${step:0:1}" = "d"]?dtmf)
 same => n,GotoIf(\$["\${step:0:1}" = "f"]?file)
 same => n,Goto(end)
 same => n(wait),Wait(\${step:1})
 same => n,Goto(next)
 same => n(dtmf),SendDTMF(\${step:1},\${E2E_GAP},\${E2E_DUR})
 same => n,Goto(next)
 same => n(file),Set(f=$E2E_RESULTS/\${E2E_CASE}.\${step:1})
 same => n(poll),GotoIf(\${STAT(e,\${f})}?type)
 same => n,Wait(0.5)
 same => n,Goto(poll)
 same => n(type),SendDTMF(\${FILE(\${f})},\${E2E_GAP},\${E2E_DUR})
 same => n,Goto(next)
 same => n(end),Hangup()
CONF
}

# Writes astotp.conf. Arguments: key=value pairs for [general]; the
# profiles the dialplan above names are always there, and so is the pbotp
# authority's public key once e2e_pbotp_genkey has made it.
e2e_write_astotp_conf() {
  local kv
  {
    echo '[general]'
    for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
    if [ -n "${E2E_PBOTP_PUB:-}" ]; then
      printf '%s\n' "pbotp_pubkey = $E2E_PBOTP_PUB" "pbotp_group = $E2E_PBOTP_GROUP" "pbotp_host = $E2E_PBOTP_HOST"
    fi
    printf '%s\n' '[nopin]' 'type = profile' 'ask_pin = no'
    printf '%s\n' '[pbotp]' 'type = profile' 'mode = pbotp'
    printf '%s\n' '[pin]' 'type = profile' 'change_pin = yes'
  } >"$E2E_CHROOT/etc/asterisk/astotp.conf"
  chmod 0644 "$E2E_CHROOT/etc/asterisk/astotp.conf"
}

e2e_start_asterisk() {
  local i
  in_chroot sh -c "mkdir -p /run/asterisk $E2E_RESULTS /var/spool/asterisk/outgoing /var/spool/asterisk/outgoing_done /var/spool/asterisk/e2e-tmp &&
    chown asterisk:asterisk /run/asterisk $E2E_RESULTS /var/spool/asterisk/outgoing /var/spool/asterisk/outgoing_done /var/spool/asterisk/e2e-tmp &&
    rm -f $E2E_RESULTS/* /var/spool/asterisk/outgoing/* /var/spool/asterisk/outgoing_done/* /var/spool/asterisk/e2e-tmp/* $E2E_LOG"
  # 9>&-: the suite's lock stays with the suite. An Asterisk left behind by a
  # SIGKILLed run would otherwise hold it, and the next run, which would kill
  # that Asterisk, would wait for the lock instead.
  env -i PATH="$E2E_PATH" LANG=C.UTF-8 chroot "$E2E_CHROOT" /usr/sbin/asterisk -U asterisk -G asterisk -f -vvv \
    >"$E2E_WORK/asterisk.stdout" 2>&1 </dev/null 9>&- &
  E2E_ASTERISK_PID=$!
  for i in $(seq 120); do
    if ast_rx 'core waitfullybooted' >/dev/null 2>&1; then
      ast_rx 'core set verbose 3' >/dev/null
      ast_rx 'agi set debug on' >/dev/null
      return 0
    fi
    kill -0 "$E2E_ASTERISK_PID" 2>/dev/null || break
    sleep 0.5
  done
  echo "e2e: Asterisk did not start; its output:" >&2
  tail -n 30 "$E2E_WORK/asterisk.stdout" >&2
  return 1
}
