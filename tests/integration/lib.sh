# lib.sh — tiny TAP helpers for the shell test suites (source it first).
#   plan N                      print the TAP plan
#   ok NAME / pass NAME         report a passing case
#   not_ok NAME [DETAIL...] / fail NAME [DETAIL...]
#                               report a failing case (details become "# " lines)
#   skip NAME REASON            report a skipped case
#   check NAME CMD...           ok when CMD exits 0 (its output shown on failure)
#   is ACTUAL EXPECTED NAME     ok when the two strings are equal
#   like TEXT REGEX NAME        ok when TEXT matches the extended REGEX
#   diag TEXT                   print a "# " comment
#   free_port                   print a free TCP port on 127.0.0.1
#   wait_for SECS CMD...        poll CMD (output discarded) every 0.1s until it
#                               succeeds; status 1 after SECS seconds
#   on_exit CMD                 run CMD at exit (kill a server you started, ...)
#   track_pid PID               kill -9 PID at exit (a process not started as
#                               a background job of this shell, or to be sure)
#   done_testing / finish       exit status 1 when any case failed
# Sets ROOT (repository root, also the working folder), BIN (built programs),
# HELPERS (built tests/helpers programs) and TMP = TEST_TMP (a private temp
# folder removed at exit; every background job of the test is killed then).
# Domain helpers source this first: api_lib.sh (a private stack + a real
# rag-api), watch_lib.sh (the watcher's stack, webhook receivers),
# tests/tui/stack.sh and tests/tui/tmux.sh (the console's sample stack).
ROOT=${RAG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT" || exit 1
BIN=${RAG_BIN:-$ROOT/build/bin}
HELPERS=${RAG_TEST_BIN:-$ROOT/build/tests}/helpers
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-it.XXXXXX")
TEST_TMP=$TMP
# ragtop keeps settings (zoom, level, ...) in $XDG_CONFIG_HOME: every suite
# gets its own, so no test reads or changes the user's, nor another suite's
export XDG_CONFIG_HOME=$TMP/xdg
_tap_n=0
_tap_failed=0
_tap_exit_cmds=()

_tap_cleanup() {
  local c j
  # stderr dropped: bash's "Killed" notices for the processes ended here
  {
    for c in "${_tap_exit_cmds[@]+"${_tap_exit_cmds[@]}"}"; do eval "$c" || true; done
    for j in $(jobs -p); do kill -9 "$j"; done
    wait
  } 2>/dev/null
  rm -rf "$TMP"
}
trap _tap_cleanup EXIT

on_exit() { _tap_exit_cmds+=("$*"); }
track_pid() { on_exit "kill -9 $1 2>/dev/null"; }
plan() { echo "1..$1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
pass() { ok "$@"; }
not_ok() {
  _tap_n=$((_tap_n + 1)); _tap_failed=1
  echo "not ok $_tap_n - $1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
  return 0
}
fail() { not_ok "$@"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "command failed: $*" "$out"; fi
}
is() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "got:      $1" "expected: $2"; fi; }
like() { if grep -qE -- "$2" <<<"$1"; then ok "$3"; else not_ok "$3" "no match for /$2/ in:" "$1"; fi; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_for() {
  local deadline=$(( $(date +%s%N) / 1000000 + ${1%.*} * 1000 )); shift
  while ! "$@" >/dev/null 2>&1; do
    [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ] && return 1
    sleep 0.1
  done
}
# jqe ARGS... — jq that holds (status 0) when its last output value is
# neither false nor null, as `jq -e` is documented to, and fails with 4 when
# it produced no value, 1 for false or null, jq's own status on an error.
# Not `jq -e` itself: jq 1.6 (Debian 12) judges only the last *input*, so
# `jq -e 'select(...)' LOG` failed whenever a later line followed the
# matching one, and held for a log with no line yet. Prints jq's output.
jqe() {
  local out rc=0
  out=$(jq "$@") || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out"
  [ "$rc" -ne 0 ] && return "$rc"
  [ -n "$out" ] || return 4
  case "${out##*$'\n'}" in false | null) return 1 ;; esac
}
export -f jqe
done_testing() { exit $_tap_failed; }
finish() { [ "$_tap_failed" -eq 0 ]; }

# gen_sql GENERATION SQL — run SQL over an index generation as one database
# (docs/specs/index.md): for a v2 descriptor every segment is attached as
# s<i> and TEMP views documents / chunks / embeddings hold the live rows
# (tombstoned documents left out); failures and meta are the descriptor's.
# `live_fts` in SQL is replaced by a count of live chunks whose FTS5 index
# matches the expression in $GEN_FTS (e.g. GEN_FTS="'quokkas'").
gen_sql() {
  local g=$1 sql=$2 dir v pre="" i=0 f docs="" chunks="" embs="" fts="" sep=""
  dir=$(cd "$(dirname "$g")" && pwd)
  v=$(sqlite3 "file:$g?immutable=1" "select value from meta where key='index_schema_version'")
  if [ "$v" != 2 ]; then
    sql=${sql//live_fts/(select count(*) from chunks_fts where chunks_fts match ${GEN_FTS:-\'\'})}
    sqlite3 "file:$g?immutable=1" "$sql"; return
  fi
  while IFS= read -r f; do
    pre+="ATTACH 'file:$dir/$f?immutable=1' AS s$i;"
    docs+="$sep SELECT * FROM s$i.documents WHERE id NOT IN (SELECT doc_id FROM main.tombstones)"
    chunks+="$sep SELECT * FROM s$i.chunks WHERE doc_id NOT IN (SELECT doc_id FROM main.tombstones)"
    embs+="$sep SELECT e.* FROM s$i.embeddings e JOIN s$i.chunks c ON c.id=e.chunk_rowid WHERE c.doc_id NOT IN (SELECT doc_id FROM main.tombstones)"
    fts+="${fts:+ + }(SELECT count(*) FROM s$i.chunks_fts WHERE chunks_fts MATCH ${GEN_FTS:-\'\'} AND rowid IN (SELECT id FROM s$i.chunks WHERE doc_id NOT IN (SELECT doc_id FROM main.tombstones)))"
    sep=" UNION ALL"; i=$((i + 1))
  done < <(sqlite3 "file:$g?immutable=1" "select file from segments order by ord")
  sql=${sql//live_fts/($fts)}
  sqlite3 "file:$g?immutable=1" "$pre CREATE TEMP VIEW documents AS $docs; CREATE TEMP VIEW chunks AS $chunks;
    CREATE TEMP VIEW embeddings AS $embs; $sql"
}
# gen_segments GENERATION — the segment files of a generation, one a line (full paths).
gen_segments() {
  local g=$1 dir v
  dir=$(cd "$(dirname "$g")" && pwd)
  v=$(sqlite3 "file:$g?immutable=1" "select value from meta where key='index_schema_version'")
  if [ "$v" != 2 ]; then echo "$g"; return; fi
  sqlite3 "file:$g?immutable=1" "select file from segments order by ord" | sed "s|^|$dir/|"
}
