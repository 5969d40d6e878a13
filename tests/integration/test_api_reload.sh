#!/usr/bin/env bash
# test_api_reload.sh — hot reload without downtime: four client threads
# query rag-api continuously while rag-ingest re-indexes the sample corpus
# (a transcript added) and publishes a new generation; not one request may
# fail, and the clients must end up on the new generation. The new
# generations are segment sets (index v2): the second adds a segment to the
# first one's, the third merges (segment cap lowered to 2) — each reload
# reads only the segments it has not seen, the shared ones stay loaded.
# Also: SIGHUP re-reads the manifest without disturbing service.
. "$(dirname "$0")/api_lib.sh"
plan 9
api_stack_new
api_ingest
GEN_A=$(jq -r .generation "$MANIFEST")
if ! api_start; then not_ok "rag-api starts on the first generation" "$(cat "$STACK/api.stderr")"; done_testing; fi
is "$(hz .index.generation)" "$GEN_A" "rag-api starts on the first generation"

cat >"$STACK/client.py" <<'PY'
import http.client, json, os, sys, threading, time
port, stop, out, first = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
lock = threading.Lock()
rows = []
def run():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not os.path.exists(stop):
        try:
            conn.request("POST", "/query", body=json.dumps({"q": "basalt lava lighthouse", "k": 3}),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            gen = json.loads(body)["generation"]["generation"] if r.status == 200 else "-"
            row = "%d %s" % (r.status, gen)
        except Exception as e:  # a refused or dropped connection is a failure too
            row = "ERR %s" % type(e).__name__
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            rows.append(row)
            if len(rows) == 1:  # the test re-ingests only once a request was answered
                open(first, "w").close()
threads = [threading.Thread(target=run) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
with open(out, "w") as f:
    f.write("\n".join(rows) + "\n")
PY
python3 "$STACK/client.py" "$PORT" "$STACK/stop" "$STACK/rows" "$STACK/first" &
CLIENT=$!
track_pid "$CLIENT"
for _ in $(seq 1 300); do [ -f "$STACK/first" ] && break; sleep 0.1; done
# Re-ingest: the corpus changes, rag-ingest builds and publishes a new generation.
cat >"$TX/talks/geology-field-trip.txt" <<'TXT'
The basalt columns formed as a thick lava flow cooled and contracted slowly.
TXT
api_ingest || not_ok "rag-ingest re-indexes the changed corpus"
GEN_B=$(jq -r .generation "$MANIFEST")
api_wait_for .index.generation "$GEN_B" 15
# two more changes; the second run merges its segment with the previous one
echo "Obsidian forms when lava cools too fast for crystals to grow." >"$TX/talks/geology-obsidian.txt"
RAG_INGEST_TEST_MAX_SEGMENTS=2 api_ingest || not_ok "rag-ingest indexes the second change"
api_wait_for .index.generation "$(jq -r .generation "$MANIFEST")" 15
echo "Pumice is lava foam that floats on water." >"$TX/talks/geology-pumice.txt"
RAG_INGEST_TEST_MAX_SEGMENTS=2 api_ingest || not_ok "rag-ingest indexes the third change"
GEN_D=$(jq -r .generation "$MANIFEST")
api_wait_for .index.generation "$GEN_D" 15
sleep 1
touch "$STACK/stop"
wait "$CLIENT"
total=$(wc -l <"$STACK/rows")
failed=$(grep -vc '^200 ' "$STACK/rows" || true)
is "$failed" "0" "zero failed requests among $total made during the re-ingest"
is "$(head -n1 "$STACK/rows")" "200 $GEN_A" "clients were served the old generation first"
is "$(tail -n1 "$STACK/rows") $([ "$GEN_A" != "$GEN_D" ] && echo new)" "200 $GEN_D new" "and the newest generation after the swaps"
reload_of() { jq -r --arg g "$1" 'select(.event=="reload" and .payload.generation==$g) | "\(.payload.segments)/\(.payload.segments_read)"' \
  "$STACK/artifacts/logs/api.jsonl" | tail -n 1; }
is "$(reload_of "$GEN_B")" "2/1" "a generation that adds a segment: 2 segments, only the new one read"
IDX=$STACK/artifacts/index
# a merged segment is seg-<run id>-<merge no>.sqlite; the run id ends in 6
# hex digits, which are all decimal in ~6% of runs, so match the whole id
merged=$(gen_segments "$IDX/$GEN_D" | grep -cE -- '/seg-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}-[0-9]+\.sqlite$' || true)
is "$(reload_of "$GEN_D")/$merged" "2/1/1" "a merged generation: 2 segments, only the merged one read"
like "$(curl -s "$URL/query?q=basalt+lava" | jq -r '.results[0].source')" "talks/geology-field-trip.txt" \
  "the new generation's content is searchable"
like "$(curl -s "$URL/query?q=pumice+foam" | jq -r '.results[0].source')" "talks/geology-pumice.txt" \
  "the merged generation's content is searchable"

kill -HUP "$API_PID"
sleep 0.5
if kill -0 "$API_PID" 2>/dev/null && grep -q '"event":"sighup"' "$STACK/artifacts/logs/api.jsonl" && [ "$(hz .status)" = pass ]; then
  ok "SIGHUP re-reads the manifest and the API keeps serving"
else not_ok "SIGHUP re-reads the manifest and the API keeps serving" "$(tail -n 5 "$STACK/artifacts/logs/api.jsonl")"; fi
done_testing
