#!/usr/bin/env bash
# console-screenshot.sh [OUT.png] — docs/img/console.png from a real run:
# the sample stack of the console tests (rag-ingest + rag-api, a few
# transcripts, one of them not yet ingested), ragtop in tmux at 110x34,
# capture-pane -e, scripts/ansi2svg.py, rsvg-convert (librsvg2-bin).
# Then, in the same run, the logs zoomed with a search (`/`) for
# OUT-search.png (docs/img/console-search.png).
set -euo pipefail
W=110 H=34
source "$(dirname "$0")/screenshot-lib.sh"
OUT=${1:-$ROOT/docs/img/console.png}
source "$ROOT/tests/tui/stack.sh"
STACK_FILES=24 STACK_BATCH=4 stack_init
cd "$STACK"; export BIN HELPERS
for i in 1 2 3; do stack_ingest >/dev/null 2>&1; stack_add_transcript "more$i"; done
stack_api_start >/dev/null
for q in freshness chunking "speaker hello"; do
  curl -s -X POST -H 'Content-Type: application/json' -d "{\"q\":\"$q\",\"k\":3}" "http://127.0.0.1:$STACK_PORT/query" >/dev/null || true
done
tmux -L "$SOCK" -f /dev/null new-session -d -s t -x "$W" -y "$H" "TERM=xterm-256color exec $BIN/ragtop --interval 1s"
wait_screen "api +. up"
wait_screen " 3/0 " # the three queries, counted by the first probes
shot "$OUT"
# logs with a search: zoom the Logs pane, search for the index's events
tmux -L "$SOCK" send-keys -t t z
tmux -L "$SOCK" send-keys -t t / ; tmux -L "$SOCK" send-keys -t t -l 'published|serving|chunks'
tmux -L "$SOCK" send-keys -t t Enter
wait_screen "search /published"
shot "${OUT%.png}-search.png"
