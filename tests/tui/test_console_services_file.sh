#!/usr/bin/env bash
# test_console_services_file.sh — the console says what services.yml on disk
# is now, under tmux against a real sample stack: edited into a broken file
# or removed while the console runs, the verdict turns UNKNOWN
# (services_file, as `ragtop --once` says) instead of staying OK, while the
# services read before stay shown, probed and listed in Problems as still
# in use; fixed or put back, OK again. A services.yml that appears only
# after the console started is read (it said "no such file" until a
# restart), and its actions run in its folder.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 14

stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"
cp services.yml "$TMP/services.good"
put() { cp "$1" services.yml.new && mv services.yml.new services.yml; } # an atomic edit

tui_start 100 30 "cd $STACK && $BIN/ragtop --interval 500ms; echo EXIT=\$?; sleep 60"
tui_expect "a valid services.yml: OK" "OK: [0-9]+ checks pass" 15
tui_expect "... the API is up" "api +. up" 10

printf 'version: 1\nservices:\n  api: [unclosed\n' >"$TMP/services.broken"
put "$TMP/services.broken"
tui_expect "services.yml edited into a broken file: the verdict is UNKNOWN, naming it" "UNKNOWN: services file invalid: " 5
like "$(tui_cap)" "api +. up" "... the services read before are still shown and probed"
tui_keys '!'
tui_expect "... Problems lists it as still in use" "still using the 2 services read before" 3
tui_keys Escape
json=$("$BIN/ragtop" --once --json)
is "$(jq -r '.checks[] | select(.name == "services_file") | .status' <<<"$json")" "UNKNOWN" "... as ragtop --once says"

put "$TMP/services.good"
tui_expect "fixed: OK again" "OK: [0-9]+ checks pass" 5
rm services.yml
tui_expect "removed: the verdict says it is gone" "UNKNOWN: services file gone: " 5
like "$(tui_cap)" "api +. up" "... the services read before are still shown"
put "$TMP/services.good"
tui_expect "put back: OK again" "OK: [0-9]+ checks pass" 5
tui_keys q
tui_expect "ragtop quits" "EXIT=0" 10
tmux -L "$TUI_SOCK" kill-server 2>/dev/null

# --- a services.yml that appears after the console started
mkdir -p "$TMP/late" "$TMP/elsewhere"
tui_start 100 30 "cd $TMP/elsewhere && $BIN/ragtop --config $STACK/config/params.yaml --services $TMP/late/services.yml --interval 500ms; echo EXIT=\$?; sleep 60"
tui_wait "no such file" 10
cat >"$TMP/late/services.yml.new" <<YAML
version: 1
services:
  late_svc:
    kind: server
    pidfile: artifacts/run/late.pid
    actions:
      start: {argv: [bash, -c, "pwd >$TMP/late-cwd"]}
YAML
mv "$TMP/late/services.yml.new" "$TMP/late/services.yml"
tui_expect "a services.yml created after the start is read" "late_svc +. stopped" 5
for _ in 1 2 3 4 5 6 7; do tui_cap | grep -q '│>late_svc' || break; tui_keys Tab; sleep 0.3; done
tui_keys a
if wait_for 10 test -s "$TMP/late-cwd"; then is "$(cat "$TMP/late-cwd")" "$TMP/late" "... its start action runs in its folder"
else not_ok "... its start action runs in its folder" "$(tui_cap)"; fi
tui_wait "late_svc start: done" 10
tui_keys q
tui_expect "ragtop quits" "EXIT=0" 10
