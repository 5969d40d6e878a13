# screenshot-lib.sh — what the screenshot scripts share (sourced after
# setting W and H, the terminal size): builds the programs, makes a private
# temp folder (with a clean settings.yaml: the shots change zoom) and tmux
# socket, both removed at exit with the sample stack's processes, and gives
#   wait_screen REGEX   until the screen matches (20 s at most, else exit 1)
#   shot OUT.png        the tmux screen as a PNG: capture-pane -e,
#                       scripts/ansi2svg.py, rsvg-convert (librsvg2-bin)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
make -s all >/dev/null
BIN=$ROOT/build/bin; HELPERS=$ROOT/build/tests/helpers
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-shot.XXXXXX")
export XDG_CONFIG_HOME=$TMP/xdg
SOCK="ragtop-shot-$$"
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  (cd "$TMP/stack" && BIN=$BIN bash "$ROOT/tests/tui/stackctl.sh" stop >/dev/null 2>&1) || true
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
on_exit() { :; } # stack.sh registers clean-ups; cleanup above does them
wait_screen() {
  local end=$(( $(date +%s) + 20 ))
  until tmux -L "$SOCK" capture-pane -p -t t | grep -qE -- "$1"; do
    [ "$(date +%s)" -lt "$end" ] || { echo "screenshot: screen never showed /$1/" >&2; exit 1; }
    sleep 0.2
  done
}
shot() {
  tmux -L "$SOCK" capture-pane -e -p -t t >"$TMP/screen.ansi"
  python3 "$ROOT/scripts/ansi2svg.py" "$W" "$H" <"$TMP/screen.ansi" >"$TMP/screen.svg"
  mkdir -p "$(dirname "$1")"
  rsvg-convert -o "$1" "$TMP/screen.svg"
  echo "wrote $1"
}
