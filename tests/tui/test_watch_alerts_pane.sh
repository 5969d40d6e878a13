#!/usr/bin/env bash
# test_watch_alerts_pane.sh — the console's Alerts overlay (key A), seen as a
# user sees it (tmux capture-pane): with the API down and the receiver
# unreachable, it lists the firing alert, the pending delivery with its next
# retry and the receiver with its URL redacted; the secret is not on screen.
# It says whether the watcher runs: stopped, or killed with its pid still in
# its lock file, it reads NOT running, never a quiet "Firing (0) none".
. "$(dirname "$0")/../integration/watch_lib.sh"
plan 10
command -v tmux >/dev/null || { not_ok "tmux installed"; done_testing; }

SECRET="S3CRET$RANDOM$RANDOM"
make_stack
dead_port=$(free_port) # nothing listens there: deliveries fail and wait
export WT_HOOK_URL="http://127.0.0.1:$dead_port/services/$SECRET"
start_watch || { not_ok "watcher starts" "$(cat "$W/watch.out")"; done_testing; }
has_pending() { ls "$W/artifacts/run/outbox/pending" | grep -q firing; }
wait_for 8 has_pending || diag "no pending delivery yet: $(tail -3 "$W/artifacts/logs/watch.jsonl")"

SOCK="ragtop-watch-tui-$$"
tmux -L "$SOCK" new-session -d -x 140 -y 40 \
  "cd '$W' && WT_HOOK_URL='$WT_HOOK_URL' TERM=xterm-256color '$BIN/ragtop' --config config/params.yaml --services services.yml"
on_exit "tmux -L $SOCK kill-server 2>/dev/null"
sleep 2
tmux -L "$SOCK" send-keys A
screen_has() { tmux -L "$SOCK" capture-pane -p | grep -q -- "$1"; }
wait_for 5 screen_has "Pending deliveries"
screen=$(tmux -L "$SOCK" capture-pane -p)
grep -q "Firing (1)" <<<"$screen" && ok "overlay lists one firing alert" || not_ok "overlay lists one firing alert" "$screen"
grep -q "service:rag_api" <<<"$screen" && ok "the firing check is named" || not_ok "the firing check is named" "$screen"
grep -qE "attempt [0-9]+, next retry in" <<<"$screen" && ok "the pending delivery shows its next retry" || not_ok "the pending delivery shows its next retry" "$screen"
grep -q "http://127.0.0.1:$dead_port/\*\*\*" <<<"$screen" && ok "the receiver URL is shown redacted" || not_ok "the receiver URL is shown redacted" "$screen"
grep -q "$SECRET" <<<"$screen" && not_ok "the webhook secret is not on screen" "$screen" || ok "the webhook secret is not on screen"
grep -q "ragtop watch is running (pid $WATCH_PID," <<<"$screen" && ok "the overlay says the watcher runs, with its pid" || not_ok "the overlay says the watcher runs, with its pid" "$screen"
tmux -L "$SOCK" send-keys x
sleep 0.5
screen=$(tmux -L "$SOCK" capture-pane -p)
grep -q "Pending deliveries" <<<"$screen" && not_ok "any key closes the overlay" "$screen" || ok "any key closes the overlay"
stop_watch TERM
tmux -L "$SOCK" send-keys A
if wait_for 10 screen_has "ragtop watch is NOT running"; then ok "the watcher stopped: the overlay says it is not running"
else not_ok "the watcher stopped: the overlay says it is not running" "$(tmux -L "$SOCK" capture-pane -p)"; fi
tmux -L "$SOCK" send-keys x
start_watch || not_ok "the watcher starts again" "$(cat "$W/watch.out")"
tmux -L "$SOCK" send-keys A
if wait_for 10 screen_has "ragtop watch is running (pid $WATCH_PID,"; then ok "started again: running"
else not_ok "started again: running" "$(tmux -L "$SOCK" capture-pane -p)"; fi
grep -q "^$WATCH_PID " "$W/artifacts/run/watch.lock" || diag "watch.lock: $(cat "$W/artifacts/run/watch.lock")"
stop_watch KILL # its pid stays recorded in watch.lock
if wait_for 10 screen_has "ragtop watch is NOT running"; then ok "killed (its pid left in watch.lock): not running"
else not_ok "killed (its pid left in watch.lock): not running" "$(tmux -L "$SOCK" capture-pane -p)" "watch.lock: $(cat "$W/artifacts/run/watch.lock")"; fi
tmux -L "$SOCK" send-keys x q
done_testing
