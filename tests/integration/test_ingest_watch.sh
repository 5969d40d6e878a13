#!/usr/bin/env bash
# test_ingest_watch.sh — `rag-ingest --watch`: runs at start-up, runs again
# when the transcripts folder changes (debounced: a burst of writes gives one
# run), runs on the interval schedule, never two at once, and stops cleanly
# on SIGTERM.
. "$(dirname "$0")/lib.sh"
plan 8

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W/corpus/sub"
cp data/transcripts/meetings/*.md "$W/corpus/sub/"
conf() { # interval
  cat >"$W/params.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: art}
ingest: {schedule: {interval: $1, debounce: 400ms}}
YAML
}
LOG=$W/art/logs/ingest.jsonl
finished() { jq -r 'select(.event=="run_finished") | .msg' "$LOG" 2>/dev/null | wc -l; }
wait_runs() { # n timeout_s
  for _ in $(seq $(($2 * 20))); do [ "$(finished)" -ge "$1" ] && return 0; sleep 0.05; done
  return 1
}

conf 0
"$ING" --watch --config "$W/params.yaml" -q &
P=$!
check "watch mode runs once at start-up" wait_runs 1 10
for i in 1 2 3 4 5; do echo "Zelda: burst write $i about quokkas" >>"$W/corpus/sub/new.txt"; sleep 0.05; done
check "a change in a subfolder triggers a run" wait_runs 2 10
sleep 1.5
is "$(finished)" 2 "a burst of writes is debounced into one run"
is "$(tail -n 1 "$W/art/logs/ingestion_metrics.jsonl" | jq -r '.status + "/" + (.transcripts_processed|tostring)')" "published/1" "the triggered run processed the new file"
check "the new text is searchable" test "$(GEN_FTS="'quokkas'" gen_sql "$W/art/index/$(jq -r .generation "$W/art/checkpoints/latest.json")" "select live_fts")" = 1
kill -TERM $P
t0=$SECONDS
wait $P; rc=$?
is "$rc" 0 "SIGTERM stops watch mode with exit 0"
check "it stopped promptly" test $((SECONDS - t0)) -le 2

conf 1s
n0=$(finished)
"$ING" --watch --config "$W/params.yaml" -q &
P=$!
sleep 3.6
kill -TERM $P; wait $P
check "the interval schedule runs every second (start-up + >= 2 scheduled)" test $(($(finished) - n0)) -ge 3
exit $_tap_failed
