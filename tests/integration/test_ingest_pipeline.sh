#!/usr/bin/env bash
# test_ingest_pipeline.sh — the pipelined build (docs/architecture.md,
# "Ingest pipeline") is deterministic: one corpus with bad files in the
# middle of batches, ingested with 1 worker, with 4 workers (twice) and with
# 3 workers while stress-ng keeps both cores busy, gives the same generation
# contents (documents, chunks, embeddings, failures, the FTS5 index blocks,
# meta, bm25 results; not the file bytes: meta run_id / created_at differ),
# the same failure rows and messages, the same per-file and per-batch log
# events and the same metrics; so does an incremental run (edited, copied
# and deleted files, embeddings reused) after each of them.
. "$(dirname "$0")/lib.sh"
plan 23

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W/corpus"
python3 scripts/gen-corpus --out "$W/corpus/gen" --files 160 --mb 1.2 --seed 7 >/dev/null
cp -r data/transcripts "$W/corpus/sample"
# bad files sorted into the middle of the corpus and of a batch (batch_files 5)
B=$W/corpus/gen/d000
printf '{"segments": [{"text": "ok", "start": 1.0}, \n  {"text": broken}]}\n' >"$B/m1-broken.json"
printf 'WEBVTT\n\n00:01.000 --> 00:xx.000\nbad timing\n' >"$B/m2-bad.vtt"
: >"$B/m3-empty.txt"
printf 'caf\xe9 ok\n' >"$B/m4-latin.txt"
printf 'WEBVTT\n\n00:01.000 --> 00:02.000\ngood cue\n\n00:04.000 --> 00:5.000\nbad timing cue\n' >"$B/m5-warn.vtt"

conf() { # name workers
  cat >"$W/$1.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: $1}
ingest: {batch_files: 5, workers: $2, max_error_ratio: 0.5}
chunking: {target_tokens: 64, overlap_tokens: 8}
YAML
}
run() { "$ING" --config "$W/$1.yaml" -q; }
gen_of() { echo "$W/$1/index/$(jq -r .generation "$W/$1/checkpoints/latest.json")"; }
# everything a generation holds, as text, in row order: the descriptor's
# segments (without their run-named files), tombstones, failures and meta,
# then each segment's rows, FTS5 blocks and bm25 answers
dump() {
  local g seg
  g=$(gen_of "$1")
  sqlite3 "$g" <<'SQL'
SELECT 'seg', ord, documents, chunks, tokens, live_documents, live_chunks, live_tokens, max_doc_id, max_chunk_id FROM segments ORDER BY ord;
SELECT 'tomb', doc_id FROM tombstones ORDER BY doc_id;
SELECT 'fail', path, size, mtime_ns, reason, class, sha256 FROM failures ORDER BY rowid;
SELECT 'meta', key, value FROM meta WHERE key NOT IN ('run_id', 'created_at') ORDER BY key;
SQL
  while IFS= read -r seg; do
    sqlite3 "$seg" <<'SQL'
SELECT 'doc', id, path, title, format, size, mtime_ns, sha256, chunk_count FROM documents ORDER BY id;
SELECT 'chunk', id, chunk_id, doc_id, ordinal, text, start_ms, end_ms, speaker, token_count FROM chunks ORDER BY id;
SELECT 'emb', chunk_rowid, hex(vector) FROM embeddings ORDER BY chunk_rowid;
SELECT 'fts', id, hex(block) FROM chunks_fts_data ORDER BY id;
SELECT 'ftsdoc', id, hex(sz) FROM chunks_fts_docsize ORDER BY id;
SELECT 'segmeta', key, value FROM meta WHERE key NOT IN ('run_id', 'created_at') ORDER BY key;
SQL
    local q
    for q in ka lo 'mi AND ne' 'varroa' '"qua bri"' 'hive OR honey'; do
      sqlite3 "$seg" "SELECT 'q', rowid, printf('%.9f', bm25(chunks_fts)) FROM chunks_fts WHERE chunks_fts MATCH '$q' ORDER BY rank, rowid LIMIT 50"
    done
  done < <(gen_segments "$g")
}
# the per-file and per-batch events of the last run, without timings
events() {
  jq -c --arg r "$(tail -n 1 "$W/$1/logs/ingestion_metrics.jsonl" | jq -r .run_id)" \
    'select(.run_id == $r and (.event == "file_failed" or .event == "file_warning" or .event == "batch_done"))
     | [.event, .msg, (.payload | del(.elapsed_ms, .run_elapsed_ms))]' "$W/$1/logs/ingest.jsonl"
}
metrics() {
  tail -n 1 "$W/$1/logs/ingestion_metrics.jsonl" |
    jq -c 'del(.run_id, .started_at, .finished_at, .duration_ms, .generation)'
}
same() { # what name: compares $1 of runs a and each of the others
  local what=$1 name=$2 r ref bad=""
  ref=$($what a)
  for r in b c d; do [ "$($what $r)" = "$ref" ] || bad="$bad $r"; done
  if [ -z "$bad" ]; then ok "$name"; else
    not_ok "$name" "differs in run(s):$bad" "$(diff <($what a) <($what ${bad%% *}) | head -n 8)"; fi
}

conf a 1; conf b 4; conf c 4; conf d 3
run a; ra=$?
run b; rb=$?
run c; rc=$?
# d: both cores busy with stress-ng (bounded; stopped when the run is done)
if command -v stress-ng >/dev/null; then
  stress-ng --cpu 2 --timeout 120 >/dev/null 2>&1 &
  STRESS=$!
  track_pid "$STRESS"
fi
run d; rd=$?
[ -n "${STRESS:-}" ] && kill "$STRESS" 2>/dev/null
is "$ra/$rb/$rc/$rd" "0/0/0/0" "full builds with 1, 4, 4 and 3 workers (the last under stress-ng --cpu 2) publish"
is "$(gen_sql "$(gen_of b)" 'select count(*) from documents')" "$(find "$W/corpus" -type f | grep -cv -- '-broken\|-bad\|-empty\|-latin')" \
  "every good file is a document"
like "$(gen_sql "$(gen_of a)" 'select count(*) from chunks')" "^[0-9]{3,}$" "the corpus makes hundreds of chunks"
is "$(dump a | grep -oE '^(doc|chunk|emb|fail|fts|ftsdoc|meta|q|seg|segmeta)\|' | LC_ALL=C sort -u | tr '|\n' '  ' | tr -s ' ')" \
  "chunk doc emb fail ftsdoc fts meta q segmeta seg " "the dump compared below holds every kind of row"
same dump "same generation contents (rows, ids, order, vectors, FTS5 blocks, bm25) whatever the worker count and timing"
same events "same file_failed, file_warning and batch_done events, in the same order"
same metrics "same metrics line figures"
is "$(sqlite3 "$(gen_of b)" "select reason from failures where path like '%m1-broken.json'")" \
  "gen/d000/m1-broken.json:2:12: malformed JSON" "a broken file mid-batch keeps its message (file:line:col: problem)"
is "$(sqlite3 "$(gen_of b)" "select class || ' ' || (sha256 is not null) from failures where path like '%m2-bad.vtt'")" \
  "content 1" "and its class and content hash"
is "$(sqlite3 "$(gen_of b)" "select reason from failures where path like '%m3-empty.txt'")" "gen/d000/m3-empty.txt: empty file" \
  "an empty file is recorded as before"
is "$(sqlite3 "$(gen_of b)" "select count(*) from failures")" 4 "four failure rows"
check "the warning of a good file is logged with its line" \
  jq -e -s 'any(.event == "file_warning" and .payload.path == "gen/d000/m5-warn.vtt" and .payload.line == 6)' "$W/b/logs/ingest.jsonl"
is "$(metrics b | jq -r '"\(.transcripts_failed) \(.failed_by_class.content) \(.batches)"')" \
  "4 4 $(( ($(find "$W/corpus" -type f | wc -l) + 4) / 5 ))" "failures and batches are counted"

# --- incremental: an edited file, a copy (embeddings reused by content), a deleted file, a fixed file
f1=$(find "$W/corpus/gen" -name '*.txt' | sort | sed -n 3p)
f2=$(find "$W/corpus/gen" -name '*.vtt' | sort | sed -n 2p)
echo "Alice: one more line about hives." >>"$f1"
cp -p "$f2" "$W/corpus/gen/copy-of-$(basename "$f2")"
rm "$(find "$W/corpus/gen" -name '*.md' | sort | sed -n 1p)"
printf 'fixed now\n' >"$B/m3-empty.txt"
for r in a b c d; do run $r || diag "incremental run $r failed"; done
is "$(metrics a | jq -r .status)/$(metrics b | jq -r .status)" "published/published" "incremental runs publish"
check "the copied file's embeddings were reused" test "$(metrics b | jq -r .chunks_reused)" -gt 0
check "only changed files were processed" test "$(metrics b | jq -r .transcripts_processed)" -le 8
same dump "incremental: same generation contents whatever the worker count"
same events "incremental: same events"
same metrics "incremental: same metrics"

# --- a signal stops a pipelined run cleanly: no generation, previous manifest kept
G=$(gen_of b)
for f in $(find "$W/corpus/gen" -name '*.txt' | sort | head -n 20); do echo "Bob: another edit." >>"$f"; done
LOG=$W/b/logs/ingest.jsonl
n0=$(grep -c '"batch_done"' "$LOG")
RAG_INGEST_TEST_BATCH_DELAY_MS=300 "$ING" --config "$W/b.yaml" -q 2>/dev/null &
pid=$!
wait_for 20 bash -c "[ \$(grep -c '\"batch_done\"' '$LOG') -gt $n0 ]" || diag "no batch_done seen"
kill -TERM "$pid"
wait "$pid"; rc=$?
is "$rc/$(gen_of b)" "1/$G" "SIGTERM in the middle of a pipelined run stops it (exit 1); the previous generation stays"
is "$(find "$W/b/index" -name '*.tmp' | wc -l)/$(metrics b | jq -r .status)" "0/failed" "it leaves no temporary and records the failed run"

# --- SIGKILL in the middle of a full build: the next run removes both temporaries
RAG_INGEST_TEST_BATCH_DELAY_MS=300 "$ING" --config "$W/c.yaml" -q --full 2>/dev/null &
pid=$!
wait_for 20 bash -c "ls '$W/c/index/' | grep -q -- '-fts.sqlite.tmp\$'" || diag "no full-text temporary seen"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null
is "$(find "$W/c/index" -name '*.tmp' | wc -l)" 2 "a killed full build leaves its generation and full-text temporaries"
run c
is "$(find "$W/c/index" -name '*.tmp' | wc -l)/$(jq -s 'map(select(.event == "run_started"))[-1].payload.stale_temporaries_removed' "$W/c/logs/ingest.jsonl")" \
  "0/2" "the next run removes both"
done_testing
