# api_lib.sh — helpers for the rag-api integration suites (sourced; it
# sources lib.sh for TAP output, $TMP, free_port and cleanup): a private
# stack (config + corpus + artifacts in a temp folder, a free 127.0.0.1
# port), starting a real rag-api and publishing index generations. Every
# process started here is killed at exit.
#   api_stack_new            -> $STACK (folder), $CONFIG, $PORT, $URL, $TX, $MANIFEST,
#                               $ADMIN_PORT, $ADMIN_URL (the admin listener, also a free port)
#   api_start [ARGS...]      start rag-api on $CONFIG -> $API_PID; waits for /healthz
#   api_launch CONFIG URL LOG [ARGS...]  the same for any config (used by watch_lib.sh)
#   api_ingest [ARGS...]     one real rag-ingest run over the stack's corpus
#   api_services_yml         $STACK/services.yml probing the API's admin listener
#   manifest_edit JQ_ARGS... rewrite latest.json atomically through jq
#   api_wait_for JQ_EXPR VALUE [SECONDS]   poll /healthz until jq -r EXPR == VALUE
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

# A private stack: config (from the repository's params.yaml, with our port,
# a 1h warn_after and generous connection limits) and a copy of the sample
# corpus (data/transcripts) that tests may change.
api_stack_new() {
  STACK=$(mktemp -d "$TMP/stack.XXXXXX")
  PORT=$(free_port)
  URL="http://127.0.0.1:$PORT"
  ADMIN_PORT=$(free_port)
  ADMIN_URL="http://127.0.0.1:$ADMIN_PORT"
  CONFIG="$STACK/config/params.yaml"
  TX="$STACK/transcripts"
  MANIFEST="$STACK/artifacts/checkpoints/latest.json"
  mkdir -p "$STACK/config"
  cp -r "$ROOT/data/transcripts" "$TX"
  sed -e "s|^  transcripts: .*|  transcripts: ../transcripts|" \
      -e "s|^  artifacts: .*|  artifacts: ../artifacts|" \
      -e "s|^  listen: .*|  listen: 127.0.0.1:$PORT|" \
      -e "s|^  admin_listen: .*|  admin_listen: 127.0.0.1:$ADMIN_PORT|" \
      -e "s|^  max_connections_per_ip: .*|  max_connections_per_ip: 256|" \
      -e "s|^  warn_after: .*|  warn_after: 1h|" \
      -e "s|^  shutdown_grace: .*|  shutdown_grace: 10s|" \
      "$ROOT/config/params.yaml" >"$CONFIG"
}

# $STACK/services.yml with one server "api" probed on the admin listener, for
# `ragtop --once --config $CONFIG --services $STACK/services.yml`.
api_services_yml() {
  cat >"$STACK/services.yml" <<YAML
version: 1
services:
  api:
    kind: server
    health: {url: "$ADMIN_URL/healthz", interval: 1s, timeout: 1s}
YAML
}

# One real ingest run (rag-ingest) over $TX.
api_ingest() { "$BIN/rag-ingest" --config "$CONFIG" --quiet "$@"; }

# Rewrite the manifest atomically with a jq filter (same folder, rename).
manifest_edit() {
  jq "$@" "$MANIFEST" >"$MANIFEST.edit" && mv "$MANIFEST.edit" "$MANIFEST"
}

# api_launch CONFIG URL LOG [ARGS...]: rag-api in the background (stdout
# and stderr appended to LOG) -> $API_PID; 0 once URL/healthz answers with
# any HTTP status, 1 when the process dies or 10 s pass.
api_launch() {
  local config=$1 url=$2 log=$3 i; shift 3
  "$BIN/rag-api" --config "$config" "$@" >>"$log" 2>&1 &
  API_PID=$!
  track_pid "$API_PID"
  for i in $(seq 1 100); do
    if curl -s -o /dev/null --max-time 1 "$url/healthz"; then return 0; fi
    kill -0 "$API_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
api_start() { api_launch "$CONFIG" "$URL" "$STACK/api.stderr" "$@"; }

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
