#!/usr/bin/env bash
# test_api_ranking.sh — how rag-api ranks, over real HTTP on real indexes:
# the default mode follows the embedder the generation was built with
# (api.default_mode: auto -> bm25 for hashing, hybrid for an OpenAI-compatible
# model, here tests/helpers/fake_embed_server.py), an explicit
# api.default_mode wins, the response and --print-settings say which mode
# a request without one gets, and group "document" returns the best chunk
# of each document — fetching past the first candidates when one long
# transcript fills them — by POST and GET, with 400s naming the field.
. "$(dirname "$0")/api_lib.sh"
plan 25
api_stack_new

api_stop() { kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null; }
settings() { "$BIN/rag-api" --config "$CONFIG" --print-settings | sed -n "s/^$1=//p"; }

# A long transcript whose 60+ chunks all say "zebra" twice, and two short
# ones that say it once: the top 50 BM25 candidates are all the long one's.
mkdir -p "$TX/zoo"
python3 - "$TX/zoo" <<'PY'
import sys
words = "river stone cloud maple harbor lantern copper meadow signal orchard".split()
def para(seed, n=180):
    return " ".join(words[(seed * 7 + i * 3) % len(words)] + str((seed + i) % 13) for i in range(n))
with open(sys.argv[1] + "/long-zebra-survey.txt", "w") as f:
    for p in range(70):
        f.write("The zebra count, part %d: zebra herds. %s\n\n" % (p, para(p)))
for name, seed in (("short-a.txt", 101), ("short-b.txt", 202)):
    with open(sys.argv[1] + "/" + name, "w") as f:
        f.write("A note on one zebra seen today. %s\n" % para(seed, 120))
PY

# ---- hashing embedder: auto -> bm25
is "$(settings default_mode) $(settings default_mode_setting) $(settings hybrid_vector_weight)" "bm25 auto 1" \
  "--print-settings: the hashing embedder's default mode is bm25 (auto), vector weight 1"
api_ingest || not_ok "rag-ingest indexes the corpus"
if api_start && api_wait_for .status pass 10; then ok "rag-api serves the hashing generation"
else not_ok "rag-api serves the hashing generation" "$(cat "$STACK/api.stderr")"; fi
out=$(post_query '{"q":"The lamp turned on a bath of mercury","k":3}')
body=$(head -n1 <<<"$out")
is "$(tail -n1 <<<"$out") $(jq -r '[.mode, .group, .results[0].source, (.results[0].vector_rank == null)] | map(tostring) | join(" ")' <<<"$body")" \
  "200 bm25 chunk archive/2025/interview-lighthouse-keeper.srt true" \
  "no mode over hashing vectors: the response says bm25, and only the BM25 list ranked it"
explicit=$(post_query '{"q":"The lamp turned on a bath of mercury","k":3,"mode":"bm25"}' | head -n1)
is "$(jq -c '[.results[].chunk_id]' <<<"$body")" "$(jq -c '[.results[].chunk_id]' <<<"$explicit")" \
  "the default's results are exactly mode bm25's"
is "$(curl -s "$URL/query?q=mercury+lamp&k=2" | jq -r .mode)" "bm25" "GET without mode: bm25 too"
is "$(post_query '{"q":"mercury lamp","mode":"hybrid"}' | head -n1 | jq -r .mode)" "hybrid" "an explicit mode is kept"

# ---- group: document
chunks=$(gen_sql "$STACK/artifacts/index/$(jq -r .generation "$MANIFEST")" \
  "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = 'zoo/long-zebra-survey.txt'")
if [ "$chunks" -gt 50 ]; then ok "the long transcript has more chunks ($chunks) than the 50 candidates a list holds"
else not_ok "the long transcript has more chunks ($chunks) than the 50 candidates a list holds"; fi
out=$(post_query '{"q":"zebra","k":50,"mode":"bm25"}')
is "$(head -n1 <<<"$out" | jq -r '"\(.count) " + ([.results[].source] | unique | join(","))')" "50 zoo/long-zebra-survey.txt" \
  "without grouping the long transcript fills all 50 first places"
for mode in bm25 hybrid; do
  out=$(post_query "{\"q\":\"zebra\",\"k\":3,\"mode\":\"$mode\",\"group\":\"document\"}")
  body=$(head -n1 <<<"$out")
  is "$(tail -n1 <<<"$out") $(jq -r '[.group, .count, .results[0].source, ([.results[].source] | sort | join(","))] | map(tostring) | join(" ")' <<<"$body")" \
    "200 document 3 zoo/long-zebra-survey.txt zoo/long-zebra-survey.txt,zoo/short-a.txt,zoo/short-b.txt" \
    "mode $mode, group document: the 3 documents, best first, found past the first 50 candidates"
  is "$(jq -r '[.results[].rank] | join(" ")' <<<"$body")" "1 2 3" "mode $mode, group document: ranks run 1..k"
done
first=$(post_query '{"q":"zebra","k":1,"mode":"bm25"}' | head -n1 | jq -r '.results[0].chunk_id')
is "$(post_query '{"q":"zebra","k":1,"mode":"bm25","group":"document"}' | head -n1 | jq -r '.results[0].chunk_id')" "$first" \
  "a document's result is its best-ranked chunk"
body=$(curl -s "$URL/query?q=zebra&k=10&group=document")
is "$(jq -r '[.mode, .group, .count, ([.results[].source] | unique | length)] | map(tostring) | join(" ")' <<<"$body")" \
  "bm25 document 3 3" "GET ...&group=document: fewer documents than k match, each comes back once"
out=$(post_query '{"q":"zebra","group":"chunk"}')
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r .group)" "200 chunk" "group chunk is the default, accepted when named"
out=$(post_query '{"q":"zebra","group":"documents"}')
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r .error.message)" \
  '400 field "group" must be "chunk" or "document"' "an unknown group is a 400 naming the field"
out=$(post_query '{"q":"zebra","group":true}')
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r '.error.message | test("\"group\"")')" "400 true" "a non-string group is a 400 naming the field"
code=$(curl -s -o "$STACK/e.json" -w '%{http_code}' "$URL/query?q=zebra&group=page")
is "$code $(jq -r .error.message "$STACK/e.json")" '400 argument "group" must be chunk or document' \
  "GET with an unknown group: 400 naming the argument"
api_stop

# ---- an explicit api.default_mode wins over auto
sed -i -e 's|^  default_mode: .*|  default_mode: hybrid|' -e 's|^  hybrid_vector_weight: .*|  hybrid_vector_weight: 0.25|' "$CONFIG"
is "$(settings default_mode) $(settings default_mode_setting) $(settings hybrid_vector_weight)" "hybrid hybrid 0.25" \
  "--print-settings: api.default_mode hybrid and the weight as configured"
if api_start && api_wait_for .status pass 10; then ok "rag-api restarts with api.default_mode: hybrid"
else not_ok "rag-api restarts with api.default_mode: hybrid" "$(cat "$STACK/api.stderr")"; fi
body=$(post_query '{"q":"The lamp turned on a bath of mercury","k":1}' | head -n1)
is "$(jq -r '[.mode, .results[0].source, (.results[0].bm25_rank != null and .results[0].vector_rank != null)] | map(tostring) | join(" ")' <<<"$body")" \
  "hybrid archive/2025/interview-lighthouse-keeper.srt true" "no mode with api.default_mode hybrid: fused from both lists"
api_stop
sed -i -e 's|^  default_mode: .*|  default_mode: auto|' -e 's|^  hybrid_vector_weight: .*|  hybrid_vector_weight: 1.0|' "$CONFIG"
sed -i -e 's|^  default_mode: .*|  default_mode: semantic|' "$CONFIG"
out=$("$BIN/rag-api" --config "$CONFIG" --print-settings 2>&1); rc=$?
like "$rc $out" '^78 .*api.default_mode: must be auto, bm25, hybrid or vector, got "semantic"' \
  "an unknown api.default_mode is a config error (exit 78) naming file, line and key"
sed -i -e 's|^  default_mode: .*|  default_mode: auto|' "$CONFIG"

# ---- an OpenAI-compatible embedder: auto -> hybrid
python3 "$ROOT/tests/helpers/fake_embed_server.py" --port-file "$STACK/embed.port" --log "$STACK/embed.log" --mode ok --dims 16 &
track_pid $!
for _ in $(seq 100); do [ -s "$STACK/embed.port" ] && break; sleep 0.05; done
sed -i -e 's|^  provider: .*|  provider: openai|' -e 's|^  dimensions: .*|  dimensions: 16|' \
    -e "s|^  url: .*|  url: http://127.0.0.1:$(cat "$STACK/embed.port")/v1/embeddings|" \
    -e 's|^  api_key_env: .*|  api_key_env: FAKE_EMBED_KEY|' "$CONFIG"
export FAKE_EMBED_KEY=test-key
is "$(settings default_mode) $(settings default_mode_setting)" "hybrid auto" \
  "--print-settings: an embedding model's default mode is hybrid (auto)"
api_ingest || not_ok "rag-ingest indexes with the openai provider"
if api_start && api_wait_for .index.config_hash "$(jq -r .config_hash "$MANIFEST")" 10; then ok "rag-api serves the openai generation"
else not_ok "rag-api serves the openai generation" "$(cat "$STACK/api.stderr")"; fi
body=$(post_query '{"q":"The lamp turned on a bath of mercury","k":3}' | head -n1)
is "$(jq -r '[.mode, (.results | length), ([.results[] | select(.vector_rank != null)] | length > 0)] | map(tostring) | join(" ")' <<<"$body")" \
  "hybrid 3 true" "no mode over an embedding model's vectors: hybrid, with the vector list fused in"
api_stop
done_testing
