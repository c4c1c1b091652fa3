# Sourced by scripts/asterisk-e2e.sh: the notices astotp sends from a call,
# seen where a site's listener sees them. Asterisk's manager (AMI) listens on
# a loopback port the OS picked (the chroot shares the host's network
# namespace, so no fixed port); scripts/e2e/ami-events.py logs in and keeps
# every event it is sent.

E2E_AMI_PORT=
E2E_AMI_SECRET=

# manager.conf before Asterisk starts: one user who may read user events only.
e2e_write_manager_conf() {
  E2E_AMI_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  E2E_AMI_SECRET=$(head -c 12 /dev/urandom | base32 | tr -d '=')
  cat >"$E2E_CHROOT/etc/asterisk/manager.conf" <<CONF
; Written by scripts/asterisk-e2e.sh.
[general]
enabled = yes
bindaddr = 127.0.0.1
port = $E2E_AMI_PORT

[e2e]
secret = $E2E_AMI_SECRET
read = user
write =
CONF
  chmod 0640 "$E2E_CHROOT/etc/asterisk/manager.conf"
}

# The blocks of the AMI capture $1 that are a UserEvent named astotp, one per
# line, headers joined with " | ".
ami_astotp_events() {
  tr -d '\r' <"$1" | awk -v RS= '/(^|\n)Event: UserEvent\n/ && /\nUserEvent: astotp(\n|$)/ { gsub(/\n/, " | "); print }'
}

# [notify] userevent = yes: three wrong PINs lock user 1018 (tries=3,
# lockout_failures=3); an AMI listener sees one UserEvent astotp saying so,
# on the call's channel, and the caller ID (typed by whoever places the
# call) cannot add a field of its own: its # and its "Event:" stay in
# its value, filtered. The call's result is what it is without notices.
case_userevent() {
  local ok=0 out=$E2E_WORK/ami-events.txt ready=$E2E_WORK/ami-ready pid c bad again events chan n
  rm -f "$out" "$ready"
  python3 "$ROOT/scripts/e2e/ami-events.py" "$E2E_AMI_PORT" e2e "$E2E_AMI_SECRET" "$out" "$ready" 200 \
    2>>"$E2E_WORK/ami.log" &
  pid=$!
  for _ in $(seq 100); do [ -e "$ready" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  E2E_EXPECT="an AMI login"
  if [ ! -e "$ready" ]; then
    E2E_GOT="none: $(tail -n 1 "$E2E_WORK/ami.log" 2>/dev/null)"
    kill "$pid" 2>/dev/null
    return 1
  fi
  E2E_GOT="logged in"
  e2e_write_astotp_conf tries=3 lockout_failures=3 lockout_minutes=15
  printf '%s\n' '[notify]' 'userevent = yes' >>"$E2E_CHROOT/etc/asterisk/astotp.conf"
  again=$(awk -v a="$E2E_TRY_AGAIN_SECS" -v w="$E2E_WAIT" 'BEGIN{printf "%.1f", a + w + 1.5}')
  c=$(totp "${E2E_SECRET[1018]}")
  bad="w$E2E_WAIT/d1018#/w$E2E_NEXT_WAIT/d$E2E_BAD_PIN#/w$E2E_NEXT_WAIT/d$c#"
  E2E_CID='555#Event: hardlock' e2e_call userevent 788@otp-test "$bad/w$again/${bad#w*/}/w$again/${bad#w*/}/w90" 150
  check_call userevent h 'FAILURE/(bad-credentials|locked)/SUCCESS' || ok=1
  e2e_write_astotp_conf $E2E_FAST_CONF
  astotp_cli unlock 1018 >>"$E2E_WORK/cli.log" 2>&1
  # Asterisk has sent the event before the AGI's next command was answered.
  sleep 0.5
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  events=$(ami_astotp_events "$out")
  n=$(grep -c . <<<"$events")
  chan=$(e2e_call_chan userevent)
  E2E_EXPECT+="; one UserEvent astotp: Kind: lock, User: 1018, one Event and one Channel header (${chan:-?};2), caller ID 555?Event: hardlock"
  E2E_GOT+="; $n: ${events:0:400}"
  [ "$n" = 1 ] || ok=1
  grep -q ' | Kind: lock | ' <<<"$events" || ok=1
  [ "$(grep -o ' | Event: ' <<<" | $events" | wc -l)" = 1 ] || ok=1
  [ "$(grep -o ' | Channel: ' <<<"$events" | wc -l)" = 1 ] || ok=1
  grep -q ' | User: 1018 | ' <<<"$events" || ok=1
  grep -q " | Channel: $chan;2 | " <<<"$events" || ok=1
  grep -q ' | Callerid: 555?Event: hardlock' <<<"$events" || ok=1
  grep -q ' | Event: hardlock' <<<"$events" && ok=1
  E2E_EXPECT+="; Asterisk ran it: EXEC UserEvent answered 200 result=0"
  if grep -A3 'AGI Rx << EXEC UserEvent' "$E2E_WORK/userevent.log" | grep -q 'AGI Tx >> 200 result=0'; then
    E2E_GOT+="; it did"
  else
    E2E_GOT+="; it did not"
    ok=1
  fi
  return $ok
}
