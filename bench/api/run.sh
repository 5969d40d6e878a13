#!/usr/bin/env bash
# bench/api/run.sh — rag-api HTTP benchmark against a generated index of
# ~100k chunks, with named baselines measured in the same run:
#   /healthz   rag-api vs nginx (static file with the same body; the HTTP
#              ceiling here) vs a Node.js `http` server returning the body,
#              beside the floor: a bare keep-alive responder with no HTTP
#              library (bench/api/http_floor.c), the most wrk and these
#              cores allow any server; and each server's CPU time per
#              request (steadier than req/s on a shared machine)
#   /query     a fixed mix of 50 queries (wrk Lua script) in the default mode
#              (no "mode" field: what api.default_mode picks for this
#              index's embedder, printed) and, at -c4, in hybrid mode
#   /query saturated in bm25 mode (wrk -t1 -c64) beside two raw FTS5
#              baselines run in the same rounds with no HTTP, one SQLite
#              connection per core (bench/api/fts5_baseline.c): the same
#              queries with rag-api's match semantics (AND, then the OR of
#              the distinctive terms when AND gives fewer than k; top 50;
#              BM25 scores) — the ceiling, target >= 0.8x — and the AND pass
#              alone ranked by FTS5's built-in bm25(), for reference
#   /healthz while /query is saturated
#   /healthz p99 of a single prober (a new connection per probe, like
#              kubelet or the console) while a slow-client attack runs
#              (300 connections sending a header byte a second + 1,000 idle,
#              tests/integration/slow_clients.py): rag-api probed on its
#              admin listener while its main port is attacked, beside nginx
#              (client_header_timeout 10s) attacked and probed the same way
# All servers are our own instances on free 127.0.0.1 ports; every process
# is stopped at exit. Load: wrk -t2 -c64 -d${DUR}s, each measurement
# repeated REPEAT times, interleaved (api, nginx, node, floor, api, ...), and the
# median reported, so a noisy neighbour on a shared machine skews one round,
# not the result. Takes ~2 minutes (plus ~1 min the first time, to build
# the index under build/bench/).
# Env: CHUNKS (100000), DUR (5 s), REPEAT (3), API_THREADS (api.threads;
# default: the value in config/params.yaml), ATTACK_DUR (20 s), QUERY_ONLY
# (1 = only the /query figures: no /healthz, nginx, Node or attack runs),
# HEALTHZ_ONLY (1 = only /healthz vs nginx and Node: no /query or attack runs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/api"
cd "$ROOT"
CHUNKS=${CHUNKS:-100000}
DUR=${DUR:-5}
REPEAT=${REPEAT:-3}
ATTACK_DUR=${ATTACK_DUR:-20}
QUERY_ONLY=${QUERY_ONLY:-0}
HEALTHZ_ONLY=${HEALTHZ_ONLY:-0}
API_THREADS=${API_THREADS:-$(sed -n 's/^  threads: *\([0-9]*\).*/\1/p' config/params.yaml)}
for c in wrk nginx node curl jq sqlite3 python3; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || { echo "bench/api: $c is missing (make deps)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
make -s all build/tests/helpers/api_mkindex build/bench/api/fts5_baseline build/bench/api/http_floor >/dev/null

. "$HERE/lib.sh" # $W, PIDS, cleanup at exit, free_port, verdict

# ---- the index (cached between runs; build/ is not committed)
DATA="$ROOT/build/bench/api-$CHUNKS"
mkdir -p "$DATA/config"
API_PORT=$(free_port)
ADMIN_PORT=$(free_port)
sed -e "s|^  artifacts: .*|  artifacts: ../artifacts|" \
    -e "s|^  listen: .*|  listen: 127.0.0.1:$API_PORT|" \
    -e "s|^  admin_listen: .*|  admin_listen: 127.0.0.1:$ADMIN_PORT|" \
    -e "s|^  threads: .*|  threads: $API_THREADS|" \
    -e "s|^  max_connections: .*|  max_connections: 1024|" \
    -e "s|^  max_connections_per_ip: .*|  max_connections_per_ip: 1024|" \
    config/params.yaml >"$DATA/config/params.yaml"
if [ ! -f "$DATA/artifacts/checkpoints/latest.json" ]; then
  echo "building a synthetic index of $CHUNKS chunks in $DATA (once) ..."
  t0=$SECONDS
  build/tests/helpers/api_mkindex --config "$DATA/config/params.yaml" --synthetic "$CHUNKS" --run-id "bench-$CHUNKS" >/dev/null
  echo "  built in $((SECONDS - t0)) s"
fi
DB="$DATA/artifacts/index/gen-bench-$CHUNKS.sqlite"

# ---- 50 fixed queries: 3-5 consecutive words from 50 chunks spread over the index,
# once without a mode (the default) and once in hybrid mode
: >"$W/queries.jsonl"
: >"$W/queries-hybrid.jsonl"
: >"$W/queries-bm25.jsonl"
for i in $(seq 1 50); do
  id=$(( (i * 7919) % CHUNKS + 1 ))
  words=$(( 3 + i % 3 ))
  text=$(sqlite3 "$DB" "SELECT text FROM chunks WHERE id = $id" | cut -d' ' -f$((10 + i % 20))-$((9 + i % 20 + words)))
  jq -cn --arg q "$text" '{q: $q, k: 5}' >>"$W/queries.jsonl"
  jq -cn --arg q "$text" '{q: $q, k: 5, mode: "hybrid"}' >>"$W/queries-hybrid.jsonl"
  jq -cn --arg q "$text" '{q: $q, k: 5, mode: "bm25"}' >>"$W/queries-bm25.jsonl"
done
DEFAULT_MODE=$(build/bin/rag-api --config "$DATA/config/params.yaml" --print-settings | sed -n 's/^default_mode=//p')

# ---- servers
rm -f "$DATA/artifacts/logs/api.jsonl"
build/bin/rag-api --config "$DATA/config/params.yaml" 2>"$W/api.stderr" &
API_PID=$!
PIDS+=($!)
API="http://127.0.0.1:$API_PORT"
for i in $(seq 1 300); do
  [ "$(curl -s --max-time 1 "$API/healthz" | jq -r .status 2>/dev/null)" = pass ] && break
  sleep 0.1
done
[ "$(curl -s "$API/healthz" | jq -r .status)" = pass ] || { echo "rag-api did not become healthy" >&2; cat "$W/api.stderr" >&2; exit 1; }
mkdir -p "$W/www" "$W/tmp"
curl -s "$API/healthz" >"$W/www/healthz"
chmod 644 "$W/www/healthz"
BODY_BYTES=$(wc -c <"$W/www/healthz")

NGINX_PORT=$(free_port)
cat >"$W/nginx.conf" <<NGX
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
daemon off;
events { worker_connections 2048; }
http {
  access_log off;
  client_header_timeout 10s;  # the anchor for rag-api's api.request_deadline (10s)
  client_body_timeout 10s;
  keepalive_timeout 10s;
  client_body_temp_path $W/tmp/body; proxy_temp_path $W/tmp/proxy; fastcgi_temp_path $W/tmp/fcgi;
  uwsgi_temp_path $W/tmp/uwsgi; scgi_temp_path $W/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /healthz { default_type application/health+json; alias $W/www/healthz; }
  }
}
NGX
"$NGINX" -c "$W/nginx.conf" -p "$W" 2>>"$W/nginx-error.log" &
NGINX_PID=$!
PIDS+=($!)

NODE_PORT=$(free_port)
node -e '
const http = require("http"), fs = require("fs");
const body = fs.readFileSync(process.argv[1]);
http.createServer((req, res) => {
  res.writeHead(200, {"Content-Type": "application/health+json", "Content-Length": body.length});
  res.end(body);
}).listen(Number(process.argv[2]), "127.0.0.1");' "$W/www/healthz" "$NODE_PORT" &
NODE_PID=$!
PIDS+=($!)

# the floor: a bare keep-alive responder (no HTTP library), same body
FLOOR_PORT=$(free_port)
build/bench/api/http_floor "$FLOOR_PORT" "$W/www/healthz" "$(nproc)" &
FLOOR_PID=$!
PIDS+=($!)
for port in "$NGINX_PORT" "$NODE_PORT" "$FLOOR_PORT"; do
  for i in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done

export BENCH_DIR="$HERE" QUERIES="$W/queries.jsonl"
run_wrk() { # label, wrk args... -> "label rps p50 p95 p99 requests errors"
  local label=$1; shift
  local line
  settle "$API_PID" # the previous run's backlog is not this run's latency
  line=$(wrk "$@" 2>&1 | grep '^RESULT' || true)
  [ -n "$line" ] || { echo "wrk failed for $label" >&2; return 1; }
  echo "$label $line" >>"$W/results"
  echo "  $label: ${line#RESULT }"
}
run_fts5() { # label, fts5_baseline args... -> "label qps=N queries=N or_pass=N ..."
  local label=$1; shift
  local line
  line=$(build/bench/api/fts5_baseline "$@" "$DB" "$W/queries-bm25.jsonl" "$(nproc)" "$DUR" | grep '^RESULT' || true)
  [ -n "$line" ] || { echo "fts5_baseline failed for $label" >&2; return 1; }
  echo "$label $line" >>"$W/results"
  echo "  $label: ${line#RESULT }"
}
# label's key in its latest line of the results
last_val() { grep "^$1 " "$W/results" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# CPU time of process PID and its children's (nginx's workers), in ticks
tree_ticks() {
  local p t=0
  for p in "$1" $(pgrep -P "$1" || true); do t=$((t + $(proc_ticks "$p" || echo 0))); done
  echo "$t"
}
# /healthz against one server, with its CPU time per request (server only:
# steadier than req/s when wrk and the server share the cores)
run_healthz() { # label, server pid, url
  local t0 t1 n
  t0=$(tree_ticks "$2")
  run_wrk "$1" -t2 -c64 -d"${DUR}s" -s "$HERE/healthz.lua" "$3"
  t1=$(tree_ticks "$2")
  n=$(last_val "$1" requests)
  echo "${1}_cpu cpu_us=$(us_per $((t1 - t0)) "$n" 2)" >>"$W/results"
}
# /query saturated in bm25 mode, then the raw FTS5 baselines for the same queries
# (rag-api's CPU time per query is recorded too: on a shared machine a process
# with more threads than the baseline gets a larger share of the cores)
query_vs_fts5() {
  local t0 t1 n
  t0=$(proc_ticks "$API_PID")
  QUERIES="$W/queries-bm25.jsonl" run_wrk query_bm25_sat -t1 -c64 -d"${DUR}s" -s "$HERE/query.lua" "$API"
  t1=$(proc_ticks "$API_PID")
  n=$(last_val query_bm25_sat requests)
  echo "query_bm25_cpu cpu_us_per_query=$(us_per $((t1 - t0)) "$n")" >>"$W/results"
  run_fts5 fts5_same
  run_fts5 fts5_and_only --and-only
}
# median over the rounds of label's key
val() {
  grep "^$1 " "$W/results" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2 | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

echo "rag-api bench: $CHUNKS chunks, /healthz body $BODY_BYTES bytes, api.threads=$API_THREADS, $(nproc) cores," \
     "wrk -t2 -c64 -d${DUR}s, median of $REPEAT rounds; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$W/results"
for round in $(seq 1 "$REPEAT"); do
  echo "round $round"
  if [ "$QUERY_ONLY" = 1 ]; then
    query_vs_fts5
    run_wrk query_c4    -t1 -c4  -d"${DUR}s" -s "$HERE/query.lua" "$API"
    QUERIES="$W/queries-hybrid.jsonl" run_wrk query_c4_hybrid -t1 -c4 -d"${DUR}s" -s "$HERE/query.lua" "$API"
    continue
  fi
  run_healthz healthz_api   "$API_PID"   "$API/healthz"
  run_healthz healthz_nginx "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/healthz"
  run_healthz healthz_node  "$NODE_PID"  "http://127.0.0.1:$NODE_PORT/healthz"
  run_healthz healthz_floor "$FLOOR_PID" "http://127.0.0.1:$FLOOR_PORT/healthz"
  [ "$HEALTHZ_ONLY" = 1 ] && continue
  run_wrk query_c64     -t2 -c64 -d"${DUR}s" -s "$HERE/query.lua" "$API"
  query_vs_fts5
  run_wrk query_c4      -t1 -c4  -d"${DUR}s" -s "$HERE/query.lua" "$API"
  QUERIES="$W/queries-hybrid.jsonl" run_wrk query_c4_hybrid -t1 -c4 -d"${DUR}s" -s "$HERE/query.lua" "$API"
  # /healthz probes while /query is saturated by a second wrk
  wrk -t2 -c64 -d"$((DUR + 2))s" -s "$HERE/query.lua" "$API" >"$W/sat.out" 2>&1 &
  SAT=$!
  sleep 1
  run_wrk healthz_under_load -t1 -c4 -d"${DUR}s" -s "$HERE/healthz.lua" "$API/healthz"
  wait "$SAT" || true
  echo "query_saturating $(grep '^RESULT' "$W/sat.out")" >>"$W/results"
done

healthz_lines() {
  local api_rps nginx_rps node_rps p99 nginx_p99
  api_rps=$(val healthz_api rps); nginx_rps=$(val healthz_nginx rps); node_rps=$(val healthz_node rps)
  p99=$(val healthz_api p99); nginx_p99=$(val healthz_nginx p99)
  printf '%-44s %14s %14s %8s  %s\n' "/healthz req/s vs Node http (same body)" "$api_rps" "$node_rps" \
    "$(python3 -c "print(f'{$api_rps / $node_rps:.2f}x')")" ">= 30000 and >= 3x: $(verdict "$api_rps >= 30000 and $api_rps >= 3 * $node_rps")"
  printf '%-44s %14s %14s %8s  %s\n' "/healthz req/s vs nginx static file" "$api_rps" "$nginx_rps" \
    "$(python3 -c "print(f'{$api_rps / $nginx_rps:.2f}x')")" ">= 0.5x: $(verdict "$api_rps >= 0.5 * $nginx_rps")"
  local api_cpu node_cpu floor_rps
  api_cpu=$(val healthz_api_cpu cpu_us); node_cpu=$(val healthz_node_cpu cpu_us); floor_rps=$(val healthz_floor rps)
  printf '%-44s %14s %14s %8s  %s\n' "  CPU us per /healthz request vs Node's" "$api_cpu" "$node_cpu" \
    "$(python3 -c "print(f'{$node_cpu / $api_cpu:.2f}x')")" "(server CPU alone; nginx $(val healthz_nginx_cpu cpu_us), bare responder $(val healthz_floor_cpu cpu_us))"
  printf '%-44s %14s %14s %8s  %s\n' "  bare responder req/s vs Node (the floor)" "$floor_rps" "$node_rps" \
    "$(python3 -c "print(f'{$floor_rps / $node_rps:.2f}x')")" "(no HTTP library, same body: what the cores and wrk allow any server here)"
  printf '%-44s %14s %14s %8s  %s\n' "/healthz p99 ms (nginx | node | floor)" "$p99" "$nginx_p99 | $(val healthz_node p99) | $(val healthz_floor p99)" "" \
    "<= nginx's: $(verdict "$p99 <= $nginx_p99"); < 5 ms: $(verdict "$p99 < 5")"
}
if [ "$HEALTHZ_ONLY" = 1 ]; then
  echo
  printf '%-44s %14s %14s %8s  %s\n' "figure" "measured" "baseline" "ratio" "target"
  healthz_lines
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

qp50=$(val query_c4 p50); qp95=$(val query_c4 p95)
bm_rps=$(val query_bm25_sat rps); same_qps=$(val fts5_same qps); and_qps=$(val fts5_and_only qps)
r_same=$(python3 -c "print(f'{$bm_rps / $same_qps:.2f}')")
r_and=$(python3 -c "print(f'{$bm_rps / $and_qps:.2f}')")
fts5_lines() {
  printf '%-44s %14s %14s %8s  %s\n' "/query bm25 q/s saturated vs raw FTS5" "$bm_rps" "$same_qps" "${r_same}x" \
    ">= 0.8x: $(verdict "$bm_rps >= 0.8 * $same_qps") (same passes; $(val fts5_same or_pass) of 50 queries need the OR pass)"
  printf '%-44s %14s %14s %8s  %s\n' "  same vs raw FTS5 AND pass only, bm25()" "$bm_rps" "$and_qps" "${r_and}x" \
    "(reference: less work than rag-api does)"
  local ca cb
  ca=$(val query_bm25_cpu cpu_us_per_query); cb=$(val fts5_same cpu_us_per_query)
  printf '%-44s %14s %14s %8s  %s\n' "  CPU us per bm25 query vs raw FTS5" "$ca" "$cb" \
    "$(python3 -c "print(f'{$cb / $ca:.2f}x')")" "(baseline / rag-api: the share of SQLite's efficiency kept, HTTP included)"
}
if [ "$QUERY_ONLY" = 1 ]; then
  echo
  printf '%-44s %14s %14s %8s  %s\n' "figure" "measured" "baseline" "ratio" "target"
  fts5_lines
  printf '%-44s %14s %14s %8s  %s\n' "/query default ($DEFAULT_MODE) p50 / p95 ms, -c4" "$qp50 / $qp95" "" "" "p95 <= 25 ms: $(verdict "$qp95 <= 25")"
  printf '%-44s %14s\n' "/query hybrid p50 / p95 ms, -c4" "$(val query_c4_hybrid p50) / $(val query_c4_hybrid p95)"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# ---- slow-client attack: one single prober each, once (not per round)
attack_probe() { # label port-attacked port-probed
  python3 "$ROOT/tests/integration/slow_clients.py" "$2" --slow 300 --idle 1000 --duration "$ATTACK_DUR" \
    --ready-file "$W/ready-$1" >"$W/attack-$1.out" 2>&1 &
  local atk=$!
  for i in $(seq 1 150); do [ -f "$W/ready-$1" ] && break; sleep 0.1; done
  local line
  line=$(python3 "$HERE/probe.py" "$3" /healthz --duration "$((ATTACK_DUR - 3))" | grep '^RESULT')
  wait "$atk" || true
  echo "$1 $line" >>"$W/results"
  echo "  $1: ${line#RESULT } (attack: $(cat "$W/attack-$1.out"))"
}
echo "slow-client attack, ${ATTACK_DUR}s each"
attack_probe attack_api_admin "$API_PORT" "$ADMIN_PORT"
sleep 2
attack_probe attack_nginx "$NGINX_PORT" "$NGINX_PORT"
sleep 2
attack_probe attack_api_main "$API_PORT" "$API_PORT"

q64p50=$(val query_c64 p50); q64p95=$(val query_c64 p95); hp99=$(val healthz_under_load p99)
errs=$(grep -v '^attack_' "$W/results" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^errors=/) { split($i, a, "="); s += a[2] }} END { print s + 0 }')
ap99=$(val attack_api_admin p99); np99=$(val attack_nginx p99)
echo
printf '%-44s %14s %14s %8s  %s\n' "figure" "measured" "baseline" "ratio" "target"
healthz_lines
printf '%-44s %14s %14s %8s  %s\n' "/query default ($DEFAULT_MODE) p50 / p95 ms, -c4" "$qp50 / $qp95" "" "" "p95 <= 25 ms: $(verdict "$qp95 <= 25")"
printf '%-44s %14s %14s %8s  %s\n' "/query hybrid p50 / p95 ms, -c4" "$(val query_c4_hybrid p50) / $(val query_c4_hybrid p95)" "" "" ""
printf '%-44s %14s %14s %8s  %s\n' "/query default p50 / p95 ms, -c64 (saturated)" "$q64p50 / $q64p95" "$(val query_c64 rps) q/s" "" "(queueing: 64 in flight on $(nproc) cores)"
fts5_lines
printf '%-44s %14s %14s %8s  %s\n' "/healthz p99 ms while /query saturated" "$hp99" "" "" "< 20 ms: $(verdict "$hp99 < 20")"
printf '%-44s %14s %14s %8s  %s\n' "/healthz p99 ms under slow-client attack" "$ap99" "$np99 nginx" "" "< 50 ms: $(verdict "$ap99 < 50") (admin listener; failed probes: api $(val attack_api_admin errors), nginx $(val attack_nginx errors))"
printf '%-44s %14s %14s %8s  %s\n' "  same, probing rag-api's attacked main port" "$(val attack_api_main p99)" "" "" "(informational: the attack holds the main port's connection slots; failed probes: $(val attack_api_main errors))"
echo "socket/status errors across all wrk runs: $errs; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
