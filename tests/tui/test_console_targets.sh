#!/usr/bin/env bash
# test_console_targets.sh — console actions act on what the operator chose,
# under tmux: a console opened with --config/--services (relative paths, and
# started by a make whose MAKEFLAGS name the default config) runs its
# actions' make against those files, not the default stack's; y in the
# confirmation runs the argv the dialog showed, never one services.yml got
# since (that one is refused: press the key again to see it); one action
# per service at a time (a stop during the restart is refused), others at
# once; the selection follows its service when services.yml is reordered,
# and so do a replicated service's expanded instances; a service with the
# longest name allowed is acted on and checked under its whole name.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 35

stack_init
mkdir -p "$TMP/c" "$TMP/elsewhere"
# a second stack: a copy of the config with its own ports
sed -e "s/127.0.0.1:$STACK_PORT/127.0.0.1:$(free_port)/" -e "s/127.0.0.1:$STACK_ADMIN_PORT/127.0.0.1:$(free_port)/" \
  "$STACK/config/params.yaml" >"$TMP/c/params_c.yaml"
# what make sees: the Makefile's defaults, overridden by the environment
cat >"$TMP/show.mk" <<'MK'
CONFIG ?= config/params.yaml
SERVICES ?= services.yml
show:
	@echo "$(CONFIG) $(SERVICES)" >$(dir $(lastword $(MAKEFILE_LIST)))make-saw
	@echo "make saw $(CONFIG)"
MK
cat >"$TMP/c/svc_c.yml" <<YAML
version: 1
services:
  c_api:
    kind: server
    pidfile: artifacts/run/c_api.pid
    actions:
      restart: {argv: [make, --no-print-directory, -f, $TMP/show.mk, show], confirm: true}
YAML

# focus the Services pane: Tab until the row marker '>' (shown only while
# the pane does not have focus) on row NAME disappears
focus_services() { # NAME
  local i
  for i in 1 2 3 4 5 6 7 8; do
    tui_cap | grep -q "│>$1" || return 0
    tui_keys Tab
    tui_wait "│ $1 " 1 && ! tui_cap | grep -q "│>$1" && return 0
  done
  return 1
}

# --- B: the action's make gets the console's config and services files
tui_start 120 40 "cd $TMP/elsewhere && env MAKEFLAGS=' -- CONFIG=config/params.yaml' MAKELEVEL=1 $BIN/ragtop --config ../c/params_c.yaml --services ../c/svc_c.yml --interval 500ms; echo EXIT=\$?; sleep 60"
tui_wait "c_api" 10
if focus_services c_api; then ok "B: Tab reaches the Services pane"; else not_ok "B: Tab reaches the Services pane" "$(tui_cap)"; fi
tui_keys r
tui_wait "Restart c_api\\?" 5
tui_keys y
tui_expect "B: the restart runs" "c_api restart: done \\(exit 0\\)" 10
want="$(realpath "$TMP/c/params_c.yaml") $(realpath "$TMP/c/svc_c.yml")"
is "$(cat "$TMP/make-saw" 2>/dev/null)" "$want" "B: make in the action saw the console's config and services (absolute), not the default or MAKEFLAGS'"
tui_keys q
tui_expect "B: ragtop quits" "EXIT=0" 10
tmux -L "$TUI_SOCK" kill-server 2>/dev/null

# --- the sample stack's services: every action records "SERVICE ACTION" in
# $TMP/ran, and holds while $TMP/hold-SERVICE exists
cat >"$TMP/act.sh" <<'SH'
#!/usr/bin/env bash
d=$(dirname "$0")
echo "$1 $2" >>"$d/ran"
while [ -e "$d/hold-$1" ]; do sleep 0.05; done
echo "$1 $2 ok"
SH
: >"$TMP/ran"
on_exit "rm -f $TMP/hold-*"
svc_block() { # NAME [STOP-ARGV]
  cat <<YAML
  $1:
    kind: server
    pidfile: artifacts/run/$1.pid
    actions:
      start:   {argv: [bash, $TMP/act.sh, $1, start]}
      restart: {argv: [bash, $TMP/act.sh, $1, restart], confirm: true}
      stop:    {argv: [${2:-bash, $TMP/act.sh, $1, stop}], confirm: true}
YAML
}
write_services() { # [STOP-ARGV of svc_a] -- NAMES...
  local stop_a=$1; shift
  { echo "version: 1"; echo "services:"
    local n; for n in "$@"; do if [ "$n" = svc_a ]; then svc_block "$n" "$stop_a"; else svc_block "$n"; fi; done
  } >"$STACK/services.yml.new"
  mv "$STACK/services.yml.new" "$STACK/services.yml"
}
ran() { cat "$TMP/ran"; }
write_services "" svc_a svc_b svc_c
tui_start 120 40 "cd $STACK && env -u RAG_CONFIG -u RAG_SERVICES $BIN/ragtop --interval 500ms; echo EXIT=\$?; sleep 60"
tui_wait "svc_c" 10
if focus_services svc_a; then ok "Tab reaches the Services pane"; else not_ok "Tab reaches the Services pane" "$(tui_cap)"; fi

# --- A: the confirmation runs what it showed
tui_keys s
tui_expect "A: s on svc_a shows the argv it will run" "runs: bash $TMP/act.sh svc_a stop" 5
write_services "touch, $TMP/PWNED-stop" svc_a svc_b svc_c
tui_expect "A: services.yml is re-read while the dialog is open" "services.yml changed: re-read" 15
tui_keys y
tui_expect "A: y refuses: the action changed since it was shown" "svc_a stop not run: the action changed in services.yml since you were asked; press s again" 5
if [ ! -e "$TMP/PWNED-stop" ] && ! grep -q "svc_a stop" "$TMP/ran"; then ok "A: ... and nothing ran (neither the new argv nor the old)"
else not_ok "A: ... and nothing ran" "ran: $(ran)" "PWNED-stop: $(ls "$TMP"/PWNED-stop 2>&1)"; fi
tui_keys s
tui_expect "A: s again shows the new argv" "runs: touch $TMP/PWNED-stop" 5
tui_keys y
tui_expect "A: y now runs it (it was shown)" "svc_a stop: done \\(exit 0\\)" 10
if [ -e "$TMP/PWNED-stop" ]; then ok "A: ... the shown argv ran"; else not_ok "A: ... the shown argv ran" "$(tui_cap)"; fi
tui_keys Down s
tui_expect "A: an unchanged action: the dialog" "runs: bash $TMP/act.sh svc_b stop" 5
tui_keys y
tui_expect "A: ... y runs it" "svc_b stop: done \\(exit 0\\)" 10

# --- C: one action per service at a time, other services alongside
touch "$TMP/hold-svc_a"
rm -f "$TMP/PWNED-stop" # svc_a's stop since A
tui_keys Home r
tui_wait "Restart svc_a\\?" 5
tui_keys y
if wait_for 10 grep -q "svc_a restart" "$TMP/ran"; then ok "C: svc_a's restart runs (held)"; else not_ok "C: svc_a's restart runs" "$(ran)"; fi
tui_keys s
tui_wait "Stop svc_a\\?" 5
tui_keys y
tui_expect "C: a stop during the restart is refused, naming the restart" "svc_a stop not started: svc_a restart is still running" 5
tui_keys Down a
if wait_for 10 grep -q "svc_b start" "$TMP/ran"; then ok "C: svc_b's start runs while svc_a's restart runs"; else not_ok "C: svc_b's start runs while svc_a's restart runs" "$(ran)" "$(tui_cap)"; fi
# svc_b's start must have ended before the restart is released: the check
# below is about the action that ends last (it raced when only its start
# was awaited: the 50 ms start could end after the released restart)
wait_for 10 grep -q "== svc_b start: done" "$STACK/artifacts/logs/actions.log" || echo "# svc_b's start did not end"
rm -f "$TMP/hold-svc_a"
if wait_for 10 grep -q "svc_a restart" "$STACK/artifacts/logs/actions.log" && wait_for 10 grep -q "== svc_a restart: done" "$STACK/artifacts/logs/actions.log"; then
  ok "C: the restart ends"; else not_ok "C: the restart ends" "$(cat "$STACK/artifacts/logs/actions.log")"; fi
if [ ! -e "$TMP/PWNED-stop" ]; then ok "C: the refused stop never ran"; else not_ok "C: the refused stop never ran"; fi
# svc_b's start ended first: the restart, ending after it, is the action shown (o: its output)
tui_expect "C: the status line then shows the restart's result" "svc_a restart: done \\(exit 0\\)" 10
tui_keys o
tui_expect "C: o shows the restart's output, not svc_b's start" "Output of svc_a restart" 5
tui_keys Escape

# --- D: the selection follows its service when services.yml is reordered
rows() { tui_cap | grep -oE "│[ >]svc_[a-z]" | tr -d '│> ' | tr '\n' ' '; }
tui_keys Home Down Down
write_services "touch, $TMP/PWNED-stop" svc_a svc_c svc_b
if wait_for 15 bash -c "[ \"\$(tmux -L $TUI_SOCK capture-pane -p -t t | grep -oE '│[ >]svc_[a-z]' | tr -d '│> ' | tr '\n' ' ')\" = 'svc_a svc_c svc_b ' ]"; then
  ok "D: the reordered services.yml is shown"; else not_ok "D: the reordered services.yml is shown" "$(rows)" "$(tui_cap)"; fi
: >"$TMP/ran"
tui_keys a
if wait_for 10 grep -q "start" "$TMP/ran"; then
  is "$(ran)" "svc_c start" "D: a starts the service that was selected (svc_c, now row 2), not the one now in its row"
  tui_wait "svc_c start: done" 10
else not_ok "D: a starts the service that was selected" "$(tui_cap)"; fi
write_services "touch, $TMP/PWNED-stop" svc_a svc_b
if wait_for 15 bash -c "[ \"\$(tmux -L $TUI_SOCK capture-pane -p -t t | grep -oE '│[ >]svc_[a-z]' | tr -d '│> ' | tr '\n' ' ')\" = 'svc_a svc_b ' ]"; then
  ok "D: the selected service removed: shown"; else not_ok "D: the selected service removed: shown" "$(rows)"; fi
: >"$TMP/ran"
tui_keys a
if wait_for 10 grep -q "start" "$TMP/ran"; then
  is "$(ran)" "svc_b start" "D: ... the selection stays on its row, clamped (the last one)"
  tui_wait "svc_b start: done" 10
else not_ok "D: ... the selection stays on its row, clamped" "$(tui_cap)"; fi

# --- E: a replicated service's expanded instances follow the service, not
# its row, when services.yml is reordered or a service added before it.
# Nothing listens on the ports: each instance reads DOWN.
declare -A PORT
for k in a1 a2 b1 b2 c1 c2; do PORT[$k]=$(free_port); done
rep_block() { # NAME: a server with two instances, NAME1 and NAME2
  cat <<YAML
  rep_$1:
    kind: server
    health: {urls: [http://127.0.0.1:${PORT[${1}1]}/healthz, http://127.0.0.1:${PORT[${1}2]}/healthz], interval: 1s, timeout: 1s}
YAML
}
write_reps() { # NAMES...
  { echo "version: 1"; echo "services:"; local n; for n in "$@"; do rep_block "$n"; done; } >"$STACK/services.yml.new"
  mv "$STACK/services.yml.new" "$STACK/services.yml"
}
# the Services pane top to bottom: rep_X for a service, X1 / X2 for an instance row
tree() {
  local t k
  t=$(tmux -L "$TUI_SOCK" capture-pane -p -t t | sed -n '/─ Services /,/^└─/p' | grep -oE "│[ >]rep_[a-z]|(├|└) 127\.0\.0\.1:[0-9]+" \
        | sed -E 's/^│[ >]//; s/^(├|└) 127\.0\.0\.1://' | tr '\n' ' ')
  for k in "${!PORT[@]}"; do t=${t//${PORT[$k]} /$k }; done
  echo "$t"
}
tree_is() { [ "$(tree)" = "$1" ]; }
write_reps a b
if tui_wait "rep_b +. 0/2 up" 15; then ok "E: two replicated services, probed"; else not_ok "E: two replicated services, probed" "$(tui_cap)"; fi
tui_keys Home Space
if wait_for 10 tree_is "rep_a a1 a2 rep_b "; then ok "E: Space on rep_a shows its instances under it"
else not_ok "E: Space on rep_a shows its instances under it" "$(tree)" "$(tui_cap)"; fi
write_reps b a
if wait_for 15 tree_is "rep_b rep_a a1 a2 "; then ok "E: services.yml reordered: rep_a (now row 2) stays expanded, rep_b (now row 1) does not"
else not_ok "E: services.yml reordered: rep_a stays expanded, rep_b does not" "$(tree)" "$(tui_cap)"; fi
write_reps c b a
if wait_for 15 tree_is "rep_c rep_b rep_a a1 a2 "; then ok "E: a service added before it: still rep_a's instances, under rep_a"
else not_ok "E: a service added before it: still rep_a's instances, under rep_a" "$(tree)" "$(tui_cap)"; fi
tui_keys Space # the selection followed rep_a too
if wait_for 10 tree_is "rep_c rep_b rep_a "; then ok "E: Space on rep_a (followed by name) hides them"
else not_ok "E: Space on rep_a hides them" "$(tree)" "$(tui_cap)"; fi

# --- F: a service named with the longest name services.yml allows (64
# characters) is acted on and checked under its whole name, not a cut one
LONG=svc_long_$(printf 'x%.0s' {1..55})
write_services "" "$LONG" svc_b
if tui_wait "│[ >]svc_long_x+…" 15 && wait_for 15 bash -c "tmux -L $TUI_SOCK capture-pane -p -t t | grep -q '│[ >]svc_b'"; then
  ok "F: a service with a 64-character name is shown (cut with …)"; else not_ok "F: a service with a 64-character name is shown" "$(tui_cap)"; fi
: >"$TMP/ran"
tui_keys Home s
tui_expect "F: s on it asks" "Stop svc_long_x+" 5
tui_keys y
if wait_for 10 grep -qx "$LONG stop" "$TMP/ran"; then ok "F: y runs its stop (the confirmed service found by its whole name)"
else not_ok "F: y runs its stop" "ran: $(ran)" "$(tui_cap)"; fi
json=$(cd "$STACK" && env -u RAG_CONFIG -u RAG_SERVICES "$BIN/ragtop" --once --json)
is "$(jq -r --arg n "service:$LONG" '.checks[] | select(.name == $n) | .fix_target' <<<"$json")" "$LONG" \
  "F: its check is named service:<the whole name> and its fix targets the whole name"
tui_keys q
tui_expect "ragtop quits" "EXIT=0" 10
