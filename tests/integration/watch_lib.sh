# watch_lib.sh — shared setup for tests/integration/test_watch_*.sh (sourced;
# it sources api_lib.sh, hence lib.sh for TAP output and cleanup). A
# throw-away stack in $W: config/params.yaml (watch.interval 500ms), a
# services.yml probing a real rag-api on a free port, an index generation
# written by the api_mkindex helper, a recording webhook receiver
# (webhook_receiver.py) and the watcher. Every process started here is
# killed by pid at exit; the temp folder is removed.
source "$(dirname "${BASH_SOURCE[0]}")/api_lib.sh"
W=$(mktemp -d "$TMP/watch.XXXXXX")

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
  admin_listen: ""
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
start_api() { api_launch "$W/config/params.yaml" "http://127.0.0.1:$API_PORT" "$W/api.out"; }
stop_api() { [ -n "$API_PID" ] && kill -9 "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null; API_PID=; }

# start_receiver NAME [PORT]: records into $W/NAME.jsonl; port in RPORT_NAME.
declare -A RECV_PID RECV_PORT
start_receiver() {
  local name=$1 port=${2:-0}
  rm -f "$W/$name.port"
  python3 "$ROOT/tests/integration/webhook_receiver.py" --port "$port" --port-file "$W/$name.port" \
    --log "$W/$name.jsonl" --status-file "$W/$name.status" &
  RECV_PID[$name]=$!; track_pid $!
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

# start_alertmanager CONFIG: a real prometheus-alertmanager with CONFIG on a
# free 127.0.0.1 port (storage and log in $W/am) -> $AM_PORT. Reports one
# case, "alertmanager ready ..."; when it is missing or not ready within 20 s
# the case fails and the suite ends.
start_alertmanager() {
  local am; am=$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)
  [ -x "$am" ] || { not_ok "prometheus-alertmanager installed (scripts/deps.sh)"; done_testing; }
  AM_PORT=$(free_port)
  mkdir -p "$W/am"
  "$am" --config.file="$1" --storage.path="$W/am/data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$W/am/am.log" 2>&1 &
  track_pid $!
  if wait_for 20 curl -sf "http://127.0.0.1:$AM_PORT/-/ready"; then
    ok "alertmanager ($(basename "$1")) ready on 127.0.0.1:$AM_PORT"
  else
    not_ok "alertmanager ($(basename "$1")) ready on 127.0.0.1:$AM_PORT" "$(tail -5 "$W/am/am.log")"; done_testing
  fi
}

WATCH_PID=
start_watch() {
  (cd "$W" && exec "$BIN/ragtop" watch --config config/params.yaml --services services.yml "$@" \
      >>"$W/watch.out" 2>&1) &
  WATCH_PID=$!; track_pid $WATCH_PID
  wait_for 10 grep -q watch_started "$W/artifacts/logs/watch.jsonl"
}
stop_watch() { kill -"${1:-TERM}" "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=; }

# start_watched_stack [URL_PATH]: rag-api, the "hook" receiver (WT_HOOK_URL =
# its URL + URL_PATH, default /hook/secret) and the watcher, in that order; a
# part that does not start is reported as a failed case and ends the suite.
start_watched_stack() {
  start_api || { not_ok "rag-api starts"; done_testing; }
  start_receiver hook || { not_ok "receiver starts"; done_testing; }
  export WT_HOOK_URL="http://127.0.0.1:${RECV_PORT[hook]}${1:-/hook/secret}"
  start_watch || { not_ok "watcher starts" "$(cat "$W/watch.out")"; done_testing; }
}
