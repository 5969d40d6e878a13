#!/usr/bin/env bash
# test_console_problems.sh — issue 12 "every problem with its fix", under
# tmux at 80x24, 120x40 and 200x60 against a real sample stack: a health
# URL that never answers reads "probing" while the other services' results
# and the verdict show at once; three problems at once (API down, config
# changed, a transcript not ingested) named in the header with the key
# that fixes the worst, listed whole in the Problems view (! and Enter on
# the header); Enter on a problem runs its fix on its own service and the
# console re-probes at once; Enter on a service shows its last /healthz,
# on a run its failed files.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 62

STACK_FILES=4 stack_init
cd "$STACK" || exit 1
# a listener that accepts connections and never answers (a hung service)
HANG_PORT=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
time.sleep(600)' "$HANG_PORT" &
track_pid $!
end=$(( $(date +%s) + 10 ))
until (exec 3<>"/dev/tcp/127.0.0.1/$HANG_PORT") 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; do sleep 0.1; done
# the API probed only every 30s: what brings it back on screen after an
# action is the immediate re-probe, not its interval
sed -i 's/interval: 1s, timeout: 1s/interval: 30s, timeout: 1s/' services.yml
cat >>services.yml <<YAML
  hung:
    kind: server
    optional: true
    health: {url: "http://127.0.0.1:$HANG_PORT/healthz", interval: 30s, timeout: 10s}
YAML
printf '{"segments": [' >data/broken.json   # a file rag-ingest fails on
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"
cp config/params.yaml "$TMP/params.good"

for size in 80x24 120x40 200x60; do
  w=${size%x*} h=${size#*x}
  cp "$TMP/params.good" config/params.yaml
  rm -f data/new*.txt data/pending*.txt
  stack_api_start >/dev/null
  stack_add_transcript "pending$w"   # a known problem while the hung URL is probed
  tui_start "$w" "$h" "$BIN/ragtop --interval 1s; echo EXIT=\$?; sleep 60"
  # wait (on a loaded machine the first collection can take seconds) until
  # the API's answer and the verdict show; the hung URL must still read
  # probing then (its timeout is 10s)
  tui_wait "hung +. probing" 10
  end=$(( $(date +%s) + 15 )); scr=""
  while [ "$(date +%s)" -lt "$end" ]; do
    scr=$(tui_cap)
    grep -qE "api +. (up|warn) " <<<"$scr" && head -1 <<<"$scr" | grep -q "WARN: 1 transcript not yet" && break
    grep -qE "hung +. probing" <<<"$scr" || break
    sleep 0.1
  done
  if grep -qE "hung +. probing" <<<"$scr" && grep -qE "api +. (up|warn) " <<<"$scr"; then
    ok "$size: a hung URL reads probing while the API's answer is already shown"
  else
    not_ok "$size: a hung URL reads probing while the API's answer is already shown" "$scr"
  fi
  if grep -qE "hung +. probing" <<<"$scr" && ! head -1 <<<"$scr" | grep -q "not probed yet"; then ok "$size: the verdict is computed meanwhile"; else not_ok "$size: the verdict is computed meanwhile" "$scr"; fi
  like "$(head -1 <<<"$scr")" "WARN: 1 transcript not yet" "$size: ... and names the known problem, not the pending probe"

  # three problems at once
  bash "$ROOT/tests/tui/stackctl.sh" stop
  stack_add_transcript new1
  sed -i 's/target_tokens: 256/target_tokens: 300/' config/params.yaml
  tui_keys Tab   # Logs -> the header
  tui_expect "$size: the header names the worst problem and its fix key" "CRIT: api down: connection.* a: start api" 40
  if [ "$size" = 120x40 ] || [ "$size" = 200x60 ]; then
    scr=$(tui_cap)
    if grep -q "API serves" <<<"$scr" && ! grep -q "all match" <<<"$scr"; then ok "$size: Config does not say all match while the API's hash is unknown"; else not_ok "$size: Config does not say all match while the API's hash is unknown" "$scr"; fi
  else
    ok "$size: (Config pane hidden at this size)"
  fi
  tui_keys Enter
  tui_expect "$size: Enter on the header opens the Problems view" "Problems: [0-9]+ " 3
  scr=$(tui_cap)
  like "$scr" "CRIT +service:api: api down" "$size: the worst problem first"
  like "$scr" "fix: a: start api \\(bash $ROOT/tests/tui/st" "$size: with its fix key and the command it runs"
  like "$scr" "chunking.target_tokens 256 -> 300" "$size: config drift with the key that changed"
  like "$scr" "transcripts not yet ingested" "$size: the transcripts not ingested"
  like "$scr" "fix: i: ingest" "$size: ingest fixes those"
  api_line=$(grep -n "service:api" <<<"$scr" | head -1 | cut -d: -f1)
  src_line=$(grep -n "not yet ingested" <<<"$scr" | head -1 | cut -d: -f1)
  if [ -n "$api_line" ] && [ -n "$src_line" ] && [ "$api_line" -lt "$src_line" ]; then ok "$size: CRIT before WARN"; else not_ok "$size: CRIT before WARN" "$scr"; fi
  tui_keys Escape
  tui_keys '!'
  tui_expect "$size: ! opens it too" "Problems: [0-9]+ " 3
  tui_keys Enter   # the selected (worst) problem's fix: start api
  tui_expect "$size: Enter runs the fix on the problem's service" "api start: done \\(exit 0\\)" 15
  tui_expect "$size: the console re-probes at once (the API's interval is 30s)" "api +. (up|warn) " 6
  tui_keys Escape

  if [ "$size" = 120x40 ]; then
    # Enter on a service: its last /healthz; on a run: its failed files
    for _ in 1 2 3 4 5 6 7; do tui_cap | grep -q '│>api' || break; tui_keys Tab; sleep 0.3; done
    tui_keys Enter
    tui_expect "$size: Enter on a service shows its last /healthz answer" "last /healthz answer" 3
    like "$(tui_cap)" '"status": +"(pass|warn|fail)"' "$size: ... pretty-printed"
    tui_keys Escape
    tui_keys Tab   # Services -> Runs
    tui_keys Enter
    tui_expect "$size: Enter on a run shows it" "Run [0-9]{8}T" 3
    tui_expect "$size: ... with its failed files" "broken.json" 3
    tui_keys Escape
  else
    for _ in 1 2 3 4 5; do ok "$size: (detail views are checked at 120x40)"; done
  fi
  tui_keys q
  tui_expect "$size: q quits" "EXIT=0" 5
  tmux -L "$TUI_SOCK" kill-server 2>/dev/null
done
