# Sourced by scripts/asterisk-e2e.sh: the cases. Each case_* function sets
# E2E_EXPECT and E2E_GOT and returns 0 when they match.

E2E_PIN=2468
E2E_BAD_PIN=1357
# user -> secret, filled by e2e_enroll_all
declare -A E2E_SECRET

# Runs the product's CLI as root inside the chroot, as an admin would.
astotp_cli() { in_chroot /usr/local/bin/node "$E2E_AGI" "$@"; }

e2e_enroll_all() {
  local u
  in_chroot sh -c 'rm -f /var/lib/asterisk/astotp.sqlite3* /var/lib/asterisk/astotp.key'
  for u in $(seq 1001 1018); do
    E2E_SECRET[$u]=$(head -c 20 /dev/urandom | base32 | tr -d '=')
    if ! printf '%s\n' "$E2E_PIN" | astotp_cli enroll "$u" --secret "${E2E_SECRET[$u]}" --no-confirm --qr none \
      >>"$E2E_WORK/cli.log" 2>&1; then
      echo "e2e: enroll $u failed:" >&2
      tail -n 5 "$E2E_WORK/cli.log" >&2
      return 1
    fi
  done
  ls -ln "$E2E_CHROOT/var/lib/asterisk/" | grep astotp >>"$E2E_WORK/cli.log" || true
}

totp() { oathtool --totp -b "$1"; }

# A six-digit code that is not valid for the secret anywhere near now
# (three steps either side, more than any window the suite uses).
wrong_code() {
  local valid c
  valid=$(oathtool --totp -b -w 6 --now "$(date -u -d '-90 sec' '+%F %T UTC')" "$1")
  while :; do
    c=$(printf '%06d' $(((RANDOM * 32768 + RANDOM) % 1000000)))
    grep -qx "$c" <<<"$valid" || { echo "$c"; return; }
  done
}

# Compares "got" with "expected" for one record; appends to E2E_GOT/E2E_EXPECT.
# Arguments: record name, h|after-agi, expected ASTOTP/REASON/AGISTATUS
# (REASON may be a|b), and optionally VAR=value checks on the same record.
check_rec() {
  local name=$1 where=$2 want=$3 got f ok=0 kv v
  shift 3
  got=$(rec_summary "$name" "$where")
  f=$(rec_file "$name" "$where")
  local re="^${want}\$"
  [[ "$got" =~ $re ]] || ok=1
  for kv in "$@"; do
    v=$(rec_get "$f" "${kv%%=*}")
    got+=" ${kv%%=*}=$v"
    want+=" $kv"
    [ "$v" = "${kv#*=}" ] || ok=1
  done
  E2E_EXPECT+="${E2E_EXPECT:+; }$want"
  E2E_GOT+="${E2E_GOT:+; }$got"
  return $ok
}

# Fails the case when an AGI process outlived its call.
check_no_agi_left() {
  [ -z "$E2E_AGI_LEFT" ] && return 0
  E2E_GOT+="; AGI still running: pid $E2E_AGI_LEFT"
  return 1
}

# check_rec, then check_no_agi_left, each reported whatever the other says.
check_call() {
  local ok=0
  check_rec "$@" || ok=1
  check_no_agi_left || ok=1
  return $ok
}

# The CLI ran as root (e2e_enroll_all); the files must belong to the user
# Asterisk runs as, or no call could read or update them.
case_root_enroll() {
  local f got="" ok=0
  E2E_EXPECT="astotp.sqlite3 and astotp.key owned by asterisk:asterisk"
  for f in astotp.sqlite3 astotp.key; do
    got+="${got:+, }$f $(in_chroot stat -c %U:%G "/var/lib/asterisk/$f" 2>&1)"
    [ "$(in_chroot stat -c %U:%G "/var/lib/asterisk/$f" 2>/dev/null)" = asterisk:asterisk ] || ok=1
  done
  E2E_GOT=$got
  return $ok
}

case_success() {
  e2e_call success 778@otp-test "$(plan_answers 1001 $E2E_PIN "$(totp "${E2E_SECRET[1001]}")")"
  check_call success after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1001
}

case_wrong_pin() {
  e2e_call wrong-pin 777@otp-test "$(plan_answers 1005 $E2E_BAD_PIN "$(totp "${E2E_SECRET[1005]}")")"
  check_call wrong-pin h 'FAILURE/bad-credentials/SUCCESS'
}

case_wrong_code() {
  e2e_call wrong-code 777@otp-test "$(plan_answers 1006 $E2E_PIN "$(wrong_code "${E2E_SECRET[1006]}")")"
  check_call wrong-code h 'FAILURE/bad-credentials/SUCCESS'
}

case_unknown_user() {
  e2e_call unknown-user 777@otp-test "$(plan_answers 9999 $E2E_PIN 123456)"
  check_call unknown-user h 'FAILURE/bad-credentials/SUCCESS'
}

case_replay() {
  local t code ok=0
  t=$(date +%s)
  code=$(totp "${E2E_SECRET[1003]}")
  e2e_call replay-1 777@otp-test "$(plan_answers 1003 $E2E_PIN "$code")"
  check_call replay-1 h 'SUCCESS/ok/SUCCESS' || ok=1
  e2e_call replay-2 777@otp-test "$(plan_answers 1003 $E2E_PIN "$code")"
  check_call replay-2 h 'FAILURE/bad-credentials/SUCCESS' || ok=1
  # With window=1 the code stays valid until two steps after its own; past
  # that, a rejection would prove nothing about replay.
  if [ "$(date +%s)" -ge $(((t / 30 + 2) * 30)) ]; then
    E2E_GOT+="; inconclusive: the code expired before the second call ended"
    ok=1
  fi
  return $ok
}

# tries=3 and lockout_failures=3: one call with three wrong PINs locks the
# account; the right credentials are then refused until `astotp unlock`.
case_lockout() {
  local ok=0 again out
  e2e_write_astotp_conf tries=3 lockout_failures=3 lockout_minutes=15
  # After a wrong attempt the try-again prompt plays before the ID prompt.
  again=$(awk -v a="$E2E_TRY_AGAIN_SECS" -v w="$E2E_WAIT" 'BEGIN{printf "%.1f", a + w + 1.5}')
  local c bad
  c=$(totp "${E2E_SECRET[1004]}")
  bad="w$E2E_WAIT/d1004#/w$E2E_NEXT_WAIT/d$E2E_BAD_PIN#/w$E2E_NEXT_WAIT/d$c#"
  e2e_call lockout-1 777@otp-test "$bad/w$again/${bad#w*/}/w$again/${bad#w*/}/w90" 150
  check_call lockout-1 h 'FAILURE/(bad-credentials|locked)/SUCCESS' || ok=1
  # One attempt per call from here: with more, the caller's silence on the
  # next attempt would end the call as timeout, hiding what we look for.
  e2e_write_astotp_conf tries=1 lockout_failures=3 lockout_minutes=15
  e2e_call lockout-2 777@otp-test "$(plan_answers 1004 $E2E_PIN "$(totp "${E2E_SECRET[1004]}")")"
  check_call lockout-2 h 'FAILURE/locked/SUCCESS' || ok=1
  if ! out=$(astotp_cli unlock 1004 2>&1); then
    E2E_GOT+="; astotp unlock failed: $out"
    ok=1
  fi
  e2e_call lockout-3 777@otp-test "$(plan_answers 1004 $E2E_PIN "$(totp "${E2E_SECRET[1004]}")")"
  check_call lockout-3 h 'SUCCESS/ok/SUCCESS' || ok=1
  e2e_write_astotp_conf $E2E_FAST_CONF
  return $ok
}

# The caller hangs up shortly into a prompt; $1 names the prompt.
hangup_case() {
  local name=hangup-$1 plan ok=0
  case $1 in
    id) plan="w$E2E_WAIT/h" ;;
    pin) plan="w$E2E_WAIT/d1009#/w$E2E_NEXT_WAIT/h" ;;
    code) plan="w$E2E_WAIT/d1009#/w$E2E_NEXT_WAIT/d$E2E_PIN#/w$E2E_NEXT_WAIT/h" ;;
  esac
  e2e_call "$name" 777@otp-test "$plan"
  # Not check_call: the AGI process is reported here with its exit time.
  check_rec "$name" h 'FAILURE/hangup/HANGUP' || ok=1
  E2E_EXPECT+="; AGI process gone"
  if [ -n "$E2E_AGI_LEFT" ]; then
    E2E_GOT+="; AGI still running: pid $E2E_AGI_LEFT"
    ok=1
  else
    local secs
    secs=$(hangup_latency "$name")
    E2E_GOT+="; gone${secs:+, AGI ended ${secs}s after the hangup}"
  fi
  return $ok
}

# Seconds from the caller's Hangup() to Asterisk seeing the AGI script
# finish, from the call's Asterisk log.
hangup_latency() {
  awk '
    function t(s) { split(substr(s, 13, 12), a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    /otp-caller:[0-9]+\] Hangup\(/ && !h { h = t($0) }
    /AGI Script otp\/astotp completed/ && h { printf "%.2f", t($0) - h; exit }
  ' "$E2E_WORK/$1.log"
}
case_hangup_id() { hangup_case id; }
case_hangup_pin() { hangup_case pin; }
case_hangup_code() { hangup_case code; }

case_no_dtmf() {
  local ok=0
  e2e_write_astotp_conf tries=1 timeout=3
  e2e_call no-dtmf 777@otp-test "w90" 60
  check_call no-dtmf h 'FAILURE/timeout/SUCCESS' || ok=1
  e2e_write_astotp_conf $E2E_FAST_CONF
  return $ok
}

case_user_arg() {
  e2e_call user-arg 779@otp-test "$(plan_answers $E2E_PIN "$(totp "${E2E_SECRET[1007]}")")"
  check_call user-arg after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1007
}

case_pin_arg() {
  e2e_call pin-arg 780@otp-test "$(plan_answers 1008 "$(totp "${E2E_SECRET[1008]}")")"
  check_call pin-arg after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1008
}

# A caller ID that carries argument syntax, on a dialplan that interpolates
# it (AGI(otp/astotp,user=${CALLERID(num)})): it would have switched the PIN
# off. The caller types only the code, as an attacker without the PIN would.
case_callerid_injection() {
  local ok=0 f log
  E2E_CID='1001,pin=no' e2e_call callerid-injection 781@otp-test "$(plan_answers "$(totp "${E2E_SECRET[1001]}")")"
  check_call callerid-injection after-agi 'FAILURE/error/SUCCESS' ASTOTP_USER= || ok=1
  f=$(rec_file callerid-injection after-agi)
  E2E_EXPECT+="; ASTOTP_ERROR names the caller ID; no prompt played"
  E2E_GOT+="; ASTOTP_ERROR=$(rec_get "$f" ASTOTP_ERROR | cut -c1-50)"
  rec_get "$f" ASTOTP_ERROR | grep -q 'caller ID contains' || ok=1
  log=$E2E_WORK/callerid-injection.log
  if grep -q 'astotp-enter-' "$log"; then E2E_GOT+="; a prompt was played"; ok=1; else E2E_GOT+="; none played"; fi
  return $ok
}

# user=callerid: astotp reads the caller ID itself; the caller still types PIN and code.
case_callerid_user() {
  E2E_CID='+1010' e2e_call callerid-user 782@otp-test "$(plan_answers $E2E_PIN "$(totp "${E2E_SECRET[1010]}")")"
  check_call callerid-user after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1010
}

case_missing_db() {
  local db=$E2E_CHROOT/var/lib/asterisk/astotp.sqlite3 ok=0
  mkdir -p "$E2E_WORK/db-aside"
  mv "$db"* "$E2E_WORK/db-aside/"
  e2e_call missing-db 777@otp-test "$(plan_answers 1009 $E2E_PIN "$(totp "${E2E_SECRET[1009]}")")"
  check_call missing-db h 'FAILURE/error/SUCCESS' || ok=1
  E2E_EXPECT+="; ASTOTP_ERROR says why"
  E2E_GOT+="; ASTOTP_ERROR=$(rec_get "$(rec_file missing-db h)" ASTOTP_ERROR | cut -c1-60)"
  [ -n "$(rec_get "$(rec_file missing-db h)" ASTOTP_ERROR)" ] || ok=1
  # A call must fail closed, not create an empty database.
  E2E_EXPECT+="; no database created"
  if [ -e "$db" ]; then E2E_GOT+="; a database was created"; ok=1; else E2E_GOT+="; none created"; fi
  rm -f "$db"*
  mv "$E2E_WORK/db-aside/"* "$(dirname "$db")/"
  return $ok
}

case_readme_dialplan() {
  if [ -z "$E2E_README_EXTEN" ]; then
    E2E_EXPECT="README.md shows a dialplan with AGI(otp/astotp)"
    E2E_GOT="no such snippet found in README.md"
    return 1
  fi
  e2e_call readme-dialplan "$E2E_README_EXTEN@otp-readme" "$(plan_answers 1002 $E2E_PIN "$(totp "${E2E_SECRET[1002]}")")"
  check_call readme-dialplan h 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1002 PLAYBACKSTATUS=SUCCESS
}

# The installed bundle against PostgreSQL (scripts/e2e/postgres.sh), as a PBX
# of a site sharing one database would use it: astotp.conf names the server
# by URL, with the password in a passfile only the asterisk user may read
# (the AGI runs as asterisk, and Asterisk passes it no PGPASSWORD). db is a
# [general] setting, so the case has an astotp.conf of its own while it runs.
# User 2001 exists only in PostgreSQL: a SUCCESS cannot come from SQLite.
E2E_PG_PASSFILE=/etc/asterisk/astotp.pgpass
E2E_PG_KEY=/var/lib/asterisk/astotp-pg.key
E2E_PG_PBX=e2e-pbx

case_postgres() {
  local ok=0
  postgres_calls || ok=1
  e2e_write_astotp_conf $E2E_FAST_CONF
  in_chroot rm -f "$E2E_PG_PASSFILE" "$E2E_PG_KEY"
  e2e_pg_stop
  return $ok
}

postgres_calls() {
  local ok=0 secret code t rows want owner
  if ! e2e_pg_start; then
    E2E_EXPECT="a PostgreSQL server"
    E2E_GOT="none started (see $E2E_WORK/pg-server.log)"
    return 1
  fi
  (umask 077 && printf '127.0.0.1:%s:astotp:astotp:%s\n' "$E2E_PG_PORT" "$E2E_PG_PASSWORD" >"$E2E_CHROOT$E2E_PG_PASSFILE")
  in_chroot sh -c "chown asterisk:asterisk $E2E_PG_PASSFILE && rm -f $E2E_PG_KEY"
  e2e_write_astotp_conf $E2E_FAST_CONF "db=postgres://astotp@127.0.0.1:$E2E_PG_PORT/astotp?passfile=$E2E_PG_PASSFILE" \
    "key_file=$E2E_PG_KEY" "pbx_name=$E2E_PG_PBX"
  # As root, as an admin would: it must act as the key file directory's owner.
  secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')
  E2E_EXPECT="enrolled into PostgreSQL, $E2E_PG_KEY owned by asterisk:asterisk"
  if ! printf '%s\n' "$E2E_PIN" | astotp_cli enroll 2001 --secret "$secret" --no-confirm --qr none >>"$E2E_WORK/cli.log" 2>&1; then
    E2E_GOT="enroll failed: $(tail -n 1 "$E2E_WORK/cli.log")"
    return 1
  fi
  owner=$(in_chroot stat -c %U:%G "$E2E_PG_KEY" 2>&1)
  E2E_GOT="enrolled, $E2E_PG_KEY owned by $owner"
  [ "$owner" = asterisk:asterisk ] || ok=1

  t=$(date +%s)
  code=$(totp "$secret")
  e2e_call postgres-1 778@otp-test "$(plan_answers 2001 $E2E_PIN "$code")"
  check_call postgres-1 after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=2001 || ok=1
  e2e_call postgres-2 778@otp-test "$(plan_answers 2001 $E2E_PIN "$code")"
  check_call postgres-2 after-agi 'FAILURE/bad-credentials/SUCCESS' || ok=1
  # As in case_replay: past two steps the code is simply too old.
  if [ "$(date +%s)" -ge $(((t / 30 + 2) * 30)) ]; then
    E2E_GOT+="; inconclusive: the code expired before the second call ended"
    ok=1
  fi

  # The channel shows each row is the call Asterisk placed; its sequence number is cut.
  want="[agi,2001,SUCCESS,ok,$E2E_PG_PBX,PIN and code ok (token app),Local/778@otp-test] [agi,2001,FAILURE,bad-credentials,$E2E_PG_PBX,replayed code (token app),Local/778@otp-test]"
  rows=$(e2e_psql -d astotp -At -F , -c "SELECT source, login, result, reason, pbx, detail, regexp_replace(channel, '-[0-9a-f]+;[0-9]+\$', '') FROM audit WHERE source <> 'admin' ORDER BY id" 2>&1 | sed 's/.*/[&]/' | paste -sd ' ')
  E2E_EXPECT+="; audit rows in PostgreSQL: $want"
  E2E_GOT+="; audit rows: ${rows:-none}"
  [ "$rows" = "$want" ] || ok=1
  # The enrollment is in the same log, as an admin action (its actor depends on the login, so only its kind is checked).
  admin=$(e2e_psql -d astotp -At -c "SELECT count(*) FROM audit WHERE source = 'admin' AND reason = 'enroll' AND login = '2001' AND pbx = '$E2E_PG_PBX'" 2>&1)
  E2E_EXPECT+="; one admin row for the enrollment"
  E2E_GOT+="; admin rows: $admin"
  [ "$admin" = 1 ] || ok=1
  return $ok
}

# A lost phone (README): * and an 8-digit recovery code at the code prompt,
# typed by SendDTMF in one go. astotp reads * and the first digits in one
# GET DATA and the rest in a second; Asterisk drops keys that arrive between
# two AGI commands, so the log must show every key reaching a GET DATA. The
# code is then used up: the same code again fails.
case_recovery_code() {
  local ok=0 rc got
  rc=$(astotp_cli recovery 1016 --count 2 --json 2>>"$E2E_WORK/cli.log" | grep -o '"[0-9]\{8\}"' | head -n1 | tr -d '"')
  if [ -z "$rc" ]; then
    E2E_EXPECT="astotp recovery 1016 prints codes"
    E2E_GOT="none (see $E2E_WORK/cli.log)"
    return 1
  fi
  e2e_call recovery-1 778@otp-test "$(plan_answers 1016 $E2E_PIN "*$rc")"
  check_call recovery-1 after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1016 || ok=1
  got=$(code_prompt_keys recovery-1)
  E2E_EXPECT+="; the GET DATAs from the code prompt on got *<the code>"
  if [ "$got" = "*$rc" ]; then E2E_GOT+="; they did"; else E2E_GOT+="; they got '$got' of '*$rc'"; ok=1; fi
  e2e_call recovery-2 778@otp-test "$(plan_answers 1016 $E2E_PIN "*$rc")"
  check_call recovery-2 after-agi 'FAILURE/bad-credentials/SUCCESS' || ok=1
  return $ok
}

# A PIN changed on the phone (profile=pin): after the login the caller types
# the new PIN twice; the call is SUCCESS, the next call logs in with the new
# PIN (and the next step's code), and the audit log has the change, source phone.
case_pin_change() {
  local ok=0 new=97531 next rows plan
  # The new PIN is typed 3 s after the code: the login is judged (a PIN hash)
  # before its prompt starts, and keys sent before it are lost.
  plan="$(plan_answers 1017 $E2E_PIN "$(totp "${E2E_SECRET[1017]}")")"
  plan="${plan%/w90}/w3/d$new#/w$E2E_NEXT_WAIT/d$new#/w90"
  e2e_call pin-change 787@otp-test "$plan" 120
  check_call pin-change after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1017 || ok=1
  next=$(oathtool --totp -b -N "$(date -u -d '+30 sec' '+%F %T UTC')" "${E2E_SECRET[1017]}")
  e2e_call pin-change-old 778@otp-test "$(plan_answers 1017 $E2E_PIN "$next")"
  check_call pin-change-old after-agi 'FAILURE/bad-credentials/SUCCESS' || ok=1
  e2e_call pin-change-new 778@otp-test "$(plan_answers 1017 $new "$next")"
  check_call pin-change-new after-agi 'SUCCESS/ok/SUCCESS' ASTOTP_USER=1017 || ok=1
  rows=$(astotp_cli log --user 1017 --admin --json 2>>"$E2E_WORK/cli.log")
  E2E_EXPECT+="; no set-pin row of source admin"
  if grep -q '"reason": "set-pin"' <<<"$rows"; then E2E_GOT+="; there is one"; ok=1; else E2E_GOT+="; none"; fi
  rows=$(astotp_cli log --user 1017 --json 2>>"$E2E_WORK/cli.log")
  E2E_EXPECT+="; a set-pin row of source phone"
  if grep -A3 '"source": "phone"' <<<"$rows" | grep -q '"reason": "set-pin"'; then E2E_GOT+="; there is"; else E2E_GOT+="; none"; ok=1; fi
  return $ok
}

# The keys the GET DATA commands returned, from the code prompt's on, joined.
code_prompt_keys() {
  awk '
    /AGI Rx << GET DATA "otp\/astotp-enter-code"/ { on = 1 }
    on && /AGI Rx << GET DATA/ { want = 1; next }
    on && want && /AGI Tx >> 200 result=/ { sub(/.*AGI Tx >> 200 result=/, ""); sub(/ .*/, ""); printf "%s", $0; want = 0 }
  ' "$E2E_WORK/$1.log"
}

E2E_ALL_CASES="root-enroll success wrong-pin wrong-code unknown-user replay lockout hangup-id hangup-pin hangup-code no-dtmf user-arg pin-arg callerid-injection callerid-user missing-db readme-dialplan postgres recovery-code pin-change languages fastagi-root-drop fastagi-replay fastagi-hangup fastagi-user fastagi-no-secret fastagi-sigterm pbotp userevent"
