#!/usr/bin/env bash
# test_watch_api_alerts.sh — ragtop watch against a real rag-api and a
# recording webhook receiver: the API killed fires one alert within
# interval x failure_threshold + 2 s; the API back gives exactly one resolved
# notice; a service flapping on alternate probes never alerts; the webhook
# URL's secret part appears in no log, no state file and no console output.
. "$(dirname "$0")/watch_lib.sh"
plan 8

SECRET="T0SECRET$RANDOM$RANDOM"
FLAP_PORT=$(free_port)
make_stack
# A second service whose /healthz alternates 200 / 503 on every request.
cat >>"$W/services.yml" <<EOF
  flappy:
    kind: server
    health:
      url: http://127.0.0.1:$FLAP_PORT/healthz
      interval: 1s
      timeout: 1s
EOF
python3 - "$FLAP_PORT" <<'EOF' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
n = [0]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        n[0] += 1
        code = 200 if n[0] % 2 else 503
        body = b'{"status":"pass"}' if code == 200 else b'{"status":"fail"}'
        self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
track_pid $!

start_watched_stack "/services/$SECRET/hook"
sleep 2 # a few healthy rounds

# 1. API killed -> firing within 0.5 s x 3 + 2 s
t_kill=$(now_ms)
stop_api
if wait_for 3.5 received_ge hook '.status=="firing" and .check=="service:rag_api"' 1; then
  ok "API killed: firing alert for service:rag_api arrives within 3.5 s"
else
  not_ok "API killed: firing alert for service:rag_api arrives within 3.5 s" \
    "received: $(cat "$W/hook.jsonl" 2>/dev/null)"
fi
got_ms=$(jq -s '[.[] | select(.body.status=="firing" and .body.check=="service:rag_api") | .ts] | min * 1000 | floor' "$W/hook.jsonl" 2>/dev/null)
diag "firing received $(( ${got_ms:-0} - t_kill )) ms after the kill (limit 3500)"
fp=$(jq -rs '[.[] | select(.body.check=="service:rag_api")][0].body.fingerprint' "$W/hook.jsonl" 2>/dev/null)
sev=$(jq -rs '[.[] | select(.body.check=="service:rag_api")][0].body.severity' "$W/hook.jsonl" 2>/dev/null)
is "$sev" "crit" "the API-down alert is crit and carries a fingerprint ($fp)"

# 2. API back -> exactly one resolved notice (and still one firing)
start_api
wait_for 10 received_ge hook '.status=="resolved" and .check=="service:rag_api"' 1
sleep 2 # more healthy rounds must not repeat it
is "$(received hook '.status=="resolved" and .check=="service:rag_api"')" 1 "API back: exactly one resolved notice"
is "$(received hook '.status=="firing" and .check=="service:rag_api"')" 1 "the outage produced exactly one firing notice"
is "$(jq -rs "[.[] | select(.body.status==\"resolved\")][0].body.fingerprint" "$W/hook.jsonl")" "$fp" \
  "the resolved notice has the firing alert's fingerprint"

# 3. flapping service (down/up on alternate probes, threshold 3): no alert
# (the watcher did see it failing: its status line names the failure)
flappy_fails=$(grep -c 'flappy fail' "$W/artifacts/logs/watch.jsonl" || true)
diag "status lines naming a flappy failure: $flappy_fails"
if [ "$(received hook '.check=="service:flappy"')" = 0 ] && [ "$flappy_fails" -ge 2 ]; then
  ok "flapping service (down/up on alternate probes) never alerts"
else
  not_ok "flapping service (down/up on alternate probes) never alerts" \
    "flappy notices: $(received hook '.check=="service:flappy"'), failures seen: $flappy_fails"
fi

# 4. no secret anywhere a person or a log can see
stop_watch TERM
is "$(grep -rl "$SECRET" "$W/artifacts" "$W/watch.out" 2>/dev/null | wc -l)" 0 \
  "the webhook secret appears in no log line, state or outbox file"
if grep -q '"url":"http://127.0.0.1:[0-9]*/\*\*\*"' "$W/artifacts/logs/watch.jsonl"; then
  ok "the watch log names the receiver URL only in redacted form"
else
  not_ok "the watch log names the receiver URL only in redacted form" "$(head -3 "$W/artifacts/logs/watch.jsonl")"
fi
done_testing
