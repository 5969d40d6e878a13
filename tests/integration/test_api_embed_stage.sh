#!/usr/bin/env bash
# test_api_embed_stage.sh — rag-api's query-embedding stage (src/api/embedq.h)
# over real HTTP against tests/helpers/fake_embed_server.py: a slow embedding
# provider holds no query worker (a bm25 query answers while hybrid ones
# wait for their vectors); queries waiting while every stage request is out
# go to the provider together, in one request, and get exactly the answers
# they get one at a time; a batch the provider refuses for one text is asked
# for again text by text, so only that query fails (500 naming the refusal)
# and the others answer; /metrics counts the requests and texts by outcome.
. "$(dirname "$0")/api_lib.sh"
plan 14
api_stack_new

api_stop() { kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null; }
metric() { curl -s "$ADMIN_URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
# fake_server NAME ARGS...: a provider in the background; its port in $STACK/NAME.port
fake_server() {
  local name=$1; shift
  python3 "$ROOT/tests/helpers/fake_embed_server.py" --port-file "$STACK/$name.port" --log "$STACK/$name.log" --dims 16 "$@" &
  track_pid $!
  for _ in $(seq 200); do [ -s "$STACK/$name.port" ] && break; sleep 0.05; done
}
use_server() { sed -i "s|^  url: .*|  url: http://127.0.0.1:$(cat "$STACK/$1.port")/v1/embeddings|" "$CONFIG"; }
# wait_lines FILE N [SECONDS]: until FILE has at least N lines
wait_lines() {
  local i
  for i in $(seq 1 $((${3:-20} * 20))); do
    [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
# the chunk ids of a hybrid query's answer, or its status and error
answer() { jq -r 'if .results then [.results[].chunk_id] | join(",") else .error.message end' "$1"; }
CURLS=()
launch() { # launch FILE TEXT: a hybrid query in the background, its body to FILE
  curl -s --max-time 60 -o "$1" -H 'Content-Type: application/json' \
    -d "{\"q\":\"$2\",\"k\":3,\"mode\":\"hybrid\"}" "$URL/query" &
  CURLS+=($!)
}
wait_queries() { wait "${CURLS[@]}"; CURLS=(); }
# occupy N: one hybrid query after another until the provider has N requests
# (each stage thread holds one), their bodies to PREFIX-i.json
occupy() {
  local arrivals=$1 prefix=$2 i
  for i in 0 1 2 3; do
    launch "$prefix-$i.json" "${texts[$i]}"
    wait_lines "$arrivals" $((i + 1)) || not_ok "request $((i + 1)) reaches the provider" "$(cat "$arrivals")"
  done
}

fake_server ok --mode ok
sed -i -e 's|^  provider: .*|  provider: openai|' -e 's|^  dimensions: .*|  dimensions: 16|' \
    -e 's|^  api_key_env: .*|  api_key_env: ""|' -e 's|^  threads: .*|  threads: 2|' "$CONFIG"
use_server ok
api_ingest || not_ok "rag-ingest indexes with the openai provider"
texts=("mercury lamp" "lighthouse keeper" "harbor storm" "radio signal" "night shift" "the old lens"
       "fog horn" "ship wreck" "island supply" "keeper logbook" "winter light" "coast guard")
# ---- answers one query at a time (each text alone in its request)
if api_start && api_wait_for .index.config_hash "$(jq -r .config_hash "$MANIFEST")" 10; then ok "rag-api serves the openai generation"
else not_ok "rag-api serves the openai generation" "$(cat "$STACK/api.stderr")"; fi
: >"$STACK/ok.log"
for i in "${!texts[@]}"; do
  curl -s --max-time 10 -o "$STACK/alone-$i.json" -H 'Content-Type: application/json' \
    -d "{\"q\":\"${texts[$i]}\",\"k\":3,\"mode\":\"hybrid\"}" "$URL/query"
done
is "$(jq -s '[.[] | select(.results | length > 0)] | length' "$STACK"/alone-*.json) $(jq -rs 'map(.inputs) | unique | map(tostring) | join(",")' "$STACK/ok.log")" \
  "12 1" "12 hybrid queries one after another: each answered, each text alone in its request"
api_stop

# ---- a slow provider (5 s a request): bm25 queries do not wait for it
fake_server slow --mode slow --delay 5 --arrivals "$STACK/slow.arrivals"
use_server slow
if api_start && api_wait_for .status pass 10; then ok "rag-api restarts against a slow provider"
else not_ok "rag-api restarts against a slow provider" "$(cat "$STACK/api.stderr")"; fi
for i in 0 1 2 3 4 5; do launch "$STACK/wait-$i.json" "${texts[$i]}"; done
wait_lines "$STACK/slow.arrivals" 1 || not_ok "the slow provider got a request" "$(cat "$STACK/api.stderr")"
out=$(post_query '{"q":"mercury lamp","k":3,"mode":"bm25"}')
still=$(for i in 0 1 2 3 4 5; do [ -s "$STACK/wait-$i.json" ] || echo w; done | wc -l)
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r .mode) $still" "200 bm25 6" \
  "a bm25 query answers while 6 hybrid queries wait 5 s for their vectors (no worker waits on the provider)"
wait_queries
ans=$(for i in 0 1 2 3 4 5; do [ "$(answer "$STACK/wait-$i.json")" = "$(answer "$STACK/alone-$i.json")" ] && echo same; done | wc -l)
is "$ans" "6" "the 6 hybrid queries then answer, as they did alone"
api_stop

# ---- batching: texts that wait while every stage request is out go together
fake_server slow2 --mode slow --delay 3 --arrivals "$STACK/slow2.arrivals"
use_server slow2
if api_start && api_wait_for .status pass 10; then ok "rag-api restarts against a provider taking 3 s a request"
else not_ok "rag-api restarts against a provider taking 3 s a request" "$(cat "$STACK/api.stderr")"; fi
# the stage's API_EMBEDQ_REQUESTS (4) requests are out: the next 8 wait
occupy "$STACK/slow2.arrivals" "$STACK/first"
for i in 4 5 6 7 8 9 10 11; do launch "$STACK/batch-$i.json" "${texts[$i]}"; done
wait_queries
same=$(for i in 0 1 2 3; do [ "$(answer "$STACK/first-$i.json")" = "$(answer "$STACK/alone-$i.json")" ] && echo same; done
       for i in 4 5 6 7 8 9 10 11; do [ "$(answer "$STACK/batch-$i.json")" = "$(answer "$STACK/alone-$i.json")" ] && echo same; done)
is "$(wc -l <<<"$same")" "12" "12 hybrid queries at once: every answer is the one it gets alone"
is "$(jq -s '[.[] | select(.inputs > 1)] | map(.inputs) | add' "$STACK/slow2.log") $(wc -l <"$STACK/slow2.log")" "8 5" \
  "the 8 that waited went in one request: 5 requests for 12 texts"
is "$(metric 'rag_api_query_embed_requests_total{outcome="ok"}') $(metric 'rag_api_query_embed_texts_total{outcome="ok"}') $(metric 'rag_api_query_embed_requests_total{outcome="failed"}')" \
  "5 12 0" "/metrics: 5 provider requests carried the 12 query texts, none failed"
api_stop

# ---- a refused text fails alone
fake_server refuse --mode slow --delay 3 --refuse POISON --arrivals "$STACK/refuse.arrivals"
use_server refuse
if api_start && api_wait_for .status pass 10; then ok "rag-api restarts against a provider that refuses one text"
else not_ok "rag-api restarts against a provider that refuses one text" "$(cat "$STACK/api.stderr")"; fi
occupy "$STACK/refuse.arrivals" "$STACK/hold"
launch "$STACK/poison.json" "POISON pill"
for i in 4 5 6; do launch "$STACK/mixed-$i.json" "${texts[$i]}"; done
wait_queries
ans=$(for i in 4 5 6; do [ "$(answer "$STACK/mixed-$i.json")" = "$(answer "$STACK/alone-$i.json")" ] && echo same; done | wc -l)
is "$ans" "3" "the 3 queries batched with the refused text answer as they do alone"
like "$(jq -r '"\(.error.code) \(.error.kind) \(.error.message)"' "$STACK/poison.json")" \
  '^500 query_failed embedding the query failed: embedding server .*: HTTP 400: .*input refused' \
  "the refused query alone fails: 500 query_failed naming the provider's refusal"
is "$(jq -sc '[.[] | select(.status == 400) | .inputs]' "$STACK/refuse.log") $(jq -s '[.[] | select(.status == 200 and .inputs == 1)] | length' "$STACK/refuse.log")" \
  "[4,1] 7" "the provider saw the batch of 4 refused, then each of its texts alone (3 answered, the poisoned one refused again)"
is "$(metric 'rag_api_query_embed_requests_total{outcome="failed"}') $(metric 'rag_api_query_embed_texts_total{outcome="failed"}')" \
  "2 5" "/metrics: the refused batch and the refused text, 5 texts in all, counted as failed"
api_stop
done_testing
