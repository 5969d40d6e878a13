#!/usr/bin/env bash
# test_api_ann.sh — the approximate vector index end to end: rag-ingest
# builds it only when the generation reaches embedding.ann_min_chunks,
# rag-api hot-reloads a generation that has it (and one that has not) and
# answers vector and hybrid queries with the same chunks and scores as exact
# search on the same corpus (on a corpus this small the graph search sees
# every chunk, and candidates are rescored exactly).
# The embedder is the openai provider against the stand-in server
# (tests/helpers/fake_embed_server.py: dense vectors): the index is built
# only for embedders with dense query vectors, and a hashing one gets none.
. "$(dirname "$0")/api_lib.sh"
plan 10
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
gen_path() { echo "$STACK/artifacts/index/$(jq -r .generation "$MANIFEST")"; }
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
is "$(sqlite3 "$(gen_path)" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'vector_index%'")" "0" \
   "below embedding.ann_min_chunks ($CHUNKS chunks) the generation has no vector index"
if ! api_start; then not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; fi
answers >"$STACK/exact"
is "$(reload_kind "$GEN_A")" "exact" "rag-api serves it with exact vector search"
is "$(grep -c '^\[\[' "$STACK/exact")" "6" "every query has vector and hybrid results"

set_min "$CHUNKS" # exactly at the threshold: built
api_ingest --full
GEN_B=$(jq -r .generation "$MANIFEST")
is "$(sqlite3 "$(gen_path)" "SELECT kind || ' ' || vectors FROM vector_index")" "hnsw-int8 $CHUNKS" \
   "at the threshold rag-ingest builds the index over every chunk"
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

# the hashing embedder: no index even far above the threshold (sparse queries)
sed -i -e "s|^  provider: .*|  provider: hashing|" -e "s|^  dimensions: .*|  dimensions: 384|" "$CONFIG"
set_min 1
api_ingest
is "$(sqlite3 "$(gen_path)" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'vector_index%'")" "0" \
   "with the hashing embedder (sparse query vectors) no index is built, whatever the threshold"
done_testing
