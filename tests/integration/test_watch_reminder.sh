#!/usr/bin/env bash
# test_watch_reminder.sh — reminders while an alert fires (watch.reminder
# 2s): the API stays down, the receiver gets the firing notice, then
# reminders numbered 1, 2, ... about every 2 s with the same fingerprint and
# started_at, and after recovery exactly one resolved notice and no more
# reminders.
. "$(dirname "$0")/watch_lib.sh"
t_plan 5

WATCH_REMINDER=2s make_stack
start_api || { t_not_ok "rag-api starts"; t_done; }
start_receiver hook || { t_not_ok "receiver starts"; t_done; }
export WT_HOOK_URL="http://127.0.0.1:${RECV_PORT[hook]}/hook/secret"
start_watch || { t_not_ok "watcher starts" "$(cat "$W/watch.out")"; t_done; }
sleep 1.5
stop_api
wait_for 5 received_ge hook '.check=="service:rag_api" and .status=="firing" and .reminder==0' 1
sleep 5 # ~2.5 reminder intervals
n=$(received hook '.check=="service:rag_api" and .status=="firing" and .reminder>0')
if [ "$n" -ge 2 ] && [ "$n" -le 3 ]; then t_ok "reminders every 2 s while firing ($n in 5 s)"; else t_not_ok "reminders every 2 s while firing" "got $n"; fi
t_is "$(jq -rs '[.[] | select(.body.check=="service:rag_api" and .body.status=="firing") | .body.reminder] | join(",")' "$W/hook.jsonl" | cut -d, -f1-3)" \
  "0,1,2" "reminders are numbered 1, 2, ... after the first notice"
t_is "$(jq -rs '[.[] | select(.body.check=="service:rag_api") | .body.fingerprint + .body.started_at] | unique | length' "$W/hook.jsonl")" 1 \
  "every reminder carries the first notice's fingerprint and started_at"
start_api
wait_for 10 received_ge hook '.check=="service:rag_api" and .status=="resolved"' 1
before=$(received hook '.check=="service:rag_api" and .status=="firing"')
sleep 3
t_is "$(received hook '.check=="service:rag_api" and .status=="resolved"')" 1 "one resolved notice"
t_is "$(received hook '.check=="service:rag_api" and .status=="firing"')" "$before" "no reminder after the resolve"
stop_watch TERM
t_done
