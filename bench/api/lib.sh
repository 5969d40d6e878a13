# bench/api/lib.sh — sourced by bench/api/run.sh and vectors.sh: a work
# folder $W (readable by other users: nginx workers) removed at exit, every
# process whose pid is added to PIDS stopped at exit, free 127.0.0.1 ports,
# and the ok / MISSED verdict printed beside each target.
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
# verdict EXPR: "ok" when the Python expression EXPR is true, else "MISSED"
verdict() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo "ok"; else echo "MISSED"; fi; }
