# tmux.sh — drive ragtop in a private tmux server (source after lib.sh).
#   tui_start W H CMD      start a detached session "t" running the shell command CMD
#   tui_cap [-e]           capture the pane (with -e: colours as escape codes)
#   tui_keys KEYS...       send-keys
#   tui_wait REGEX [SECS]  wait until the screen matches (0) or time out (1)
#   tui_resize W H
TUI_SOCK="ragtop-tui-$$-$RANDOM"
tui_start() {
  tmux -L "$TUI_SOCK" -f /dev/null new-session -d -s t -x "$1" -y "$2" "$3"
  on_exit "tmux -L $TUI_SOCK kill-server 2>/dev/null"
}
tui_cap() { tmux -L "$TUI_SOCK" capture-pane -p "$@" -t t 2>/dev/null; }
tui_keys() { tmux -L "$TUI_SOCK" send-keys -t t "$@"; }
tui_resize() { tmux -L "$TUI_SOCK" resize-window -t t -x "$1" -y "$2"; }
tui_wait() {
  local re=$1 secs=${2:-5} end
  end=$(( $(date +%s%N) + secs * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$end" ]; do
    tui_cap | grep -qE -- "$re" && return 0
    sleep 0.1
  done
  return 1
}
tui_expect() { # NAME REGEX [SECS]
  if tui_wait "$2" "${3:-5}"; then ok "$1"; else not_ok "$1" "screen never matched /$2/:" "$(tui_cap)"; fi
}
