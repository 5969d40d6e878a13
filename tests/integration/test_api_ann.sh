#!/usr/bin/env bash
# test_api_ann.sh — the approximate vector index end to end: rag-ingest
# builds it per segment, only for a segment that reaches
# embedding.ann_min_chunks (a run's new segment and every merged one),
# rag-api hot-reloads a generation whose segments have it (all, some, none)
# and answers vector and hybrid queries with the same chunks and scores as
# exact search on the same corpus (on a corpus this small the graph search
# sees every chunk, and candidates are rescored exactly), tombstoned chunks
# of an indexed segment never among them.
# The embedder is the openai provider against the stand-in server
# (tests/helpers/fake_embed_server.py: dense vectors): the index is built
# only for embedders with dense query vectors, and a hashing one gets none.
. "$(dirname "$0")/api_lib.sh"
plan 21
api_stack_new
python3 "$ROOT/tests/helpers/fake_embed_server.py" --port-file "$STACK/embed.port" --log "$STACK/embed.log" \
  --mode ok --dims 32 &
track_pid $!
for _ in $(seq 100); do [ -s "$STACK/embed.port" ] && break; sleep 0.05; done
export FAKE_EMBED_KEY=test-key
sed -i -e "s|^  provider: .*|  provider: openai|" -e "s|^  dimensions: .*|  dimensions: 32|" \
       -e "s|^  model: .*|  model: fake-embed-1|" -e "s|^  api_key_env: .*|  api_key_env: FAKE_EMBED_KEY|" \
       -e "s|^  url: .*|  url: http://127.0.0.1:$(cat "$STACK/embed.port")/v1/embeddings|" "$CONFIG"
LOG="$STACK/artifacts/logs"
set_min() { sed -i "s|^  ann_min_chunks: .*|  ann_min_chunks: $1|" "$CONFIG"; }
IDX="$STACK/artifacts/index"
gen_path() { echo "$IDX/$(jq -r .generation "$MANIFEST")"; }
seg_files() { sqlite3 "$(gen_path)" "SELECT file FROM segments ORDER BY ord"; }
# each segment of the served generation: "<chunks>/<vectors in its index, - without>"
seg_report() {
  local f out=()
  for f in $(seg_files); do
    if [ "$(sqlite3 "$IDX/$f" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'vector_index%'")" = 2 ]; then
      out+=("$(sqlite3 "$IDX/$f" "SELECT (SELECT count(*) FROM chunks) || '/' || vectors FROM vector_index")")
    else
      out+=("$(sqlite3 "$IDX/$f" "SELECT count(*) FROM chunks")/-")
    fi
  done
  echo "${out[*]}"
}
# the vector gauges of /metrics, one line: segments graph/exact, chunks graph/exact, tombstoned, bytes > 0
vector_metrics() {
  curl -s --max-time 5 "$ADMIN_URL/metrics" | awk '
    /^rag_api_vector_segments\{search="graph"\}/ { sg = $2 } /^rag_api_vector_segments\{search="exact"\}/ { se = $2 }
    /^rag_api_vector_chunks\{search="graph"\}/ { cg = $2 }   /^rag_api_vector_chunks\{search="exact"\}/ { ce = $2 }
    /^rag_api_vector_graph_tombstoned / { t = $2 } /^rag_api_vector_graph_bytes / { b = ($2 > 0) }
    END { print "segments " sg "/" se " chunks " cg "/" ce " tombstoned " t " bytes>0 " b }'
}
# the "reload" event rag-api logged for generation $1: its vector_search
reload_kind() { jq -r --arg g "$1" 'select(.event == "reload" and .payload.generation == $g) | .payload.vector_search' "$LOG/api.jsonl" 2>/dev/null | tail -n1; }
answers() { # -> one line per query and mode: chunk ids with scores
  local q mode
  for q in "basalt lava lighthouse" "budget meeting decisions" "podcast episode guest"; do
    for mode in vector hybrid; do
      post_query "$(jq -cn --arg q "$q" --arg m "$mode" '{q: $q, k: 5, mode: $m}')" |
        head -n1 | jq -c '[.results[] | [.chunk_id, .score]]'
    done
  done
}

set_min 1000000 # far above the sample corpus: exact search
api_ingest
GEN_A=$(jq -r .generation "$MANIFEST")
CHUNKS=$(jq -r .chunks "$MANIFEST")
is "$(seg_report)" "$CHUNKS/-" \
   "below embedding.ann_min_chunks ($CHUNKS chunks) the generation's segment has no vector index"
if ! api_start; then not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; fi
answers >"$STACK/exact"
is "$(reload_kind "$GEN_A")" "exact" "rag-api serves it with exact vector search"
is "$(grep -c '^\[\[' "$STACK/exact")" "6" "every query has vector and hybrid results"
is "$(vector_metrics)" "segments 0/1 chunks 0/$CHUNKS tombstoned 0 bytes>0 0" \
   "/metrics: every chunk searched by the exact scan, no graph"

# SIGTERM while rag-ingest builds the graph: the run stops at once (the
# test pause at the start of the build is 10 s; a signal ends it and the
# build checks the stop flag before every vector), exits 1 like any
# interrupted run, leaves no temporary and the served generation as it was
set_min 1
RAG_INGEST_TEST_VINDEX_DELAY_MS=10000 "$BIN/rag-ingest" --config "$CONFIG" --quiet --full 2>"$STACK/term.err" &
pid=$!
for _ in $(seq 400); do
  grep -q '"vector_index_building"' "$LOG/ingest.jsonl" 2>/dev/null && break
  sleep 0.05
done
t0=$(date +%s%N)
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$rc/$(jq -r .generation "$MANIFEST")/$(find "$IDX" -name '*.tmp' | wc -l)" "1/$GEN_A/0" \
   "SIGTERM during the graph build: exit 1, the last good generation stays published, no temporary left"
if [ "$ms" -lt 8000 ] && grep -q 'interrupted by a signal' "$STACK/term.err"; then
  ok "it stops promptly (${ms} ms after the signal, not after the 10 s pause) and says why"
else
  not_ok "it stops promptly and says why" "${ms} ms; stderr: $(cat "$STACK/term.err")"
fi

set_min "$CHUNKS" # exactly at the threshold: built
api_ingest --full
GEN_B=$(jq -r .generation "$MANIFEST")
is "$(seg_report) $(sqlite3 "$IDX/$(seg_files)" "SELECT kind FROM vector_index")" "$CHUNKS/$CHUNKS hnsw-int8" \
   "at the threshold rag-ingest builds the segment's index over every chunk"
is "$(jq -r 'select(.event == "vector_index") | .payload.built' "$LOG/ingest.jsonl" | tail -n1)" "true" "and logs it"
api_wait_for .index.generation "$GEN_B" 20 || true
is "$(reload_kind "$GEN_B")" "hnsw-int8" "rag-api hot-reloads the generation with its vector index"
answers >"$STACK/approx"
is "$(diff "$STACK/exact" "$STACK/approx" && echo same)" "same" "approximate search answers with exact search's chunks and scores"

set_min 0 # off: the next generation has none again, and is served exactly
api_ingest --full
GEN_C=$(jq -r .generation "$MANIFEST")
api_wait_for .index.generation "$GEN_C" 20 || true
is "$(reload_kind "$GEN_C")" "exact" "a generation without the vector index is hot-reloaded with exact search"
answers >"$STACK/exact2"
is "$(diff "$STACK/exact" "$STACK/exact2" && echo same)" "same" "with the same answers"

# segments: an indexed segment, then a run that tombstones one of its
# documents and adds a small segment below the threshold (no index: the
# threshold applies per segment); answers = exact search on the same corpus
set_min "$CHUNKS"
api_ingest --full
GEN_D=$(jq -r .generation "$MANIFEST")
api_wait_for .index.generation "$GEN_D" 20 || true
OLD=$(sqlite3 "$IDX/$(seg_files)" "SELECT c.chunk_id FROM chunks c JOIN documents d ON d.id = c.doc_id
  WHERE d.path = 'talks/volcanoes-iceland.vtt'")
answers >"$STACK/before"
hits_old() { local id n=0; for id in $OLD; do grep -q "\"$id\"" "$1" && n=$((n + 1)); done; echo "$n"; }
rm "$TX/talks/volcanoes-iceland.vtt"
cat >"$TX/talks/geology-obsidian.txt" <<'TXT'
Obsidian forms when basalt lava cools too fast for crystals to grow, near the old lighthouse.
TXT
api_ingest
GEN_E=$(jq -r .generation "$MANIFEST")
SEG2=$(seg_files | tail -n1)
is "$(seg_report)" "$CHUNKS/$CHUNKS $(sqlite3 "$IDX/$SEG2" "SELECT count(*) FROM chunks")/-" \
   "an incremental run's small segment gets no index; the indexed segment is kept as it is"
api_wait_for .index.generation "$GEN_E" 20 || true
is "$(reload_kind "$GEN_E")" "hnsw-int8+exact" "rag-api serves it with the graph of one segment and the exact scan of the other"
is "$(vector_metrics)" \
   "segments 1/1 chunks $((CHUNKS - $(wc -w <<<"$OLD")))/$(sqlite3 "$IDX/$SEG2" "SELECT count(*) FROM chunks") tombstoned $(wc -w <<<"$OLD") bytes>0 1" \
   "/metrics: the graph's live chunks, the exact segment's chunks, the graph's tombstoned vectors and its memory"
answers >"$STACK/mixed"
is "$([ "$(hits_old "$STACK/before")" -gt 0 ] && echo found) $(hits_old "$STACK/mixed")" "found 0" \
   "chunks of the deleted transcript (tombstoned in the indexed segment) were answers before, never after"

# a merge: the merged segment gets its own index (threshold 1: every segment)
set_min 1
echo "Pumice is lava foam that floats on water." >"$TX/talks/geology-pumice.txt"
RAG_INGEST_TEST_MAX_SEGMENTS=2 api_ingest
GEN_F=$(jq -r .generation "$MANIFEST")
MERGED=$(seg_files | grep -c -- "-$(jq -r .run_id "$MANIFEST")-[0-9]*\.sqlite$" || true)
is "$MERGED $(seg_report | tr ' ' '\n' | awk -F/ '$1 != $2' | wc -l)" "1 0" \
   "a merged segment is written and every segment (merged or new) has an index over all its chunks"
api_wait_for .index.generation "$GEN_F" 20 || true
is "$(reload_kind "$GEN_F")" "hnsw-int8" "rag-api serves every segment through its graph"
answers >"$STACK/merged"

# the exact baselines: full builds of the same corpora without an index
set_min 0
api_ingest --full
api_wait_for .index.generation "$(jq -r .generation "$MANIFEST")" 20 || true
answers >"$STACK/exact_merged"
is "$(diff "$STACK/exact_merged" "$STACK/merged" && echo same)" "same" \
   "across merged indexed segments: exact search's chunks and scores"
rm "$TX/talks/geology-pumice.txt"
api_ingest --full
api_wait_for .index.generation "$(jq -r .generation "$MANIFEST")" 20 || true
answers >"$STACK/exact_mixed"
is "$(diff "$STACK/exact_mixed" "$STACK/mixed" && echo same)" "same" \
   "across an indexed segment with tombstones and an exact one: exact search's chunks and scores"

# the hashing embedder: no index even far above the threshold (sparse queries)
sed -i -e "s|^  provider: .*|  provider: hashing|" -e "s|^  dimensions: .*|  dimensions: 384|" "$CONFIG"
set_min 1
api_ingest
is "$(seg_report | grep -c '/[0-9]')" "0" \
   "with the hashing embedder (sparse query vectors) no index is built, whatever the threshold"
done_testing
