#!/usr/bin/env bash
# test_ingest_run.sh — rag-ingest end to end on a copy of the sample corpus:
# first run publishes, a rerun changes nothing, an edited / touched / deleted
# file is handled incrementally, a config change rebuilds everything, bad
# transcripts are reported and counted against max_error_ratio, dry runs
# write nothing, the command line's exit statuses, SIGTERM stops cleanly.
. "$(dirname "$0")/lib.sh"
plan 55

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W"
cp -r data/transcripts "$W/corpus"
N=$(find "$W/corpus" -type f | wc -l)
conf() { # target_tokens max_error_ratio
  cat >"$W/params.yaml" <<YAML
schema_version: 1
paths:
  transcripts: corpus
  artifacts: art
ingest:
  max_error_ratio: ${2:-0.2}
  keep_generations: 2
chunking:
  target_tokens: ${1:-64}
  overlap_tokens: 8
YAML
}
conf 64
run() { "$ING" --config "$W/params.yaml" "$@"; }
M=$W/art/checkpoints/latest.json
metric() { tail -n 1 "$W/art/logs/ingestion_metrics.jsonl" | jq -r "$1"; }
gen() { jq -r .generation "$M"; }
chunks_in() { gen_sql "$W/art/index/$(gen)" "$1"; }
fts_count() { GEN_FTS="'$1'" gen_sql "$W/art/index/$(gen)" "select live_fts"; }

# --- first run
out=$(run 2>&1); rc=$?
is "$rc" 0 "first run exits 0"
like "$out" "published gen-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}\.sqlite" "first run reports the published generation"
G1=$(gen)
check "the generation file exists" test -f "$W/art/index/$G1"
check "manifest has every field" jqe '.schema_version==1 and (.run_id|test("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")) and .generated_at and .checked_at and (.config_hash|length==64) and .config.chunking.target_tokens==64 and .documents=='"$N"' and .chunks>0 and .tokens>0 and (.source_fingerprint|length==64) and .errors==0 and .tool_version and .index_schema_version==2' "$M"
is "$(chunks_in 'select count(*) from chunks')" "$(jq .chunks "$M")" "manifest chunk count matches the generation"
is "$(chunks_in "select value from meta where key='chunks'")" "$(jq .chunks "$M")" "meta.chunks matches"
is "$(chunks_in 'select count(*) from embeddings')" "$(jq .chunks "$M")" "every chunk has an embedding"
is "$(fts_count "varroa")" 1 "full-text search finds the beekeeping chunk"
is "$(metric .status)/$(metric .transcripts_processed)/$(metric .transcripts_seen)" "published/$N/$N" "metrics line of the first run"
check "every log line is valid JSON with ts, level, component, event" \
  bash -c "jqe -c 'select((.ts|type)==\"string\" and (.level|type)==\"string\" and .component==\"ingest\" and (.event|type)==\"string\")' '$W/art/logs/ingest.jsonl' | wc -l | grep -qx \$(wc -l <'$W/art/logs/ingest.jsonl')"
events=$(jq -r .event "$W/art/logs/ingest.jsonl" | tr '\n' ' ')
like "$events" "run_started scan_done batch_done .*published run_finished" "events run_started, scan_done, batch_done, published, run_finished in order"
check "batch_done carries batch i of n, files, chunks, tokens, elapsed" \
  jqe -s '[.[]|select(.event=="batch_done")][0].payload | .batch==1 and .batches>=1 and .files>0 and .chunks>0 and .tokens>0 and (.elapsed_ms|type)=="number"' "$W/art/logs/ingest.jsonl"

# --- rerun: nothing changed
C1=$(jq -r .checked_at "$M")
sleep 0.01
out=$(run 2>&1); rc=$?
is "$rc" 0 "unchanged rerun exits 0"
like "$out" "unchanged" "rerun reports unchanged"
is "$(gen)" "$G1" "rerun keeps the generation"
check "rerun updates checked_at" test "$(jq -r .checked_at "$M")" != "$C1"
is "$(ls "$W/art/index" | grep -c "^gen-")/$(ls "$W/art/index" | wc -l)" 1/2 "no new generation file (one descriptor, one segment)"
is "$(metric .status)/$(metric .transcripts_unchanged)/$(metric .generation)" "unchanged/$N/$G1" "metrics line says unchanged"

# --- edit one file
check "the text to be replaced is indexed before the edit" test "$(fts_count "buckling")" -ge 1
sed -i 's/buckling/cockling/' "$W/corpus/talks/watercolor-basics.txt"
echo "Pieter: One more thing about propolis and wax moths." >>"$W/corpus/talks/watercolor-basics.txt"
run -q; rc=$?
is "$rc" 0 "run after an edit exits 0"
is "$(metric .transcripts_processed)/$(metric .transcripts_unchanged)" "1/$((N - 1))" "only the edited file is processed"
check "a new generation is published" test "$(gen)" != "$G1"
is "$(fts_count "propolis")" 1 "the edit is searchable"
is "$(fts_count "buckling")" 0 "the replaced text of the edited file is no longer indexed"
check "the incrementally built full-text indexes pass their integrity check" \
  bash -c 'for s in "$@"; do sqlite3 "$s" "insert into chunks_fts(chunks_fts, rank) values('"'integrity-check'"', 1)" || exit 1; done' _ $(gen_segments "$W/art/index/$(gen)")
# --- touch one file (same content): re-processed, its embeddings reused
touch "$W/corpus/podcasts/ep12-sourdough.vtt"
run -q
is "$(metric .transcripts_processed)/$(metric .chunks_embedded)" "1/0" "a touched file is re-processed without re-embedding"
# --- delete one file
before=$(jq .chunks "$M")
del_chunks=$(chunks_in "select chunk_count from documents where path='talks/volcanoes-iceland.vtt'")
rm "$W/corpus/talks/volcanoes-iceland.vtt"
run -q
is "$(metric .transcripts_deleted)" 1 "metrics count the deleted file"
is "$(chunks_in "select count(*) from documents where path like '%volcanoes%'")" 0 "the deleted document is gone"
is "$(jq .chunks "$M")" "$((before - del_chunks))" "its chunks are gone"
is "$(fts_count "Grindavik OR Svartsengi")" 0 "its full-text rows are gone"
is "$(fts_count "sourdough")" "$(chunks_in "select count(*) from chunks where text like '%sourdough%'")" "full-text search agrees with the chunk table after incremental runs"
is "$(ls "$W/art/index" | grep -c '^gen-')" 2 "retention keeps keep_generations=2 generations"
named=$(for g in "$W"/art/index/gen-*; do gen_segments "$g"; done | xargs -n1 basename | sort -u)
is "$(ls "$W/art/index" | grep '^seg-' | sort | tr '\n' ' ')" "$(echo "$named" | tr '\n' ' ')" "retention keeps exactly the segments the kept generations name"
check "retention kept the generation the manifest names" test -f "$W/art/index/$(gen)"
# --- config change rebuilds everything
conf 128
run -q
is "$(metric .transcripts_processed)/$(metric .full)" "$((N - 1))/true" "editing chunking.target_tokens rebuilds everything"
like "$(metric .full_reason)" "chunking.target_tokens: 64 -> 128" "the rebuild names the changed key"

# --- a full rebuild counts the files gone since the last generation too
echo "Speaker: a short-lived note about tides." >"$W/corpus/gone-soon.txt"
run -q
is "$(metric .transcripts_processed)/$(chunks_in "select count(*) from documents where path='gone-soon.txt'")" "1/1" "a new file is indexed"
rm "$W/corpus/gone-soon.txt"
run -q --full
is "$(metric .full)/$(metric .full_reason)/$(metric .transcripts_processed)" "true/--full/$((N - 1))" "--full rebuilds everything"
is "$(metric .transcripts_deleted)/$(chunks_in "select count(*) from documents where path='gone-soon.txt'")" "1/0" "--full counts the deleted file it dropped"

# --- dry run writes nothing
lines=$(wc -l <"$W/art/logs/ingestion_metrics.jsonl")
echo "new text" >"$W/corpus/new.txt"
out=$(run --dry-run 2>&1)
like "$out" "process new.txt" "dry run lists the file it would process"
is "$(wc -l <"$W/art/logs/ingestion_metrics.jsonl")" "$lines" "dry run writes no metrics line"

# --- a copied file reuses the embeddings of the document with its content,
# whether few files are processed (the previous documents are scanned for
# its hash) or many (they are sorted by hash once, REUSE_SCAN_MAX_FILES)
cp -p "$W/corpus/podcasts/ep12-sourdough.vtt" "$W/corpus/copy-few.vtt"
run -q
is "$(metric .transcripts_processed)/$(metric .chunks_reused)/$(metric .chunks_embedded)" \
  "2/$(chunks_in "select chunk_count from documents where path='copy-few.vtt'")/$(chunks_in "select chunk_count from documents where path='new.txt'")" \
  "few files processed: a copy's embeddings are reused, only the new file is embedded"
mkdir -p "$W/corpus/many"
for i in $(seq 1 70); do echo "Note $i: the quarterly figure is $((i * 37))." >"$W/corpus/many/n$i.txt"; done
cp -p "$W/corpus/talks/watercolor-basics.txt" "$W/corpus/copy-many.txt"
run -q
is "$(metric .transcripts_processed)/$(metric .chunks_reused)/$(metric .chunks_embedded)" \
  "71/$(chunks_in "select chunk_count from documents where path='copy-many.txt'")/$(chunks_in "select count(*) from chunks c join documents d on d.id = c.doc_id where d.path like 'many/%'")" \
  "many files processed: a copy's embeddings are reused, only the new files are embedded"
rm -r "$W/corpus/many" "$W/corpus/copy-few.vtt" "$W/corpus/copy-many.txt"

# --- bad transcripts
B=$W/corpus/bad
mkdir -p "$B"
printf 'caf\xe9\n' >"$B/latin1.txt"
head -c 3000 /dev/urandom >"$B/binary.txt"; printf '\0' >>"$B/binary.txt"
: >"$B/empty.txt"
printf 'WEBVTT\n\n00:00:01.000 --> 00:00:0' >"$B/trunc.vtt"
printf '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:0' >"$B/trunc.srt"
printf '{"segments": [{"text": "x"}, ' >"$B/bad.json"
python3 -c 'import sys; sys.stdout.write("word" * (50*1024*1024//4))' >"$B/huge.txt"
conf 128 0.5
out=$(run 2>&1); rc=$?
is "$rc" 0 "bad files below max_error_ratio: run succeeds"
is "$(metric .transcripts_failed)/$(metric .failed_by_class.content)" 6/6 "six bad files counted as failed (content)"
fails=$(jq -c 'select(.event=="file_failed") | .payload' "$W/art/logs/ingest.jsonl" | tail -n 6)
like "$fails" '"path":"bad/trunc.vtt","line":3' "truncated VTT (no valid cue) reported with path and line"
warns=$(jq -c 'select(.event=="file_warning") | .payload' "$W/art/logs/ingest.jsonl")
like "$warns" '"path":"bad/trunc.srt","line":6,"warning":"bad/trunc.srt:6: cue skipped: no valid timing line' "truncated SRT: the cut cue is a file_warning naming its line"
is "$(chunks_in "select count(*) from documents where path='bad/trunc.srt'")" 1 "truncated SRT: its valid cue is indexed"
like "$fails" '"path":"bad/latin1.txt","line":1.*invalid UTF-8' "invalid UTF-8 reported with path and line"
like "$fails" '"path":"bad/huge.txt".*over ingest.max_file_size' "50 MB single line is refused by the size cap"
conf 128 0.1
G=$(gen)
touch "$B"/*
run -q; rc=$?
is "$rc/$(gen)/$(metric .status)" "1/$G/failed" "over max_error_ratio: exit 1, manifest untouched, failed metrics line"

# --- command line
"$ING" --bogus >/dev/null 2>&1; is "$?" 2 "an unknown option exits 2"
printf 'schema_version: 1\nchunking:\n  target_tokens: many\n' >"$W/bad.yaml"
out=$("$ING" --config "$W/bad.yaml" 2>&1); rc=$?
is "$rc" 78 "an invalid config exits 78"
like "$out" "bad.yaml:3:[0-9]+: chunking.target_tokens" "the config problem names file, line and key"
like "$("$ING" --version)" "^rag-ingest [0-9]+\.[0-9]+\.[0-9]+$" "--version prints the version"

exit $_tap_failed
