#!/usr/bin/env bash
# bench/api/vectors.sh — vector search at scale, approximate (the
# generation's HNSW graph over int8 vectors, candidates rescored exactly:
# docs/architecture.md) beside exact (rag-api's brute-force scan over float32
# vectors in RAM), both measured in this run on the same generation:
#   recall@10 of the approximate search against exact search
#   per-query vector search latency p50/p95 (one thread; k = 50 candidates,
#     what /query asks for), approximate vs exact
#   memory the opened generation adds to the process (RSS), beside the raw
#     int8 vector bytes (n x dims) and rag-api's SQLite page cache
#     (default cache_size: 2000 KiB per connection, one per query worker)
#   the vector index's build time (the ingest finish hook, 2 threads)
# It runs tests/helpers/ann_bench (in process, no HTTP): the vectors stand
# for a dense embedding model — a topic model described in ann_bench.c, not
# uniform random vectors (a pathological case for any approximate index)
# and not the hashing embedder's (their sparse queries get no graph). The
# generations are written directly with the index writer (no transcripts,
# no rag-ingest run: much faster at 1M) and cached in build/bench/vec/.
# Env: SIZES ("100000 1000000"), QUERIES (200), EF (api.ann_ef_search from
# config/params.yaml), API_THREADS (nproc: page cache connections).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SIZES=${SIZES:-100000 1000000}
QUERIES=${QUERIES:-200}
EF=${EF:-$(sed -n 's/^  ann_ef_search: *\([0-9]*\).*/\1/p' config/params.yaml)}
API_THREADS=${API_THREADS:-$(nproc)}
make -s build/tests/helpers/ann_bench >/dev/null
mkdir -p build/bench/vec
verdict() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo "ok"; else echo "MISSED"; fi; }
echo "vector bench: $(nproc) cores, ef=$EF, $QUERIES queries; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do
  [ -f "build/bench/vec/ann-$n.seg.built" ] || echo "building the $n-chunk generations and index in build/bench/vec (once) ..."
  line=$(build/tests/helpers/ann_bench --dir build/bench/vec --chunks "$n" --queries "$QUERIES" --ef "$EF" | grep '^RESULT')
  v() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  cache=$(python3 -c "print(round($API_THREADS * 2000 / 1024, 1))")
  cap=$(python3 -c "print(round(2 * $(v int8_mib) + $cache, 1))")
  p95_target=$([ "$n" -ge 1000000 ] && echo 25 || echo 10)
  echo
  printf '%-42s %14s %16s  %s\n' "figure ($n chunks x $(v dims) dims)" "approximate" "exact (baseline)" "target"
  printf '%-42s %14s %16s  %s\n' "recall@10 vs exact" "$(v recall10)" "1" ">= 0.95: $(verdict "$(v recall10) >= 0.95")"
  printf '%-42s %14s %16s  %s\n' "vector search p50 / p95 ms (1 thread)" "$(v ann_p50) / $(v ann_p95)" "$(v exact_p50) / $(v exact_p95)" "(the vector part of a hybrid /query; /query p95 <= $p95_target ms)"
  printf '%-42s %14s %16s  %s\n' "memory of the opened generation, MiB" "$(v ann_mib)" "$(v exact_mib)" "<= 2 x int8 ($(v int8_mib)) + page cache ($cache) = $cap: $(verdict "$(v ann_mib) <= $cap")"
  printf '%-42s %14s %16s  %s\n' "vector index build, s" "$(v build_s)" "" "(cached: build/bench/vec/ann-$n.seg.built)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
