#!/usr/bin/env bash
# test_console_contexts.sh — issue 15 "remote stacks" and "contexts" in the
# console, under tmux: `ragtop --context far` shows a stack through its
# /status alone (ragtop started in a folder with no stack; the context has
# no local paths): verdict, served generation, runs, and the warning/error
# events of its logs, new ones as they are written; no actions on a remote
# stack; `c` opens the fleet overview (one row per context: verdict, worst
# check, generation, age), Enter switches to the local context (its own
# services and log files) and back; a wrong token is a clear message in
# the header; the token is never on screen.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 17

stack_status_up
TOKEN=$STATUS_TOKEN
GEN=$(jq -r .generation artifacts/checkpoints/latest.json)
mkdir -p "$XDG_CONFIG_HOME/ragtop" "$TMP/elsewhere"
cat >"$XDG_CONFIG_HOME/ragtop/contexts.yaml" <<YAML
contexts:
  here: {services: $STACK/services.yml, config: $STACK/config/params.yaml}
  far: {url: "$ADMIN", token_env: RAG_STATUS_TOKEN}
  wrong: {url: "$ADMIN", token_env: BAD_TOKEN}
YAML
screens=""
cap() { local s; s=$(tui_cap); screens+="$s"$'\n'; printf '%s' "$s"; }

tui_start 140 40 "cd $TMP/elsewhere && env -u RAG_CONFIG -u RAG_SERVICES $BIN/ragtop --context far --interval 500ms; sleep 600"
tui_expect "remote context: the header names it" "\[far remote\]" 10
tui_expect "  verdict from /status alone" "OK: [0-9]+ checks pass" 10
tui_expect "  the served generation" "Served +$GEN \(rag_api\)" 10
tui_expect "  the last run" "published .* 5 +5 +0" 10
screens+=$(tui_cap)
# a new error event in the stack's log reaches the console through /status
printf '%s\n' '{"ts":"2026-11-30T07:00:02.000Z","level":"error","component":"rag-ingest","event":"file_failed","msg":"remote-error-marker"}' \
  >>artifacts/logs/ingest.jsonl
tui_expect "  a new error event shows in Logs" "error +ingest +rag-ingest file_failed remote-error-marker" 10
tui_keys i
tui_expect "  no actions on a remote stack (said why)" "remote context is watched through /status: no actions" 5
screens+=$(tui_cap)

tui_keys c
tui_expect "c: the fleet overview" "Contexts \(Enter: switch" 5
tui_expect "  one row per context with verdict and generation" "here +local +OK +- +$GEN" 15
tui_expect "  the wrong token's row names the remote check" "wrong +remote +UNKNOWN +remote " 15
tui_expect "  the shown context is marked" "\* far +remote +OK" 5
screens+=$(tui_cap)
tui_keys Up Enter
tui_expect "Enter: switched to the local context" "\[here\]" 10
tui_expect "  its own services (api, ingest) and log files" "ingest +job" 10
tui_expect "  its logs from the files" "info +api +rag-api started listening" 10
screens+=$(tui_cap)
tui_keys c; tui_wait "Contexts \(Enter" 5; tui_keys Down Down Enter
tui_expect "switched to the wrong token: the header says what is wrong" "401 Unauthorized: the token in .BAD_TOKEN was not accepted" 10
screens+=$(tui_cap)
tui_keys c; tui_wait "Contexts \(Enter" 5; tui_keys Up Enter
tui_expect "and back to the remote stack" "\[far remote\].*OK: " 10
screens+=$(tui_cap)
tui_keys q
is "$(ls "$TMP/elsewhere")" "" "nothing was written where the remote console ran"
if grep -qF -- "$TOKEN" <<<"$screens"; then not_ok "the token never appears on screen"; else ok "the token never appears on screen"; fi
finish
