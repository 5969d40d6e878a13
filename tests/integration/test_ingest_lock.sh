#!/usr/bin/env bash
# test_ingest_lock.sh — one run at a time and clean stops: a second run while
# the first holds the lock exits 75 naming the first's pid and start time and
# leaves the first unaffected; SIGTERM and SIGINT stop a run cleanly (exit 1,
# temporary files removed, lock released, a "failed" metrics line written).
. "$(dirname "$0")/lib.sh"
plan 12

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W/corpus"
cp data/transcripts/podcasts/* "$W/corpus/"
python3 tests/helpers/fake_embed_server.py --port-file "$TMP/port" --log "$TMP/req.log" --mode slow --delay 0.7 --dims 8 &
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
cat >"$W/params.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: art}
chunking: {target_tokens: 24, overlap_tokens: 0}
embedding: {provider: openai, dimensions: 8, model: m, url: "http://127.0.0.1:$(cat "$TMP/port")/v1/embeddings", batch_size: 2, timeout: 5s}
YAML
LOG=$W/art/logs/ingest.jsonl
wait_started() { # pid: wait until that run logged run_started
  for _ in $(seq 200); do
    grep -q "\"event\":\"run_started\".*\"pid\":$1[,}]" "$LOG" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
metric() { tail -n 1 "$W/art/logs/ingestion_metrics.jsonl" | jq -r "$1"; }

"$ING" --config "$W/params.yaml" -q 2>"$TMP/first.err" &
P1=$!
check "first run started" wait_started $P1
out=$("$ING" --config "$W/params.yaml" 2>&1); rc=$?
is "$rc" 75 "a second run exits 75 while the first holds the lock"
like "$out" "another run holds the lock: pid $P1, started 20[0-9-]+T" "the message names the first run's pid and start time"
wait $P1; rc1=$?
is "$rc1" 0 "the first run is unaffected and succeeds"
check "the first run published a manifest" test -s "$W/art/checkpoints/latest.json"
M1=$(cat "$W/art/checkpoints/latest.json")

for sig in TERM INT; do
  "$ING" --config "$W/params.yaml" --full -q &
  P=$!
  wait_started $P && sleep 0.3
  kill -$sig $P
  wait $P; rc=$?
  is "$rc/$(metric .status)" "1/failed" "SIG$sig: exit 1 and a failed metrics line"
  like "$(metric .failure)" "interrupted" "SIG$sig: the failure says the run was interrupted"
done
is "$(ls "$W/art/index" | grep -c tmp)" 0 "no temporary generation is left behind"
is "$(cat "$W/art/checkpoints/latest.json")" "$M1" "interrupted runs left the manifest untouched"
"$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "the lock was released: the next run takes it"
exit $_tap_failed
