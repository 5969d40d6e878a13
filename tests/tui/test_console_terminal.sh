#!/usr/bin/env bash
# test_console_terminal.sh — terminal behaviour of the console: TERM=dumb,
# an unknown TERM and no terminal exit 64 (EX_USAGE) pointing to --once; NO_COLOR gives attributes only;
# --ascii has no line drawing; killing the tmux session (an SSH drop) leaves
# no ragtop and no action child behind; SIGTERM restores the terminal; a bad
# --theme is a usage error; user themes come from $XDG_CONFIG_HOME; q on the
# too-small screen while an action runs asks (it stopped the action unasked).
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 23

stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1

out=$(TERM=dumb "$BIN/ragtop" 2>&1 </dev/null); rc=$?
is "$rc" "64" "TERM=dumb exits 64 (EX_USAGE)"
like "$out" "ragtop --once" "TERM=dumb points to --once"
TERM=xterm "$BIN/ragtop" </dev/null >"$TMP/notty.out" 2>&1; rc=$?
is "$rc" "64" "no terminal exits 64 (EX_USAGE)"
TERM=nosuchterm script -q -e -c "$BIN/ragtop" /dev/null </dev/null >"$TMP/unknown-term.out" 2>&1; rc=$?
is "$rc" "64" "a terminal with an unknown TERM exits 64 (EX_USAGE), not 0"

tui_start 100 30 "NO_COLOR=1 $BIN/ragtop --interval 1s; sleep 30"
tui_wait "Freshness" 8
sleep 1
tui_cap -e >"$TMP/nocolor.ansi"
# SGR parameters that set a colour: 30-37 38 40-47 48 90-97 100-107 (39/49 only reset)
verdict=$(python3 - "$TMP/nocolor.ansi" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8", errors="replace").read()
sgr = re.findall(r"\x1b\[([0-9;]*)m", s)
bad = [p for p in sgr if any(x.isdigit() and (30 <= int(x) <= 38 or 40 <= int(x) <= 48 or 90 <= int(x) <= 97 or 100 <= int(x) <= 107)
                             for x in p.split(";"))]
print("colour" if bad else ("attributes" if sgr else "none"), len(sgr), bad[:5])
PY
)
like "$verdict" "^attributes" "NO_COLOR: capture-pane -e shows no colour sequences (attributes only)"
tmux -L "$TUI_SOCK" kill-server

TUI_SOCK="$TUI_SOCK-b"
tui_start 100 30 "$BIN/ragtop --ascii --interval 1s; sleep 30"
tui_wait "Freshness" 8
if tui_cap | grep -q '[─│┌┐└┘▁▂▃▄▅▆▇█✔]'; then not_ok "--ascii draws no line drawing or block glyphs" "$(tui_cap)"; else ok "--ascii draws no line drawing or block glyphs"; fi
tmux -L "$TUI_SOCK" kill-server

# SSH drop: the session dies while an action is running. The sleep lengths
# are unique to this run: a concurrent run elsewhere has its own to find/kill.
SLOW_SECS="37.$$"
TIMEOUT_SECS="41.$$"
cat >"$STACK/slow.yml" <<YAML
version: 1
services:
  slow:
    kind: job
    actions:
      run: {argv: [sleep, "$SLOW_SECS"]}
YAML
TUI_SOCK="$TUI_SOCK-c"
pkill -f "sleep $SLOW_SECS$" 2>/dev/null
tui_start 100 30 "exec $BIN/ragtop --interval 1s --services slow.yml"
tui_wait "Freshness" 8
tui_keys i
pid=$(tui_ragtop_pid)
child_runs() { [ -n "$pid" ] && pgrep -P "$pid" -f "sleep $SLOW_SECS$" >/dev/null; }
end=$(( $(date +%s) + 8 )); until child_runs || [ "$(date +%s)" -ge "$end" ]; do sleep 0.1; done
if child_runs; then ok "the action child runs, started by ragtop"; else not_ok "the action child runs, started by ragtop" "pid=$pid" "$(tui_cap)"; fi
tmux -L "$TUI_SOCK" kill-server
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then ok "after the session is killed no ragtop is left"; else not_ok "after the session is killed no ragtop is left" "pid=$pid"; fi
if pgrep -f "sleep $SLOW_SECS$" >/dev/null; then not_ok "after the session is killed no action child is left"; pkill -f "sleep $SLOW_SECS$"; else ok "after the session is killed no action child is left"; fi

TUI_SOCK="$TUI_SOCK-d"
tui_start 100 30 "$BIN/ragtop --interval 1s; echo EXIT=\$?; sleep 30"
tui_wait "Freshness" 8
pid=$(tui_ragtop_pid)
kill -TERM "$pid"
tui_wait "EXIT=" 5
alt=$(tmux -L "$TUI_SOCK" display -p -t t '#{alternate_on}')
if tui_cap | grep -q "EXIT=143" && [ "$alt" = 0 ]; then ok "SIGTERM ends it and restores the terminal"; else not_ok "SIGTERM ends it and restores the terminal" "alt=$alt" "$(tui_cap)"; fi
tmux -L "$TUI_SOCK" kill-server

# an action past its timeout is stopped (its whole process group) and reported
cat >"$STACK/timeout.yml" <<YAML
version: 1
services:
  slowjob:
    kind: job
    actions:
      run: {argv: [sleep, "$TIMEOUT_SECS"], timeout: 1s}
YAML
TUI_SOCK="$TUI_SOCK-t"
tui_start 100 30 "$BIN/ragtop --interval 1s --services timeout.yml; sleep 30"
tui_wait "Freshness" 8
tui_keys i
if tui_wait "slowjob run: timed out after 1" 6 && ! pgrep -f "sleep $TIMEOUT_SECS$" >/dev/null; then
  ok "an action past its timeout is stopped and reported"
else
  not_ok "an action past its timeout is stopped and reported" "$(tui_cap | tail -3)"; pkill -f "sleep $TIMEOUT_SECS$"
fi
tmux -L "$TUI_SOCK" kill-server

# Ctrl-Z / fg from a shell
TUI_SOCK="$TUI_SOCK-e"
tui_start 100 30 "PS1='prompt\$ ' bash --norc -i"
sleep 0.5
tui_keys "$BIN/ragtop --interval 1s" Enter
tui_wait "Freshness" 8
tui_keys C-z
tui_expect "Ctrl-Z suspends ragtop and gives the shell back" "Stopped" 5
tui_keys "fg" Enter
tui_expect "fg brings the console back" "Freshness" 5
tui_keys q
tui_expect "q after fg returns to the shell" '^prompt[$] ?$' 5
tmux -L "$TUI_SOCK" kill-server

# the too-small screen: q while an action runs asks, as q does at any size
# (wait, leave it running, stop it, Esc stays); it used to quit at once,
# which stops the action, unasked
SMALL_SECS="43.$$"
cat >"$STACK/small.yml" <<YAML
version: 1
services:
  slow:
    kind: job
    actions:
      run: {argv: [sleep, "$SMALL_SECS"]}
YAML
running() { pgrep -f "sleep $SMALL_SECS$" >/dev/null; }
TUI_SOCK="$TUI_SOCK-s"
tui_start 100 30 "$BIN/ragtop --interval 1s --services small.yml; echo EXIT=\$?; sleep 30"
tui_wait "Freshness" 8
tui_keys i
wait_for 10 running || diag "the action did not start: $(tui_cap | tail -2)"
tui_resize 40 10
tui_wait "too small" 5
tui_keys q
tui_expect "too small, an action running: q asks what to do with it" "slow run runs\. Quit and:" 5
if running && ! tui_cap | grep -q "EXIT="; then ok "... and neither quits nor stops the action"
else not_ok "... and neither quits nor stops the action" "$(tui_cap)"; fi
tui_keys Escape
tui_expect "Esc: stays (q quits again)" "^q quits" 5
tui_keys q
tui_wait "Quit and:" 5
tui_keys l
tui_expect "l: quits, leaving the action running" "EXIT=0" 5
if running; then ok "... which still runs"; else not_ok "... which still runs" "$(tui_cap)"; fi
pkill -f "sleep $SMALL_SECS$"
tmux -L "$TUI_SOCK" kill-server

# a non-UTF-8 locale gets ASCII drawing without --ascii; --readonly disables actions
TUI_SOCK="$TUI_SOCK-f"
tui_start 100 30 "LC_ALL=C LANG=C $BIN/ragtop --readonly --interval 1s; sleep 30"
tui_wait "Freshness" 8
if tui_cap | grep -q '[─│┌┐└┘▁▂▃▄▅▆▇█✔]'; then not_ok "LC_ALL=C: ASCII drawing automatically" "$(tui_cap)"; else ok "LC_ALL=C: ASCII drawing automatically"; fi
tui_keys i
tui_expect "--readonly: action keys do nothing but say why" "read-only: actions are disabled" 3
tmux -L "$TUI_SOCK" kill-server

out=$(script -qec "$BIN/ragtop --theme no-such-theme" /dev/null 2>&1 </dev/null); rc=$?
like "$out" "theme 'no-such-theme' not found" "an unknown --theme is reported"
mkdir -p "$TMP/xdg/ragtop/themes"
printf 'ok = bogus-colour\n' >"$TMP/xdg/ragtop/themes/mine.theme"
out=$(XDG_CONFIG_HOME=$TMP/xdg script -qec "$BIN/ragtop --theme mine" /dev/null 2>&1 </dev/null)
like "$out" "mine.theme:1: ok: unknown colour" "a user theme from XDG_CONFIG_HOME is loaded and checked"
