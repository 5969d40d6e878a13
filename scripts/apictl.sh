#!/usr/bin/env bash
# apictl.sh — start, stop, restart or query the background rag-api, for the
# Makefile's `api`, `stop` and `restart-api` targets (and services.yml).
# The pidfile is <artifacts>/run/rag-api.pid, written by rag-api itself once
# it listens; its stderr goes to <artifacts>/logs/api.stderr.log.
# Usage: apictl.sh start|stop|restart|status [--bin PATH] [--config PATH]
#        apictl.sh path run_dir|logs_dir|manifest [--bin PATH] [--config PATH]
#          (prints that path of the config's stack; for the Makefile, so no
#          config value is pasted into a recipe; exit 78 when it does not load)
# Policy with no index yet: `start` starts the API anyway; /healthz reports
# fail ("no index yet") until `make ingest` publishes the first generation,
# which rag-api then loads without a restart.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/pidlib.sh"
cmd="" key=""
BIN="$ROOT/build/bin/rag-api"
CONFIG="${RAG_CONFIG:-$ROOT/config/params.yaml}"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin|--config) [ $# -ge 2 ] || { echo "apictl: $1 needs a value" >&2; exit 2; }
      if [ "$1" = --bin ]; then BIN=$2; else CONFIG=$2; fi; shift 2 ;;
    -*) echo "apictl: unknown argument: $1" >&2; exit 2 ;;
    *) if [ -z "$cmd" ]; then cmd=$1; elif [ "$cmd" = path ] && [ -z "$key" ]; then key=$1
       else echo "apictl: unknown argument: $1" >&2; exit 2; fi; shift ;;
  esac
done
START_TIMEOUT=${RAG_API_START_TIMEOUT:-30}  # seconds to wait for /healthz
STOP_TIMEOUT=${RAG_API_STOP_TIMEOUT:-20}    # seconds before SIGKILL

URL="" ADMIN_URL="" RUN_DIR="" LOGS_DIR=""
# Ask rag-api for its listen URL and folders (it validates the config).
load_settings() {
  local out line
  if ! out=$("$BIN" --config "$CONFIG" --print-settings 2>&1); then
    printf '%s\n' "$out" >&2
    return 1
  fi
  while IFS= read -r line; do
    case "$line" in
      url=*) URL=${line#url=} ;;
      admin_url=*) ADMIN_URL=${line#admin_url=} ;;
      run_dir=*) RUN_DIR=${line#run_dir=} ;;
      logs_dir=*) LOGS_DIR=${line#logs_dir=} ;;
    esac
  done <<<"$out"
}

# pid of the live rag-api this pidfile belongs to, or "" (stale files
# removed). pidlib.sh's rule: a pid > 1 whose command line names this very
# pidfile (`--pidfile`, as do_start starts it) — a reused pid, or another
# stack's rag-api, is not ours.
running_pid() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || { echo ""; return 0; }
  if pid=$(service_pid "$pidfile"); then echo "$pid"; return 0; fi
  pid=$(head -n 1 "$pidfile" | head -c 32 | tr -cd '0-9')
  echo "apictl: removing stale pidfile $pidfile (pid ${pid:-?} is not a rag-api started with this pidfile)" >&2
  rm -f "$pidfile"
  echo ""
}

# /healthz is asked on the admin listener when there is one (api.admin_listen:
# probes are never starved there), else on the main port.
health_url() { echo "${ADMIN_URL:-$URL}/healthz"; }

# Prints "<http code> <status>" of /healthz ("000 -" when it does not answer).
probe() {
  local body code status
  body=$(mktemp)
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 2 "$(health_url)" 2>/dev/null || true)
  status=$(jq -r '.status // "-"' "$body" 2>/dev/null || echo "-")
  rm -f "$body"
  echo "${code:-000} ${status:--}"
}

# What is wrong, from /healthz's failing checks, and a hint that fits the
# check that fails (not the same hint for every failure).
health_note() { # status
  local hz failing
  hz=$(curl -s --max-time 2 "$(health_url)" 2>/dev/null)
  case "$1" in
    fail) echo "  /healthz is fail: $(jq -r '[.checks[] | select(.status == "fail") | .output] | join("; ")' <<<"$hz" 2>/dev/null)"
          failing=$(jq -r '[.checks | to_entries[] | select(.value.status == "fail") | .key] | join(" ")' <<<"$hz" 2>/dev/null)
          case " $failing " in
            *" index_present "*) echo "  (with no index yet it stays fail until \`make ingest\` publishes one; rag-api picks it up without a restart)" ;;
            *" index_age "*) echo "  (the index is older than freshness.error_after: run \`make ingest\`; rag-api picks up the new generation without a restart)" ;;
            *" generation "*) echo "  (queries on the served generation fail: restore or re-publish it (\`make ingest\`), then \`kill -HUP\` rag-api)" ;;
          esac ;;
    warn) echo "  /healthz is warn: $(jq -r '[.checks[] | select(.status == "warn") | .output] | join("; ")' <<<"$hz" 2>/dev/null)" ;;
  esac
}

do_start() {
  if [ ! -x "$BIN" ]; then echo "apictl: $BIN is not built (run make)" >&2; exit 1; fi
  if ! load_settings; then
    echo "apictl: cannot start rag-api: the configuration $CONFIG is invalid (see above)" >&2
    exit 78
  fi
  local pidfile="$RUN_DIR/rag-api.pid" pid
  case $pidfile in /*) ;; *) pidfile=$PWD/$pidfile ;; esac # absolute in rag-api's command line
  pid=$(running_pid "$pidfile")
  if [ -n "$pid" ]; then
    read -r code status <<<"$(probe)"
    if [ "$code" = 000 ]; then # running, but not answering (hung): starting cannot help
      echo "rag-api is running (pid $pid) but /healthz does not answer at $(health_url): restart it (make restart-api)" >&2
      exit 1
    fi
    echo "rag-api is already running (pid $pid) at $URL — /healthz: $status (HTTP $code)"
    exit 0
  fi
  mkdir -p "$RUN_DIR" "$LOGS_DIR"
  local errlog="$LOGS_DIR/api.stderr.log" offset
  touch "$errlog"
  offset=$(($(stat -c %s "$errlog") + 1))
  setsid "$BIN" --config "$CONFIG" --pidfile "$pidfile" </dev/null >>"$errlog" 2>&1 &
  local child=$! deadline=$((SECONDS + START_TIMEOUT)) code=000 status=-
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$child" 2>/dev/null; then
      local rc=0
      wait "$child" || rc=$?
      echo "apictl: rag-api could not start (exit $rc):" >&2
      tail -c +"$offset" "$errlog" | tail -n 20 | sed 's/^/  /' >&2
      exit 1
    fi
    if [ -f "$pidfile" ]; then
      read -r code status <<<"$(probe)"
      if [ "$code" = 200 ] || [ "$code" = 503 ]; then break; fi
    fi
    sleep 0.2
  done
  if [ "$code" != 200 ] && [ "$code" != 503 ]; then
    echo "apictl: rag-api (pid $child) did not answer $(health_url) within ${START_TIMEOUT}s; see $errlog" >&2
    exit 1
  fi
  echo "rag-api started (pid $(tr -cd '0-9' <"$pidfile")) at $URL — /healthz: $status (HTTP $code)"
  health_note "$status"
}

do_stop() {
  # The folders from the config; when it does not load (a broken config),
  # paths.artifacts read leniently; only for the default config, when even
  # that fails, artifacts/ — never another stack's folder for a named config.
  if [ -x "$BIN" ] && load_settings 2>/dev/null; then :; else
    local art
    if art=$(config_artifacts "$CONFIG"); then
      RUN_DIR="$art/run"
      echo "apictl: cannot load the configuration $CONFIG; using its paths.artifacts: looking for the pidfile in $RUN_DIR" >&2
    elif is_default_config "$ROOT" "$CONFIG"; then
      RUN_DIR="$ROOT/artifacts/run"
      echo "apictl: cannot read the settings from $CONFIG; looking for the pidfile in $RUN_DIR" >&2
    else
      echo "apictl: cannot stop rag-api: the configuration $CONFIG cannot be read (not even its paths.artifacts), so its pidfile is unknown; fix it, or stop the process by hand (pid in <paths.artifacts>/run/rag-api.pid)" >&2
      exit 78
    fi
  fi
  local pidfile="$RUN_DIR/rag-api.pid" pid
  pid=$(running_pid "$pidfile")
  if [ -z "$pid" ]; then
    echo "rag-api is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    echo "rag-api (pid $pid) did not stop within ${STOP_TIMEOUT}s after SIGTERM; killed it"
    return 0
  fi
  rm -f "$pidfile"
  echo "rag-api stopped (pid $pid)"
}

do_status() {
  load_settings || exit 78
  local pid
  pid=$(running_pid "$RUN_DIR/rag-api.pid")
  if [ -z "$pid" ]; then echo "rag-api is not running"; exit 3; fi
  read -r code status <<<"$(probe)"
  echo "rag-api is running (pid $pid) at $URL — /healthz: $status (HTTP $code)"
}

do_path() {
  load_settings || exit 78
  case "$key" in
    run_dir) printf '%s\n' "$RUN_DIR" ;;
    logs_dir) printf '%s\n' "$LOGS_DIR" ;;
    manifest) printf '%s\n' "$(dirname "$RUN_DIR")/checkpoints/latest.json" ;;
    *) echo "apictl: path run_dir|logs_dir|manifest" >&2; exit 2 ;;
  esac
}

case "$cmd" in
  path) do_path ;;
  start) do_start ;;
  stop) do_stop ;;
  restart) do_stop; do_start ;;
  status) do_status ;;
  *) echo "usage: apictl.sh start|stop|restart|status|path KEY [--bin PATH] [--config PATH]" >&2; exit 2 ;;
esac
