#!/usr/bin/env bash
# screenshot-problems.sh [OUTDIR] — docs/img/problems.png and
# docs/img/action-failed.png from real runs (issue 12), made like
# docs/img/console.png (scripts/console-screenshot.sh): the sample stack of
# the console tests with its ingest run through make (tests/tui/stack.mk),
# ragtop in tmux at 110x34, capture-pane -e, scripts/ansi2svg.py,
# rsvg-convert (librsvg2-bin).
#   problems.png       three problems at once (API down, config changed, a
#                      transcript not ingested), the Problems view open
#   action-failed.png  an ingest with a broken config: exit 78 and the
#                      validation message on the status line
set -euo pipefail
W=110 H=34
source "$(dirname "$0")/screenshot-lib.sh"
OUTDIR=${1:-$ROOT/docs/img}
source "$ROOT/tests/tui/stack.sh"
STACK_FILES=8 STACK_MAKE=1 stack_init
cd "$STACK"; export BIN HELPERS
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
tmux -L "$SOCK" -f /dev/null new-session -d -s t -x "$W" -y "$H" "TERM=xterm-256color exec $BIN/ragtop --interval 1s"
wait_screen "api +. up"

# three problems at once
stack_api_stop >/dev/null
stack_add_transcript late-talk
sed -i 's/target_tokens: 256/target_tokens: 384/' config/params.yaml
wait_screen "CRIT: api down"
wait_screen "Sources +1 transcript not yet"
tmux -L "$SOCK" send-keys -t t '!'
wait_screen "Problems: 3 "
shot "$OUTDIR/problems.png"
tmux -L "$SOCK" send-keys -t t Escape

# a failed ingest: make exits 2, the validation in it 78
sed -i 's/target_tokens: 384/target_tokens: 256/' config/params.yaml
stack_api_start >/dev/null
wait_screen "api +. up"
sed -i 's/overlap_tokens: 32/overlap_tokens: 900/' config/params.yaml
tmux -L "$SOCK" send-keys -t t i
wait_screen "ingest run: FAILED, exit 78"
shot "$OUTDIR/action-failed.png"
