# api_lib.sh — helpers for the rag-api integration suites (sourced): TAP
# output, a private stack (config + corpus + artifacts in a temp folder, a
# free 127.0.0.1 port), starting/stopping a real rag-api and publishing
# index generations. Every process started here is killed at exit.
#   t_plan N; t_ok NAME; t_fail NAME [DETAIL...]; t_is GOT WANT NAME;
#   t_like TEXT REGEX NAME; t_done
#   api_stack_new            -> $STACK (folder), $CONFIG, $PORT, $URL, $TX, $MANIFEST
#   api_start [ARGS...]      start rag-api on $CONFIG -> $API_PID; waits for /healthz
#   api_ingest [ARGS...]     one real rag-ingest run over the stack's corpus
#   manifest_edit JQ_ARGS... rewrite latest.json atomically through jq
#   api_wait_for JQ_EXPR VALUE [SECONDS]   poll /healthz until jq -r EXPR == VALUE
set -u
ROOT=${RAG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${RAG_BIN:-$ROOT/build/bin}
HELPERS=${RAG_TEST_BIN:-$ROOT/build/tests}/helpers
API_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-api-it.XXXXXX")
_t_n=0
_t_failed=0
_api_pids=()

_api_cleanup() {
  local p
  for p in "${_api_pids[@]+"${_api_pids[@]}"}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$API_TMP"
}
trap _api_cleanup EXIT

t_plan() { echo "1..$1"; }
t_ok() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }
t_fail() {
  _t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1))
  echo "not ok $_t_n - $1"; shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | head -c 4000 | sed 's/^/# /'
  return 0
}
t_is() { if [ "$1" = "$2" ]; then t_ok "$3"; else t_fail "$3" "got:      $1" "expected: $2"; fi; }
t_like() { if grep -qE -- "$2" <<<"$1"; then t_ok "$3"; else t_fail "$3" "no match for /$2/ in:" "$1"; fi; }
t_done() { [ "$_t_failed" -eq 0 ]; }
track_pid() { _api_pids+=("$1"); }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A private stack: config (from the repository's params.yaml, with our port,
# a 1h warn_after and generous connection limits) and a copy of the sample
# corpus (data/transcripts) that tests may change.
api_stack_new() {
  STACK=$(mktemp -d "$API_TMP/stack.XXXXXX")
  PORT=$(free_port)
  URL="http://127.0.0.1:$PORT"
  CONFIG="$STACK/config/params.yaml"
  TX="$STACK/transcripts"
  MANIFEST="$STACK/artifacts/checkpoints/latest.json"
  mkdir -p "$STACK/config"
  cp -r "$ROOT/data/transcripts" "$TX"
  sed -e "s|^  transcripts: .*|  transcripts: ../transcripts|" \
      -e "s|^  artifacts: .*|  artifacts: ../artifacts|" \
      -e "s|^  listen: .*|  listen: 127.0.0.1:$PORT|" \
      -e "s|^  max_connections_per_ip: .*|  max_connections_per_ip: 256|" \
      -e "s|^  warn_after: .*|  warn_after: 1h|" \
      -e "s|^  shutdown_grace: .*|  shutdown_grace: 10s|" \
      "$ROOT/config/params.yaml" >"$CONFIG"
}

# One real ingest run (rag-ingest) over $TX.
api_ingest() { "$BIN/rag-ingest" --config "$CONFIG" --quiet "$@"; }

# Rewrite the manifest atomically with a jq filter (same folder, rename).
manifest_edit() {
  jq "$@" "$MANIFEST" >"$MANIFEST.edit" && mv "$MANIFEST.edit" "$MANIFEST"
}

api_start() {
  "$BIN/rag-api" --config "$CONFIG" "$@" >>"$STACK/api.stderr" 2>&1 &
  API_PID=$!
  track_pid "$API_PID"
  local i
  for i in $(seq 1 100); do
    if curl -s -o /dev/null --max-time 1 "$URL/healthz"; then return 0; fi
    kill -0 "$API_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

hz() { curl -s --max-time 5 "$URL/healthz" | jq -r "$1"; }

api_wait_for() {
  local expr=$1 want=$2 secs=${3:-10} i
  for i in $(seq 1 $((secs * 10))); do
    [ "$(hz "$expr")" = "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

# POST /query -> prints "<http code>\n<body>"
post_query() { curl -s --max-time 10 -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$1" "$URL/query"; }
