#!/usr/bin/env bash
# bench/api/vectors.sh — vector search at scale: rag-api serving a generation
# with its approximate vector index (HNSW over int8 vectors, rescored
# exactly; docs/architecture.md) against the same generation without it
# (exact brute-force scan over float32 vectors held in RAM), both measured
# in this run:
#   recall@10   of /query mode=vector, approximate vs exact, over 50 queries
#   overlap@10  of /query mode=hybrid results, approximate vs exact
#   hybrid /query p50/p95 at -c4, and saturated (-c64) q/s beside bm25-only
#   rag-api RSS once loaded, beside the raw int8 vector bytes (n x dims)
#   and SQLite's page cache (default cache_size, 2000 KiB per connection,
#   one connection per query worker)
#   the index's build time (rag_vindex_build, from api_mkindex's log)
# Corpus: api_mkindex --synthetic (Zipf-like made-up vocabulary, 60 words a
# chunk) embedded by the project's own hashing embedder (384-d, L2-normed),
# i.e. the vectors rag-ingest would write for that text; queries are 3-5
# consecutive words of 50 chunks, embedded by rag-api as in production.
# The generation is built directly by the test helper (no rag-ingest run)
# and cached under build/bench/ann-$CHUNKS/ (the exact copy beside it).
# Env: CHUNKS (100000), DUR (5 s per wrk run), API_THREADS (default: nproc).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/api"
cd "$ROOT"
CHUNKS=${CHUNKS:-100000}
DUR=${DUR:-5}
API_THREADS=${API_THREADS:-$(nproc)}
for c in wrk curl jq sqlite3 python3; do
  command -v "$c" >/dev/null 2>&1 || { echo "bench/api/vectors: $c is missing (make deps)" >&2; exit 1; }
done
make -s all build/tests/helpers/api_mkindex >/dev/null

W=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-bench-vec.XXXXXX")
API_PID=
cleanup() {
  [ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# ---- the two data folders: ann (with the index) and exact (a copy without it)
ANN="$ROOT/build/bench/ann-$CHUNKS"
EXACT="$ROOT/build/bench/ann-$CHUNKS-exact"
GEN="gen-bench-$CHUNKS.sqlite"
mkdir -p "$ANN/config" "$EXACT/config"
write_config() { # dir port admin_port
  sed -e "s|^  artifacts: .*|  artifacts: ../artifacts|" \
      -e "s|^  ann_min_chunks: .*|  ann_min_chunks: 1|" \
      -e "s|^  listen: .*|  listen: 127.0.0.1:$2|" \
      -e "s|^  admin_listen: .*|  admin_listen: 127.0.0.1:$3|" \
      -e "s|^  threads: .*|  threads: $API_THREADS|" \
      -e "s|^  max_connections: .*|  max_connections: 1024|" \
      -e "s|^  max_connections_per_ip: .*|  max_connections_per_ip: 1024|" \
      -e "s|^  max_k: .*|  max_k: 50|" \
      config/params.yaml >"$1/config/params.yaml"
}
PORT=$(free_port); ADMIN=$(free_port)
write_config "$ANN" "$PORT" "$ADMIN"
write_config "$EXACT" "$PORT" "$ADMIN"
if [ ! -f "$ANN/artifacts/checkpoints/latest.json" ] || [ ! -f "$ANN/build.log" ]; then
  echo "building a synthetic generation of $CHUNKS chunks with its vector index in $ANN (once) ..."
  rm -rf "$ANN/artifacts" "$EXACT/artifacts"
  build/tests/helpers/api_mkindex --config "$ANN/config/params.yaml" --synthetic "$CHUNKS" \
    --run-id "bench-$CHUNKS" 2>"$ANN/build.log" >/dev/null
fi
if [ ! -f "$EXACT/artifacts/checkpoints/latest.json" ]; then
  mkdir -p "$EXACT/artifacts/index" "$EXACT/artifacts/checkpoints"
  cp "$ANN/artifacts/index/$GEN" "$EXACT/artifacts/index/$GEN.tmp"
  sqlite3 "$EXACT/artifacts/index/$GEN.tmp" "DROP TABLE vector_index; DROP TABLE vector_index_parts; VACUUM;"
  mv "$EXACT/artifacts/index/$GEN.tmp" "$EXACT/artifacts/index/$GEN"
  cp "$ANN/artifacts/checkpoints/latest.json" "$EXACT/artifacts/checkpoints/latest.json"
fi
BUILD_MS=$(sed -n 's/.*built in \([0-9]*\) ms.*/\1/p' "$ANN/build.log")
INDEX_BYTES=$(sqlite3 "$ANN/artifacts/index/$GEN" "SELECT bytes FROM vector_index")
DIMS=$(sqlite3 "$ANN/artifacts/index/$GEN" "SELECT value FROM meta WHERE key = 'embedding_dimensions'")

# ---- 50 queries: 3-5 consecutive words from 50 chunks spread over the index
DB="$ANN/artifacts/index/$GEN"
: >"$W/texts"
for i in $(seq 1 50); do
  id=$(( (i * 7919) % CHUNKS + 1 ))
  words=$(( 3 + i % 3 ))
  sqlite3 "$DB" "SELECT text FROM chunks WHERE id = $id" | cut -d' ' -f$((10 + i % 20))-$((9 + i % 20 + words)) >>"$W/texts"
done
for mode in hybrid bm25 vector; do
  jq -Rc --arg m "$mode" '{q: ., k: 10, mode: $m}' <"$W/texts" >"$W/q-$mode.jsonl"
done

API="http://127.0.0.1:$PORT"
start_api() { # data dir
  rm -f "$1/artifacts/logs/api.jsonl"
  build/bin/rag-api --config "$1/config/params.yaml" 2>"$W/api.stderr" &
  API_PID=$!
  for _ in $(seq 1 1200); do
    [ "$(curl -s --max-time 1 "http://127.0.0.1:$ADMIN/healthz" | jq -r .status 2>/dev/null)" = pass ] && return 0
    sleep 0.1
  done
  echo "rag-api did not become healthy" >&2; cat "$W/api.stderr" >&2; exit 1
}
stop_api() { kill "$API_PID"; wait "$API_PID" 2>/dev/null || true; API_PID=; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$API_PID/status"; }
export BENCH_DIR="$HERE"
wrk_line() { # label queries-file wrk-args...
  local label=$1 q=$2; shift 2
  local line
  line=$(QUERIES="$q" wrk "$@" -s "$HERE/query.lua" "$API" 2>&1 | grep '^RESULT' || true)
  [ -n "$line" ] || { echo "wrk failed for $label" >&2; exit 1; }
  echo "$label ${line#RESULT }" >>"$W/results"
  echo "  $label: ${line#RESULT }"
}
fetch_results() { # mode -> file of "chunk_id chunk_id ..." per query
  python3 - "$PORT" "$W/q-$1.jsonl" >"$W/res-$2-$1" <<'PY'
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
for line in open(sys.argv[2]):
    conn.request("POST", "/query", body=line.strip(), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    body = json.loads(r.read())
    if r.status != 200:
        sys.exit("query failed: %d %s" % (r.status, body))
    print(" ".join(h["chunk_id"] for h in body["results"]))
PY
}
measure() { # label data-dir
  echo "$1: loading $CHUNKS chunks ..."
  local t0=$SECONDS
  start_api "$2"
  echo "$1 load_s=$((SECONDS - t0)) rss_kib=$(rss_kib)" >>"$W/results"
  fetch_results vector "$1"
  fetch_results hybrid "$1"
  wrk_line "${1}_hybrid_c4" "$W/q-hybrid.jsonl" -t1 -c4 -d"${DUR}s"
  wrk_line "${1}_hybrid_c64" "$W/q-hybrid.jsonl" -t2 -c64 -d"${DUR}s"
  wrk_line "${1}_bm25_c64" "$W/q-bm25.jsonl" -t2 -c64 -d"${DUR}s"
  echo "$1 rss_after_kib=$(rss_kib)" >>"$W/results"
  stop_api
}
: >"$W/results"
echo "vector bench: $CHUNKS chunks x $DIMS dims, api.threads=$API_THREADS, $(nproc) cores, wrk ${DUR}s;" \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure ann "$ANN"
measure exact "$EXACT"

val() { grep "^$1 " "$W/results" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -n1; }
overlap() { # mode -> mean |ann top10 ∩ exact top10| / |exact top10| over queries with results
  python3 - "$W/res-ann-$1" "$W/res-exact-$1" <<'PY'
import sys
a = [l.split() for l in open(sys.argv[1])]
e = [l.split() for l in open(sys.argv[2])]
num = sum(len(set(x) & set(y)) for x, y in zip(a, e))
den = sum(len(y) for y in e)
print(f"{num / den:.3f}" if den else "n/a")
PY
}
verdict() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo "ok"; else echo "MISSED"; fi; }
recall=$(overlap vector); hoverlap=$(overlap hybrid)
a95=$(val ann_hybrid_c4 p95); e95=$(val exact_hybrid_c4 p95)
ah=$(val ann_hybrid_c64 rps); ab=$(val ann_bm25_c64 rps); eh=$(val exact_hybrid_c64 rps)
ratio=$(python3 -c "print(f'{$ah / $ab:.2f}')")
rss_a=$(( $(val ann rss_after_kib) / 1024 )); rss_e=$(( $(val exact rss_after_kib) / 1024 ))
int8_mib=$(python3 -c "print(round($CHUNKS * $DIMS / 1048576, 1))")
cache_mib=$(python3 -c "print(round($API_THREADS * 2000 / 1024, 1))")
rss_cap=$(python3 -c "print(round(2 * $int8_mib + $cache_mib, 1))")
p95_target=$([ "$CHUNKS" -ge 1000000 ] && echo 25 || echo 10)
echo
printf '%-46s %16s %16s  %s\n' "figure ($CHUNKS chunks)" "approximate" "exact (baseline)" "target"
printf '%-46s %16s %16s  %s\n' "recall@10, /query mode=vector" "$recall" "1" ">= 0.95: $(verdict "$recall >= 0.95")"
printf '%-46s %16s %16s  %s\n' "overlap@10, /query mode=hybrid" "$hoverlap" "1" ""
printf '%-46s %16s %16s  %s\n' "hybrid /query p50 / p95 ms, -c4" "$(val ann_hybrid_c4 p50) / $a95" "$(val exact_hybrid_c4 p50) / $e95" "p95 <= $p95_target ms: $(verdict "$a95 <= $p95_target")"
printf '%-46s %16s %16s  %s\n' "hybrid q/s saturated (-c64) | bm25-only q/s" "$ah | $ab" "$eh | $(val exact_bm25_c64 rps)" "hybrid >= 0.7x bm25: ${ratio}x $(verdict "$ah >= 0.7 * $ab")"
printf '%-46s %16s %16s  %s\n' "rag-api RSS MiB after the runs" "$rss_a" "$rss_e" "<= 2 x int8 ($int8_mib) + page cache ($cache_mib) = $rss_cap: $(verdict "$rss_a <= $rss_cap")"
printf '%-46s %16s %16s  %s\n' "generation load s (rag-api start to healthy)" "$(val ann load_s)" "$(val exact load_s)" ""
printf '%-46s %16s %16s  %s\n' "vector index: build s, stored MiB" "$(python3 -c "print(round(${BUILD_MS:-0} / 1000, 1))")" "" "$(python3 -c "print(round($INDEX_BYTES / 1048576, 1))") MiB (cached build: $ANN/build.log)"
errs=$(awk '{for (i = 2; i <= NF; i++) if ($i ~ /^errors=/) { split($i, a, "="); s += a[2] }} END { print s + 0 }' "$W/results")
echo "socket/status errors across all wrk runs: $errs; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
