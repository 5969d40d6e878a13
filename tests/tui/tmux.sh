# tmux.sh — drive ragtop in a private tmux server (source after lib.sh).
#   tui_start W H CMD      start a detached session "t" running the shell command CMD
#   tui_cap [-e]           capture the pane (with -e: colours as escape codes)
#   tui_keys KEYS...       send-keys
#   tui_wait REGEX [SECS]  wait until the screen matches (0) or time out (1)
#   tui_resize W H
#   tui_ragtop_pid         the pid of the ragtop this session's pane runs (the
#                          pane's process, or its child): never another session's
TUI_SOCK="ragtop-tui-$$-$RANDOM"
tui_start() {
  tmux -L "$TUI_SOCK" -f /dev/null new-session -d -s t -x "$1" -y "$2" "$3"
  on_exit "tmux -L $TUI_SOCK kill-server 2>/dev/null"
}
tui_cap() { tmux -L "$TUI_SOCK" capture-pane -p "$@" -t t 2>/dev/null; }
tui_keys() { tmux -L "$TUI_SOCK" send-keys -t t "$@"; }
tui_resize() { tmux -L "$TUI_SOCK" resize-window -t t -x "$1" -y "$2"; }
tui_ragtop_pid() {
  local pane
  pane=$(tmux -L "$TUI_SOCK" display -p -t t '#{pane_pid}' 2>/dev/null) || return 1
  [ -n "$pane" ] || return 1
  if [ "$(cat "/proc/$pane/comm" 2>/dev/null)" = ragtop ]; then echo "$pane"; else pgrep -P "$pane" -x ragtop | head -1; fi
}
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
