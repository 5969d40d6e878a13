#!/usr/bin/env bash
# test_ingest_settings_retry.sh — a file refused because of a setting is
# retried once that setting lets it through, though its bytes did not
# change: over ingest.max_file_size, then the cap raised; invalid UTF-8
# ("set ingest.legacy_encoding"), then the encoding set. Until then the
# failure is carried over unread, as any unchanged content failure.
. "$(dirname "$0")/api_lib.sh"
plan 6

api_stack_new
sed -i -e 's/^  max_file_size: .*/  max_file_size: 4KiB/' -e 's/^  legacy_encoding: .*/  legacy_encoding: ""/' "$CONFIG"
for _ in $(seq 150); do echo "Alice: the heron waits by the sluice gate."; done >"$TX/long.txt" # ~6.5 KB
printf 'Alice: Gr\xfc\xdfe aus K\xf6ln, a latin-1 transcript.\n' >"$TX/latin.txt"
failed() { jq -r '.errors' "$MANIFEST"; }
api_ingest >/dev/null 2>&1
is "$(failed)" "2" "both files fail: over the size cap, and invalid UTF-8"
api_ingest >/dev/null 2>&1
is "$(jq -r 'select(.status) | "\(.status) \(.transcripts_processed)"' "$STACK/artifacts/logs/ingestion_metrics.jsonl" | tail -1)" \
  "unchanged 0" "a rerun with the same settings reads neither again"
sed -i 's/^  max_file_size: .*/  max_file_size: 16KiB/' "$CONFIG"
api_ingest >/dev/null 2>&1
is "$(failed)" "1" "the cap raised: the long file is retried and indexed"
like "$("$HELPERS/api_query" --config "$CONFIG" --mode bm25 'heron sluice' 2>/dev/null)" "long\\.txt" "and it is searchable"
sed -i 's/^  legacy_encoding: .*/  legacy_encoding: windows-1252/' "$CONFIG"
api_ingest >/dev/null 2>&1
is "$(failed)" "0" "the encoding set: the latin-1 file is retried and indexed"
like "$("$HELPERS/api_query" --config "$CONFIG" --mode bm25 'köln' 2>/dev/null)" "latin\\.txt" "and it is searchable"
done_testing
