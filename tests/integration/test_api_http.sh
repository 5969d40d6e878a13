#!/usr/bin/env bash
# test_api_http.sh — rag-api end to end over real HTTP on the sample corpus
# (data/transcripts, indexed by the real rag-ingest): /healthz moves fail
# (no index) -> pass (fresh) -> warn (manifest older than warn_after) -> pass
# (a no-change run confirms it), reports a config mismatch after a chunking
# edit, a known phrase finds its transcript first in every mode, errors are
# JSON, hostile FTS5 input is harmless, /metrics passes promtool, and a
# generation that fails to open is reported while the old one keeps serving.
. "$(dirname "$0")/api_lib.sh"
plan 41
api_stack_new
if ! api_start; then not_ok "rag-api starts with no index" "$(cat "$STACK/api.stderr")"; done_testing; fi
is "$(jq -r 'select((.level == "warn" or .level == "error") and .event != "access") | .event + ": " + (.msg // "")' "$STACK/artifacts/logs/api.jsonl")" "" \
  "a clean start logs no warning or error (libmicrohttpd accepts its options as given)"
ok "rag-api starts with no index"

code=$(curl -s -o "$STACK/h.json" -w '%{http_code}' "$URL/healthz")
is "$code $(jq -r .status "$STACK/h.json")" "503 fail" "/healthz is fail (503) before any index is published"
like "$(jq -r .checks.index_present.output "$STACK/h.json")" "no index yet" "/healthz says \"no index yet\""
is "$(jq -c '[(.index | has("documents") and has("loaded_at") and has("schema_version")), .index.documents, .index.schema_version, (.checks.manifest.since | type)]' "$STACK/h.json")" \
  '[true,null,null,"string"]' "no index: every index field is there as null, and the missing manifest has its since"
out=$(post_query '{"q":"lighthouse keeper"}')
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r .error.kind)" "503 no_index" "/query before any index: 503 with a JSON error"
# /healthz request totals: everything answered since start; errors = 5xx.
# (The body is re-rendered at most every 250 ms: wait it out around reads.)
sleep 0.4
r1=$(hz '"\(.requests.total) \(.requests.errors)"')
post_query '{"q":"x"}' >/dev/null; curl -s -o /dev/null "$URL/query?q=x"; curl -s -o /dev/null "$URL/nope"
sleep 0.4
r2=$(hz '"\(.requests.total) \(.requests.errors)"')
read -r t1 e1 <<<"$r1"; read -r t2 e2 <<<"$r2"
is "$((t2 - t1)) $((e2 - e1))" "4 3" \
  "/healthz requests: total counts every response, errors only the 5xx (the 503 probe and two 503 queries, not the 404)"

api_ingest || not_ok "rag-ingest indexes the sample corpus"
if api_wait_for .status pass 10; then ok "/healthz turns pass once rag-ingest publishes (no restart)"
else not_ok "/healthz turns pass once rag-ingest publishes (no restart)" "$(curl -s "$URL/healthz")"; fi
is "$(hz '[.index.run_id, .index.generation, .index.chunk_count, .index.config_hash] | map(tostring) | join(" ")')" \
  "$(jq -r '[.run_id, .generation, .chunks, .config_hash] | map(tostring) | join(" ")' "$MANIFEST")" \
  "/healthz shows the served generation's flat fields, as in the manifest"

# A phrase from a known transcript comes back first, in every mode.
for mode in hybrid bm25 vector; do
  out=$(post_query "{\"q\":\"The lamp turned on a bath of mercury\",\"k\":3,\"mode\":\"$mode\"}")
  body=$(head -n1 <<<"$out")
  is "$(tail -n1 <<<"$out") $(jq -r '.results[0].source' <<<"$body") $(jq -r '.results[0].text | test("bath of mercury")' <<<"$body")" \
    "200 archive/2025/interview-lighthouse-keeper.srt true" "mode $mode: a known phrase returns its transcript's chunk first"
done
# (hybrid: only one chunk contains these words, so the default, bm25, has one result)
body=$(curl -s "$URL/query?q=Reykjanes+fissure+eruptions+magma&k=2&mode=hybrid")
is "$(jq -r '[.results[0].source, (.results|length), .generation.run_id, (.took_ms|type)] | join(" ")' <<<"$body")" \
  "talks/volcanoes-iceland.vtt 2 $(jq -r .run_id "$MANIFEST") number" "GET /query?q=&k= works for curl users, with took_ms and the generation"
is "$(jq -r '.results[0] | [.score > 0, (.chunk_id|length) == 64, .title, .start_ms, (.end_ms > .start_ms), (.speaker|test("Jónsdóttir"))] | map(tostring) | join(" ")' <<<"$body")" \
  "true true Guest lecture: the Reykjanes eruptions 0 true true" "each result carries score, chunk id, title, start/end time and speaker"

# Hostile text is only ever quoted FTS5 terms: no syntax error, no SQL.
bad=""
for q in 'NEAR(lighthouse keeper' '\"); DROP TABLE chunks; --' 'title:* AND OR NOT ^' '\" \" \"' 'mercury*'; do
  out=$(post_query "{\"q\":\"$q\",\"mode\":\"bm25\"}")
  [ "$(tail -n1 <<<"$out")" = 200 ] || bad="$bad$q -> $out"$'\n'
done
if [ -z "$bad" ]; then ok "FTS5 operators and SQL in q are harmless (200)"
else not_ok "FTS5 operators and SQL in q are harmless (200)" "$bad"; fi
is "$(curl -s "$URL/query?q=mercury" | jq -r '.results[0].source')" "archive/2025/interview-lighthouse-keeper.srt" \
  "the index is intact after them"

# Errors are JSON with the HTTP status inside.
out=$(post_query '{"q": ')
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r .error.code)" "400 400" "bad JSON: 400 with a JSON error body"
out=$(post_query '{"q":"x","k":0}')
like "$(head -n1 <<<"$out" | jq -r .error.message)" '"k" must be an integer' "an out-of-range k is a 400 naming the field"
code=$(curl -s -o "$STACK/e.json" -w '%{http_code}' "$URL/nope")
is "$code $(jq -r .error.code "$STACK/e.json")" "404 404" "unknown path: 404 with a JSON error body"
hdr=$(curl -s -D - -o "$STACK/e.json" -X DELETE "$URL/healthz")
is "$(head -n1 <<<"$hdr" | awk '{print $2}') $(jq -r .error.code "$STACK/e.json") $(grep -i '^allow:' <<<"$hdr" | tr -d '\r')" \
  "405 405 Allow: GET, HEAD" "wrong method: 405 with Allow and a JSON error body"
head -c 70000 /dev/zero | tr '\0' 'a' >"$STACK/big"
code=$(curl -s -o "$STACK/e.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$STACK/big" "$URL/query")
is "$code $(jq -r .error.code "$STACK/e.json")" "413 413" "a body over api.max_body: 413 with a JSON error body"

curl -s "$URL/metrics" >"$STACK/metrics.txt"
if out=$(promtool check metrics <"$STACK/metrics.txt" 2>&1); then ok "/metrics passes promtool check metrics"
else not_ok "/metrics passes promtool check metrics" "$out"; fi
like "$(cat "$STACK/metrics.txt")" '^rag_api_requests_total\{route="/query",code="413"\} 1$' "/metrics counts requests by route and code"
# the freshness limits the alert rules compare with are the config's as it is now
is "$(grep -E '^rag_api_freshness_warn_after_seconds ' "$STACK/metrics.txt")" "rag_api_freshness_warn_after_seconds 3600.000" \
  "/metrics exports freshness.warn_after (1h)"
sed -i 's/^  warn_after: 1h/  warn_after: 2h/' "$CONFIG"
for _ in $(seq 1 50); do curl -s "$URL/metrics" | grep -q '^rag_api_freshness_warn_after_seconds 7200.000$' && break; sleep 0.1; done
is "$(curl -s "$URL/metrics" | grep -E '^rag_api_freshness_warn_after_seconds ')" "rag_api_freshness_warn_after_seconds 7200.000" \
  "  and follows an edit of the config file (2h) without a restart"
sed -i 's/^  warn_after: 2h/  warn_after: 1h/' "$CONFIG"

# A manifest older than warn_after -> warn; a no-change run confirms -> pass.
old=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000Z)
manifest_edit --arg t "$old" '.checked_at = $t | .generated_at = $t'
if api_wait_for '.status + " " + .checks.index_age.status' "warn warn" 10; then
  ok "/healthz warns (200) when the manifest is older than warn_after"
else not_ok "/healthz warns (200) when the manifest is older than warn_after" "$(curl -s "$URL/healthz")"; fi
api_ingest
if api_wait_for .status pass 10; then ok "a run that finds nothing changed refreshes checked_at: pass again"
else not_ok "a run that finds nothing changed refreshes checked_at: pass again" "$(curl -s "$URL/healthz")"; fi
# checked_at in the future (the ingest host's clock ahead): not "just now"
ahead=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%S.000Z)
manifest_edit --arg t "$ahead" '.checked_at = $t'
if api_wait_for '.checks.index_age.status' "warn" 10; then
  like "$(hz .checks.index_age.output)" "checked_at is (1h 59m|2h) in the future" "/healthz warns when checked_at lies in the future (clock skew)"
else not_ok "/healthz warns when checked_at lies in the future (clock skew)" "$(curl -s "$URL/healthz")"; fi
api_ingest
api_wait_for .status pass 10 >/dev/null

# A generation that fails to open: reported, the old one keeps serving.
served=$(hz .index.generation)
cp "$STACK/artifacts/index/$served" "$STACK/artifacts/index/gen-broken.sqlite"
manifest_edit '.generation = "gen-broken.sqlite" | .chunks += 1'
if api_wait_for .checks.reload.status warn 10; then ok "a generation that fails to open is reported in /healthz"
else not_ok "a generation that fails to open is reported in /healthz" "$(curl -s "$URL/healthz")"; fi
like "$(hz .checks.reload.output)" "gen-broken.sqlite failed to open, still serving the previous generation: .*manifest says" \
  "the report names the generation and why"
out=$(post_query '{"q":"lighthouse keeper mercury"}')
is "$(tail -n1 <<<"$out") $(head -n1 <<<"$out" | jq -r .generation.generation)" "200 $served" "the old generation keeps answering queries"
like "$(grep '"event":"reload_failed"' "$STACK/artifacts/logs/api.jsonl")" "gen-broken" "the failed reload is in api.jsonl"
is "$(grep -E '^rag_api_reload_failing ' "$STACK/metrics.txt") / $(curl -s "$URL/metrics" | grep -E '^rag_api_reload_failing ')" \
  "rag_api_reload_failing 0 / rag_api_reload_failing 1" "/metrics: rag_api_reload_failing is 1 while the failure lasts (0 before)"

# The config edited without re-ingesting -> mismatch, explained key by key.
sed -i 's/^  target_tokens: .*/  target_tokens: 384/' "$CONFIG"
if api_wait_for .checks.config_hash.status warn 10; then
  like "$(hz '.checks.config_hash.differences[]')" "chunking.target_tokens: 256 -> 384" \
    "/healthz reports the config mismatch key by key after a chunking edit"
else not_ok "/healthz reports the config mismatch key by key after a chunking edit" "$(curl -s "$URL/healthz")"; fi

# A setting read only at start edited: /healthz says a restart is pending
sed -i 's/^  max_k: [0-9]*/  max_k: 10/' "$CONFIG"
if api_wait_for .checks.restart_pending.status warn 10; then
  like "$(hz .checks.restart_pending.output)" "settings read at start \\(api.max_k\\): restart rag-api" \
    "/healthz warns that an edited start-time setting (api.max_k) needs a restart, naming it"
else not_ok "/healthz warns that an edited start-time setting needs a restart" "$(curl -s "$URL/healthz")"; fi
sed -i 's/^  max_k: 10/  max_k: 50/' "$CONFIG"
if api_wait_for .checks.restart_pending.status pass 10; then ok "  and passes again once the file matches what runs"
else not_ok "  and passes again once the file matches what runs" "$(curl -s "$URL/healthz")"; fi
# every start-time setting edited at once: each is named (none cut off)
cp "$CONFIG" "$STACK/config.keep"
python3 - "$CONFIG" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
new = {"listen": "127.0.0.1:1", "threads": "3", "admin_listen": "127.0.0.1:2", "connection_timeout": "31s",
       "request_deadline": "11s", "max_connections": "255", "max_connections_per_ip": "63", "max_body": "65KiB",
       "default_k": "4", "max_k": "49", "default_mode": "vector", "hybrid_vector_weight": "0.9",
       "ann_ef_search": "81", "shutdown_grace": "9s", "status_token_env": "RAG_TEST_OTHER_TOKEN"}
api = re.search(r"(?ms)^api:\n(.*?)(?=^\S)", s)
body = api.group(1)
for k, v in new.items():
    body, n = re.subn(r"(?m)^  %s: .*$" % k, "  %s: %s" % (k, v), body)
    if not n: body = "  %s: %s\n" % (k, v) + body
s = s[:api.start(1)] + body + s[api.end(1):]
s, n = re.subn(r"(?m)^(  artifacts: )(\S+)", lambda m: m.group(1) + m.group(2).rstrip("/") + "-elsewhere", s)
assert n == 1
open(p, "w").write(s)
PY
if api_wait_for .checks.restart_pending.status warn 10; then
  is "$(hz .checks.restart_pending.output | grep -o '(.*)' | tr -d '()' | tr ',' '\n' | sed 's/^ //' | sort | tr '\n' ' ')" \
     "api.admin_listen api.ann_ef_search api.connection_timeout api.default_k api.default_mode api.hybrid_vector_weight api.listen api.max_body api.max_connections api.max_connections_per_ip api.max_k api.request_deadline api.shutdown_grace api.status_token_env api.threads paths.artifacts " \
     "all 16 start-time settings edited: /healthz names every one (the list was cut at 256 bytes)"
else not_ok "all 16 start-time settings edited: /healthz warns" "$(curl -s "$URL/healthz")"; fi
cp "$STACK/config.keep" "$CONFIG"
if api_wait_for .checks.restart_pending.status pass 10; then ok "  and passes again once the file is put back"
else not_ok "  and passes again once the file is put back" "$(curl -s "$URL/healthz")"; fi

# The served file deleted (e.g. by a cleanup) while the manifest names one
# that fails: one more attempt, then no retry each second (checks run every
# second at most: 4 s without a new reload_failed is 4 chances missed).
failures() { grep -c '"event":"reload_failed"' "$STACK/artifacts/logs/api.jsonl"; }
n0=$(failures)
rm "$STACK/artifacts/index/$served"
for _ in $(seq 1 100); do [ "$(failures)" -gt "$n0" ] && break; sleep 0.1; done
n1=$(failures)
is "$n1" "$((n0 + 1))" "the served file deleted: one more reload attempt, which fails"
for _ in $(seq 1 40); do [ "$(failures)" -gt "$n1" ] && break; sleep 0.1; done
is "$(failures)" "$n1" "and it is not retried every second while nothing changes"

kill -TERM "$API_PID"; wait "$API_PID"; rc=$?
is "$rc" "0" "rag-api exits 0 on SIGTERM"
done_testing
