#!/usr/bin/env bash
# make test: every test on the embedded defaults (SQLite for the web application), and the web
# tests again on PostgreSQL (scripts/pg_for_tests.sh: the server at PG_URL, else a throwaway one).
#
# Two processes run side by side, one per core, sharing nothing (each pytest has its own temp
# folder, application database and demo workspace):
#   1. in the foreground, every test but the engine's, on SQLite;
#   2. in the background, the web tests on PostgreSQL, then the engine's tests (tests/engine,
#      about a quarter of the suite's time, moved here so that both take about as long); its
#      output is kept in a log and printed when it ends.
# KAOHE_TEST_JUNIT=FOLDER writes each pytest's per-test times to FOLDER/sqlite.xml, postgres.xml
# and engine.xml. The second process runs in a session of its own, so that Ctrl+C stops all of
# it.
#
# Usage: scripts/test.sh PYTHON PG_URL
set -uo pipefail

PYTHON="${1:?usage: scripts/test.sh PYTHON PG_URL}"
PG_URL="${2:?usage: scripts/test.sh PYTHON PG_URL}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/kaohe-test.XXXXXX")"
PG_PID=""
cleanup() {
  [ -n "$PG_PID" ] && kill -- "-$PG_PID" 2>/dev/null && wait "$PG_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

junit() {  # --junitxml for one pass when KAOHE_TEST_JUNIT names a folder
  [ -n "${KAOHE_TEST_JUNIT:-}" ] && echo "--junitxml=$KAOHE_TEST_JUNIT/$1.xml"
}

PG_TESTS=(tests/web tests/hostile/test_concurrent_runs.py)
SECOND=tests/engine  # run by the second process, after its PostgreSQL pass
export PYTHON PG_URL TMP
setsid bash -c '
  "$0"/pg_for_tests.sh "$PG_URL" "$PYTHON" -m pytest -q --basetemp="$TMP/postgres" \
    -p no:cacheprovider $1 "${@:4}"
  pg=$?
  echo
  echo "== the engine tests: $3 =="
  "$PYTHON" -m pytest -q --basetemp="$TMP/engine" -p no:cacheprovider $2 "$3"
  engine=$?
  echo "$pg $engine" >"$TMP/second.rc"
' "$HERE" "$(junit postgres)" "$(junit engine)" "$SECOND" "${PG_TESTS[@]}" \
  >"$TMP/second.log" 2>&1 &
PG_PID=$!

echo "== 1/2 SQLite: every test but $SECOND (the PostgreSQL pass and $SECOND run beside it;" \
     "their output follows) =="
"$PYTHON" -m pytest -q --basetemp="$TMP/sqlite" --ignore="$SECOND" $(junit sqlite)
SQLITE_RC=$?

wait "$PG_PID"
PG_PID=""
read -r PG_RC ENGINE_RC <"$TMP/second.rc" 2>/dev/null || { PG_RC=1; ENGINE_RC=1; }
echo
echo "== 2/2 PostgreSQL: ${PG_TESTS[*]}; then $SECOND =="
cat "$TMP/second.log"

verdict() { [ "$1" -eq 0 ] && echo passed || echo "FAILED ($1)"; }
echo
echo "SQLite pass: $(verdict "$SQLITE_RC"), PostgreSQL pass: $(verdict "$PG_RC")," \
     "engine tests: $(verdict "$ENGINE_RC")"
[ "$SQLITE_RC" -eq 0 ] && [ "$PG_RC" -eq 0 ] && [ "$ENGINE_RC" -eq 0 ]
