#!/usr/bin/env bash
# test_api_hostile.sh — rag-api under a slow-client attack (issue 10): 300
# connections from 127.0.0.1 sending one header byte a second plus 1,000
# idle ones, for 20 s (tests/integration/slow_clients.py, which stops by
# itself). Throughout, the console's prober (`ragtop --once`, health URL on
# the admin listener) and curl /healthz on the admin listener answer within
# 1 s; afterwards the main port answers /healthz and /query within 5 s; the
# refusals and deadline closes are counted in /metrics and summarised in the
# log, not logged per connection. A second, shorter round spreads the attack
# over 40 loopback addresses so the main port's 256 slots are all taken.
. "$(dirname "$0")/api_lib.sh"
plan 12

api_stack_new
sed -i -e "s|^  max_connections_per_ip: .*|  max_connections_per_ip: 64|" "$CONFIG" # the shipped default
api_ingest >/dev/null 2>&1
api_start || { not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; }
api_services_yml

slower() { awk -v w="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; printf "%.3f\n", (d > w ? d : w) }'; } # WORST T0 T1
below1() { awk -v x="$1" 'BEGIN { print ((x ~ /^[0-9]+(\.[0-9]+)?$/ && x + 0 < 1) ? 1 : 0) }'; }  # 0 unless a number < 1

# attack NAME ARGS...: run the attack in the background; while it lasts, probe
# every 0.3 s; sets WORST_CURL / WORST_ONCE (seconds) and BAD (failed probes).
attack() {
  local name=$1; shift
  rm -f "$STACK/ready"
  python3 "$ROOT/tests/integration/slow_clients.py" "$PORT" --ready-file "$STACK/ready" "$@" >"$STACK/$name.out" 2>&1 &
  local atk=$!
  wait_for 15 test -f "$STACK/ready" || diag "the attack did not get its connections open within 15 s"
  WORST_CURL=0 WORST_ONCE=0 BAD="" PROBES=0
  local t0 t1 code rc
  while kill -0 "$atk" 2>/dev/null; do
    t0=$(date +%s.%N)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$ADMIN_URL/healthz")
    t1=$(date +%s.%N)
    WORST_CURL=$(slower "$WORST_CURL" "$t0" "$t1")
    [ "$code" = 200 ] || BAD="$BAD curl:$code"
    "$BIN/ragtop" --once --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.out" 2>&1; rc=$?
    t0=$(date +%s.%N)
    WORST_ONCE=$(slower "$WORST_ONCE" "$t1" "$t0")
    grep -qE '^OK +service:api +api up' "$STACK/once.out" || BAD="$BAD once:rc=$rc:$(grep service:api "$STACK/once.out")"
    PROBES=$((PROBES + 1))
    sleep 0.3
  done
  wait "$atk"
}

attack one --slow 300 --idle 1000 --duration 20
like "$(cat "$STACK/one.out")" '"opened": [0-9]+' "the attack ran and stopped by itself: $(cat "$STACK/one.out")"
is "$BAD" "" "curl /healthz (admin listener) answered 200 every time during the attack ($PROBES probes)"
is "$(below1 "$WORST_CURL")" "1" "the slowest curl /healthz took < 1 s (${WORST_CURL}s)"
is "$(below1 "$WORST_ONCE")" "1" "the slowest ragtop --once took < 1 s and saw the API up (${WORST_ONCE}s)"

# After the attack: the main port answers again within 5 s.
if wait_for 5 curl -sf --max-time 1 "$URL/healthz" && wait_for 5 curl -sf --max-time 1 "$URL/query?q=hello"; then
  ok "after the attack, /healthz and /query on the main port answer within 5 s"
else not_ok "after the attack, /healthz and /query on the main port answer within 5 s"; fi
m=$(curl -s --max-time 2 "$ADMIN_URL/metrics")
per_ip=$(awk '/^rag_api_connections_refused_total\{limit="max_connections_per_ip"\}/ {print $2}' <<<"$m")
deadline=$(awk '/^rag_api_request_deadline_closed_total / {print $2}' <<<"$m")
if [ "${per_ip:-0}" -gt 0 ] && [ "${deadline:-0}" -gt 0 ]; then ok "/metrics counts per-IP refusals ($per_ip) and deadline closes ($deadline)"
else not_ok "/metrics counts per-IP refusals and deadline closes" "$(grep -E 'refused|deadline' <<<"$m")"; fi

# Round two: 40 source addresses take every slot of the main port.
attack two --slow 300 --idle 700 --sources 40 --duration 12
is "$BAD" "" "40 loopback addresses, all main-port slots taken: the admin /healthz and ragtop --once still answer ($PROBES probes)"
is "$(below1 "$WORST_CURL")$(below1 "$WORST_ONCE")" "11" "...each within 1 s (curl ${WORST_CURL}s, ragtop --once ${WORST_ONCE}s)"
if wait_for 5 curl -sf --max-time 1 "$URL/healthz" && wait_for 5 curl -sf --max-time 1 "$URL/query?q=hello"; then
  ok "after the second attack the main port answers within 5 s"
else not_ok "after the second attack the main port answers within 5 s"; fi
total=$(curl -s --max-time 2 "$ADMIN_URL/metrics" | awk '/^rag_api_connections_refused_total\{limit="max_connections"\}/ {print $2}')
if [ "${total:-0}" -gt 0 ]; then ok "/metrics counts refusals at max_connections ($total)"
else not_ok "/metrics counts refusals at max_connections" "got ${total:-nothing}"; fi

# Limits are summarised, not logged per connection: stop (the summary is
# written at exit) and read the log.
kill -TERM "$API_PID"; wait_for 15 bash -c "! kill -0 $API_PID 2>/dev/null"
log="$STACK/artifacts/logs/api.jsonl"
summary=$(grep '"event":"summary"' "$log" | tail -n 1)
refused=$(jq -r '[.payload.connections_refused[]] | add' <<<"$summary")
closed=$(jq -r '.payload.deadline_closed' <<<"$summary")
if [ "${refused:-0}" -gt 0 ] && [ "${closed:-0}" -gt 0 ]; then ok "the summary event counts refusals ($refused) and deadline closes ($closed)"
else not_ok "the summary event counts refusals and deadline closes" "$summary"; fi
lines=$(wc -l <"$log")
if [ "$lines" -lt 200 ] && jqe . "$log" >/dev/null; then ok "api.jsonl stays small and valid ($lines lines for thousands of refused connections)"
else not_ok "api.jsonl stays small and valid" "$lines lines"; fi
done_testing
