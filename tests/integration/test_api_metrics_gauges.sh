#!/usr/bin/env bash
# test_api_metrics_gauges.sh — the two /metrics gauges the Prometheus alert
# rules use: rag_api_config_hash_match flips to 0 when the config file is
# edited without re-ingesting (and back to 1 when it is restored), and
# rag_api_ingest_last_run_success follows the newest line of
# ingestion_metrics.jsonl (0 after a failed run line, 1 after a successful
# one; an unfinished line is ignored). /metrics keeps passing promtool.
. "$(dirname "$0")/api_lib.sh"
plan 9

api_stack_new
api_ingest || { not_ok "setup: rag-ingest"; exit 1; }
api_start || { not_ok "setup: rag-api starts" "$(cat "$STACK/api.stderr")"; exit 1; }
JSONL=$STACK/artifacts/logs/ingestion_metrics.jsonl
gauge() { curl -s --max-time 5 "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# poll until gauge $1 reads $2 (the file and config are re-checked at most once a second)
wait_gauge() {
  local i
  for i in $(seq 1 50); do [ "$(gauge "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

is "$(gauge rag_api_config_hash_match)/$(gauge rag_api_ingest_last_run_success)" "1/1" \
  "after a successful ingest both gauges are 1"
curl -s "$URL/metrics" >"$STACK/metrics.txt"
if out=$(promtool check metrics <"$STACK/metrics.txt" 2>&1); then ok "/metrics with both gauges passes promtool check metrics"
else not_ok "/metrics with both gauges passes promtool check metrics" "$out"; fi

cp "$CONFIG" "$STACK/params.orig"
sed -i 's/^  target_tokens: .*/  target_tokens: 384/' "$CONFIG"
if wait_gauge rag_api_config_hash_match 0; then ok "editing chunking.target_tokens without re-ingesting: config_hash_match 0"
else not_ok "editing chunking.target_tokens without re-ingesting: config_hash_match 0" "$(gauge rag_api_config_hash_match)"; fi
is "$(hz .checks.config_hash.status)" "warn" "/healthz reports the same mismatch"
cp "$STACK/params.orig" "$CONFIG"; touch "$CONFIG"
if wait_gauge rag_api_config_hash_match 1; then ok "restoring the config: config_hash_match back to 1"
else not_ok "restoring the config: config_hash_match back to 1" "$(gauge rag_api_config_hash_match)"; fi

last=$(tail -n 1 "$JSONL")
jq -c '.status = "failed" | .run_id = "20991231T000000Z-fa11ed"' <<<"$last" >>"$JSONL"
if wait_gauge rag_api_ingest_last_run_success 0; then ok "a failed run line appended: ingest_last_run_success 0"
else not_ok "a failed run line appended: ingest_last_run_success 0" "$(gauge rag_api_ingest_last_run_success)"; fi
# a successful line still being written (no newline yet) does not count
printf '%s' "$last" >>"$JSONL"
sleep 1.2
is "$(gauge rag_api_ingest_last_run_success)" "0" "an unfinished line is ignored"
printf '\n' >>"$JSONL"
if wait_gauge rag_api_ingest_last_run_success 1; then ok "once the successful line is complete: ingest_last_run_success 1"
else not_ok "once the successful line is complete: ingest_last_run_success 1" "$(gauge rag_api_ingest_last_run_success)"; fi
curl -s "$URL/metrics" >"$STACK/metrics.txt"
if out=$(promtool check metrics <"$STACK/metrics.txt" 2>&1); then ok "/metrics still passes promtool check metrics"
else not_ok "/metrics still passes promtool check metrics" "$out"; fi
done_testing
