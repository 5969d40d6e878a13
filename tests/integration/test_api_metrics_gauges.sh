#!/usr/bin/env bash
# test_api_metrics_gauges.sh — the two /metrics gauges the Prometheus alert
# rules use: rag_api_config_hash_match flips to 0 when the config file is
# edited without re-ingesting (and back to 1 when it is restored), and
# rag_api_ingest_last_run_success follows the newest line of
# ingestion_metrics.jsonl (0 after a failed run line, 1 after a successful
# one; an unfinished line is ignored; a rollback's line is not an ingest run
# and is looked past); rag_api_index_bytes and rag_api_index_fs_avail_bytes
# (RagDiskFilling) are the served generation's bytes and statvfs's room;
# after rolling back a config change /healthz names the
# rollback and asks to revert the config. /metrics keeps passing promtool.
. "$(dirname "$0")/api_lib.sh"
plan 17

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

# the disk gauges RagDiskFilling reads: the served generation's bytes (its
# file and segments) and the room left on the index folder's file system
gen=$(jq -r .generation "$STACK/artifacts/checkpoints/latest.json")
want_bytes=$(find "$STACK/artifacts/index" -maxdepth 1 -type f \( -name "$gen" -o -name 'seg-*.sqlite' \) -printf '%s\n' | awk '{s += $1} END {print s}')
is "$(gauge rag_api_index_bytes)" "$want_bytes" "rag_api_index_bytes: the served generation's file and its segments"
read -r blocks bsize < <(stat -f -c '%a %S' "$STACK/artifacts/index")
avail=$(gauge rag_api_index_fs_avail_bytes)
want=$(( blocks * bsize ))
# other writers move the free space between the two reads: within 64 MiB
if [ -n "$avail" ] && [ $(( ${avail%.*} > want ? ${avail%.*} - want : want - ${avail%.*} )) -lt $(( 64 << 20 )) ]; then
  ok "rag_api_index_fs_avail_bytes: statvfs f_bavail of the index folder ($avail, df $want)"
else not_ok "rag_api_index_fs_avail_bytes: statvfs f_bavail of the index folder" "got '$avail', df $want"; fi

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

# A rollback is not an ingest run: its line (rollback: true) is looked past.
# The gauge is read from the file only when /metrics is asked, so the two
# lines appended below (one not asked between them) are seen together.
f=$(find "$TX" -type f | head -n 1)
echo "Zed: one more line for a second generation." >>"$f"
api_ingest || not_ok "setup: a second ingest"
jq -c '.status = "failed" | .published = false | .run_id = "20991231T000001Z-fa11ed"' <<<"$last" >>"$JSONL"
api_ingest --rollback; rc=$?
is "$rc/$(tail -n 1 "$JSONL" | jq -r '.rollback')" "0/true" "setup: a real rollback after the failed run wrote its line"
if wait_gauge rag_api_ingest_last_run_success 0; then ok "a rollback after a failed ingest: ingest_last_run_success stays 0 (RagIngestFailed stays)"
else not_ok "a rollback after a failed ingest: ingest_last_run_success stays 0 (RagIngestFailed stays)" "$(gauge rag_api_ingest_last_run_success)"; fi
jq -c '.status = "failed" | .published = false | .run_id = "20991231T000002Z-fa11ed"' <<<"$last" >>"$JSONL"
wait_gauge rag_api_ingest_last_run_success 0 || not_ok "setup: a failed run line reads 0" "$(gauge rag_api_ingest_last_run_success)"
printf '%s\n' "$last" >>"$JSONL"
api_ingest --rollback 2>/dev/null; rc=$?
is "$rc/$(tail -n 1 "$JSONL" | jq -r '"\(.rollback)/\(.status)"')" "1/true/failed" "setup: a failed rollback (no earlier generation) wrote its line"
if wait_gauge rag_api_ingest_last_run_success 1; then ok "a failed rollback after a successful ingest: ingest_last_run_success 1, not an ingest failure"
else not_ok "a failed rollback after a successful ingest: ingest_last_run_success 1, not an ingest failure" "$(gauge rag_api_ingest_last_run_success)"; fi
# a config change went out and was rolled back: /healthz says so, and does
# not ask for the ingest that would publish it again
sed -i 's/^  target_tokens: .*/  target_tokens: 384/' "$CONFIG"
api_ingest || not_ok "setup: an ingest with the changed config"
GC=$(jq -r .generation "$MANIFEST")
api_ingest --rollback || not_ok "setup: rolling it back"
if api_wait_for .index.rollback_from "$GC" 10; then ok "/healthz index.rollback_from names the generation the rollback replaced"
else not_ok "/healthz index.rollback_from names the generation the rollback replaced" "$(hz .index)"; fi
api_wait_for .checks.config_hash.status warn 10 # the config file is re-read at most once a second
like "$(hz .checks.config_hash.status)/$(hz .checks.config_hash.output)" \
  "^warn/the served index was rolled back \(from $GC\) to a generation built from a different config: revert the config change" \
  "config_hash after rolling back a config change: revert the config first"
curl -s "$URL/metrics" >"$STACK/metrics.txt"
if out=$(promtool check metrics <"$STACK/metrics.txt" 2>&1); then ok "/metrics still passes promtool check metrics"
else not_ok "/metrics still passes promtool check metrics" "$out"; fi
done_testing
