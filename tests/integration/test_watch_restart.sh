#!/usr/bin/env bash
# test_watch_restart.sh — the watcher is SIGKILLed while an alert fires and
# started again: it sends no duplicate firing notice (state persisted in
# artifacts/run/watch-state.json), and the resolved notice arrives when the
# API recovers. A second watcher on the same artifacts is refused (exit 75).
. "$(dirname "$0")/watch_lib.sh"
plan 6

make_stack
start_watched_stack
sleep 1.5
stop_api
wait_for 6 received_ge hook '.status=="firing" and .check=="service:rag_api"' 1
is "$(received hook '.status=="firing" and .check=="service:rag_api"')" 1 "the API outage fires once"
is "$(jq -r '.alerts[] | select(.check=="service:rag_api") | .phase' "$W/artifacts/run/watch-state.json")" firing \
  "watch-state.json records the firing alert"

(cd "$W" && "$BIN/ragtop" watch --config config/params.yaml --services services.yml >"$W/second.out" 2>&1)
is "$?" 75 "a second watcher on the same artifacts exits 75 (lock held)"

stop_watch KILL
start_watch || { not_ok "watcher restarts" "$(cat "$W/watch.out")"; done_testing; }
sleep 3 # six rounds, the API still down
is "$(received hook '.status=="firing" and .check=="service:rag_api"')" 1 "after SIGKILL and restart: no duplicate firing notice"
start_api
if wait_for 10 received_ge hook '.status=="resolved" and .check=="service:rag_api"' 1; then
  ok "the resolved notice arrives when the API recovers"
else
  not_ok "the resolved notice arrives when the API recovers" "$(tail -5 "$W/artifacts/logs/watch.jsonl")"
fi
sleep 1.5
is "$(received hook '.check=="service:rag_api"')" 2 "two notices in all: one firing, one resolved"
stop_watch TERM
done_testing
