# stack.sh — a private sample stack for the console tests and benchmarks
# (source after tests/integration/lib.sh): a config with its own port and
# folders under $TMP/stack, a few transcripts, services.yml whose actions
# drive tests/tui/stackctl.sh, an index built by rag-ingest (or, until
# rag-ingest is built, by the api_mkindex fixture) and a running rag-api.
#   stack_init            write the files (no processes)
#   stack_ingest          build/refresh the index (what the `i` action runs)
#   stack_api_start / stack_api_stop
#   stack_status_up       a stack whose rag-api serves /status with the token in
#                         $RAG_STATUS_TOKEN (exported: $STATUS_TOKEN, a random one;
#                         $BAD_TOKEN another), indexed, its API running until exit;
#                         cd $STACK, ADMIN = its admin URL
# STACK_MAKE=1: the ingest action runs through make as the real services.yml
#   does (`make ingest` = validate, then ingest: tests/tui/stack.mk).
# STACK_STATUS_TOKEN_ENV=NAME: rag-api serves /status on its admin port,
#   guarded by the token in $NAME (api.status_token_env; docs/specs/status.md).
# STACK_WATCH=1: adds rag_watch, a server with no health URL whose state
#   comes from the pidfile scripts/daemon.sh writes (as services.yml's).
STACK=$TMP/stack
stack_init() {
  STACK_PORT=$(free_port)
  STACK_ADMIN_PORT=$(free_port)
  mkdir -p "$STACK/config" "$STACK/data" "$STACK/artifacts/logs"
  local i
  for i in $(seq "${STACK_FILES:-5}"); do stack_add_transcript "talk$i"; done
  local embed=""
  if [ -n "${STACK_SLOW_EMBED:-}" ]; then # seconds per embedding request
    STACK_EMBED_PORT=$(free_port)
    python3 "$ROOT/tests/tui/slow_embedder.py" "$STACK_EMBED_PORT" "$STACK_SLOW_EMBED" 8 &
    embed="embedding: {provider: openai, url: \"http://127.0.0.1:$STACK_EMBED_PORT/v1/embeddings\", model: slow, dimensions: 8, timeout: 10s}"
  fi
  cat >"$STACK/config/params.yaml" <<YAML
schema_version: 1
project: sample
paths:
  transcripts: ../data
  artifacts: ../artifacts
ingest:
  batch_files: ${STACK_BATCH:-64}
chunking:
  target_tokens: 256
  overlap_tokens: 32
api:
  listen: 127.0.0.1:$STACK_PORT
  admin_listen: 127.0.0.1:$STACK_ADMIN_PORT
${STACK_STATUS_TOKEN_ENV:+  status_token_env: $STACK_STATUS_TOKEN_ENV}
$embed
freshness:
  warn_after: ${STACK_WARN:-1h}
  error_after: ${STACK_ERROR:-2h}
YAML
  cat >"$STACK/services.yml" <<YAML
version: 1
services:
  api:
    kind: server
    description: sample rag-api
    health: {url: "http://127.0.0.1:$STACK_PORT/healthz", interval: 1s, timeout: 1s}
    logs: [artifacts/logs/api.jsonl, artifacts/logs/extra.log]
    actions:
      start:   {argv: [bash, $ROOT/tests/tui/stackctl.sh, start]}
      restart: {argv: [bash, $ROOT/tests/tui/stackctl.sh, restart], confirm: true}
      stop:    {argv: [bash, $ROOT/tests/tui/stackctl.sh, stop], confirm: true}
  ingest:
    kind: job
    logs: [artifacts/logs/ingest.jsonl]
    metrics: artifacts/logs/ingestion_metrics.jsonl
    actions:
      run: {argv: [$( [ -n "${STACK_MAKE:-}" ] && echo "make, --no-print-directory, -f, $ROOT/tests/tui/stack.mk, ingest" || echo "bash, $ROOT/tests/tui/stackctl.sh, ingest")], timeout: 60s}
YAML
  if [ -n "${STACK_WATCH:-}" ]; then
    cat >>"$STACK/services.yml" <<YAML
  rag_watch:
    kind: server
    optional: true
    pidfile: artifacts/run/ragtop-watch.pid
    actions:
      start: {argv: [bash, $ROOT/scripts/daemon.sh, start, ragtop-watch, --, $BIN/ragtop, watch, --config, $STACK/config/params.yaml, --services, $STACK/services.yml]}
      stop:  {argv: [bash, $ROOT/scripts/daemon.sh, stop, ragtop-watch], confirm: true}
YAML
  fi
  export STACK STACK_PORT STACK_ADMIN_PORT BIN HELPERS
}
stack_add_transcript() { # NAME
  printf 'Speaker: hello from %s about retrieval and freshness.\n\nA second paragraph of %s on chunking and embeddings.\n' \
    "$1" "$1" >"$STACK/data/$1.txt"
}
stack_ingest() { bash "$ROOT/tests/tui/stackctl.sh" ingest; }
stack_api_start() { bash "$ROOT/tests/tui/stackctl.sh" start; }
stack_status_up() {
  STATUS_TOKEN="tok-$RANDOM-$RANDOM-s3cr3t"
  export RAG_STATUS_TOKEN=$STATUS_TOKEN BAD_TOKEN="not-the-token-$RANDOM"
  STACK_STATUS_TOKEN_ENV=RAG_STATUS_TOKEN stack_init
  cd "$STACK" || exit 1
  stack_ingest >/dev/null 2>&1
  stack_api_start >/dev/null
  on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"
  ADMIN=http://127.0.0.1:$STACK_ADMIN_PORT
}
stack_api_stop() { bash "$ROOT/tests/tui/stackctl.sh" stop; }
