# lib.sh — tiny TAP helpers for tests/deploy/test_*.sh (sourced).
#   plan N; ok NAME; not_ok NAME [DETAIL]; check NAME CMD...; skip NAME REASON
# Run from the repository root ($RAG_ROOT when set by run-tests.sh).
ROOT=${RAG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT" || exit 1
_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
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
