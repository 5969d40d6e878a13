#!/usr/bin/env bash
# test_utf8_outputs.sh — every JSON the kit writes for others is valid UTF-8
# even when a transcript's file name is not (a name may hold any bytes):
# the manifest, the metrics line, the ingest log, /query's source and title,
# `ragtop --once --json`. Invalid bytes become U+FFFD inside their strings;
# the file itself is indexed under its real name.
. "$(dirname "$0")/api_lib.sh"
plan 7

api_stack_new
printf 'Alice: the zebrafinch sang at dawn over the quarry.\n' >"$TX/bad"$'\xff\xfe'"name.txt"
printf 'not a webvtt file\n' >"$TX/broken"$'\xfe'".vtt"
api_ingest >/dev/null 2>&1
strict() { python3 -c '
import json, sys
data = sys.stdin.buffer.read()
for line in ([data] if sys.argv[1] == "doc" else data.splitlines()):
    if line.strip():
        json.loads(line.decode("utf-8"))  # strict: raises on invalid UTF-8
' "$1"; }
check "latest.json is valid UTF-8 JSON" strict doc <"$MANIFEST"
check "ingestion_metrics.jsonl is valid UTF-8 JSON Lines" strict lines <"$STACK/artifacts/logs/ingestion_metrics.jsonl"
check "ingest.jsonl is valid UTF-8 JSON Lines" strict lines <"$STACK/artifacts/logs/ingest.jsonl"

api_start || { not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; }
curl -s "$URL/query?q=zebrafinch&mode=bm25" >"$STACK/q.json"
check "/query's answer is valid UTF-8 JSON" strict doc <"$STACK/q.json"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["results"][0]["source"])' "$STACK/q.json")" \
  "bad"$'\xef\xbf\xbd\xef\xbf\xbd'"name.txt" "the file is found; its source names it with U+FFFD for each invalid byte"
api_services_yml
"$BIN/ragtop" --once --json --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.json" 2>/dev/null
check "ragtop --once --json is valid UTF-8 JSON" strict doc <"$STACK/once.json"
"$BIN/ragtop" --once --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.txt" 2>&1
check "ragtop --once text output is valid UTF-8" python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$STACK/once.txt"
done_testing
