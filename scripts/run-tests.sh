#!/usr/bin/env bash
# run-tests.sh — run every test suite and count every test case.
# Unit tests (cmocka) run with TAP output; integration, console (tmux) and
# deploy tests are shell scripts printing TAP ("ok N - name" / "not ok N -
# name"). A suite that dies before finishing its plan, or exits non-zero
# without a failing case, counts as a failure. Ends with "N passed, N failed".
# Usage: run-tests.sh [FILTER]   (FILTER: substring of the suite's file name)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FILTER=${1:-}
: "${RAG_BIN:?RAG_BIN must name the folder with the built programs}"
: "${RAG_TEST_BIN:?RAG_TEST_BIN must name the folder with the unit test binaries}"
export RAG_BIN RAG_TEST_BIN RAG_ROOT="$ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-tests.XXXXXX")
total_pass=0; total_fail=0; failed_suites=()

run_suite() { # name, command...
  local name=$1; shift
  local out="$LOGDIR/$(echo "$name" | tr '/' '_').log"
  local t0=$SECONDS
  local rc=0
  "$@" >"$out" 2>&1 </dev/null || rc=$?
  local pass fail plan
  pass=$(grep -cE '^ok [0-9]+' "$out" || true)
  fail=$(grep -cE '^not ok [0-9]+' "$out" || true)
  plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$out" | cut -d. -f3 || true)
  if [ -n "$plan" ] && [ $((pass + fail)) -lt "$plan" ]; then
    fail=$((fail + plan - pass - fail))
  fi
  if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then fail=$((fail + 1)); fi
  if [ $((pass + fail)) -eq 0 ]; then fail=1; fi
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
  if [ "$fail" -gt 0 ]; then
    failed_suites+=("$name")
    printf 'FAIL %-40s %3d passed, %d failed (%ds, exit %d)\n' "$name" "$pass" "$fail" $((SECONDS - t0)) $rc
    sed 's/^/    | /' "$out" | tail -n 60 || true
  else
    printf 'ok   %-40s %3d passed (%ds)\n' "$name" "$pass" $((SECONDS - t0))
  fi
}

matches() { [ -z "$FILTER" ] || [[ "$1" == *"$FILTER"* ]]; }

for t in "$RAG_TEST_BIN"/test_*; do
  [ -x "$t" ] || continue
  matches "$(basename "$t")" || continue
  run_suite "unit/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done
for dir in tests/integration tests/tui tests/deploy; do
  for t in "$dir"/test_*.sh; do
    [ -f "$t" ] || continue
    matches "$(basename "$t")" || continue
    run_suite "$dir/$(basename "$t" .sh)" bash "$t"
  done
done

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]} (logs in $LOGDIR)"
else
  rm -rf "$LOGDIR"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
