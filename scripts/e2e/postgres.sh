# Sourced by scripts/asterisk-e2e.sh: a throwaway PostgreSQL server on the
# host, from Debian's packages, for the case that runs the installed bundle
# against PostgreSQL. The chroot shares the host's network namespace, so the
# AGI reaches it on 127.0.0.1 at a port the OS picked, with a password (scram)
# as a remote PBX would; the suite itself speaks to it as the superuser over a
# unix socket in a directory only the server's user (and root) may enter.
# Started only by the case that needs it; e2e_pg_stop (the suite's EXIT trap)
# stops it and removes its data, also when the case failed.

E2E_PG_BIN=
E2E_PG_DIR=
E2E_PG_PID=
E2E_PG_PORT=
E2E_PG_PASSWORD=
# PostgreSQL refuses to run as root; Debian's package creates this user.
E2E_PG_USER=postgres

# The server's files live in /tmp, since the postgres user may not be able to
# reach the checkout; this file remembers them, so a run killed too hard for
# its trap still has them removed by the next run (which holds the same lock).
e2e_pg_marker() { echo "$E2E_CACHE/postgres-dir"; }

# The files of a server whose run was SIGKILLed (the server died with it).
e2e_pg_remove_leftover() {
  local left
  left=$(cat "$(e2e_pg_marker)" 2>/dev/null) || return 0
  case $left in /tmp/astotp-e2e-pg.*) rm -rf --one-file-system "$left" ;; esac
  rm -f "$(e2e_pg_marker)"
}

# The command prefix that runs a program as the server's user. --pdeathsig:
# should the suite be SIGKILLed, the postmaster dies with it (and its
# backends follow the postmaster).
E2E_PG_AS=(setpriv --reuid="$E2E_PG_USER" --regid="$E2E_PG_USER" --init-groups --pdeathsig KILL --)

# A port that was free a moment ago; the caller retries should another
# process take it first.
e2e_pg_free_port() {
  "$NODE" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Superuser SQL over the socket; extra arguments go to psql (-c, -At, ...).
e2e_psql() {
  "$E2E_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$E2E_PG_DIR/socket" -p "$E2E_PG_PORT" -U postgres "$@"
}

# Starts the server with a database `astotp` owned by the login role
# `astotp`, whose password is E2E_PG_PASSWORD. Logs: $E2E_WORK/pg-server.log
# (the server's own is added when it stops).
e2e_pg_start() {
  local log=$E2E_WORK/pg-server.log try i
  E2E_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$E2E_PG_BIN/postgres" ] || { echo "e2e: no PostgreSQL server under /usr/lib/postgresql/*/bin (scripts/need-debian-tools.sh installs it)" >&2; return 1; }
  id -u "$E2E_PG_USER" >/dev/null 2>&1 || { echo "e2e: no $E2E_PG_USER user to run PostgreSQL as" >&2; return 1; }
  e2e_pg_remove_leftover
  E2E_PG_DIR=$(mktemp -d /tmp/astotp-e2e-pg.XXXXXX) || return 1
  echo "$E2E_PG_DIR" >"$(e2e_pg_marker)"
  mkdir -m 0700 "$E2E_PG_DIR/socket"
  chown -R "$E2E_PG_USER:" "$E2E_PG_DIR"
  # cd: the server's user may not be allowed into the caller's directory.
  (cd / && "${E2E_PG_AS[@]}" env LC_ALL=C "$E2E_PG_BIN/initdb" -D "$E2E_PG_DIR/data" -U postgres --no-locale -E UTF8 --no-sync \
    --auth-local=trust --auth-host=scram-sha-256) >>"$log" 2>&1 || { echo "e2e: initdb failed (see $log)" >&2; return 1; }
  cat >>"$E2E_PG_DIR/data/postgresql.conf" <<CONF
# scripts/e2e/postgres.sh: a throwaway server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$E2E_PG_DIR/socket'
shared_buffers = 16MB
fsync = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
lc_messages = 'C'
CONF
  printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 scram-sha-256' >"$E2E_PG_DIR/data/pg_hba.conf"
  for try in 1 2 3 4 5; do
    E2E_PG_PORT=$(e2e_pg_free_port) || return 1
    : >"$E2E_PG_DIR/server.log"
    chown "$E2E_PG_USER:" "$E2E_PG_DIR/server.log"
    # exec: $! is then the postmaster itself. 9>&-: not the suite's lock.
    (cd / && exec "${E2E_PG_AS[@]}" env LC_ALL=C "$E2E_PG_BIN/postgres" -D "$E2E_PG_DIR/data" -p "$E2E_PG_PORT") >>"$E2E_PG_DIR/server.log" 2>&1 </dev/null 9>&- &
    E2E_PG_PID=$!
    # Ready when postmaster.pid names this postmaster and says so (what pg_ctl waits for).
    for i in $(seq 600); do
      kill -0 "$E2E_PG_PID" 2>/dev/null || break
      if [ "$(sed -n 1p "$E2E_PG_DIR/data/postmaster.pid" 2>/dev/null)" = "$E2E_PG_PID" ] &&
        [ "$(sed -n 8p "$E2E_PG_DIR/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ]; then
        break
      fi
      sleep 0.1
    done
    kill -0 "$E2E_PG_PID" 2>/dev/null && [ "$(sed -n 8p "$E2E_PG_DIR/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] && break
    e2e_pg_kill
    grep -q 'could not bind IPv4 address' "$E2E_PG_DIR/server.log" && [ "$try" -lt 5 ] && continue
    echo "e2e: PostgreSQL did not start; its log:" >&2
    tail -n 5 "$E2E_PG_DIR/server.log" >&2
    return 1
  done
  E2E_PG_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  # On stdin, not the command line, where other users could read it; nor in
  # the server's log should the statement fail.
  e2e_psql -d postgres >>"$log" 2>&1 <<SQL || { echo "e2e: creating the astotp role and database failed (see $log)" >&2; return 1; }
SET log_min_error_statement = 'panic';
CREATE ROLE astotp LOGIN PASSWORD '$E2E_PG_PASSWORD';
CREATE DATABASE astotp OWNER astotp;
SQL
}

# SIGKILL to the postmaster; its backends notice and exit on their own.
e2e_pg_kill() {
  [ -n "$E2E_PG_PID" ] || return 0
  kill -9 "$E2E_PG_PID" 2>/dev/null
  wait "$E2E_PG_PID" 2>/dev/null
  E2E_PG_PID=
}

# Stops the server (fast shutdown, SIGKILL after 15 s) and removes its files.
e2e_pg_stop() {
  local i
  if [ -n "$E2E_PG_PID" ]; then
    kill -INT "$E2E_PG_PID" 2>/dev/null
    for i in $(seq 150); do kill -0 "$E2E_PG_PID" 2>/dev/null || break; sleep 0.1; done
    e2e_pg_kill
  fi
  if [ -n "$E2E_PG_DIR" ]; then
    [ -f "$E2E_PG_DIR/server.log" ] && [ -d "${E2E_WORK:-}" ] && cat "$E2E_PG_DIR/server.log" >>"$E2E_WORK/pg-server.log" 2>/dev/null
    rm -rf --one-file-system "$E2E_PG_DIR"
    rm -f "$(e2e_pg_marker)"
    E2E_PG_DIR=
  fi
}
