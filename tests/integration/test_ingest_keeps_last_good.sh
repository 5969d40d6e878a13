#!/usr/bin/env bash
# test_ingest_keeps_last_good.sh — a changed transcript that cannot be read
# this time (a transient failure: here no read permission) does not take its
# last good version out of the index: the run publishes (exit 0), logs
# file_failed (transient) and previous_version_kept, the document count and
# the old text's search stay as they were; once the file is readable, its
# new version replaces the old one. As root the runs go through setpriv as
# nobody (root reads any file).
. "$(dirname "$0")/api_lib.sh"
plan 7

api_stack_new
chmod 755 "$TMP" "$STACK"
run_ingest() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/rag-ingest" --config "$CONFIG" --quiet
  else
    "$BIN/rag-ingest" --config "$CONFIG" --quiet
  fi
}
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$STACK"
printf 'Alice: the cormorant colony on the breakwater is counted each May.\n' >"$TX/birds.txt"
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$TX/birds.txt"
run_ingest >"$STACK/i1.out" 2>&1 || { not_ok "first ingest" "$(cat "$STACK/i1.out")"; done_testing; }
docs0=$(jq -r .documents "$MANIFEST")
found() { "$HELPERS/api_query" --config "$CONFIG" --mode bm25 "$1" 2>/dev/null | grep -c 'birds.txt'; }
is "$(found cormorant)" "1" "the first version is searchable"

printf 'Alice: the cormorant colony moved to the pier this year.\n' >"$TX/birds.txt" # changed...
chmod 000 "$TX/birds.txt"                                                          # ...and unreadable
[ "$(id -u)" = 0 ] && chown root:root "$TX/birds.txt"
run_ingest >"$STACK/i2.out" 2>&1; rc=$?
is "$rc" "0" "the run with the unreadable changed file publishes (exit 0)"
is "$(jq -r 'select(.event == "file_failed") | "\(.payload.path) \(.payload.class)"' "$STACK/artifacts/logs/ingest.jsonl" | tail -1)" \
  "birds.txt transient" "file_failed names it as a transient failure"
is "$(jq -r 'select(.event == "previous_version_kept") | .payload.path' "$STACK/artifacts/logs/ingest.jsonl" | tail -1)" \
  "birds.txt" "previous_version_kept says its last good version stays"
is "$(jq -r .documents "$MANIFEST") $(found breakwater)" "$docs0 1" "the document count and the old text's search are unchanged"

chmod 644 "$TX/birds.txt"
run_ingest >"$STACK/i3.out" 2>&1
is "$(found pier) $(found breakwater)" "1 0" "readable again: the new version replaces the old one"
is "$(jq -r .documents "$MANIFEST")" "$docs0" "one document for the file, as before"
done_testing
