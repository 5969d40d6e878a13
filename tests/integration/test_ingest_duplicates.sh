#!/usr/bin/env bash
# test_ingest_duplicates.sh — transcripts with identical bytes at different
# paths: both are indexed with their own chunks (chunk ids include the path),
# an unchanged rerun keeps everything, a renamed copy reuses its embeddings,
# and deleting one copy removes only that document's chunks.
. "$(dirname "$0")/lib.sh"
plan 12

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W/corpus"
cat >"$W/params.yaml" <<YAML
schema_version: 1
paths:
  transcripts: corpus
  artifacts: art
chunking:
  target_tokens: 32
  overlap_tokens: 4
YAML
text="Ada: The harbour lights were repaired on Tuesday. Ben: The ferry schedule changes next week because of the storm season. Ada: We keep the spare lamps in the north shed."
for f in a b; do printf '%s\n%s\n' "$text" "$text" >"$W/corpus/$f.txt"; done
run() { "$ING" --config "$W/params.yaml" "$@"; }
M=$W/art/checkpoints/latest.json
metric() { tail -n 1 "$W/art/logs/ingestion_metrics.jsonl" | jq -r "$1"; }
q() { gen_sql "$W/art/index/$(jq -r .generation "$M")" "$1"; }

out=$(run 2>&1); rc=$?
is "$rc" 0 "two files with identical bytes: the run exits 0"
[ "$rc" = 0 ] || diag "$out"
is "$(q "select group_concat(path) from (select path from documents order by path)")" "a.txt,b.txt" "both documents are in the index"
na=$(q "select chunk_count from documents where path='a.txt'")
check "each copy has chunks" test "$na" -ge 2
is "$(q "select count(*) from chunks c join documents d on d.id=c.doc_id where d.path='b.txt'")" "$na" "both copies have the same number of chunks, each its own rows"
is "$(q "select count(distinct chunk_id) from chunks")" "$((2 * na))" "chunk ids are distinct across the copies"
is "$(q "select count(*) from embeddings")" "$((2 * na))" "every chunk of both copies has an embedding"

out=$(run 2>&1); rc=$?
is "$rc/$(metric .status)/$(metric .transcripts_unchanged)" "0/unchanged/2" "an unchanged rerun keeps both copies"

mv "$W/corpus/b.txt" "$W/corpus/c.txt"
run -q; rc=$?
is "$rc/$(metric .transcripts_processed)/$(metric .chunks_embedded)/$(metric .chunks_reused)" "0/1/0/$na" \
  "a renamed copy is re-processed and reuses the embeddings of its content"
is "$(q "select group_concat(path) from (select path from documents order by path)")" "a.txt,c.txt" "the renamed copy replaces the old path"

ids_a=$(q "select group_concat(chunk_id) from (select chunk_id from chunks c join documents d on d.id=c.doc_id where d.path='a.txt' order by ordinal)")
rm "$W/corpus/c.txt"
run -q; rc=$?
is "$rc/$(metric .transcripts_deleted)" "0/1" "deleting one copy: run exits 0 and counts one deletion"
is "$(q "select group_concat(path) from documents")/$(q "select count(*) from chunks")" "a.txt/$na" "only the deleted copy's chunks are removed"
is "$(q "select group_concat(chunk_id) from (select chunk_id from chunks order by ordinal)")" "$ids_a" "the remaining copy keeps its chunk ids"

exit $_tap_failed
