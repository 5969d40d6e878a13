#!/usr/bin/env bash
# test_console_targets.sh — console actions act on what the operator chose,
# under tmux: a console opened with --config/--services (relative paths, and
# started by a make whose MAKEFLAGS name the default config) runs its
# actions' make against those files, not the default stack's.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 4

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
