#!/usr/bin/env bash
# test_ingest_crash.sh — SIGKILL rag-ingest at random moments (24 trials;
# half with RAG_INGEST_TEST_PUBLISH_DELAY_MS, a quarter killed just after the
# last batch and a quarter just after the "published" event, so many kills
# land while finishing and publishing). After every kill the manifest must load (rag_manifest_load via
# the manifest_read helper), name a generation that exists, passes SQLite's
# integrity check and has the manifest's chunk count. The next normal run
# removes every temporary file. Then 8 rollback trials: after a normal run,
# `rag-ingest --rollback` (with the publish delay, so kills land before,
# between and after the manifest writes) is SIGKILLed at a random moment;
# the manifest must again load and name a complete generation with the
# manifest's chunk count. Then 6 merge trials: a run that merges segments
# (cap lowered to 2) is SIGKILLed while its merged segment is being written
# or waits to be linked; the last published generation must stay readable
# and whole.
. "$(dirname "$0")/lib.sh"
TRIALS=24
RB_TRIALS=8
MERGE_TRIALS=6
plan $((TRIALS * 3 + RB_TRIALS * 3 + MERGE_TRIALS * 4 + 6))

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W"
python3 scripts/gen-corpus --out "$W/corpus" --files 120 --mb 1.5 --seed 7 2>/dev/null
cat >"$W/params.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: art}
chunking: {target_tokens: 64, overlap_tokens: 8}
ingest: {keep_generations: 2, batch_files: 10}
YAML
M=$W/art/checkpoints/latest.json
# intact GENERATION: "ok" when the descriptor and every segment it names pass
# SQLite's integrity check, else what failed
intact() {
  local s r out=ok
  for s in "$1" $(gen_segments "$1"); do
    r=$(sqlite3 "file:$s?mode=ro" 'pragma integrity_check' 2>&1)
    [ "$r" = ok ] || out="$s: $r"
  done
  echo "$out"
}
check "initial run publishes" "$ING" --config "$W/params.yaml" -q
LOG=$W/art/logs/ingest.jsonl
# wait_event PID EVENT [last]: until the run of PID logged EVENT (with
# "last": a batch_done for its final batch), at most 20 s
wait_event() {
  local rid="" i
  for i in $(seq 400); do
    [ -n "$rid" ] || rid=$(jq -r --argjson p "$1" 'select(.event=="run_started" and .payload.pid==$p) | .run_id' "$LOG" 2>/dev/null | tail -n 1)
    if [ -n "$rid" ]; then
      if [ "${3:-}" = last ]; then
        jqe --arg r "$rid" 'select(.run_id==$r and .event=="batch_done" and .payload.batch==.payload.batches)' "$LOG" >/dev/null 2>&1 && return 0
      else
        jqe --arg r "$rid" --arg e "$2" 'select(.run_id==$r and .event==$e)' "$LOG" >/dev/null 2>&1 && return 0
      fi
    fi
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
publishing_kills=0
for t in $(seq $TRIALS); do
  # change one file per trial so every run has work; --full on some
  echo "trial $t extra words" >>"$W/corpus/d000/t$(printf %06d $((t % 120))).txt"
  extra=(); [ $((t % 3)) -eq 0 ] && extra=(--full)
  if [ $((t % 2)) -eq 0 ]; then
    RAG_INGEST_TEST_PUBLISH_DELAY_MS=120 "$ING" --config "$W/params.yaml" -q "${extra[@]}" &
  else
    "$ING" --config "$W/params.yaml" -q "${extra[@]}" &
  fi
  P=$!
  case $((t % 4)) in
    0) wait_event $P published ;;                # then kill between rename and manifest
    2) wait_event $P batch_done last ;;          # then kill while finishing / renaming
  esac
  sleep "0.$(printf %03d $((RANDOM % (t % 2 ? 700 : 150))))"
  kill -KILL $P 2>/dev/null
  wait $P 2>/dev/null
  run_id=$(tail -n 50 "$W/art/logs/ingest.jsonl" | jq -r 'select(.event=="run_started") | .run_id' | tail -n 1)
  if jqe --arg r "$run_id" 'select(.run_id==$r and .event=="published")' "$W/art/logs/ingest.jsonl" >/dev/null &&
     ! jqe --arg r "$run_id" 'select(.run_id==$r and .event=="run_finished")' "$W/art/logs/ingest.jsonl" >/dev/null; then
    publishing_kills=$((publishing_kills + 1))
  fi
  check "trial $t: manifest loads" "$HELPERS/manifest_read" "$M"
  G=$W/art/index/$(jq -r .generation "$M")
  is "$(intact "$G")" "ok" "trial $t: the named generation and its segments exist and are intact"
  is "$(gen_sql "$G" 'select count(*) from chunks' 2>&1)" "$(jq .chunks "$M")" "trial $t: its chunk count matches the manifest"
done
diag "$publishing_kills of $TRIALS kills landed between publishing the generation and finishing the run"
check "some kills landed while publishing" test "$publishing_kills" -ge 2
rolled=0
for t in $(seq $RB_TRIALS); do
  echo "rollback trial $t words" >>"$W/corpus/d000/t$(printf %06d $((t + 50))).txt"
  "$ING" --config "$W/params.yaml" -q
  before=$(jq -r .generation "$M")
  RAG_INGEST_TEST_PUBLISH_DELAY_MS=300 "$ING" --config "$W/params.yaml" -q --rollback 2>/dev/null &
  P=$!
  sleep "0.$(printf %03d $((RANDOM % 700)))"
  kill -KILL $P 2>/dev/null
  wait $P 2>/dev/null
  check "rollback trial $t: manifest loads" "$HELPERS/manifest_read" "$M"
  G=$W/art/index/$(jq -r .generation "$M")
  [ "$(jq -r .generation "$M")" != "$before" ] && rolled=$((rolled + 1))
  is "$(intact "$G")" "ok" "rollback trial $t: the named generation and its segments exist and are intact"
  is "$(gen_sql "$G" 'select count(*) from chunks' 2>&1)" "$(jq .chunks "$M")" "rollback trial $t: its chunk count matches the manifest"
done
# merge trials: runs until one starts a merge (its "seg-<run>-1.sqlite*"
# appears), then SIGKILL 0-349 ms later. RAG_INGEST_TEST_MERGE_DELAY_MS holds
# the run between writing the merged segment and linking it for far longer
# than that (the kill cuts the hold short, so it costs nothing): a loaded
# machine can be slow to notice the file and to send the kill, and with a
# 400 ms hold 1 kill in ~6 landed after the run had published (seen under
# stress-ng --cpu 2 and once in CI)
for t in $(seq $MERGE_TRIALS); do
  before=$(jq -r .generation "$M"); chunks_before=$(jq .chunks "$M")
  merging=no
  for attempt in 1 2 3 4; do
    echo "merge trial $t.$attempt words" >"$W/corpus/d000/merge-$t-$attempt.txt"
    ls "$W/art/index" | grep -E '^seg-.*-1\.sqlite' | sort >"$W/known"
    RAG_INGEST_TEST_MAX_SEGMENTS=2 RAG_INGEST_TEST_MERGE_DELAY_MS=10000 "$ING" --config "$W/params.yaml" -q &
    P=$!
    for i in $(seq 200); do
      if ls "$W/art/index" | grep -E '^seg-.*-1\.sqlite' | sort | comm -13 "$W/known" - | grep -q .; then merging=yes; break; fi
      kill -0 $P 2>/dev/null || break
      sleep 0.02
    done
    if [ $merging = yes ]; then
      sleep "0.$(printf %03d $((RANDOM % 350)))"
      kill -KILL $P 2>/dev/null
    fi
    wait $P 2>/dev/null
    [ $merging = yes ] && break
    before=$(jq -r .generation "$M"); chunks_before=$(jq .chunks "$M")
  done
  is "$merging" yes "merge trial $t: killed while merging segments"
  check "merge trial $t: manifest loads" "$HELPERS/manifest_read" "$M"
  G=$W/art/index/$(jq -r .generation "$M")
  is "$(jq -r .generation "$M")/$(intact "$G")" "$before/ok" "merge trial $t: the last published generation is still named, whole"
  is "$(gen_sql "$G" 'select count(*) from chunks' 2>&1)" "$chunks_before" "merge trial $t: its chunk count is unchanged"
done
diag "$rolled of $RB_TRIALS rollbacks completed before the kill"
"$ING" --config "$W/params.yaml" -q --full # a new generation, so an earlier one is retained
check "an unkilled rollback switches the served generation" \
  bash -c "b=\$(jq -r .generation '$M'); '$ING' --config '$W/params.yaml' -q --rollback && test \"\$(jq -r .generation '$M')\" != \"\$b\""
check "a normal run after the kills succeeds" "$ING" --config "$W/params.yaml" -q
is "$(find "$W/art" -name '*.tmp*' -o -name '*-journal' | wc -l)" 0 "no temporary file outlives the next run"
check "the final generation's full-text indexes pass their integrity check" \
  bash -c 'for s in "$@"; do sqlite3 "$s" "insert into chunks_fts(chunks_fts, rank) values('"'integrity-check'"', 1)" || exit 1; done' _ \
  $(gen_segments "$W/art/index/$(jq -r .generation "$M")")
exit $_tap_failed
