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
# E2E_CID, when set, is the caller ID number the dialed extension sets.
e2e_call() {
  local name=$1 target=$2 plan=$3 deadline=${4:-90}
  local tmpf=/var/spool/asterisk/e2e-tmp/$name.call start now failed=
  rm -f "$E2E_CHROOT$E2E_RESULTS/$name".*
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
CALL
  echo "=== call $name: Local/$target plan=$plan" >>"$E2E_WORK/calls.log"
  e2e_log_mark "$name"
  start=$(date +%s.%N)
  # Written elsewhere and moved in, so Asterisk never reads half a file.
  in_chroot sh -c "chown asterisk:asterisk $tmpf && mv $tmpf /var/spool/asterisk/outgoing/"
  while :; do
    [ -e "$E2E_CHROOT$E2E_RESULTS/$name.h" ] && break
    # A call the AGI never answers ends as Failed; its h record follows
    # within moments, so only shorten the deadline.
    if [ -z "$failed" ] && grep -qsE '^Status: (Failed|Expired)' "$E2E_CHROOT/var/spool/asterisk/outgoing_done/$name.call"; then
      failed=1
      deadline=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b - a + 5}')
    fi
    now=$(date +%s.%N)
    if awk -v a="$start" -v b="$now" -v d="$deadline" 'BEGIN{exit !(b - a > d)}'; then
      echo "e2e: call $name: no result after ${deadline}s" >&2
      break
    fi
    sleep 0.1
  done
  if ! e2e_wait_idle 15; then
    local left=$E2E_AGI_LEFT p
    echo "e2e: call $name: still up after its deadline; hanging up (AGI pids: ${left:-none})" >&2
    ast_rx 'channel request hangup all' >/dev/null 2>&1
    e2e_wait_idle 5 || for p in $E2E_AGI_LEFT; do kill -9 "$p" 2>/dev/null; done
    E2E_AGI_LEFT=$left
  fi
  e2e_log_cut "$name"
}

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
