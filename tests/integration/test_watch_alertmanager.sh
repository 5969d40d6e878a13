#!/usr/bin/env bash
# test_watch_alertmanager.sh — the "alertmanager" receiver format against a
# real prometheus-alertmanager (own instance on a free 127.0.0.1 port with a
# temp config and storage dir): the watcher's firing alert shows up as an
# active alert in its /api/v2/alerts with our labels, and the resolved notice
# makes it inactive.
. "$(dirname "$0")/watch_lib.sh"
plan 5

mkdir -p "$W/am"
cat >"$W/am/alertmanager.yml" <<'EOF2'
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
EOF2
start_alertmanager "$W/am/alertmanager.yml"

RECEIVERS_YAML="    - {name: am, format: alertmanager, url_env: WT_AM_URL}"
make_stack
export WT_AM_URL="http://127.0.0.1:$AM_PORT"
start_api || { not_ok "rag-api starts"; done_testing; }
start_watch || { not_ok "watcher starts" "$(cat "$W/watch.out")"; done_testing; }
sleep 1.5
stop_api

am_alerts() { curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true&silenced=false&inhibited=false&unprocessed=true"; }
am_has_ours() { am_alerts | jqe '[.[] | select(.labels.check=="service:rag_api")] | length == 1' >/dev/null; }
if wait_for 10 am_has_ours; then
  ok "the firing alert shows up in Alertmanager's /api/v2/alerts"
else
  not_ok "the firing alert shows up in Alertmanager's /api/v2/alerts" "$(am_alerts) $(grep -i alert_delivery "$W/artifacts/logs/watch.jsonl" | tail -3)"
fi
a=$(am_alerts | jq -c '[.[] | select(.labels.check=="service:rag_api")][0]')
is "$(jq -r '[.labels.alertname, .labels.severity, .labels.service, .labels.instance, .labels.project] | join(" ")' <<<"$a")" \
  "RagServiceUnhealthy critical rag_api $(hostname) watchtest" "labels: alertname, severity, service, instance (default: the host name), project"
is "$(jq -r '.status.state' <<<"$a")" "active" "Alertmanager considers it active"

start_api
am_gone() { am_alerts | jqe '[.[] | select(.labels.check=="service:rag_api")] | length == 0' >/dev/null; }
if wait_for 10 am_gone; then
  ok "after the API recovers the resolved notice ends it in Alertmanager"
else
  not_ok "after the API recovers the resolved notice ends it in Alertmanager" "$(am_alerts)"
fi
stop_watch TERM
done_testing
