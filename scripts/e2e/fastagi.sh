# Sourced by scripts/asterisk-e2e.sh: the FastAGI cases. `astotp serve-agi`
# runs inside the chroot, started as root as an init system without User=
# would start it, on a loopback port the OS picked; the README's FastAGI
# dialplan is pointed at that port. The chroot shares the host's network
# namespace, hence no fixed port (the README's 4573 may be taken by another
# suite). Each case starts the server if no earlier case left it running;
# e2e_fastagi_stop (the suite's EXIT trap) ends it.

E2E_FASTAGI_PID=
E2E_FASTAGI_PORT=
E2E_FASTAGI_LOG=
E2E_FASTAGI_STATUS=

# Not kill -0: it also succeeds on an exited server nobody has waited for yet.
e2e_fastagi_running() {
  [ -n "$E2E_FASTAGI_PID" ] && [ "$(awk '{print $3}' "/proc/$E2E_FASTAGI_PID/stat" 2>/dev/null)" != Z ] && [ -e "/proc/$E2E_FASTAGI_PID" ]
}

# The secret file the README's FastAGI block #includes, in the chroot.
e2e_fastagi_secret_file() {
  sed -n 's/^#include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$E2E_README_FASTAGI_GLOBALS" | head -n1
}

# Makes the secret as README says (root's --print-dialplan), starts serve-agi
# with it and points the [otp-fastagi] dialplan at it.
e2e_fastagi_start() {
  local i snippet secret_file
  e2e_fastagi_running && return 0
  E2E_FASTAGI_LOG=$E2E_WORK/serve-agi.log
  secret_file=$(e2e_fastagi_secret_file)
  if [ -z "$secret_file" ]; then
    echo "e2e: README.md's FastAGI block has no #include of the secret file" >&2
    return 1
  fi
  echo "=== serve-agi --print-dialplan $(date -u +%T)" >>"$E2E_FASTAGI_LOG"
  in_chroot /usr/local/bin/node "$E2E_AGI" serve-agi --secret-file "$secret_file" --print-dialplan >>"$E2E_FASTAGI_LOG" 2>&1 || return 1
  echo "=== serve-agi started $(date -u +%T)" >>"$E2E_FASTAGI_LOG"
  # exec, env and chroot all exec: $! is the node process itself. 9>&-: not the suite's lock.
  env -i PATH="$E2E_PATH" LANG=C.UTF-8 chroot "$E2E_CHROOT" /usr/local/bin/node "$E2E_AGI" serve-agi --listen 127.0.0.1:0 \
    --secret-file "$secret_file" >>"$E2E_FASTAGI_LOG" 2>&1 </dev/null 9>&- &
  E2E_FASTAGI_PID=$!
  E2E_FASTAGI_PORT=
  for i in $(seq 100); do
    E2E_FASTAGI_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) as uid.*/\1/p' "$E2E_FASTAGI_LOG" | tail -n1)
    [ -n "$E2E_FASTAGI_PORT" ] && break
    kill -0 "$E2E_FASTAGI_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$E2E_FASTAGI_PORT" ]; then
    echo "e2e: serve-agi did not start listening; its log:" >&2
    tail -n 5 "$E2E_FASTAGI_LOG" >&2
    e2e_fastagi_stop
    return 1
  fi
  snippet=$(sed -E "s#agi://127\.0\.0\.1(:[0-9]+)?/#agi://127.0.0.1:$E2E_FASTAGI_PORT/#g" <<<"$E2E_README_FASTAGI")
  e2e_write_extensions_conf "$E2E_README" "$snippet" "agi://127.0.0.1:$E2E_FASTAGI_PORT/otp/\${GLOBAL(ASTOTP_FASTAGI_SECRET)}" \
    "agi://127.0.0.1:$E2E_FASTAGI_PORT/otp" "$E2E_README_FASTAGI_GLOBALS"
  ast_rx 'dialplan reload' >/dev/null
}

# SIGTERM, then SIGKILL after 10 s; E2E_FASTAGI_STATUS is its exit status.
e2e_fastagi_stop() {
  local i
  [ -n "$E2E_FASTAGI_PID" ] || return 0
  kill -TERM "$E2E_FASTAGI_PID" 2>/dev/null
  for i in $(seq 100); do kill -0 "$E2E_FASTAGI_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$E2E_FASTAGI_PID" 2>/dev/null
  wait "$E2E_FASTAGI_PID" 2>/dev/null
  E2E_FASTAGI_STATUS=$?
  E2E_FASTAGI_PID=
}

# Fails the case (E2E_EXPECT/E2E_GOT say so) when the server cannot run.
fastagi_ready() {
  e2e_fastagi_start && return 0
  E2E_EXPECT="serve-agi listening"
  E2E_GOT="it did not start (see $E2E_FASTAGI_LOG)"
  return 1
}

# Started as root, the server must have dropped to the Asterisk user for
# good: real, effective, saved and filesystem IDs alike (/proc's Uid: and
# Gid: lines), and no supplementary group of root's.
case_fastagi_root_drop() {
  local want_u want_g uids gids groups ok=0
  fastagi_ready || return 1
  want_u=$(in_chroot id -u asterisk)
  want_g=$(in_chroot id -g asterisk)
  uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$E2E_FASTAGI_PID/status")
  gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$E2E_FASTAGI_PID/status")
  groups=$(awk '/^Groups:/ {$1 = ""; print}' "/proc/$E2E_FASTAGI_PID/status" | xargs)
  E2E_EXPECT="serve-agi started as root: uid real/effective/saved/fs $want_u $want_u $want_u $want_u, gid $want_g x4, no group 0"
  E2E_GOT="uid $uids, gid $gids, groups ${groups:-none}"
  [ "$uids" = "$want_u $want_u $want_u $want_u" ] || ok=1
  [ "$gids" = "$want_g $want_g $want_g $want_g" ] || ok=1
  [[ " $groups " == *" 0 "* ]] && ok=1
  [ "$want_u" != 0 ] || ok=1
  return $ok
}

# The README's FastAGI dialplan: a good call, then its code again.
case_fastagi_replay() {
  local t code ok=0
  fastagi_ready || return 1
  if [ -z "$E2E_README_FASTAGI_EXTEN" ]; then
    E2E_EXPECT="README.md shows a dialplan with AGI(agi://...)"
    E2E_GOT="no such snippet found in README.md"
    return 1
  fi
  t=$(date +%s)
  code=$(totp "${E2E_SECRET[1011]}")
  e2e_call fastagi-1 "$E2E_README_FASTAGI_EXTEN@otp-fastagi" "$(plan_answers 1011 $E2E_PIN "$code")"
  check_call fastagi-1 h 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1011 PLAYBACKSTATUS=SUCCESS || ok=1
  e2e_call fastagi-2 "$E2E_README_FASTAGI_EXTEN@otp-fastagi" "$(plan_answers 1011 $E2E_PIN "$code")"
  check_call fastagi-2 h 'FAILURE/bad-credentials/SUCCESS' || ok=1
  if [ "$(date +%s)" -ge $(((t / 30 + 2) * 30)) ]; then
    E2E_GOT+="; inconclusive: the code expired before the second call ended"
    ok=1
  fi
  return $ok
}

# The caller hangs up at the code prompt: the call is a hangup, and the
# server goes on serving (the next case's calls).
case_fastagi_hangup() {
  local ok=0 n
  fastagi_ready || return 1
  n=$(grep -c . "$E2E_FASTAGI_LOG")
  e2e_call fastagi-hangup "$E2E_README_FASTAGI_EXTEN@otp-fastagi" "w$E2E_WAIT/d1011#/w$E2E_NEXT_WAIT/d$E2E_PIN#/w$E2E_NEXT_WAIT/h"
  check_rec fastagi-hangup h 'FAILURE/hangup/(HANGUP|SUCCESS)' || ok=1
  E2E_EXPECT+="; serve-agi still running"
  if e2e_fastagi_running; then E2E_GOT+="; running"; else E2E_GOT+="; it exited"; ok=1; fi
  E2E_GOT+="; its log: $(tail -n +"$((n + 1))" "$E2E_FASTAGI_LOG" | tr '\n' ' ' | cut -c1-160)"
  return $ok
}

# agi://HOST/otp?user=1012: the caller types only PIN and code.
case_fastagi_user() {
  fastagi_ready || return 1
  e2e_call fastagi-user 785@otp-fastagi "$(plan_answers $E2E_PIN "$(totp "${E2E_SECRET[1012]}")")"
  check_call fastagi-user after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1012
}

# SIGTERM while a caller is at the PIN prompt: the server stops taking calls
# but this one runs to its end (SUCCESS), then the server exits 0.
case_fastagi_sigterm() {
  local ok=0 chan i code log=$E2E_CHROOT$E2E_LOG n
  fastagi_ready || return 1
  n=$(grep -c . "$E2E_FASTAGI_LOG")
  code=$(totp "${E2E_SECRET[1013]}")
  e2e_log_mark fastagi-sigterm
  e2e_call_start fastagi-sigterm "$E2E_README_FASTAGI_EXTEN@otp-fastagi" "w$E2E_WAIT/d1013#/fpin/w$E2E_NEXT_WAIT/d$code#/w90"
  E2E_EXPECT="SIGTERM at the PIN prompt"
  for i in $(seq 200); do
    chan=$(e2e_call_chan fastagi-sigterm)
    [ -n "$chan" ] && tail -c +"$((E2E_LOG_OFFSET + 1))" "$log" | grep -qF "<$chan;2>AGI Rx << GET DATA \"otp/astotp-enter-pin\"" && break
    chan=
    sleep 0.1
  done
  if [ -z "$chan" ]; then
    E2E_GOT="the call never reached the PIN prompt"
    ok=1
  else
    kill -TERM "$E2E_FASTAGI_PID"
    for i in $(seq 50); do grep -q 'SIGTERM: no new calls' "$E2E_FASTAGI_LOG" && break; sleep 0.1; done
    E2E_GOT="sent; server: $(grep -o 'SIGTERM: no new calls.*' "$E2E_FASTAGI_LOG" | tail -n1)"
    E2E_EXPECT+="; serve-agi waits for 1 call in progress"
    grep -q 'SIGTERM: no new calls; waiting up to [0-9]* s for 1 in progress' "$E2E_FASTAGI_LOG" || ok=1
  fi
  # The caller types the PIN only now, so the call surely spans the signal.
  printf '%s#' "$E2E_PIN" >"$E2E_CHROOT$E2E_RESULTS/fastagi-sigterm.pin"
  e2e_call_await fastagi-sigterm 90
  e2e_call_idle fastagi-sigterm
  e2e_log_cut fastagi-sigterm
  check_call fastagi-sigterm h 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1013 || ok=1
  E2E_EXPECT+="; then serve-agi exits 0 by itself"
  for i in $(seq 100); do e2e_fastagi_running || break; sleep 0.1; done
  if e2e_fastagi_running; then
    E2E_GOT+="; still running 10 s after the call"
    ok=1
  fi
  e2e_fastagi_stop
  E2E_GOT+="; exit status $E2E_FASTAGI_STATUS; $(tail -n +"$((n + 1))" "$E2E_FASTAGI_LOG" | grep -E 'served|stopped' | tr '\n' ' ')"
  [ "$E2E_FASTAGI_STATUS" = 0 ] || ok=1
  tail -n +"$((n + 1))" "$E2E_FASTAGI_LOG" | grep -qx 'astotp serve-agi: stopped' || ok=1
  return $ok
}

# A connection with the documented path but without the secret (a local
# user's): refused before it is a call, so the dialplan never reads SUCCESS;
# counted in serve-agi's log, which never shows the secret.
case_fastagi_no_secret() {
  local ok=0 n secret
  fastagi_ready || return 1
  n=$(grep -c . "$E2E_FASTAGI_LOG")
  e2e_call fastagi-no-secret 786@otp-fastagi "w30"
  # Closed without a word: ASTOTP stays unset (Asterisk's AGISTATUS is SUCCESS), so the dialplan's test fails.
  check_call fastagi-no-secret after-agi '//(SUCCESS|FAILURE|HANGUP)' || ok=1
  E2E_EXPECT+="; serve-agi refused it for want of the secret"
  for _ in $(seq 30); do tail -n +"$((n + 1))" "$E2E_FASTAGI_LOG" | grep -q 'no FastAGI secret in the request' && break; sleep 0.1; done
  if tail -n +"$((n + 1))" "$E2E_FASTAGI_LOG" | grep -q 'no FastAGI secret in the request'; then
    E2E_GOT+="; refused"
  else
    E2E_GOT+="; log: $(tail -n +"$((n + 1))" "$E2E_FASTAGI_LOG" | tr '\n' ' ' | cut -c1-200)"
    ok=1
  fi
  secret=$(sed -n 's/^ASTOTP_FASTAGI_SECRET=//p' "$E2E_CHROOT$(e2e_fastagi_secret_file)")
  E2E_EXPECT+="; the secret in no line of serve-agi's log"
  if [ -n "$secret" ] && ! grep -qF -- "$secret" "$E2E_FASTAGI_LOG"; then E2E_GOT+="; not there"; else E2E_GOT+="; found (or no secret)"; ok=1; fi
  return $ok
}
