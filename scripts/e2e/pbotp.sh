# Sourced by scripts/asterisk-e2e.sh: pbotp over the phone, and prompts in
# other languages. The caller cannot hear the challenge, but the suite reads
# it where an admin would: `agi set debug on` puts every AGI command in
# Asterisk's log, the 13 `SAY DIGITS` groups among them. The suite answers
# them as a helpdesk tool would, through the authority's console (`astotp
# pbotp serve` on an authority's database, its API with an approver's
# token), and writes the code to a file the caller waits for (the f step of
# [otp-caller]); the console's audit log then holds one row per response.

E2E_PBOTP_KEY=/etc/asterisk/e2e-authority.key
E2E_PBOTP_GROUP=e2e
E2E_PBOTP_HOST=e2e-pbx
E2E_PBOTP_PUB=
E2E_PBOTP_GROUPS=13
E2E_AUTHORITY_DIR=/var/lib/e2e-authority
E2E_AUTHORITY_TOKEN=
E2E_AUTHORITY_URL=
E2E_AUTHORITY_PID=

# The authority's key pair, made with the CLI as the README says.
e2e_pbotp_genkey() {
  in_chroot rm -f "$E2E_PBOTP_KEY"
  astotp_cli pbotp genkey privkey --out "$E2E_PBOTP_KEY" >>"$E2E_WORK/cli.log" 2>&1 || { echo "pbotp genkey privkey failed" >&2; return 1; }
  E2E_PBOTP_PUB=$(astotp_cli pbotp genkey pubkey <"$E2E_CHROOT$E2E_PBOTP_KEY" 2>>"$E2E_WORK/cli.log") || { echo "pbotp genkey pubkey failed" >&2; return 1; }
}

# The authority's console as README sets one up: a database of its own
# (init --authority), an approver with the right for the suite's group, and
# an API token of that approver for the suite, the helpdesk tool.
e2e_authority_start() {
  local db=(--db "$E2E_AUTHORITY_DIR/authority.sqlite3") port="" i log=$E2E_WORK/authority.log
  in_chroot sh -c "rm -rf $E2E_AUTHORITY_DIR && mkdir -m 0700 $E2E_AUTHORITY_DIR"
  {
    astotp_cli init --authority "${db[@]}" &&
      printf '4321\n' | astotp_cli enroll helpdesk --allow-untypable --no-confirm --qr none "${db[@]}" &&
      astotp_cli role helpdesk approver --groups "$E2E_PBOTP_GROUP" "${db[@]}"
  } >>"$E2E_WORK/cli.log" 2>&1 || { echo "the authority's setup failed:" >&2; tail -n 5 "$E2E_WORK/cli.log" >&2; return 1; }
  E2E_AUTHORITY_TOKEN=$(astotp_cli api-token create helpdesk "${db[@]}" 2>>"$E2E_WORK/cli.log") || { echo "api-token create failed" >&2; return 1; }
  # Not through in_chroot, a function: & would fork a shell for it, and $!
  # would be that shell's, not the server's (env and chroot exec it).
  env -i PATH="$E2E_PATH" HOME=/root LANG=C.UTF-8 chroot "$E2E_CHROOT" /usr/local/bin/node "$E2E_AGI" pbotp serve \
    --key "$E2E_PBOTP_KEY" "${db[@]}" --listen 127.0.0.1:0 >"$log" 2>&1 </dev/null 9>&- &
  E2E_AUTHORITY_PID=$!
  for i in $(seq 200); do
    port=$(sed -n 's/^pbotp: listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "pbotp serve did not start: $(cat "$log")" >&2; return 1; }
  E2E_AUTHORITY_URL=http://127.0.0.1:$port
}

e2e_authority_stop() {
  [ -n "$E2E_AUTHORITY_PID" ] || return 0
  kill "$E2E_AUTHORITY_PID" 2>/dev/null
  wait "$E2E_AUTHORITY_PID" 2>/dev/null
  E2E_AUTHORITY_PID=
}

# The responses the console's audit log holds.
e2e_authority_responses() {
  astotp_cli log --approver helpdesk --db "$E2E_AUTHORITY_DIR/authority.sqlite3" --limit 1000 --json 2>/dev/null | grep -c '"reason": "pbotp-response"'
}

# The digit groups the AGI has asked Asterisk to say on the channel $1 since
# the log mark, one per line.
pbotp_said_groups() {
  tail -c +"$((E2E_LOG_OFFSET + 1))" "$E2E_CHROOT$E2E_LOG" 2>/dev/null |
    awk -v p="<$1;2>AGI Rx << SAY DIGITS " 'i = index($0, p) { split(substr($0, i + length(p)), w, " "); print w[1] }'
}

# Waits until $2 groups have been said on the call $1 (at most $3 seconds
# from its start); prints them.
pbotp_wait_groups() {
  local name=$1 n=$2 limit=$3 chan got
  while :; do
    chan=$(e2e_call_chan "$name")
    if [ -n "$chan" ]; then
      got=$(pbotp_said_groups "$chan")
      [ "$(grep -c . <<<"$got")" -ge "$n" ] && { head -n "$n" <<<"$got"; return 0; }
    fi
    awk -v s="$(e2e_call_secs "$name")" -v l="$limit" 'BEGIN{exit !(s > l)}' && return 1
    sleep 0.5
  done
}

# The console's answer to a challenge read out as digits, asked as a
# helpdesk tool asks (GET /GROUP/HOST/USER/DIGITS, the approver's token):
# "Login: ..." from the JSON's login on the first line, the code on the second.
pbotp_respond() {
  local user=$1 groups=$2
  "$NODE" -e '
    const [url, token] = process.argv.slice(1);
    fetch(url, { headers: { authorization: `Bearer ${token}` } })
      .then(async (r) => {
        const j = await r.json();
        if (!r.ok) throw new Error(`${r.status} ${JSON.stringify(j)}`);
        console.log(`Login: group ${j.group}, host ${j.host}, user ${j.user}\n${j.code}`);
      })
      .catch((e) => {
        console.log(`console failed: ${e.message}`);
        process.exit(1);
      });
  ' "$E2E_AUTHORITY_URL/$E2E_PBOTP_GROUP/$E2E_PBOTP_HOST/$user/$(tr '\n' ' ' <<<"$groups" | xargs | tr ' ' -)" "$E2E_AUTHORITY_TOKEN"
}

# The suite's side of one pbotp call, run in the background while the other
# calls go on: waits for the challenge, answers it as $3 says (ok, wrong:
# the code with its last digit changed, replay: * first, then the code for
# the second reading) for the user $2. What it saw goes to $E2E_WORK/$1.drive.
pbotp_drive() {
  local name=$1 user=$2 how=$3 first second resp code out=$E2E_WORK/$1.drive
  : >"$out"
  # The reading takes about 70 s; the answer may come later than a prompt's timeout.
  first=$(pbotp_wait_groups "$name" $E2E_PBOTP_GROUPS 120) || { echo "groups=not read out ($(pbotp_said_groups "$(e2e_call_chan "$name")" | wc -l) seen)" >>"$out"; return; }
  echo "groups=$(tr '\n' ' ' <<<"$first" | xargs)" >>"$out"
  if [ "$how" = replay ]; then
    printf '*' >"$E2E_CHROOT$E2E_RESULTS/$name.star"
    second=$(pbotp_wait_groups "$name" $((2 * E2E_PBOTP_GROUPS)) 240 | tail -n $E2E_PBOTP_GROUPS) || { echo "again=not read out again" >>"$out"; return; }
    echo "again=$(tr '\n' ' ' <<<"$second" | xargs)" >>"$out"
  fi
  resp=$(pbotp_respond "$user" "$first") || { echo "respond=$resp" >>"$out"; return; }
  echo "login=$(sed -n 1p <<<"$resp")" >>"$out"
  code=$(sed -n 2p <<<"$resp")
  [ "$how" = wrong ] && code=${code:0:-1}$(((${code: -1} + 1) % 10))
  echo "typed=$code" >>"$out"
  printf '%s#' "$code" >"$E2E_CHROOT$E2E_RESULTS/$name.ans"
}

drive_get() { sed -n "s/^$2=//p" "$E2E_WORK/$1.drive" 2>/dev/null; }

# Samples in a prompt file, at its own rate: what STREAM FILE's endpos says
# once it has played the whole file.
sound_samples() {
  local n
  n=$(stat -c %s "$1") || return
  case $1 in
    *.gsm) echo $((n / 33 * 160)) ;;
    *.wav) echo $(((n - 44) / 2)) ;;
    *.ulaw) echo "$n" ;;
    *.sln16) echo $((n / 2)) ;;
  esac
}
# The sample counts of every format of a prompt, one per line.
prompt_samples() {
  local f
  for f in "$(chroot_path "/usr/share/asterisk/sounds/$1/otp")/$2".*; do sound_samples "$f"; done
}

# Five pbotp calls at once, since each reading of the challenge takes about
# 70 s: the right code (in English and, on a French channel, checking that
# the prompts and the core digits are French), a wrong code, * for the same
# challenge again, and the code for another user.
case_pbotp() {
  local ok=0 name pids=() p
  # name user-typed user-answered how language expected
  local calls=(
    "pbotp-ok 3001 3001 ok en SUCCESS/ok/SUCCESS"
    "pbotp-wrong 3002 3002 wrong en FAILURE/bad-credentials/SUCCESS"
    "pbotp-replay 3003 3003 replay en SUCCESS/ok/SUCCESS"
    "pbotp-other-user 3004 3005 ok en FAILURE/bad-credentials/SUCCESS"
    "pbotp-fr 3006 3006 ok fr SUCCESS/ok/SUCCESS"
  )
  local c user answer how lang want plan
  e2e_authority_start || return 1
  e2e_log_mark pbotp
  for c in "${calls[@]}"; do
    read -r name user answer how lang want <<<"$c"
    plan="w$E2E_WAIT/d$user#/"
    [ "$how" = replay ] && plan+="fstar/"
    plan+="fans/w90"
    E2E_LANG=$lang e2e_call_start "$name" 784@otp-test "$plan"
    pbotp_drive "$name" "$answer" "$how" &
    pids+=($!)
  done
  for c in "${calls[@]}"; do
    read -r name _ <<<"$c"
    e2e_call_await "$name" 300
    echo "asterisk-e2e:   $name: ended after $(e2e_call_took "$name")s" >&2
  done
  for p in "${pids[@]}"; do wait "$p"; done
  # One audit row on the authority per response the console gave; then it
  # stops, so that no astotp process of the suite's is left for check_no_agi_left.
  local responses
  responses=$(e2e_authority_responses)
  e2e_authority_stop
  e2e_call_idle pbotp
  for c in "${calls[@]}"; do
    read -r name user answer how lang want <<<"$c"
    e2e_log_cut_chan "$name"
    # check_rec joins with "; ": each call's part starts afresh, then is added.
    local save_e=$E2E_EXPECT save_g=$E2E_GOT
    E2E_EXPECT="" E2E_GOT=""
    if [ "$want" = SUCCESS/ok/SUCCESS ]; then
      check_rec "$name" after-agi "$want" "ASTOTP_USER=$user" || ok=1
    else
      check_rec "$name" after-agi "$want" ASTOTP_USER= || ok=1
    fi
    pbotp_check_drive "$name" "$answer" "$how" || ok=1
    if [ "$lang" = fr ]; then pbotp_check_french "$name" || ok=1; fi
    E2E_EXPECT="$save_e${save_e:+ || }$name: $E2E_EXPECT" E2E_GOT="$save_g${save_g:+ || }$name: $E2E_GOT"
  done
  check_no_agi_left || ok=1
  E2E_EXPECT+=" || the console's audit log: ${#calls[@]} responses"
  E2E_GOT+=" || ${responses:-0} responses"
  [ "${responses:-0}" = "${#calls[@]}" ] || ok=1
  return $ok
}

# What the suite's side saw: 13 groups of 7 digits, a login for the right
# user, and for replay the same groups read a second time.
pbotp_check_drive() {
  local name=$1 answer=$2 how=$3 groups again login ok=0
  groups=$(drive_get "$name" groups)
  login=$(drive_get "$name" login)
  E2E_EXPECT+="; 13 groups of 7 digits read out; respond: user $answer"
  E2E_GOT+="; groups: $(cut -c1-23 <<<"$groups")...; $login"
  [[ "$groups" =~ ^([0-9]{7} ){12}[0-9]{7}$ ]] || ok=1
  [ "$login" = "Login: group $E2E_PBOTP_GROUP, host $E2E_PBOTP_HOST, user $answer" ] || ok=1
  if [ "$how" = replay ]; then
    again=$(drive_get "$name" again)
    E2E_EXPECT+="; after * the same 13 groups again"
    if [ -n "$groups" ] && [ "$again" = "$groups" ]; then E2E_GOT+="; the same again"; else E2E_GOT+="; again: ${again:-none}"; ok=1; fi
  fi
  return $ok
}

# The French call: astotp's prompts from sounds/fr/otp and the challenge's
# digits from the French core sounds. Asterisk's "Playing" line names the
# channel's language, not the file it found (it falls back to English
# silently), so the French files must exist, and the prompt Asterisk
# streamed whole ends at the sample count of the French file, not the
# English one.
pbotp_check_french() {
  local name=$1 log=$E2E_WORK/$1.log ok=0 played langs missing=() f endpos fr en
  # The name as played, without the channel's format Asterisk appends.
  played=$(sed -n "s/.* Playing '\([^']*\)\.[a-z0-9]*'.*(language '\([^']*\)').*/\1 \2/p" "$log")
  langs=$(awk '{print $2}' <<<"$played" | sort -u | xargs)
  E2E_EXPECT+="; every file played in language fr, digits among them"
  E2E_GOT+="; languages: ${langs:-none}, $(grep -c '^digits/' <<<"$played") digit files"
  [ "$langs" = fr ] || ok=1
  [ "$(grep -c '^digits/' <<<"$played")" -ge $((E2E_PBOTP_GROUPS * 7)) ] || ok=1
  for f in $(awk '{print $1}' <<<"$played" | sort -u); do
    compgen -G "$(chroot_path "/usr/share/asterisk/sounds/fr/$(dirname "$f")")/$(basename "$f").*" >/dev/null || missing+=("$f")
  done
  E2E_EXPECT+="; each exists under sounds/fr"
  if [ ${#missing[@]} -eq 0 ]; then E2E_GOT+="; all exist"; else E2E_GOT+="; missing: ${missing[*]}"; ok=1; fi
  endpos=$(awk '
    index($0, "AGI Rx << STREAM FILE \"otp/astotp-challenge-intro\"") { on = 1; next }
    on && /AGI Tx >> 200 / { if (match($0, /endpos=[0-9]+/)) print substr($0, RSTART + 7, RLENGTH - 7); exit }
  ' "$log")
  fr=$(prompt_samples fr astotp-challenge-intro | sort -u | xargs)
  en=$(prompt_samples en astotp-challenge-intro | sort -u | xargs)
  E2E_EXPECT+="; challenge intro streamed to the end of a French file (samples: $fr; English: $en)"
  E2E_GOT+="; endpos ${endpos:-none}"
  [ -n "$endpos" ] && [[ " $fr " == *" $endpos "* ]] && [[ " $en " != *" $endpos "* ]] || ok=1
  return $ok
}

# TOTP calls on channels in French and Spanish (at once): astotp's prompts
# in that language, and the call succeeds as in English.
case_languages() {
  local ok=0 name lang user save_e save_g
  local calls=("lang-fr fr 1014" "lang-es es 1015")
  e2e_log_mark languages
  for c in "${calls[@]}"; do
    read -r name lang user <<<"$c"
    E2E_LANG=$lang e2e_call_start "$name" 783@otp-test "$(plan_answers "$user" $E2E_PIN "$(totp "${E2E_SECRET[$user]}")")"
  done
  for c in "${calls[@]}"; do
    read -r name _ <<<"$c"
    e2e_call_await "$name" 90
  done
  e2e_call_idle languages
  for c in "${calls[@]}"; do
    read -r name lang user <<<"$c"
    e2e_log_cut_chan "$name"
    save_e=$E2E_EXPECT save_g=$E2E_GOT
    E2E_EXPECT="" E2E_GOT=""
    check_rec "$name" after-agi SUCCESS/ok/SUCCESS "ASTOTP_USER=$user" || ok=1
    prompts_played_in "$name" "$lang" || ok=1
    E2E_EXPECT="$save_e${save_e:+ || }$name: $E2E_EXPECT" E2E_GOT="$save_g${save_g:+ || }$name: $E2E_GOT"
  done
  check_no_agi_left || ok=1
  return $ok
}

# The ID, PIN and code prompts were played in language $2, and install-sounds
# put them under sounds/$2/otp. (The "Playing" line names the channel's
# format, not the file's.)
prompts_played_in() {
  local log=$E2E_WORK/$1.log lang=$2 p got ok=0
  E2E_EXPECT+="; enter-id, -pin, -code played in $lang, from sounds/$lang/otp"
  for p in enter-id enter-pin enter-code; do
    got=$(sed -n "s/.* Playing 'otp\/astotp-$p\.[a-z0-9]*' (language '\([^']*\)').*/\1/p" "$log" | head -n1)
    E2E_GOT+="; $p: ${got:-not played}"
    [ "$got" = "$lang" ] || ok=1
    compgen -G "$(chroot_path "/usr/share/asterisk/sounds/$lang/otp")/astotp-$p.*" >/dev/null || { E2E_GOT+=" (no such file)"; ok=1; }
  done
  return $ok
}
