#!/usr/bin/env bash
# End-to-end suite against a real Asterisk (issue 3): a cached Debian chroot
# with Debian's asterisk package runs dist/astotp as AGI(otp/astotp); calls
# are placed with call files and the caller types with SendDTMF().
#
# Exit status: 0 when every case passed, or when the chroot cannot be built
# (printed loudly as SKIPPED); 1 when any case or the setup failed.
#
# Knobs (environment): E2E_CASES="success replay ..." runs a subset;
# E2E_CACHE (default .cache/asterisk-e2e; delete it to rebuild the chroot);
# E2E_MIRROR; E2E_WAIT (seconds the caller waits into each prompt before
# typing, default 1; raise on very slow machines); E2E_NO_BUILD=1 tests
# dist/astotp as it is; E2E_README_FILE; E2E_AGI_OVERRIDE=file installs that
# file instead of dist/astotp and skips the CLI (harness self-test).
# Needs root, debootstrap, oathtool and node; the postgres case also Debian's
# postgresql server and setpriv. The PAM cases (pam.sh) change the chroot's
# /etc/pam.d/su and sshd and put Debian's back after. Logs: $E2E_CACHE/last-run.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E_CACHE=${E2E_CACHE:-$ROOT/.cache/asterisk-e2e}
for f in chroot asterisk postgres calls cases fastagi pbotp pam notify; do
  # shellcheck source=/dev/null
  . "$ROOT/scripts/e2e/$f.sh"
done

SUITE_START=$(date +%s)
E2E_WORK=$E2E_CACHE/last-run
E2E_FAST_CONF="tries=1"

skipped() {
  printf '\n%s\n' "################################################################"
  printf '%s\n' "# asterisk-e2e: SKIPPED - $1"
  printf '%s\n\n' "################################################################"
  exit 0
}
die() { echo "asterisk-e2e: FAILED - $*" >&2; exit 1; }

mkdir -p "$E2E_CACHE" || skipped "cannot create $E2E_CACHE"
exec 9>"$E2E_CACHE/lock"
flock -w 900 9 || die "another run holds $E2E_CACHE/lock"
trap 'e2e_authority_stop; e2e_fastagi_stop; e2e_teardown; e2e_pg_stop' EXIT
trap 'exit 130' INT TERM HUP

e2e_chroot_ensure "$E2E_CACHE" || skipped "$E2E_SKIP_REASON"
# A run that was killed hard may have left Asterisk and mounts behind.
for pid in $(e2e_chroot_pids); do
  echo "e2e: killing pid $pid left in the chroot by an earlier run" >&2
  kill -9 "$pid" 2>/dev/null
done
e2e_unmount_below "$E2E_CHROOT"
e2e_pg_remove_leftover
rm -rf "$E2E_WORK" && mkdir -p "$E2E_WORK"

command -v oathtool >/dev/null || die "oathtool is not installed (apt-get install -y oathtool)"
NODE=$(command -v node) || die "node is not on PATH"

# The bundle is rebuilt so the suite tests the source as it is; CI has just
# built it in the unit tests and may pass E2E_NO_BUILD=1.
AGI_SRC=${E2E_AGI_OVERRIDE:-$ROOT/dist/astotp}
if [ -z "${E2E_AGI_OVERRIDE:-}" ] && [ -z "${E2E_NO_BUILD:-}" ]; then
  (cd "$ROOT" && node build.mjs) || die "node build.mjs failed"
fi
[ -f "$AGI_SRC" ] || die "$AGI_SRC does not exist"

# The README's dialplan snippet: the dialplan lines of the first fenced block
# that calls AGI(otp/astotp).
E2E_README_FILE=${E2E_README_FILE:-$ROOT/README.md}
readme_snippet() {
  [ -f "$E2E_README_FILE" ] || return 0
  awk '
    /^[[:space:]]*```/ { if (inblock) { if (block ~ /AGI\(otp\/astotp/ && block ~ /exten/) { printf "%s", block; exit } block = ""; inblock = 0 } else inblock = 1; next }
    inblock && /^[[:space:]]*(exten|same)[[:space:]]*=>/ { block = block $0 "\n" }
  ' "$E2E_README_FILE"
}
E2E_README=$(readme_snippet)
E2E_README_EXTEN=$(sed -n 's/^[[:space:]]*exten[[:space:]]*=>[[:space:]]*\([^,]*\),.*/\1/p' <<<"$E2E_README" | head -n1)
# The FastAGI one: the first block whose dialplan lines call AGI(agi://...).
readme_fastagi_snippet() {
  [ -f "$E2E_README_FILE" ] || return 0
  awk '
    /^[[:space:]]*```/ { if (inblock) { if (block ~ /AGI\(agi:\/\// && block ~ /exten/) { printf "%s", block; exit } block = ""; inblock = 0 } else inblock = 1; next }
    inblock && /^[[:space:]]*(exten|same)[[:space:]]*=>/ { block = block $0 "\n" }
  ' "$E2E_README_FILE"
}
E2E_README_FASTAGI=$(readme_fastagi_snippet)
# ...and the #include lines of that block: the [globals] that hold its secret.
readme_fastagi_globals() {
  [ -f "$E2E_README_FILE" ] || return 0
  awk '
    /^[[:space:]]*```/ { if (inblock) { if (block ~ /AGI\(agi:\/\// && block ~ /exten/) { printf "%s", incl; exit } block = ""; incl = ""; inblock = 0 } else inblock = 1; next }
    inblock && /^[[:space:]]*(exten|same)[[:space:]]*=>/ { block = block $0 "\n" }
    inblock && /^#include/ { incl = incl $0 "\n" }
  ' "$E2E_README_FILE"
}
E2E_README_FASTAGI_GLOBALS=$(readme_fastagi_globals)
E2E_README_FASTAGI_EXTEN=$(sed -n 's/^[[:space:]]*exten[[:space:]]*=>[[:space:]]*\([^,]*\),.*/\1/p' <<<"$E2E_README_FASTAGI" | head -n1)

# Seconds a prompt lasts, from the installed sound file (3 if unknown).
sound_secs() {
  local f
  for f in "$(chroot_path "$E2E_SOUNDS")/$1".*; do
    [ -f "$f" ] || continue
    case $f in
      *.gsm) awk -v s="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", s / 1650}' ;;
      *.wav) awk -v s="$(stat -c %s "$f")" -v r="$(od -An -t u4 -j 28 -N 4 "$f")" 'BEGIN{printf "%.1f", (s - 44) / r}' ;;
      *.ulaw | *.alaw | *.ul | *.al) awk -v s="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", s / 8000}' ;;
      *.sln) awk -v s="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", s / 16000}' ;;
      *) continue ;;
    esac
    return
  done
  echo 3
}

setup() {
  e2e_mount
  # The host's node, so the bundle's embedded native addon matches its ABI.
  mkdir -p "$E2E_CHROOT/usr/local/bin"
  cmp -s "$NODE" "$E2E_CHROOT/usr/local/bin/node" || install -m 0755 "$NODE" "$E2E_CHROOT/usr/local/bin/node"
  in_chroot /usr/local/bin/node --version >/dev/null || { echo "node does not run in the chroot" >&2; return 1; }
  mkdir -p "$E2E_CHROOT$(dirname "$E2E_AGI")"
  install -m 0755 "$AGI_SRC" "$E2E_CHROOT$E2E_AGI"
  # Inside the chroot: on the host these paths would leave it (see
  # chroot_path), and prompts of an earlier run would survive: install-sounds
  # keeps the files it finds.
  in_chroot sh -c "rm -rf $(for l in $E2E_LANGS; do printf '%s ' "${E2E_SOUNDS%/en/otp}/$l/otp"; done)"
  if [ -n "${E2E_AGI_OVERRIDE:-}" ]; then
    astotp_cli() { cat >/dev/null; }
  else
    # Every language, from the archive the build wrote, as the README installs them.
    [ -f "$(dirname "$AGI_SRC")/astotp-sounds.tar.gz" ] || { echo "$(dirname "$AGI_SRC")/astotp-sounds.tar.gz does not exist" >&2; return 1; }
    install -m 0644 "$(dirname "$AGI_SRC")/astotp-sounds.tar.gz" "$E2E_CHROOT/var/tmp/astotp-sounds.tar.gz"
    astotp_cli install-sounds --from /var/tmp/astotp-sounds.tar.gz >>"$E2E_WORK/cli.log" 2>&1 \
      || { echo "install-sounds failed:" >&2; tail -n 5 "$E2E_WORK/cli.log" >&2; return 1; }
    rm -f "$E2E_CHROOT/var/tmp/astotp-sounds.tar.gz"
    e2e_pbotp_genkey || return 1
  fi
  E2E_TRY_AGAIN_SECS=$(sound_secs astotp-try-again)
  e2e_write_modules_conf
  e2e_write_logger_conf
  e2e_write_manager_conf
  e2e_write_extensions_conf "$E2E_README"
  e2e_write_astotp_conf $E2E_FAST_CONF
  e2e_enroll_all || return 1
  e2e_start_asterisk
}

setup || die "setup failed (logs in $E2E_WORK)"
SETUP_SECS=$(($(date +%s) - SUITE_START))

ROWS=()
FAILED=()
for name in ${E2E_CASES:-$E2E_ALL_CASES}; do
  fn=case_${name//-/_}
  declare -F "$fn" >/dev/null || die "unknown case $name"
  E2E_EXPECT="" E2E_GOT=""
  t0=$(date +%s.%N)
  if "$fn"; then verdict=PASS; else verdict=FAIL; FAILED+=("$name"); fi
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
  ROWS+=("$name"$'\t'"$E2E_EXPECT"$'\t'"$E2E_GOT"$'\t'"$verdict"$'\t'"$secs")
  echo "asterisk-e2e: $name: $verdict (${secs}s)" >&2
done

# The table: columns as wide as their widest cell.
printf '%s\n' "case"$'\t'"expected (ASTOTP/ASTOTP_REASON/AGISTATUS)"$'\t'"got"$'\t'"result"$'\t'"secs" "${ROWS[@]}" | awk -F'\t' '
  { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } rows = NR }
  END {
    for (r = 1; r <= rows; r++) {
      line = ""
      for (i = 1; i <= 5; i++) line = line sprintf(i < 5 ? "%-*s | " : "%*s", w[i], cell[r, i])
      print line
      if (r == 1) { sep = ""; for (i = 1; i <= 5; i++) { d = ""; for (k = 0; k < w[i]; k++) d = d "-"; sep = sep d (i < 5 ? "-+-" : "") } print sep }
    }
  }'
echo
echo "asterisk-e2e: ${#ROWS[@]} cases, ${#FAILED[@]} failed; setup ${SETUP_SECS}s, total $(($(date +%s) - SUITE_START))s; logs in $E2E_WORK"

if [ ${#FAILED[@]} -gt 0 ]; then
  for name in "${FAILED[@]}"; do
    for log in "$E2E_WORK/$name"*.log; do
      [ -f "$log" ] || continue
      echo
      echo "---- ${log##*/}: the dialplan, DTMF received and the AGI conversation (full log: $log) ----"
      grep -E 'AGI (Tx|Rx)|AGI Script|Executing|WARNING|ERROR|DTMF end .* received|Spawn' "$log" \
        | grep -vE 'AGI Tx >> agi_(language|type|uniqueid|version|callerid|calleridname|callingpres|callingani2|callington|callingtns|dnid|rdnis|priority|enhanced|accountcode|threadid):' \
        | cut -c1-240 | tail -n 150
    done
  done
  exit 1
fi
exit 0
