#!/usr/bin/env bash
# test_api_log_full.sh — log lines rag-api cannot write are never lost
# without a trace: with api.jsonl on a full device (/dev/full: every append
# fails with ENOSPC) rag-api keeps serving, /healthz warns in checks.log_writes
# naming the file and the error, /metrics counts the lost lines, and stderr
# says it once (not once a line).
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/tui/stack.sh"
plan 6

stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1
ln -sf /dev/full artifacts/logs/api.jsonl
"$BIN/rag-api" --config config/params.yaml >"$TMP/api.out" 2>&1 &
API=$!
track_pid "$API"
ADMIN=http://127.0.0.1:$STACK_ADMIN_PORT
MAIN=http://127.0.0.1:$STACK_PORT
wait_for 10 curl -sf "$ADMIN/healthz" >/dev/null
for i in 1 2 3 4 5; do curl -s -o /dev/null "$MAIN/no-such-route-$i"; done # 404s: each one a log line

for _ in $(seq 1 50); do
  [ "$(curl -s "$ADMIN/healthz" | jq -r .checks.log_writes.status)" = warn ] && break; sleep 0.1
done
hz=$(curl -s "$ADMIN/healthz")
is "$(jq -r '.status + " " + .checks.log_writes.status' <<<"$hz")" "warn warn" "/healthz warns while log lines cannot be written"
like "$(jq -r .checks.log_writes.output <<<"$hz")" "cannot append to .*api.jsonl: No space left on device; [0-9]+ log lines lost since start" \
  "  naming the file, the error and how many were lost"
lost=$(curl -s "$ADMIN/metrics" | sed -n 's/^rag_api_log_write_failures_total //p')
check "/metrics counts the lost lines (rag_api_log_write_failures_total $lost >= 5)" test "${lost:-0}" -ge 5
is "$(grep -c 'cannot append to .*api.jsonl' "$TMP/api.out")" "1" "stderr says it once, not once a line"
is "$(curl -s -o /dev/null -w '%{http_code}' "$MAIN/query?q=lighthouse")" "200" "queries are still answered"
kill -TERM "$API"; wait "$API"; rc=$?
is "$rc" "0" "rag-api exits 0 on SIGTERM"
done_testing
