#!/usr/bin/env bash
# daemon.sh — start, stop and query one background program of the stack
# (used by the Makefile for `rag-ingest --watch`; rag-api has apictl.sh).
# The program runs in its own session (setsid), detached from the terminal;
# its pid goes to RUN_DIR/NAME.pid and its stdout/stderr to LOG_DIR/NAME.out.
# Every command is idempotent: start on a running program, stop on a stopped
# one, succeed and say so. A pid file whose process is gone, or is another
# program, is treated as stale and replaced.
# Usage: daemon.sh start NAME -- PROGRAM [ARGS...]
#        daemon.sh stop NAME [GRACE_SECONDS]
#        daemon.sh status NAME          (exit 0 running, 3 stopped)
# Env: RAG_RUN_DIR (default artifacts/run), RAG_LOG_DIR (default artifacts/logs)
set -euo pipefail

run_dir=${RAG_RUN_DIR:-artifacts/run}
log_dir=${RAG_LOG_DIR:-artifacts/logs}
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { sed -n '9,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
case $name in *[!A-Za-z0-9_-]*) echo "daemon.sh: bad name '$name'" >&2; exit 2 ;; esac
pidfile=$run_dir/$name.pid

# running_pid: print the pid when the pid file names a live process whose
# command line still contains the program recorded at start.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid prog
  { read -r pid; read -r prog; } <"$pidfile" || true
  case $pid in ''|*[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  [ -z "${prog:-}" ] || tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$prog" || return 1
  echo "$pid"
}

case $cmd in
  start)
    shift 2
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || { echo "daemon.sh: start $name needs a program after --" >&2; exit 2; }
    if pid=$(running_pid); then echo "$name: already running (pid $pid)"; exit 0; fi
    mkdir -p "$run_dir" "$log_dir"
    rm -f "$pidfile"
    setsid "$@" </dev/null >>"$log_dir/$name.out" 2>&1 &
    pid=$!
    printf '%s\n%s\n' "$pid" "$1" >"$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"
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
    if ! pid=$(running_pid); then rm -f "$pidfile"; echo "$name: not running"; exit 0; fi
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
    echo "$name: stopped"
    ;;
  status)
    if pid=$(running_pid); then echo "$name: running (pid $pid)"; exit 0; fi
    echo "$name: stopped"; exit 3
    ;;
  *) echo "daemon.sh: unknown command '$cmd' (start, stop, status)" >&2; exit 2 ;;
esac
