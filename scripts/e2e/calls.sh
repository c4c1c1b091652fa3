# Sourced by scripts/asterisk-e2e.sh: places calls with call files and waits
# for their outcome.

E2E_GAP=${E2E_GAP:-100}     # ms between DTMF digits
E2E_DUR=${E2E_DUR:-120}     # ms per DTMF digit
# Seconds the caller waits before typing: into the first prompt (it starts
# only after ANSWER, which Asterisk delays by 0.5 s), and into each next
# prompt, which the AGI asks for within milliseconds of the previous answer.
E2E_WAIT=${E2E_WAIT:-1}
E2E_NEXT_WAIT=${E2E_NEXT_WAIT:-0.5}

# A caller plan that types the answers, one per prompt, then stays on the
# line until the other side hangs up. Arguments: digit groups (without #).
plan_answers() {
  local plan="w$E2E_WAIT/" g
  for g in "$@"; do plan+="d$g#/w$E2E_NEXT_WAIT/"; done
  echo "${plan%/w*}/w90"
}

# Places a call from the caller plan into Local/$2 and waits for its record.
# A call still up at the deadline is hung up, so it cannot spill into the
# next case; its AGI PIDs stay in E2E_AGI_LEFT for the case to fail on.
# Arguments: record name, channel target (exten@context), plan, deadline (s).
# E2E_CID, when set, is the caller ID number the dialed extension sets;
# E2E_LANG the language extensions 783 and 784 give the channel.
e2e_call() {
  local name=$1
  e2e_log_mark "$name"
  e2e_call_start "$@"
  e2e_call_await "$name" "${4:-90}"
  e2e_call_idle "$name"
  e2e_log_cut "$name"
}

# Places the call and returns at once (arguments as e2e_call's, without the
# deadline), so several calls can run together; e2e_call_await waits for one.
declare -A E2E_CALL_START
e2e_call_start() {
  local name=$1 target=$2 plan=$3
  local tmpf=/var/spool/asterisk/e2e-tmp/$name.call
  rm -f "$E2E_CHROOT$E2E_RESULTS/$name".* "$E2E_CHROOT/var/spool/asterisk/outgoing_done/$name.call"
  cat >"$E2E_CHROOT$tmpf" <<CALL
Channel: Local/$target
Context: otp-caller
Extension: s
Priority: 1
MaxRetries: 0
WaitTime: 30
Archive: yes
Setvar: __E2E_CASE=$name
Setvar: PLAN=$plan
Setvar: E2E_GAP=$E2E_GAP
Setvar: E2E_DUR=$E2E_DUR
Setvar: __E2E_CID=${E2E_CID:-}
Setvar: __E2E_LANG=${E2E_LANG:-en}
CALL
  echo "=== call $name: Local/$target plan=$plan" >>"$E2E_WORK/calls.log"
  E2E_CALL_START[$name]=$(date +%s.%N)
  # Written elsewhere and moved in, so Asterisk never reads half a file.
  in_chroot sh -c "chown asterisk:asterisk $tmpf && mv $tmpf /var/spool/asterisk/outgoing/"
}

# Waits until the call has left its h record, at most $2 seconds from its
# start; returns 1 when it has not.
e2e_call_await() {
  local name=$1 deadline=$2 start=${E2E_CALL_START[$1]} now failed=
  while :; do
    [ -e "$E2E_CHROOT$E2E_RESULTS/$name.h" ] && return 0
    # A call the AGI never answers ends as Failed; its h record follows
    # within moments, so only shorten the deadline.
    if [ -z "$failed" ] && grep -qsE '^Status: (Failed|Expired)' "$E2E_CHROOT/var/spool/asterisk/outgoing_done/$name.call"; then
      failed=1
      deadline=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b - a + 5}')
    fi
    now=$(date +%s.%N)
    if awk -v a="$start" -v b="$now" -v d="$deadline" 'BEGIN{exit !(b - a > d)}'; then
      echo "e2e: call $name: no result after ${deadline}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Waits for every channel and AGI process to be gone; hangs up what is
# still there after 15 s. $1 names the call(s) in the message.
e2e_call_idle() {
  if ! e2e_wait_idle 15; then
    local left=$E2E_AGI_LEFT p
    echo "e2e: call $1: still up after its deadline; hanging up (AGI pids: ${left:-none})" >&2
    ast_rx 'channel request hangup all' >/dev/null 2>&1
    e2e_wait_idle 5 || for p in $E2E_AGI_LEFT; do kill -9 "$p" 2>/dev/null; done
    E2E_AGI_LEFT=$left
  fi
}

# The call's channel name without its ;1/;2 (empty until the caller side ran).
e2e_call_chan() { cat "$E2E_CHROOT$E2E_RESULTS/$1.chan" 2>/dev/null; }

# Seconds from placing the call to its h record ("-" without one): other
# calls may have been awaited first.
e2e_call_took() {
  local h
  h=$(stat -c %Y "$E2E_CHROOT$E2E_RESULTS/$1.h" 2>/dev/null) || { echo -; return; }
  awk -v a="${E2E_CALL_START[$1]}" -v b="$h" 'BEGIN{printf "%.0f", b - a}'
}

# Seconds since the call was placed.
e2e_call_secs() { awk -v a="${E2E_CALL_START[$1]}" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}'; }

# Waits until no channel is up and no AGI process is left. Sets E2E_AGI_LEFT
# to the AGI PIDs still running at the deadline (empty when all is clean).
e2e_wait_idle() {
  local deadline=$(($(date +%s) + $1))
  while :; do
    E2E_AGI_LEFT=$(e2e_agi_pids | tr '\n' ' ')
    if [ -z "$E2E_AGI_LEFT" ] && ast_rx 'core show channels count' 2>/dev/null | grep -q '^0 active channels'; then
      return 0
    fi
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# Reads one variable from a record file: rec_get FILE NAME.
rec_get() {
  [ -f "$1" ] || { echo "-"; return; }
  # ASTOTP_ERROR is a sentence and the last field: it takes the rest of the line.
  if [ "$2" = ASTOTP_ERROR ]; then sed -n 's/.* ASTOTP_ERROR=//p' "$1" | tail -n 1; return; fi
  tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | tail -n 1
}

# The record a call left; $1: record name, $2: h or after-agi.
rec_file() { echo "$E2E_CHROOT$E2E_RESULTS/$1.$2"; }

# "ASTOTP/ASTOTP_REASON/AGISTATUS" of a record, or "no record".
rec_summary() {
  local f
  f=$(rec_file "$1" "$2")
  [ -f "$f" ] || { echo "no record"; return; }
  echo "$(rec_get "$f" ASTOTP)/$(rec_get "$f" ASTOTP_REASON)/$(rec_get "$f" AGISTATUS)"
}

# Asterisk's log lines for one call go to $E2E_WORK/<name>.log.
e2e_log_mark() {
  E2E_LOG_OFFSET=$(stat -c %s "$E2E_CHROOT$E2E_LOG" 2>/dev/null || echo 0)
}
e2e_log_cut() {
  tail -c +"$((E2E_LOG_OFFSET + 1))" "$E2E_CHROOT$E2E_LOG" >"$E2E_WORK/$1.log" 2>/dev/null || true
}
# With calls running together: only the lines that name the call's channel
# (both halves), since the mark.
e2e_log_cut_chan() {
  local chan
  chan=$(e2e_call_chan "$1")
  if [ -z "$chan" ]; then
    echo "(no channel name recorded for $1)" >"$E2E_WORK/$1.log"
    return
  fi
  tail -c +"$((E2E_LOG_OFFSET + 1))" "$E2E_CHROOT$E2E_LOG" 2>/dev/null | grep -F "$chan;" >"$E2E_WORK/$1.log" || true
}
