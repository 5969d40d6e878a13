#!/usr/bin/env bash
# test_watch_alerts_pane.sh — the console's Alerts overlay (key A), seen as a
# user sees it (tmux capture-pane): with the API down and the receiver
# unreachable, it lists the firing alert, the pending delivery with its next
# retry and the receiver with its URL redacted; the secret is not on screen.
. "$(dirname "$0")/../integration/watch_lib.sh"
plan 6
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
tmux -L "$SOCK" send-keys x
sleep 0.5
screen=$(tmux -L "$SOCK" capture-pane -p)
grep -q "Pending deliveries" <<<"$screen" && not_ok "any key closes the overlay" "$screen" || ok "any key closes the overlay"
tmux -L "$SOCK" send-keys q
stop_watch TERM
done_testing
