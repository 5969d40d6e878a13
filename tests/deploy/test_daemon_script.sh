#!/usr/bin/env bash
# test_daemon_script.sh — scripts/daemon.sh (background programs of the
# Makefile, e.g. `make ingest-cron`): start and stop are idempotent, a stale
# pid file (dead pid, or a pid reused by another program) never makes it
# signal the wrong process, a program that dies at once is reported, and stop
# leaves nothing running.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 6
tmp=$TMP
other=""
on_exit 'RAG_RUN_DIR=$tmp/run RAG_LOG_DIR=$tmp/logs bash scripts/daemon.sh stop t >/dev/null 2>&1' 
export RAG_RUN_DIR=$tmp/run RAG_LOG_DIR=$tmp/logs
d() { bash scripts/daemon.sh "$@"; }
# A unique program name (a copy of sleep) so the test finds only its own process.
cp "$(command -v sleep)" "$tmp/ragtop-test-sleeper"
prog=$tmp/ragtop-test-sleeper

d start t -- "$prog" 300 >"$tmp/o1" 2>&1; rc1=$?
pid1=$(head -n1 "$RAG_RUN_DIR/t.pid" 2>/dev/null)
d start t -- "$prog" 300 >"$tmp/o2" 2>&1; rc2=$?
n=$(pgrep -fc "^$prog 300" || true)
if [ $rc1 = 0 ] && [ $rc2 = 0 ] && grep -q "already running (pid $pid1)" "$tmp/o2" && [ "$n" = 1 ]; then
  ok "start twice: one process, the second start says it is already running"
else not_ok "start twice: one process, the second start says it is already running" "$rc1 $rc2 n=$n $(cat "$tmp/o1" "$tmp/o2")"; fi

if d status t >/dev/null; then ok "status exits 0 while running"; else not_ok "status exits 0 while running"; fi

d stop t >"$tmp/o3" 2>&1; rc3=$?
d stop t >"$tmp/o4" 2>&1; rc4=$?
if [ $rc3 = 0 ] && [ $rc4 = 0 ] && ! kill -0 "$pid1" 2>/dev/null && grep -q "not running" "$tmp/o4" && [ ! -e "$RAG_RUN_DIR/t.pid" ]; then
  ok "stop twice: the process is gone, the second stop succeeds and says not running"
else not_ok "stop twice: the process is gone, the second stop succeeds and says not running" "$(cat "$tmp/o3" "$tmp/o4")"; fi

d status t >/dev/null; if [ $? = 3 ]; then ok "status exits 3 when stopped"; else not_ok "status exits 3 when stopped"; fi

# A pid file naming a live process that is *not* the program: must not be signalled.
sleep 300 & other=$!
mkdir -p "$RAG_RUN_DIR"; printf '%s\n%s\n' "$other" "$prog" >"$RAG_RUN_DIR/t.pid"
d stop t >/dev/null 2>&1
if kill -0 "$other" 2>/dev/null; then ok "a pid file naming another program is stale: stop does not signal it"
else not_ok "a pid file naming another program is stale: stop does not signal it"; fi
kill "$other" 2>/dev/null; other=""

if d start t -- false >"$tmp/o5" 2>&1; then not_ok "a program that exits at once makes start fail" "$(cat "$tmp/o5")"
elif grep -q "exited at once" "$tmp/o5" && [ ! -e "$RAG_RUN_DIR/t.pid" ]; then ok "a program that exits at once makes start fail"
else not_ok "a program that exits at once makes start fail" "$(cat "$tmp/o5")"; fi
done_testing
