#!/usr/bin/env bash
# test_api_limits.sh — connection limits from the config: an idle connection
# is closed after api.connection_timeout, and a client over
# api.max_connections_per_ip is turned away while the others are served.
. "$(dirname "$0")/api_lib.sh"
plan 3
api_stack_new
sed -i -e 's/^  connection_timeout: .*/  connection_timeout: 1s/' \
       -e 's/^  max_connections_per_ip: .*/  max_connections_per_ip: 3/' "$CONFIG"
if ! api_start; then not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; fi
ok "rag-api starts"

cat >"$STACK/limits.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=5)
# three idle connections fill the per-IP allowance
idle = [conn() for _ in range(3)]
time.sleep(0.3)
extra = conn()
try:
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = extra.recv(100)
except OSError:
    data = b""
print("over-limit:", "refused" if data == b"" else "served")
# after the 1 s timeout the idle ones are closed by the server
t0 = time.time()
closed = 0
for s in idle:
    try:
        if s.recv(1) == b"":
            closed += 1
    except OSError:
        closed += 1
print("idle-closed:", closed, "within-3s:", time.time() - t0 < 3)
PY
out=$(python3 "$STACK/limits.py" "$PORT" 2>&1)
like "$out" "over-limit: refused" "a fourth connection from the same IP is turned away (max_connections_per_ip 3)"
like "$out" "idle-closed: 3 within-3s: True" "idle connections are closed after connection_timeout (1s)"
kill -TERM "$API_PID"; wait "$API_PID" 2>/dev/null
done_testing
