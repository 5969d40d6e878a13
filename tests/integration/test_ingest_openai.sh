#!/usr/bin/env bash
# test_ingest_openai.sh — the "openai" embedding provider against a local
# fake OpenAI-compatible server (tests/helpers/fake_embed_server.py): results
# mapped by index, batching, API key from the environment (never logged),
# 429 then success, 5xx then success, a timeout, a malformed response;
# vectors asked for as base64 by default, as JSON numbers with
# embedding.encoding_format: float, both read to the same floats, and a
# server that ignores the request's encoding_format still understood.
. "$(dirname "$0")/lib.sh"
plan 25

ING=$BIN/rag-ingest
SRV=tests/helpers/fake_embed_server.py
start_server() { # mode [extra args]
  local mode=$1; shift
  rm -f "$TMP/port" "$TMP/req.log"
  python3 "$SRV" --port-file "$TMP/port" --log "$TMP/req.log" --mode "$mode" --dims 16 "$@" &
  SRV_PID=$!
  for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
  PORT=$(cat "$TMP/port")
}
stop_server() { kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; }
setup() { # name timeout retries encoding_format
  W=$TMP/$1
  mkdir -p "$W/corpus"
  cp data/transcripts/podcasts/*.vtt data/transcripts/podcasts/*.json "$W/corpus/"
  cat >"$W/params.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: art}
chunking: {target_tokens: 32, overlap_tokens: 4}
embedding:
  provider: openai
  dimensions: 16
  model: fake-embed-1
  url: http://127.0.0.1:$PORT/v1/embeddings
  api_key_env: FAKE_EMBED_KEY
  batch_size: 4
  timeout: ${2:-2s}
  max_retries: ${3:-3}
${4:+  encoding_format: $4}
YAML
}
metric() { tail -n 1 "$W/art/logs/ingestion_metrics.jsonl" | jq -r "$1"; }
vectors() { # every chunk's vector of the generation in $W, in chunk order
  local g=$W/art/index/$(jq -r .generation "$W/art/checkpoints/latest.json") s
  for s in $(gen_segments "$g"); do sqlite3 "$s" 'select hex(vector) from embeddings order by chunk_rowid'; done | md5sum
}

# ok, with a key; the server answers in reversed order
start_server ok --require-key sekrit-123
setup ok
FAKE_EMBED_KEY=sekrit-123 "$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "openai provider: run succeeds"
G=$W/art/index/$(jq -r .generation "$W/art/checkpoints/latest.json")
is "$(gen_sql "$G" 'select count(*) from embeddings where length(vector)=64')" "$(gen_sql "$G" 'select count(*) from chunks')" "every chunk has a 16-float vector"
check "requests carry at most batch_size inputs and the model" jq -e -s 'all(.inputs<=4 and .model=="fake-embed-1" and .auth=="Bearer sekrit-123")' "$TMP/req.log"
reqs=$(jq -s length "$TMP/req.log"); conns=$(jq -s 'map(.conn)|unique|length' "$TMP/req.log")
check "connections are kept alive and reused: $conns connection(s) for $reqs requests" test "$reqs" -ge 6 -a "$conns" -le 4
# vectors were mapped by index: recompute the expected vector of chunk 1 the way the server does
want=$(python3 - "$(gen_segments "$G" | head -n 1)" <<'PY'
import hashlib, struct, sqlite3, sys, math
db = sqlite3.connect(sys.argv[1])
text, blob = db.execute("select c.text, e.vector from chunks c join embeddings e on e.chunk_rowid=c.id order by c.id limit 1 offset 2").fetchone()
out = []
i = 0
while len(out) < 16:
    out.extend(v / 2**31 for v in struct.unpack("<8i", hashlib.sha256(("%d:%s" % (i, text)).encode()).digest())); i += 1
n = math.sqrt(sum(v * v for v in out[:16])); exp = [v / n for v in out[:16]]
got = struct.unpack("<16f", blob)
print("match" if all(abs(a - b) < 1e-5 for a, b in zip(exp, got)) else "mismatch")
PY
)
is "$want" "match" "results are mapped back by index, not by position"
if grep -rq "sekrit-123" "$W/art/logs"; then fail "the API key never reaches the logs"; else pass "the API key never reaches the logs"; fi
check "vectors are asked for as base64 by default" jq -e -s 'all(.encoding_format=="base64")' "$TMP/req.log"
want_vectors=$(vectors)
check "the generation's vectors were read" test "$want_vectors" != "$(printf '' | md5sum)"
stop_server

# encoding_format: float asks for JSON numbers and reads the same floats
start_server ok
setup float 2s 3 float
"$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "encoding_format float: run succeeds"
check "vectors are asked for as JSON numbers" jq -e -s 'all(.encoding_format=="float")' "$TMP/req.log"
is "$(vectors)" "$want_vectors" "base64 and JSON numbers give the same vectors"
stop_server

# a server that ignores encoding_format (answers numbers to a base64 request)
start_server ok --ignore-encoding
setup ignoring
"$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "a server answering numbers to a base64 request is understood"
is "$(vectors)" "$want_vectors" "... with the same vectors"
stop_server

# 429 twice, then success
start_server 429-then-ok --fail-count 2
setup r429
"$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "429 then success: run succeeds after retrying"
is "$(jq -s -r 'map(.status)|.[0:3]|join(",")' "$TMP/req.log")" "429,429,200" "the first two requests got 429 and were retried"
stop_server

# 429 with Retry-After: 2 (seconds) then success: the retry waits as asked,
# not the 250 ms backoff
start_server 429-then-ok --fail-count 1 --retry-after 2
setup ra2
"$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "429 with Retry-After 2 then success: run succeeds"
gap=$(jq -s -r '((map(.t) | max) - (map(select(.status == 429) | .t) | min)) * 1000 | floor' "$TMP/req.log")
check "the retry came after the Retry-After wait (${gap} ms >= 1900)" test "${gap:-0}" -ge 1900
stop_server

# 503 then success
start_server 500-then-ok --fail-count 1
setup r503
"$ING" --config "$W/params.yaml" -q; rc=$?
is "$rc" 0 "503 then success: run succeeds"
stop_server

# timeout: server slower than embedding.timeout, retries exhausted
start_server slow --delay 3
setup slow 300ms 1
t0=$(date +%s%N)
out=$("$ING" --config "$W/params.yaml" 2>&1); rc=$?
t1=$(date +%s%N)
is "$rc" 1 "a provider that keeps timing out fails the run (exit 1)"
like "$(metric .failure)" "still failing after 2 attempts: Timeout" "the failure names the timeout and attempts"
check "no manifest was written" test ! -e "$W/art/checkpoints/latest.json"
check "the run gave up within a few seconds" test $(((t1 - t0) / 1000000)) -lt 5000
stop_server

# malformed response
start_server malformed
setup bad
out=$("$ING" --config "$W/params.yaml" 2>&1); rc=$?
is "$rc" 1 "a malformed response fails the run"
like "$out" "malformed response" "the error says the response was malformed"
stop_server

# base64 that is not base64
start_server bad-base64
setup badb64
out=$("$ING" --config "$W/params.yaml" 2>&1); rc=$?
check "a vector that is not base64 fails the run, saying so: $(echo "$out" | grep -o 'embedding [0-9]* is not base64' | head -1)" \
  test "$rc" = 1 -a -n "$(echo "$out" | grep 'malformed response (embedding [0-9]* is not base64)')"
stop_server
exit $_tap_failed
