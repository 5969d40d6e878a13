#!/usr/bin/env bash
# test_console.sh — the console as a user sees it, under tmux, against a
# real sample stack (rag-ingest with a slow local embedder so its progress
# is visible, and rag-api): what the screen shows, help, ingest with
# progress and a new generation, stop with confirmation, resizes down to the
# too-small screen and back, escape sequences in logs, quit.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 27

STACK_FILES=30 STACK_BATCH=2 STACK_SLOW_EMBED=0.05 stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"
gen0=$(jq -r .generation artifacts/checkpoints/latest.json)
hash0=$(jq -r .config_hash artifacts/checkpoints/latest.json)

tui_start 100 30 "STACK_INGEST_ARGS=--full $BIN/ragtop --interval 1s; echo EXIT=\$?; sleep 60"
sleep 1
echo "{\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"level\":\"warn\",\"component\":\"probe\",\"event\":\"marker\",\"msg\":\"hello-from-the-test\"}" >>artifacts/logs/api.jsonl
tui_expect "shows the generation served and on disk" "Served +$gen0" 8
tui_expect "shows the age of the index" "Built .*\\(([0-9]+s ago|just now)\\)"
tui_expect "shows the three config hashes, matching" "API serves +. ${hash0:0:12}"
like "$(tui_cap)" "On disk +. ${hash0:0:12}" "shows the manifest's config hash"
tui_expect "shows the API up in the services pane" "api +. up"
tui_expect "shows recent log lines" "hello-from-the-test"

tui_keys '?'
tui_expect "? shows the help generated from the key table" "Help: keys"
tui_keys x
tui_wait "Freshness" 3

stack_add_transcript extra1; stack_add_transcript extra2
tui_expect "counts transcripts not yet ingested" "2 transcripts not yet ingested" 6
tui_keys i
tui_expect "i shows the ingest's progress with an ETA" "ingest run .*ETA" 6
tui_keys i # a second ingest while one runs is refused
tui_wait "ingest run: done" 30
starts=$(grep -c '^== .* ingest run: bash' artifacts/logs/actions.log)
is "$starts" "1" "one action of a kind at a time: the second i started nothing"
gen1=$(jq -r .generation artifacts/checkpoints/latest.json)
if [ "$gen1" != "$gen0" ]; then ok "the ingest published a new generation"; else not_ok "the ingest published a new generation"; fi
tui_expect "the new generation appears on screen" "On disk +$gen1" 6

tui_keys s
tui_expect "s asks before stopping" "Stop api\\?"
tui_keys n
tui_wait "cancelled" 3
sleep 2.5
like "$(tui_cap)" "api +. up" "n cancels: the API is still up"
tui_keys s; tui_wait "Stop api\\?" 3; tui_keys y
tui_wait "api stop: done" 15
tui_expect "s y stops the API; its row shows it down within two probe intervals" "api +. DOWN" 2

tui_keys '&'; tui_keys -l "marker"; tui_keys Enter
tui_expect "& filters the logs by a regex" "filter /marker/" 3
scr=$(tui_cap)
if grep -q "hello-from-the-test" <<<"$scr" && ! grep -q "rag-api access" <<<"$scr"; then ok "the filter keeps only matching lines"; else not_ok "the filter keeps only matching lines" "$scr"; fi
tui_keys Enter
tui_expect "Enter shows the selected line's JSON pretty-printed" '"msg": +"hello-from-the-test"' 3
tui_keys Escape
tui_keys '&'; tui_keys C-u; tui_keys -l "!access"; tui_keys Enter
sleep 1.5
scr=$(tui_cap)
if grep -q "filter !/access/" <<<"$scr" && ! grep -q "rag-api access" <<<"$scr"; then ok "a leading ! inverts the filter"; else not_ok "a leading ! inverts the filter" "$scr"; fi
tui_keys z
sleep 0.5
scr=$(tui_cap)
if grep -q "\[zoom\]" <<<"$scr" && ! grep -q "Freshness" <<<"$scr"; then ok "z zooms the focused pane"; else not_ok "z zooms the focused pane" "$scr"; fi
tui_keys z

tui_resize 60 15
tui_expect "at 60x15 the compact layout shows services and logs" "Services" 3
tui_resize 30 8
tui_expect "at 30x8 the too-small screen shows" "too small" 3
tui_resize 100 30
tui_wait "Freshness" 3
scr=$(tui_cap)
if grep -q "Freshness" <<<"$scr" && grep -q "Config" <<<"$scr" && grep -q "Runs" <<<"$scr" && grep -q "Logs" <<<"$scr"; then
  ok "back at 100x30 the full layout returns"
else
  not_ok "back at 100x30 the full layout returns" "$scr"
fi

printf 'evil \033[2J\033[H\033]0;pwned-title\007\033[5;5Hmoved \033[31mred\033[0m tail-marker\n' >>artifacts/logs/extra.log
tui_wait "tail-marker" 5
scr=$(tui_cap)
title=$(tmux -L "$TUI_SOCK" display -p -t t '#{pane_title}')
if grep -qF '\e[2J\e[H\e]0;pwned-title\x07\e[5;5Hmoved \e[31mred' <<<"$scr" && head -1 <<<"$scr" | grep -q '^ ragtop' \
   && [ "$title" != "pwned-title" ]; then
  ok "escape sequences in a log line show inert and the screen stays intact"
else
  not_ok "escape sequences in a log line show inert and the screen stays intact" "title=$title" "$scr"
fi

# a service name longer than the name column ends in "…", never cut silently
printf '  rag_service_with_a_rather_long_name_x:\n    kind: job\n' >>services.yml
tui_expect "a long service name is cut with an ellipsis" "rag_service_with_a_… " 8

tui_keys q
tui_expect "q exits 0" "EXIT=0" 5
alt=$(tmux -L "$TUI_SOCK" display -p -t t '#{alternate_on}')
is "$alt" "0" "the terminal is restored (alternate screen off)"
