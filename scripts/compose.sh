#!/usr/bin/env bash
# compose.sh — the RUNTIME=docker side of the operator targets: the same verbs
# as the local ones, through docker compose (docker-compose.yml). Each verb
# that starts something validates the container config first, inside the
# image, so a broken deploy/docker/params.yaml stops it before anything runs.
# Usage: compose.sh validate|build|ingest|rollback [RUN_ID]|api|restart-api|stop|stop-api|status|logs|ingest-cron|stop-ingest-cron
# Env: COMPOSE (default: "docker compose", else "docker-compose"),
#      API_WAIT (seconds to wait for rag_api to be healthy, default 90)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "compose.sh: neither 'docker compose' nor 'docker-compose' is installed (make deps)" >&2
  exit 1
fi
dc() { "${compose[@]}" "$@"; }

# The containers read deploy/docker/params.yaml and deploy/docker/services.yml
# as docker-compose.yml mounts them: a CONFIG or SERVICES naming another file
# (make exports both) would be silently ignored, so it is refused instead.
same_file() { [ "$(realpath -m -- "$1")" = "$(realpath -m -- "$2")" ]; }
if [ -n "${CONFIG:-}" ] && ! same_file "$CONFIG" config/params.yaml; then
  echo "compose.sh: RUNTIME=docker runs the containers with deploy/docker/params.yaml (mounted by docker-compose.yml); CONFIG=$CONFIG is not used there: edit deploy/docker/params.yaml, or run without RUNTIME=docker" >&2
  exit 2
fi
if [ -n "${SERVICES:-}" ] && ! same_file "$SERVICES" services.yml; then
  echo "compose.sh: RUNTIME=docker uses deploy/docker/services.yml (mounted by docker-compose.yml); SERVICES=$SERVICES is not used there: edit deploy/docker/services.yml, or run without RUNTIME=docker" >&2
  exit 2
fi

validate() {
  echo "compose.sh: validating deploy/docker/params.yaml and services.yml in the image" >&2
  dc run --rm --no-deps -T rag_ingest \
    ragtop validate --config /etc/ragtop/params.yaml --services /etc/ragtop/services.yml
}

wait_healthy() { # container seconds
  local state=""
  for _ in $(seq "$2"); do
    state=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo missing)
    case $state in
      healthy) echo "$1: healthy"; return 0 ;;
      exited|dead|missing) break ;;
    esac
    sleep 1
  done
  echo "compose.sh: $1 is $state, not healthy; see: docker logs $1" >&2
  return 1
}

case ${1:-} in
  validate) validate ;;
  build) dc build ;;
  ingest)
    validate
    dc run --rm rag_ingest
    ;;
  rollback)
    validate
    # RUN_ID is one argument after --, never split nor taken for an option
    dc run --rm rag_ingest rag-ingest --config /etc/ragtop/params.yaml --rollback ${2:+-- "$2"}
    ;;
  api)
    validate
    # depends_on runs rag_ingest first and starts rag_api only if it succeeded.
    dc up -d rag_api
    wait_healthy rag_api "${API_WAIT:-90}"
    ;;
  restart-api)
    validate
    dc restart rag_api
    wait_healthy rag_api "${API_WAIT:-90}"
    ;;
  stop-api)
    dc stop rag_api
    ;;
  stop)
    # Every profile, so the optional services stop too; volumes (data) are kept.
    dc --profile cron --profile n8n down --remove-orphans
    ;;
  ingest-cron)
    validate
    dc --profile cron up -d rag_ingest_cron
    ;;
  stop-ingest-cron)
    dc --profile cron stop rag_ingest_cron
    dc --profile cron rm -f rag_ingest_cron
    ;;
  logs)
    # Follow the JSON logs in the artifacts volume, formatted on this side.
    dc run --rm --no-deps -T rag_ingest \
      tail -q -n 20 -F /data/artifacts/logs/ingest.jsonl /data/artifacts/logs/api.jsonl \
        /data/artifacts/logs/watch.jsonl /data/artifacts/logs/ingestion_metrics.jsonl 2>/dev/null \
      | bash scripts/logs.sh --stdin
    ;;
  status)
    dc ps
    dc run --rm --no-deps -T rag_watch ragtop --once --config /etc/ragtop/params.yaml --services /etc/ragtop/services.yml
    ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
