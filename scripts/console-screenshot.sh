#!/usr/bin/env bash
# console-screenshot.sh [OUT.png] — docs/img/console.png from a real run:
# the sample stack of the console tests (rag-ingest + rag-api, a few
# transcripts, one of them not yet ingested), ragtop in tmux at 110x34,
# capture-pane -e, scripts/ansi2svg.py, rsvg-convert (librsvg2-bin).
# Then, in the same run, the logs zoomed with a search (`/`) for
# OUT-search.png (docs/img/console-search.png).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/docs/img/console.png}
cd "$ROOT"
make -s all >/dev/null
BIN=$ROOT/build/bin; HELPERS=$ROOT/build/tests/helpers
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-shot.XXXXXX")
export XDG_CONFIG_HOME=$TMP/xdg # a clean settings.yaml: the shots change zoom
SOCK="ragtop-shot-$$"
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  (cd "$TMP/stack" && BIN=$BIN bash "$ROOT/tests/tui/stackctl.sh" stop >/dev/null 2>&1) || true
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
on_exit() { :; }
source "$ROOT/tests/tui/stack.sh"
STACK_FILES=24 STACK_BATCH=4 stack_init
cd "$STACK"; export BIN HELPERS
for i in 1 2 3; do stack_ingest >/dev/null 2>&1; stack_add_transcript "more$i"; done
stack_api_start >/dev/null
for q in freshness chunking "speaker hello"; do
  curl -s -X POST -H 'Content-Type: application/json' -d "{\"q\":\"$q\",\"k\":3}" "http://127.0.0.1:$STACK_PORT/query" >/dev/null || true
done
tmux -L "$SOCK" -f /dev/null new-session -d -s t -x 110 -y 34 "TERM=xterm-256color exec $BIN/ragtop --interval 1s"
sleep 6
shot() { # OUT.png
  tmux -L "$SOCK" capture-pane -e -p -t t >"$TMP/screen.ansi"
  python3 "$ROOT/scripts/ansi2svg.py" 110 34 <"$TMP/screen.ansi" >"$TMP/screen.svg"
  mkdir -p "$(dirname "$1")"
  rsvg-convert -o "$1" "$TMP/screen.svg"
  echo "wrote $1"
}
shot "$OUT"
# logs with a search: zoom the Logs pane, search for the index's events
tmux -L "$SOCK" send-keys -t t z
tmux -L "$SOCK" send-keys -t t / ; tmux -L "$SOCK" send-keys -t t -l 'published|serving|chunks'
tmux -L "$SOCK" send-keys -t t Enter
sleep 1.5
shot "${OUT%.png}-search.png"
