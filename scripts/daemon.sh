#!/usr/bin/env bash
# daemon.sh — start, stop and query one background program of the stack
# (used by the Makefile for `rag-ingest --watch`; rag-api has apictl.sh).
# The program runs in its own session (setsid), detached from the terminal;
# its pid goes to RUN_DIR/NAME.pid and its stdout/stderr to LOG_DIR/NAME.out.
# Every command is idempotent: start on a running program, stop on a stopped
# one, succeed and say so. A pid file whose process is gone, or is not the
# command recorded in it, is treated as stale and replaced.
# Usage: daemon.sh [--config PATH [--api-bin PATH]] start NAME -- PROGRAM [ARGS...]
#        daemon.sh [--config PATH [--api-bin PATH]] stop NAME [GRACE_SECONDS]
#        daemon.sh [--config PATH [--api-bin PATH]] status NAME  (exit 0 running, 3 stopped)
# --config: RUN_DIR and LOG_DIR are the config's (rag-api --print-settings:
# run_dir, logs_dir; --api-bin defaults to build/bin/rag-api). When it does
# not load, start refuses (exit 78); stop and status read its paths.artifacts
# leniently, fall back to artifacts/ only for the default config, else exit 78.
# Without --config: env RAG_RUN_DIR (default artifacts/run), RAG_LOG_DIR
# (default artifacts/logs).
# The pid file: line 1 the pid, then the program and each argument on a line
# of its own; the process counts as running only while its
# /proc/PID/cmdline ends with that command (scripts/pidlib.sh). A pid file
# from before the upgrade (the pid and the program only) is honoured while
# that pid runs that program (argv[0] and executable) with this --config
# (pidlib.sh legacy_service_pid), and the output says so.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/pidlib.sh"
config="" api_bin="$ROOT/build/bin/rag-api"
while [ $# -gt 0 ]; do
  case $1 in
    --config) [ $# -ge 2 ] && [ -n "$2" ] || { echo "daemon.sh: --config needs a path" >&2; exit 2; }; config=$2; shift 2 ;;
    --api-bin) [ $# -ge 2 ] || { echo "daemon.sh: --api-bin needs a path" >&2; exit 2; }; api_bin=$2; shift 2 ;;
    *) break ;;
  esac
done
run_dir=${RAG_RUN_DIR:-artifacts/run}
log_dir=${RAG_LOG_DIR:-artifacts/logs}
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { sed -n '9,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
case $name in *[!A-Za-z0-9_-]*) echo "daemon.sh: bad name '$name'" >&2; exit 2 ;; esac

if [ -n "$config" ]; then
  run_dir="" log_dir=""
  if out=$("$api_bin" --config "$config" --print-settings 2>&1); then
    while IFS= read -r line; do
      case $line in
        run_dir=*) run_dir=${line#run_dir=} ;;
        logs_dir=*) log_dir=${line#logs_dir=} ;;
      esac
    done <<<"$out"
  fi
  if [ -z "$run_dir" ] || [ -z "$log_dir" ]; then
    if [ "$cmd" = start ]; then
      printf '%s\n' "$out" >&2
      echo "daemon.sh: cannot start $name: the configuration $config does not load (see above)" >&2
      exit 78
    elif art=$(config_artifacts "$config"); then
      run_dir=$art/run log_dir=$art/logs
      echo "daemon.sh: cannot load the configuration $config; using its paths.artifacts ($art)" >&2
    elif is_default_config "$ROOT" "$config"; then
      run_dir=$ROOT/artifacts/run log_dir=$ROOT/artifacts/logs
      echo "daemon.sh: cannot read the settings from $config; looking for the pid file in $run_dir" >&2
    else
      echo "daemon.sh: cannot $cmd $name: the configuration $config cannot be read (not even its paths.artifacts), so its pid file is unknown" >&2
      exit 78
    fi
  fi
fi
pidfile=$run_dir/$name.pid

# running_pid: set pid when the pid file names a live process that is the
# command recorded in it (pidlib.sh's rule; a pid > 1), or, a pid file in the
# format before the upgrade (pid and program), that program with this
# config: then legacy is set to a note for the output. Status 1 otherwise.
legacy=""
running_pid() {
  legacy=""
  pid=$(service_pid "$pidfile") && return 0
  pid=$(legacy_service_pid "$pidfile" "$config") || return 1
  legacy="; legacy pid file (pid and program only, written before the upgrade) honoured: pid $pid runs that program${config:+ with this config}"
}

# stale_note: why the pid file names no running service (for the output).
stale_note() {
  local p
  [ -f "$pidfile" ] || { echo "no pid file"; return 0; }
  p=$(head -n 1 "$pidfile" 2>/dev/null | head -c 32 | tr -cd '0-9')
  case $p in
    ''|0*) echo "stale pid file: no pid in it" ;;
    *) if [ ${#p} -le 9 ] && [ "$p" -gt 1 ] && kill -0 "$p" 2>/dev/null; then
         echo "stale pid file: pid $p is not the process it was written for, left alone"
       else echo "stale pid file: pid $p is gone"; fi ;;
  esac
}

case $cmd in
  start)
    shift 2
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || { echo "daemon.sh: start $name needs a program after --" >&2; exit 2; }
    for a in "$@"; do
      case $a in *$'\n'*) echo "daemon.sh: start $name: an argument holds a newline (the pid file records one per line)" >&2; exit 2 ;; esac
    done
    if running_pid; then echo "$name: already running (pid $pid$legacy)"; exit 0; fi
    mkdir -p "$run_dir" "$log_dir"
    rm -f "$pidfile"
    setsid "$@" </dev/null >>"$log_dir/$name.out" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" "$@" >"$pidfile.tmp"
    # the pid file is published once the process runs the recorded command
    # (until setsid has exec'd it, its command line is still setsid's)
    deadline=$((SECONDS + ${RAG_DAEMON_START_TIMEOUT:-10}))
    until [ "$(service_pid "$pidfile.tmp" || true)" = "$pid" ]; do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if [ $SECONDS -ge $deadline ]; then
        kill -TERM "$pid" 2>/dev/null || true
        rm -f "$pidfile.tmp"
        echo "$name: pid $pid does not run the command it was started with (its /proc/$pid/cmdline differs) within ${RAG_DAEMON_START_TIMEOUT:-10}s; stopped it" >&2
        exit 1
      fi
      sleep 0.05
    done
    mv "$pidfile.tmp" "$pidfile"
    sleep 0.3
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "$name: exited at once; last output ($log_dir/$name.out):" >&2
      tail -n 20 "$log_dir/$name.out" >&2 || true
      exit 1
    fi
    echo "$name: started (pid $pid, output in $log_dir/$name.out)"
    ;;
  stop)
    grace=${3:-10}
    if ! running_pid; then
      note=$(stale_note)
      rm -f "$pidfile"
      if [ "$note" = "no pid file" ]; then echo "$name: not running"
      else echo "$name: not running ($note; removed $pidfile)"; fi
      exit 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((grace * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name: still running after ${grace}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    echo "$name: stopped (pid $pid$legacy)"
    ;;
  status)
    if running_pid; then echo "$name: running (pid $pid$legacy)"; exit 0; fi
    echo "$name: stopped"; exit 3
    ;;
  *) echo "daemon.sh: unknown command '$cmd' (start, stop, status)" >&2; exit 2 ;;
esac
