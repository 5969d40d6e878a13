#!/usr/bin/env bash
# test_watch_reminder.sh — reminders while an alert fires (watch.reminder
# 2s): the API stays down, the receiver gets the firing notice, then
# reminders numbered 1, 2, ... about every 2 s with the same fingerprint and
# started_at, and after recovery exactly one resolved notice and no more
# reminders.
. "$(dirname "$0")/watch_lib.sh"
plan 5

WATCH_REMINDER=2s make_stack
start_watched_stack
sleep 1.5
stop_api
wait_for 5 received_ge hook '.check=="service:rag_api" and .status=="firing" and .reminder==0' 1
sleep 5 # ~2.5 reminder intervals
n=$(received hook '.check=="service:rag_api" and .status=="firing" and .reminder>0')
if [ "$n" -ge 2 ] && [ "$n" -le 3 ]; then ok "reminders every 2 s while firing ($n in 5 s)"; else not_ok "reminders every 2 s while firing" "got $n"; fi
is "$(jq -rs '[.[] | select(.body.check=="service:rag_api" and .body.status=="firing") | .body.reminder] | join(",")' "$W/hook.jsonl" | cut -d, -f1-3)" \
  "0,1,2" "reminders are numbered 1, 2, ... after the first notice"
is "$(jq -rs '[.[] | select(.body.check=="service:rag_api") | .body.fingerprint + .body.started_at] | unique | length' "$W/hook.jsonl")" 1 \
  "every reminder carries the first notice's fingerprint and started_at"
start_api
wait_for 10 received_ge hook '.check=="service:rag_api" and .status=="resolved"' 1
before=$(received hook '.check=="service:rag_api" and .status=="firing"')
sleep 3
is "$(received hook '.check=="service:rag_api" and .status=="resolved"')" 1 "one resolved notice"
is "$(received hook '.check=="service:rag_api" and .status=="firing"')" "$before" "no reminder after the resolve"
stop_watch TERM
done_testing
