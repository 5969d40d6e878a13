#!/usr/bin/env bash
# test_api_make.sh — the operator targets: `make api; make api; make stop;
# make stop` all exit 0 with clear messages; a taken port or a bad config
# makes `make api` fail with the reason; stale pidfiles are handled;
# `make restart-api` gives a new process.
. "$(dirname "$0")/api_lib.sh"
plan 11
api_stack_new
cd "$ROOT"
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory "$@" SAN="${SAN:-0}" CONFIG="$CONFIG"; }
flat() { tr '\n' ' ' <<<"$1"; }
PIDFILE="$STACK/artifacts/run/rag-api.pid"
stop_on_exit() { [ -f "$PIDFILE" ] && kill -9 "$(cat "$PIDFILE")" 2>/dev/null; return 0; }
on_exit stop_on_exit

# Policy (docs/runbooks/orchestration.md): with no published index, `make api`
# runs `make ingest` first, then starts the API on it.
out=$(mk api 2>&1); rc=$?
like "$rc|$(flat "$out")" "^0\|.*rag-api started \(pid [0-9]+\) at $URL — /healthz: pass \(HTTP 200\)" \
  "make api starts it in the background and prints the URL and status"
like "$out" "no published index yet .*running make ingest first" "with no index yet make api runs make ingest first"
pid1=$(cat "$PIDFILE" 2>/dev/null)
out=$(mk api 2>&1); rc=$?
like "$rc|$(flat "$out")" "^0\|.*rag-api is already running \(pid $pid1\)" "a second make api says it is already running and exits 0"
kill -STOP "$pid1" # hung: holds its ports, answers nothing
out=$(mk api 2>&1); rc=$?
kill -CONT "$pid1"
like "$rc|$(flat "$out")" "^2\|.*rag-api is running \(pid $pid1\) but /healthz does not answer.*make restart-api" \
  "make api on a hung rag-api fails and says to restart it (not 'already running', exit 0)"
out=$(mk restart-api 2>&1); rc=$?
pid2=$(cat "$PIDFILE" 2>/dev/null)
if [ "$rc" = 0 ] && [ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && ! kill -0 "$pid1" 2>/dev/null; then ok "make restart-api replaces the process"
else not_ok "make restart-api replaces the process" "rc=$rc pid1=$pid1 pid2=$pid2" "$out"; fi
out=$(mk stop 2>&1); rc=$?
like "$rc|$(flat "$out")" "^0\|rag-api stopped \(pid $pid2\)" "make stop stops it (exit 0)"
out=$(mk stop 2>&1); rc=$?
like "$rc|$(flat "$out")" "^0\|rag-api is not running" "a second make stop says it is not running and exits 0"

mkdir -p "$(dirname "$PIDFILE")"
echo 999999 >"$PIDFILE"
out=$(mk stop 2>&1); rc=$?
like "$rc|$(flat "$out")" "^0\|.*removing stale pidfile" "make stop removes a stale pidfile (exit 0)"

python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$PORT" &
BLOCKER=$!
track_pid "$BLOCKER"
sleep 0.3
out=$(mk api 2>&1); rc=$?
if [ "$rc" != 0 ] && grep -q "Address already in use" <<<"$out"; then ok "make api fails (non-zero) and says why when the port is taken"
else not_ok "make api fails (non-zero) and says why when the port is taken" "rc=$rc" "$out"; fi
kill "$BLOCKER" 2>/dev/null; wait "$BLOCKER" 2>/dev/null

sed -i 's/^  target_tokens: .*/  target_tokens: -5/' "$CONFIG"
out=$(mk api 2>&1); rc=$?
if [ "$rc" != 0 ] && grep -q "target_tokens" <<<"$out"; then ok "make api fails (non-zero) naming the bad config key"
else not_ok "make api fails (non-zero) naming the bad config key" "rc=$rc" "$out"; fi
out=$(bash scripts/apictl.sh start --bin "$BIN/rag-api" --config "$CONFIG" 2>&1); rc=$?
like "$rc|$(flat "$out")" "^78\|.*target_tokens.*configuration .* is invalid" "apictl start refuses a bad config with exit 78 and the reason"
done_testing
