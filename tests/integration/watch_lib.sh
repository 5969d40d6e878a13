# watch_lib.sh — shared setup for tests/integration/test_watch_*.sh (sourced).
# Self-contained TAP helpers (t_plan, t_ok, t_not_ok, t_is, t_done) plus a
# throw-away stack in $W: config/params.yaml (watch.interval 500ms), a
# services.yml probing a real rag-api on a free port, an index generation
# written by the api_mkindex helper, a recording webhook receiver
# (webhook_receiver.py) and the watcher. Every process started here is
# killed by pid at exit; the temp folder is removed.
set -u
ROOT=${RAG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${RAG_BIN:-$ROOT/build/bin}
HELPERS=${RAG_TEST_BIN:-$ROOT/build/tests}/helpers
W=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-watch-it.XXXXXX")
_t_n=0
_t_failed=0
_t_pids=()

_t_cleanup() {
  local p
  for p in "${_t_pids[@]+"${_t_pids[@]}"}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$W"
}
trap _t_cleanup EXIT

t_plan() { echo "1..$1"; }
t_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
t_ok() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }
t_not_ok() {
  _t_n=$((_t_n + 1)); _t_failed=1
  echo "not ok $_t_n - $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
t_is() { if [ "$1" = "$2" ]; then t_ok "$3"; else t_not_ok "$3" "got: $1, expected: $2"; fi; }
t_done() { exit $_t_failed; }
t_track() { _t_pids+=("$1"); }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS CMD... : poll CMD every 0.1s until it succeeds; 1 on timeout.
wait_for() {
  local deadline=$(( $(date +%s%N) / 1000000 + ${1%.*} * 1000 )); shift
  while ! "$@" >/dev/null 2>&1; do
    [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ] && return 1
    sleep 0.1
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# make_stack [extra YAML lines for the watch: section] — writes $W/config,
# $W/services.yml, $W/data and an index generation. Receivers come from
# $RECEIVERS_YAML (YAML list items, indented 4).
API_PORT=$(free_port)
make_stack() {
  local receivers=${RECEIVERS_YAML:-"    - {name: hook, format: json, url_env: WT_HOOK_URL}"}
  mkdir -p "$W/config" "$W/data"
  printf 'A short transcript about alert delivery.\n\nIt has two paragraphs.\n' >"$W/data/a.txt"
  cat >"$W/config/params.yaml" <<EOF
schema_version: 1
project: watchtest
paths:
  transcripts: ../data
  artifacts: ../artifacts
api:
  listen: 127.0.0.1:$API_PORT
freshness:
  warn_after: ${FRESH_WARN:-24h}
  error_after: ${FRESH_ERROR:-7d}
watch:
  interval: ${WATCH_INTERVAL:-500ms}
  failure_threshold: 3
  success_threshold: 2
  reminder: ${WATCH_REMINDER:-0}
  receivers:
$receivers
EOF
  cat >"$W/services.yml" <<EOF
version: 1
services:
  rag_api:
    kind: server
    health:
      url: http://127.0.0.1:$API_PORT/healthz
      interval: 1s
      timeout: 1s
    logs: [artifacts/logs/api.jsonl]
  rag_ingest:
    kind: job
    metrics: artifacts/logs/ingestion_metrics.jsonl
EOF
  "$HELPERS/api_mkindex" --config "$W/config/params.yaml" --from "$W/data" ${MKINDEX_ARGS:-} >/dev/null
}

API_PID=
start_api() {
  "$BIN/rag-api" --config "$W/config/params.yaml" >>"$W/api.out" 2>&1 &
  API_PID=$!; t_track $API_PID
  wait_for 10 curl -sf "http://127.0.0.1:$API_PORT/healthz"
}
stop_api() { [ -n "$API_PID" ] && kill -9 "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null; API_PID=; }

# start_receiver NAME [PORT]: records into $W/NAME.jsonl; port in RPORT_NAME.
declare -A RECV_PID RECV_PORT
start_receiver() {
  local name=$1 port=${2:-0}
  rm -f "$W/$name.port"
  python3 "$ROOT/tests/integration/webhook_receiver.py" --port "$port" --port-file "$W/$name.port" \
    --log "$W/$name.jsonl" --status-file "$W/$name.status" &
  RECV_PID[$name]=$!; t_track $!
  wait_for 10 test -s "$W/$name.port" || return 1
  RECV_PORT[$name]=$(cat "$W/$name.port")
}
stop_receiver() { kill -9 "${RECV_PID[$1]}" 2>/dev/null; wait "${RECV_PID[$1]}" 2>/dev/null; }

# received NAME JQ-SELECT : number of recorded POSTs whose body matches.
received() {
  [ -f "$W/$1.jsonl" ] || { echo 0; return; }
  jq -s "[.[] | .body | select($2)] | length" "$W/$1.jsonl"
}

# received_ge NAME JQ-SELECT N : true when at least N matching POSTs arrived
# (for wait_for, which must re-count on every poll).
received_ge() { [ "$(received "$1" "$2")" -ge "$3" ]; }

WATCH_PID=
start_watch() {
  (cd "$W" && exec "$BIN/ragtop" watch --config config/params.yaml --services services.yml "$@" \
      >>"$W/watch.out" 2>&1) &
  WATCH_PID=$!; t_track $WATCH_PID
  wait_for 10 grep -q watch_started "$W/artifacts/logs/watch.jsonl"
}
stop_watch() { kill -"${1:-TERM}" "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=; }
