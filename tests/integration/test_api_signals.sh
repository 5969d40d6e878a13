#!/usr/bin/env bash
# test_api_signals.sh — graceful shutdown: requests in flight when SIGTERM
# arrives (here: clients half-way through sending their body) still get
# their answer, new connections are refused, and rag-api exits 0.
. "$(dirname "$0")/api_lib.sh"
plan 5
api_stack_new
api_ingest
if ! api_start; then not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; fi
ok "rag-api starts"

cat >"$STACK/slow.py" <<'PY'
import socket, sys, time
port, ready, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = b'{"q": "lamp turned on a bath of mercury", "k": 2}'
socks = []
for i in range(3):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    socks.append(s)
open(ready, "w").close()
import os
while not os.path.exists(go):
    time.sleep(0.05)
for s in socks:
    s.sendall(body[10:])
for s in socks:
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if cl and len(rest) >= int(cl[0].split(b":")[1]):
                break
    print(data.split(b"\r\n")[0].decode(), b"lighthouse-keeper" in data)
PY
python3 "$STACK/slow.py" "$PORT" "$STACK/ready" "$STACK/go" >"$STACK/slow.out" 2>&1 &
SLOW=$!
track_pid "$SLOW"
for i in $(seq 1 50); do [ -f "$STACK/ready" ] && break; sleep 0.1; done
sleep 0.2
kill -TERM "$API_PID"
sleep 0.5
if kill -0 "$API_PID" 2>/dev/null; then ok "rag-api waits for the requests in flight"
else not_ok "rag-api waits for the requests in flight" "it exited at once"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/healthz" || true)
is "$code" "000" "new connections are refused after SIGTERM"
touch "$STACK/go"
wait "$SLOW"
is "$(sort "$STACK/slow.out" | uniq -c | awk '{$1=$1; print}')" "3 HTTP/1.1 200 OK True" \
  "all three requests in flight completed with their results"
wait "$API_PID"; rc=$?
is "$rc" "0" "rag-api exits 0 after they finished"
done_testing
