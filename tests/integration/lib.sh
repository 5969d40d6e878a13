# lib.sh — tiny TAP helper for the shell test suites (source it first).
#   plan N                      print the TAP plan
#   pass NAME / fail NAME [why] report one case (why lines become "# " comments)
#   check NAME CMD...           ok when CMD exits 0
#   is ACTUAL EXPECTED NAME     ok when the two strings are equal
#   like TEXT REGEX NAME        ok when TEXT matches the extended REGEX
#   free_port                   print a free TCP port on 127.0.0.1
#   on_exit CMD                 run CMD at exit (kill a server you started, ...)
#   finish                      exit 1 when any case failed
# $TEST_TMP is a private temp folder removed at exit; $ROOT is the repository
# and $BIN the folder with the built programs.
set -u
ROOT=${RAG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${RAG_BIN:-$ROOT/build/bin}
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-it.XXXXXX")
_tap_n=0
_tap_failed=0
_tap_exit_cmds=()

_tap_cleanup() {
  local c
  for c in "${_tap_exit_cmds[@]+"${_tap_exit_cmds[@]}"}"; do eval "$c" || true; done
  rm -rf "$TEST_TMP"
}
trap _tap_cleanup EXIT

on_exit() { _tap_exit_cmds+=("$*"); }
plan() { echo "1..$1"; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
  _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
  echo "not ok $_tap_n - $1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
  return 0
}
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi; }
is() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:      $1" "expected: $2"; fi; }
like() { if grep -qE -- "$2" <<<"$1"; then pass "$3"; else fail "$3" "no match for /$2/ in:" "$1"; fi; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
finish() { [ "$_tap_failed" -eq 0 ]; }
