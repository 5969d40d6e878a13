#!/usr/bin/env bash
# test_alertmanager.sh — deploy/prometheus/alertmanager.yml against a real
# prometheus-alertmanager on 127.0.0.1 (temp storage, free port): amtool
# accepts it and routes by (service, instance); two real `ragtop watch`
# processes with different watch.instance (host-a, host-b) watching two stacks
# whose APIs are down both fire RagServiceUnhealthy{service="rag_api"}; a
# Prometheus-style RagApiDown for host-b inhibits host-b's watcher alert only;
# when host-a's API comes back, its resolved notice ends host-a's alert and
# host-b's stays.
. "$(dirname "$0")/../integration/watch_lib.sh"
plan 9
AMCFG=deploy/prometheus/alertmanager.yml

if command -v amtool >/dev/null; then
  check "amtool check-config accepts alertmanager.yml" amtool check-config "$AMCFG"
  r=$(amtool config routes test --config.file="$AMCFG" alertname=RagServiceUnhealthy service=rag_api instance=host-a 2>/dev/null)
  is "$r" "ops" "amtool config routes test: a watcher alert routes to the ops receiver"
else
  not_ok "amtool check-config accepts alertmanager.yml" "amtool not installed (prometheus-alertmanager, scripts/deps.sh)"
  not_ok "amtool config routes test" "amtool not installed"
fi

mkdir -p "$W/am"
# The shipped file as is, except that its webhook points at a closed local port.
sed "s#url: http://127.0.0.1:5678/webhook/alertmanager#url: http://127.0.0.1:$(free_port)/none#" "$AMCFG" >"$W/am/alertmanager.yml"
start_alertmanager "$W/am/alertmanager.yml"
export WT_AM_URL="http://127.0.0.1:$AM_PORT"
RECEIVERS_YAML="    - {name: am, format: alertmanager, url_env: WT_AM_URL}"

# Two stacks (own config, artifacts, API port), the same project name; only
# watch.instance tells them apart. Their APIs are not started: both fire.
declare -A SW SPORT SWATCH
for inst in host-a host-b; do
  W=$(mktemp -d "$TMP/watch.XXXXXX"); API_PORT=$(free_port)
  make_stack
  sed -i "s/^watch:\$/watch:\n  instance: $inst/" "$W/config/params.yaml"
  SW[$inst]=$W; SPORT[$inst]=$API_PORT
  start_watch || { not_ok "watcher $inst starts" "$(cat "$W/watch.out")"; done_testing; }
  SWATCH[$inst]=$WATCH_PID
done

am_alerts() { curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true"; }
# ours INSTANCE -> the watcher's rag_api alerts (firing severity) for it
ours() { am_alerts | jq -c --arg i "$1" '[.[] | select(.labels.alertname == "RagServiceUnhealthy" and .labels.service == "rag_api" and .labels.instance == $i and .labels.severity == "critical")]'; }
both_firing() { [ "$(ours host-a | jq length)" = 1 ] && [ "$(ours host-b | jq length)" = 1 ]; }
if wait_for 20 both_firing; then
  ok "two watchers, same project and check, different instances: two alerts in Alertmanager"
else
  not_ok "two watchers, same project and check, different instances: two alerts in Alertmanager" "$(am_alerts)"
fi
is "$(ours host-a | jq -r '.[0].labels | [.check, .project, (.fingerprint != "")] | map(tostring) | join(" ")')" \
  "service:rag_api watchtest true" "labels: check, project, fingerprint beside alertname, severity, service, instance"

# Prometheus' RagApiDown for host-b (what rules/ragtop.rules.yml sends, with
# the instance label prometheus.yml sets) inhibits host-b's watcher alert.
amtool alert add RagApiDown severity=critical service=rag_api instance=host-b job=rag-api \
  --annotation=summary="rag-api is down" --alertmanager.url="$WT_AM_URL" >/dev/null 2>&1 ||
  curl -sf -X POST -H 'Content-Type: application/json' "$WT_AM_URL/api/v2/alerts" \
    -d '[{"labels":{"alertname":"RagApiDown","severity":"critical","service":"rag_api","instance":"host-b","job":"rag-api"}}]' >/dev/null
state() { ours "$1" | jq -r '.[0].status.state'; }
inhibited_b() { [ "$(state host-b)" = suppressed ] && ours host-b | jqe '.[0].status.inhibitedBy | length == 1' >/dev/null; }
if wait_for 10 inhibited_b && [ "$(state host-a)" = active ]; then
  ok "RagApiDown{instance=host-b} inhibits host-b's watcher alert; host-a's stays active"
else
  not_ok "RagApiDown{instance=host-b} inhibits host-b's watcher alert; host-a's stays active" "a=$(state host-a) b=$(ours host-b)"
fi

# host-a's API comes back: its watcher resolves; host-b's alert must stay.
W=${SW[host-a]}; API_PORT=${SPORT[host-a]}
start_api || { not_ok "rag-api host-a starts"; done_testing; }
a_gone() { [ "$(ours host-a | jq length)" = 0 ]; }
if wait_for 20 a_gone; then
  ok "host-a recovers: its resolved notice ends host-a's alert in Alertmanager"
else
  not_ok "host-a recovers: its resolved notice ends host-a's alert in Alertmanager" "$(ours host-a)"
fi
# host-b's watcher keeps failing; nothing it sends or host-a sent ended it.
if [ "$(ours host-b | jq length)" = 1 ] && [ "$(ours host-b | jq -r '.[0].endsAt')" \> "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S)" ]; then
  ok "host-b's alert is still there, ending only with its own resolved notice"
else
  not_ok "host-b's alert is still there, ending only with its own resolved notice" "$(ours host-b)"
fi
# The resolved notice host-a's watcher sent carries the resolved state.
res=$(jq -c 'select(.event == "alert_resolved")' "${SW[host-a]}/artifacts/logs/watch.jsonl" | head -n 1)
sent=$(ls "${SW[host-a]}"/artifacts/run/outbox/sent/*resolved* 2>/dev/null | head -n 1)
if [ -n "$res" ] && [ -n "$sent" ] && jqe '.alert.status == "resolved" and .alert.details.status == "OK" and .alert.instance == "host-a"' "$sent" >/dev/null; then
  ok "the resolved notice carries the passing check (details.status OK), instance host-a"
else
  not_ok "the resolved notice carries the passing check (details.status OK), instance host-a" "$res" "$(cat "$sent" 2>/dev/null | head -c 600)"
fi
for inst in host-a host-b; do kill -TERM "${SWATCH[$inst]}" 2>/dev/null; wait "${SWATCH[$inst]}" 2>/dev/null; done
stop_api
done_testing
