# lib.sh — tiny TAP helpers for tests/integration/test_*.sh (sourced).
#   plan N; ok NAME; not_ok NAME [DETAIL]; check NAME CMD...; skip NAME REASON;
#   diag TEXT; done_testing (exit status: 1 if any case failed)
# Sets ROOT (repository root, the working folder), HELPERS (built
# tests/helpers programs), BIN (built programs) and TMP (a fresh temp folder
# removed on exit, with every background job started by the test killed).
ROOT=${RAG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT" || exit 1
BIN=${RAG_BIN:-$ROOT/build/bin}
HELPERS=${RAG_TEST_BIN:-$ROOT/build/tests}/helpers
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-it.XXXXXX")
_tap_cleanup() {
  local j
  for j in $(jobs -p); do kill -9 "$j" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap _tap_cleanup EXIT
_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
not_ok() {
  _tap_n=$((_tap_n + 1)); _tap_failed=1
  echo "not ok $_tap_n - $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
# check NAME CMD... : ok when CMD exits 0; its output is shown on failure.
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
done_testing() { exit $_tap_failed; }
