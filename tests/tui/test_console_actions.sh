#!/usr/bin/env bash
# test_console_actions.sh — issue 12 "actions that never miss", under tmux at
# 80x24, 120x40 and 200x60 against a real sample stack whose ingest runs
# through make (validate, then rag-ingest) and with rag_watch, a server with
# no health URL whose state comes from the pidfile scripts/daemon.sh writes:
# s on a job refuses, s on a server asks showing the exact argv, a and a
# again (the pidfile state and "already running"), a failed ingest shows
# the program's exit 78 and the validation message, o shows the output, q
# during an ingest asks (wait / leave running / stop) and waiting lets the
# run finish.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 64

STACK_FILES=12 STACK_BATCH=2 STACK_SLOW_EMBED=0.4 STACK_MAKE=1 STACK_WATCH=1 stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1; bash $ROOT/scripts/daemon.sh stop ragtop-watch >/dev/null 2>&1"
cp config/params.yaml "$TMP/params.good"

# focus the Services pane: Tab until the row marker '>' (shown only while
# the pane does not have focus) disappears
focus_services() {
  local i
  for i in 1 2 3 4 5 6 7 8; do
    tui_cap | grep -q '│>api' || return 0
    tui_keys Tab
    tui_wait '│ api ' 1 && ! tui_cap | grep -q '│>api' && return 0
  done
  return 1
}

for size in 80x24 120x40 200x60; do
  w=${size%x*} h=${size#*x}
  cp "$TMP/params.good" config/params.yaml
  bash "$ROOT/scripts/daemon.sh" stop ragtop-watch >/dev/null 2>&1
  tui_start "$w" "$h" "STACK_INGEST_ARGS=--full $BIN/ragtop --interval 1s; echo EXIT=\$?; sleep 60"
  tui_expect "$size: the API is up" "api +. up" 8
  if focus_services; then ok "$size: Tab reaches the Services pane"; else not_ok "$size: Tab reaches the Services pane" "$(tui_cap)"; fi

  tui_keys Down
  tui_keys s
  tui_expect "$size: s on the ingest job refuses and says why" "ingest is a job: it has no stop" 3
  scr=$(tui_cap)
  if ! grep -q "Confirm" <<<"$scr"; then ok "$size: ... and asks nothing"; else not_ok "$size: ... and asks nothing" "$scr"; fi

  tui_keys Up
  tui_keys s
  tui_expect "$size: s on api asks to stop api" "Stop api\\?" 3
  tui_expect "$size: the dialog shows the exact argv" "runs: bash $ROOT/tests/tui/stackctl.sh stop" 2
  tui_keys Escape
  tui_wait "cancelled" 3

  tui_keys Down Down
  tui_expect "$size: rag_watch reads stopped from its (missing) pidfile" "rag_watch +. stopped" 3
  tui_keys a
  tui_expect "$size: a starts the highlighted rag_watch" "rag_watch start: done \\(exit 0\\)" 10
  tui_expect "$size: its pidfile makes it read running" "rag_watch +. running" 5
  pid=$(head -1 artifacts/run/ragtop-watch.pid 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then ok "$size: the watcher really runs (pid $pid)"; else not_ok "$size: the watcher really runs" "pid=$pid"; fi
  tui_keys a
  tui_expect "$size: a again says what daemon.sh said, not done" "nothing to do \\(exit 0\\): ragtop-watch: already running" 10
  if [ "$w" -ge 120 ]; then
    like "$(tui_cap)" "rag_watch +. running .* pid $pid" "$size: the row names the pid"
  else
    ok "$size: (the pid column needs 120 columns)"
  fi

  # a broken config: make exits 2, the program (ragtop validate) 78
  sed -i 's/overlap_tokens: 32/overlap_tokens: 900/' config/params.yaml
  tui_keys i
  tui_expect "$size: a failed ingest shows the program's exit 78, not make's 2" "ingest run: FAILED, exit 78" 10
  tui_expect "$size: ... and the validation message" "FAILED, exit 78: config/params.yaml:[0-9]+:[0-9]+: chunking.overlap_t" 2
  tui_keys o
  tui_expect "$size: o opens the action's output" "Output of ingest run" 3
  tui_expect "$size: ... with the whole message" "must be less than chunking.target_tokens" 2
  tui_keys Escape
  cp "$TMP/params.good" config/params.yaml

  if [ "$size" = 120x40 ]; then
    # q during a (slow) ingest asks; Esc stays; q then Enter waits for it
    stack_add_transcript "late$w"
    runs0=$(wc -l <artifacts/logs/ingestion_metrics.jsonl)
    tui_keys i
    tui_expect "$size: the ingest runs" "ingest run .*(ETA|running)" 8
    tui_keys q
    tui_expect "$size: q during an ingest asks" "ingest run is running. Quit ragtop and:" 3
    like "$(tui_cap)" "Wait for it \\(w\\)" "$size: ... offering wait (the default), leave running and stop"
    tui_keys Escape
    tui_expect "$size: Esc stays" "not quitting" 3
    tui_keys q; tui_wait "Quit ragtop and" 3; tui_keys Enter
    tui_expect "$size: Enter waits and says so" "quitting when ingest run ends" 3
    tui_expect "$size: ragtop quits once the ingest ended" "EXIT=0" 30
    last=$(tail -1 artifacts/logs/ingestion_metrics.jsonl | jq -r .status)
    runs1=$(wc -l <artifacts/logs/ingestion_metrics.jsonl)
    if [ "$runs1" -gt "$runs0" ] && [ "$last" = published ]; then ok "$size: the ingest finished (published), not interrupted"; else not_ok "$size: the ingest finished" "runs $runs0 -> $runs1, last=$last"; fi
  elif [ "$size" = 200x60 ]; then
    # q, l: leave it running detached
    stack_add_transcript "late$w"
    tui_keys i
    tui_expect "$size: the ingest runs" "ingest run .*(ETA|running)" 8
    tui_keys q; tui_wait "Quit ragtop and" 3; tui_keys l
    tui_expect "$size: l quits at once" "EXIT=0" 5
    pids=$(pgrep -f "rag-ingest --config config/params.yaml" || true)
    if [ -n "$pids" ]; then ok "$size: the ingest keeps running after ragtop quit"; else not_ok "$size: the ingest keeps running after ragtop quit"; fi
    end=$(( $(date +%s) + 40 ))
    while pgrep -f "rag-ingest --config config/params.yaml" >/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    last=$(tail -1 artifacts/logs/ingestion_metrics.jsonl | jq -r .status)
    is "$last" "published" "$size: ... and finishes on its own"
    like "$(cat artifacts/logs/action-ingest-run.out)" "." "$size: its output still goes to its .out file"
  else
    # q, s: stop it (the old behaviour, now chosen)
    stack_add_transcript "late$w"
    tui_keys i
    tui_expect "$size: the ingest runs" "ingest run .*(ETA|running)" 8
    tui_keys q; tui_wait "Quit ragtop and" 3; tui_keys s
    tui_expect "$size: s stops it and quits" "EXIT=0" 10
    like "$(tail -3 artifacts/logs/actions.log)" "ingest run: stopped \\(ragtop quit\\)" "$size: the action log says it was stopped"
    like "$(tail -1 artifacts/logs/ingestion_metrics.jsonl)" "." "$size: (metrics line present)"
  fi
  tmux -L "$TUI_SOCK" kill-server 2>/dev/null
done
