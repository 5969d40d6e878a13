# bench/api/lib.sh — sourced by bench/api/run.sh and vectors.sh: a work
# folder $W (readable by other users: nginx workers) removed at exit, every
# process whose pid is added to PIDS stopped at exit, free 127.0.0.1 ports,
# the ok / MISSED verdict printed beside each target, and settle: wait until
# a server is idle before the next measurement; proc_ticks, a process's
# CPU time, and us_per, that time per request.
W=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-bench-api.XXXXXX")
chmod 755 "$W"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# proc_ticks PID: the CPU time process PID has used (user + system), in
# clock ticks; fails when there is no such process
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# us_per TICKS N [DECIMALS]: TICKS clock ticks of CPU time spread over N
# requests, in microseconds (whole and rounded down unless DECIMALS is given)
us_per() {
  local hz n=${2:-0}
  hz=$(getconf CLK_TCK)
  if [ -n "${3:-}" ]; then
    python3 -c "print(f'{$1 * 1e6 / $hz / max($n, 1):.${3}f}')"
  else
    echo $(( $1 * 1000000 / hz / (n > 0 ? n : 1) ))
  fi
}
# settle PID: wait (up to 60 s) until process PID used no CPU for 0.2 s.
# When wrk stops, a server still works off the requests it had accepted
# (64 in flight at -c64: ~0.35 s of queued hybrid queries at 1M chunks), so a
# measurement started at once counts that backlog in its own latencies.
settle() {
  local before now
  before=$(proc_ticks "$1") || return 0
  for _ in $(seq 1 300); do
    sleep 0.2
    now=$(proc_ticks "$1") || return 0
    [ "$now" = "$before" ] && return 0
    before=$now
  done
  echo "settle: process $1 still busy after 60 s" >&2
}
# verdict EXPR: "ok" when the Python expression EXPR is true, else "MISSED"
verdict() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo "ok"; else echo "MISSED"; fi; }
