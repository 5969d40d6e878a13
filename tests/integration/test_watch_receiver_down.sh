#!/usr/bin/env bash
# test_watch_receiver_down.sh — the webhook receiver is down for 30 s while
# an alert fires (the API is killed); when it comes back on the same port the
# alert arrives exactly once, from the persistent outbox's retries.
. "$(dirname "$0")/watch_lib.sh"
plan 4

make_stack
start_watched_stack
port=${RECV_PORT[hook]}
sleep 1.5

stop_receiver hook
t_down=$(now_ms)
stop_api
if wait_for 10 grep -q alert_delivery_failed "$W/artifacts/logs/watch.jsonl"; then
  ok "delivery to the downed receiver fails and is kept for retry"
else
  not_ok "delivery to the downed receiver fails and is kept for retry" "$(tail -5 "$W/artifacts/logs/watch.jsonl")"
fi
pending=$(ls "$W/artifacts/run/outbox/pending" | grep -c '\.json$' || true)
is "$pending" 1 "one pending delivery file in the outbox while the receiver is down"

# receiver down for 30 s in total, then back on the same port
sleep $(( (30000 - ($(now_ms) - t_down)) / 1000 ))
start_receiver hook "$port" || { not_ok "receiver restarts on port $port"; done_testing; }
t_up=$(now_ms)
wait_for 20 received_ge hook '.status=="firing" and .check=="service:rag_api"' 1
diag "delivered $(( $(now_ms) - t_up )) ms after the receiver came back; $(grep -c alert_delivery_failed "$W/artifacts/logs/watch.jsonl") failed attempts"
sleep 3 # further rounds and retries must not send it again
is "$(received hook '.status=="firing" and .check=="service:rag_api"')" 1 "the firing alert arrives exactly once after the receiver is back"
is "$(ls "$W/artifacts/run/outbox/pending" | grep -c '\.json$' || true)" 0 "nothing left pending"
done_testing
