#!/usr/bin/env bash
# Runs a command against PostgreSQL: the server at PG_URL when one answers there, otherwise a
# throwaway server started for the command and removed afterwards (make test's PostgreSQL pass).
#
# Usage: scripts/pg_for_tests.sh PG_URL COMMAND [ARGS...]   runs COMMAND with DATABASE_URL set
#        scripts/pg_for_tests.sh --answers PG_URL           exit 0 when a server answers there
#
# The throwaway server: Debian's postgresql package (installed by scripts/sysdeps.sh only when
# no server answers and no initdb is found), initdb in a temp folder, trust authentication,
# a free port on 127.0.0.1, its socket in the temp folder, a database `test`. It is stopped and
# the folder removed when the command ends, fails or is interrupted (Ctrl+C). initdb and
# postgres refuse to run as root: as root they run as the `postgres` system user, which owns
# the temp folder.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"

say() { echo "kaohe pg: $*" >&2; }

# Does a PostgreSQL server accept connections at the URL? pg_isready when the client is
# installed; else the venv's psycopg (kaohe depends on it): a refused or unanswered connection
# is "no", a server that answers — even to refuse the database or the user — is "yes".
pg_answers() {
  local url="$1"
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -t 3 -d "$url"
    return
  fi
  "$PYTHON" - "$url" <<'EOF'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except psycopg.OperationalError as exc:
    text = str(exc).lower()
    # refused, timed out or no such host: nothing answers; anything else came from a server
    sys.exit(1 if any(w in text for w in ("refused", "timeout", "timed out", "translate host",
                                          "no route", "could not connect")) else 0)
EOF
}

# The newest installed server's bin folder (/usr/lib/postgresql/<version>/bin), or nothing.
pg_bindir() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && dirname "$found"
  return 0
}

# A TCP port on 127.0.0.1 nothing listens on (the server retries if another process takes it).
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  say "没有空闲端口 no free port found on 127.0.0.1"
  return 1
}

if [ "${1:-}" = "--answers" ]; then
  [ $# -eq 2 ] || { echo "usage: $0 --answers PG_URL" >&2; exit 2; }
  pg_answers "$2"
  exit
fi
if [ $# -lt 2 ]; then
  echo "usage: $0 PG_URL COMMAND [ARGS...] | $0 --answers PG_URL" >&2
  exit 2
fi
PG_URL="$1"
shift

if pg_answers "$PG_URL"; then
  say "using the server at $PG_URL"
  DATABASE_URL="$PG_URL" "$@"
  exit
fi

say "no server answers at $PG_URL: starting a throwaway one"
BINDIR="$(pg_bindir)"
if [ -z "$BINDIR" ]; then
  "$HERE/sysdeps.sh" postgres
  BINDIR="$(pg_bindir)"
  [ -n "$BINDIR" ] || { say "找不到 initdb: no /usr/lib/postgresql/*/bin/initdb after install"; exit 2; }
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/kaohe-pg.XXXXXX")"
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb and postgres refuse root: the Debian package's `postgres` user runs them
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres: "$TMP"
  RUN_AS=(runuser -u postgres --)
fi
as_pg() { "${RUN_AS[@]}" "$@"; }

STARTED=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$STARTED" ]; then
    as_pg "$BINDIR/pg_ctl" -D "$TMP/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  say "throwaway server stopped and removed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$BINDIR/initdb" -D "$TMP/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; say "initdb failed"; exit 2; }

for attempt in 1 2 3; do
  PORT="$(free_port)"
  if as_pg "$BINDIR/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 \
      -o "-p $PORT -k $TMP -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
      start >/dev/null; then
    STARTED=1
    break
  fi
  say "start on port $PORT failed (attempt $attempt)"
done
[ -n "$STARTED" ] || { cat "$TMP/server.log" >&2; say "the throwaway server did not start"; exit 2; }

URL="postgresql://postgres@127.0.0.1:$PORT/test"
as_pg "$BINDIR/createdb" -h "$TMP" -p "$PORT" -U postgres test
say "throwaway server at $URL (data in $TMP)"
set +e
DATABASE_URL="$URL" "$@"
rc=$?
set -e
exit "$rc"
