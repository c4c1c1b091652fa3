#!/usr/bin/env bash
# Writes test/fixtures/main-COMMIT.{sqlite3,key}.fixture and .json: a database
# and key file made by the astotp of an earlier commit (default 9032af8, main
# before lockout got one owner), with users and pbotp logins in every lockout
# state, for test/upgrade.test.ts. Builds that commit's bundle from git in a
# temporary directory, using this checkout's node_modules.
# Usage: scripts/make-upgrade-fixture.sh [COMMIT]
set -euo pipefail
commit=${1:-9032af8}
repo=$(cd "$(dirname "$0")/.." && pwd)
secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP   # test/helpers/site.ts SECRET
pubkey=Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ   # test/helpers/pbotp-authority.ts AUTHORITY_PUB
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/src" "$tmp/site"
git -C "$repo" archive "$commit" | tar -x -C "$tmp/src"
ln -s "$repo/node_modules" "$tmp/src/node_modules"
(cd "$tmp/src" && node build.mjs >/dev/null)

export HOME="$tmp/site" ASTOTP_DB="$tmp/site/astotp.sqlite3" ASTOTP_CONF="$tmp/site/astotp.conf" ASTOTP_CACHE_DIR="$tmp/cache"
cat >"$ASTOTP_CONF" <<CONF
[general]
lockout_failures = 3
pbotp_pubkey = $pubkey
pbotp_group = dev
pbotp_host = pbx1
[pbotp]
type = profile
mode = pbotp
tries = 1
CONF
astotp() { node "$tmp/src/dist/astotp" "$@"; }
made_at=$(date +%s)
enroll() { astotp enroll "$@" --secret "$secret" --no-confirm --qr none >/dev/null 2>&1; }
# Codes of an hour ago: wrong now, and never this step's by chance.
wrong=$(oathtool --totp -b -N "@$((made_at - 3600))" "$secret")
fail_verify() { ! astotp verify "$1" "$wrong" >/dev/null 2>&1 || { echo "verify $1 $wrong succeeded" >&2; exit 1; }; }
fail_pbotp() { ! printf '%s\n000000000\n' "$1" | astotp simulate profile=pbotp >/dev/null 2>&1 || { echo "pbotp login $1 succeeded" >&2; exit 1; }; }

echo 1234 | enroll 1001             # clean: logs in
echo 5678 | enroll 1002             # locked
for _ in 1 2 3; do fail_verify 1002; done
enroll 1003 --no-pin                # two failures: the next one locks
for _ in 1 2; do fail_verify 1003; done
for _ in 1 2 3; do fail_pbotp 2002; done   # a pbotp login, locked
for _ in 1 2; do fail_pbotp 3003; done     # a pbotp login with two failures
[[ ! -e "$ASTOTP_DB-wal" ]] || { echo "the database still has a -wal file" >&2; exit 1; }

out="$repo/test/fixtures/main-$commit"
cp "$ASTOTP_DB" "$out.sqlite3.fixture"
cp "$tmp/site/astotp.key" "$out.key.fixture"
printf '{ "commit": "%s", "madeAt": %s, "secret": "%s", "lockoutFailures": 3, "lockoutMinutes": 15 }\n' "$(git -C "$repo" rev-parse "$commit")" "$made_at" "$secret" >"$out.json"
echo "wrote $out.sqlite3.fixture, $out.key.fixture, $out.json"
