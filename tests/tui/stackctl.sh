#!/usr/bin/env bash
# stackctl.sh — the actions of the sample stack (tests/tui/stack.sh):
# start | stop | restart the rag-api, ingest. Runs from the stack folder
# (ragtop runs actions in services.yml's folder). Needs STACK-relative
# layout only: config/params.yaml, artifacts/.
set -u
BIN=${BIN:-${RAG_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}}
HELPERS=${HELPERS:-$(cd "$(dirname "$0")/../.." && pwd)/build/tests/helpers}
PIDF=artifacts/run/api.pid
mkdir -p artifacts/run artifacts/logs
start() {
  if [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; then echo "api already running"; return 0; fi
  setsid "$BIN/rag-api" --config config/params.yaml --pidfile "$PIDF" >>artifacts/logs/api.out 2>&1 </dev/null &
  for _ in $(seq 50); do [ -s "$PIDF" ] && return 0; sleep 0.1; done
  echo "api did not start"; return 1
}
stop() {
  [ -f "$PIDF" ] || { echo "api not running"; return 0; }
  local pid; pid=$(cat "$PIDF")
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || { rm -f "$PIDF"; return 0; }; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null; rm -f "$PIDF"
}
ingest() {
  if [ -x "$BIN/rag-ingest" ]; then
    "$BIN/rag-ingest" --config config/params.yaml --quiet ${STACK_INGEST_ARGS:-}
  else
    "$HELPERS/api_mkindex" --config config/params.yaml --from data
  fi
}
case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  ingest) ingest ;;
  *) echo "usage: $0 start|stop|restart|ingest" >&2; exit 2 ;;
esac
