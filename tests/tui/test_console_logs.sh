#!/usr/bin/env bash
# test_console_logs.sh — the Logs pane like lnav/less, help, key bar,
# layouts and settings, under tmux against a real sample stack: search
# with highlighted matches (SGR reverse) and n/N, the & filter on the shown
# text with smart case (raw JSON on Ctrl-R), zero matches shown, a stale
# regex error cleared, readline keys in the prompt, y copying the line with
# OSC 52 (tmux set-clipboard), g/G after a 50k-line append, horizontal
# scroll with "…", service names as the source, Enter only in the Logs
# pane, help scrolling at 80x24, layouts at 80x24 / 120x40 / 200x60 /
# 40x12, the STATE column under LANG=C, settings.yaml kept across restarts,
# services.yml re-read when it changes.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 45

stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"
export XDG_CONFIG_HOME=$TMP/xdg
LOG=artifacts/logs/api.jsonl
ts() { date -u +%Y-%m-%dT%H:%M:%S.000Z; }
logline() { # LEVEL MSG [PAYLOAD]
  echo "{\"ts\":\"$(ts)\",\"level\":\"$1\",\"component\":\"probe\",\"event\":\"marker\",\"msg\":\"$2\",\"payload\":${3:-{\}}}" >>$LOG
}
logs_rows() { tui_cap | sed -n '/Logs /,$p' | sed '1d' | grep '^│' | sed 's/^│//; s/│$//'; }
wait_cmd() { # CMD... : poll until it succeeds (5 s)
  local end=$(( $(date +%s) + 5 ))
  while [ "$(date +%s)" -le "$end" ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
screen_has() { tui_cap | grep -qE -- "$1"; }
screen_lacks() { ! tui_cap | grep -qE -- "$1"; }

tui_start 80 24 "$BIN/ragtop --interval 1s; echo EXIT=\$?; sleep 60"
tui_wait "Logs" 8
logline info "upload Failed for talk3" '{"failed":1}'
logline info "all good here" '{"failed":0}'
logline warn "hello-one first marker"
logline warn "hello-two second marker"
tui_expect "log lines arrive" "hello-two" 5

# ---- source column, key bar, help at 80x24
scr=$(tui_cap)
if grep -q "│[0-9:.]* warn  api  *probe marker hello-two" <<<"$scr" && ! grep -q "api.jsonl" <<<"$scr"; then
  ok "80x24: the source column names the service (api), not a cut file name"
else not_ok "80x24: the source column names the service (api), not a cut file name" "$scr"; fi
bar=$(tui_cap | tail -1)
if [[ "$bar" == "?Help"* && "$bar" == *"/Search"* && "$bar" == *"&Filter"* && "$bar" == *"AAlerts"* ]]; then
  ok "80x24: the key bar keeps ?, search, filter and A"
else not_ok "80x24: the key bar keeps ?, search, filter and A" "$bar"; fi
tui_keys '?'
tui_wait "Help: keys, lines 1-" 3
seen=$(tui_cap)
# page down until the last key shows (each page is polled: a loaded machine redraws late)
for _ in $(seq 1 40); do
  grep -q "Ctrl-L *redraw" <<<"$seen" && break
  tui_keys NPage; sleep 0.1; seen+=$(tui_cap)
done
if grep -q "Ctrl-L *redraw" <<<"$seen" && grep -q "│ z  *zoom" <<<"$seen" && grep -q "│ A  *alerts" <<<"$seen" \
   && grep -q "│ p  *pause" <<<"$seen" && ! tui_cap | grep -q "Help: keys, lines 1-"; then
  ok "80x24: the help scrolls (PgDn) down to every key, Ctrl-L included"
else not_ok "80x24: the help scrolls (PgDn) down to every key, Ctrl-L included" "$(tui_cap)"; fi
if grep -q "smart case: a capital makes it *│" <<<"$seen" && grep -q "│  *case-sensitive); matches" <<<"$seen"; then
  ok "80x24: help text wraps at word boundaries"
else not_ok "80x24: help text wraps at word boundaries" "$seen"; fi
tui_keys q
wait_cmd screen_lacks "Help: keys"

# ---- filter: shown text, smart case, zero matches, raw JSON, errors
tui_keys '&'; tui_keys -l 'failed'; tui_keys Enter
tui_expect "& filters: the title shows it with the count" "filter /failed/ [0-9]+ shown" 3
rows=$(logs_rows)
if grep -q "upload Failed" <<<"$rows" && ! grep -q "all good here" <<<"$rows"; then
  ok "the filter runs on the shown text (the JSON's \"failed\":0 does not match) and ignores case for a lower-case pattern"
else not_ok "the filter runs on the shown text, smart case" "$rows"; fi
tui_keys '&'; tui_keys -l 'FAILED'; tui_keys Enter
tui_expect "smart case: a capital makes it case-sensitive; zero matches are said so" "0 of [0-9,]+ lines match the filter /FAILED/" 3
tui_keys '&'; tui_keys -l '(oops'; tui_keys Enter
tui_expect "a bad regex says why" "filter: bad regular expression" 3
tui_keys '&'; tui_keys -l 'failed'; tui_keys C-r; tui_wait "filter raw JSON" 2; tui_keys Enter
tui_wait "filter raw /failed/" 3
scr=$(tui_cap)
if grep -q "all good here" <<<"$scr" && grep -q "upload Failed" <<<"$scr" && ! grep -q "bad regular expression" <<<"$scr"; then
  ok "Ctrl-R filters the raw JSON; a valid filter clears the stale regex error"
else not_ok "Ctrl-R filters the raw JSON; a valid filter clears the stale regex error" "$scr"; fi
# the prompt starts empty and edits like readline
tui_keys '&'
if wait_cmd screen_has "\\) &$"; then ok "the filter prompt starts empty"; else not_ok "the filter prompt starts empty" "$(tui_cap | tail -2)"; fi
tui_keys -l 'abc def'; tui_keys C-w; tui_keys -l 'marker'; tui_keys C-a; tui_keys -l '!'; tui_keys C-e; tui_keys -l ' x'; tui_keys BSpace BSpace
tui_expect "Ctrl-W, Ctrl-A, Ctrl-E and Backspace edit the prompt" "\\) &!abc marker$" 3
tui_keys C-u; tui_keys Enter
tui_expect "an empty filter clears it" "filter cleared" 3

# ---- search: highlight, n/N, y
tui_keys /; tui_keys -l 'hello-[a-z]+'; tui_keys Enter
tui_expect "/ searches; the status line counts the matching lines" "search /hello-\\[a-z\\]\\+/: 2 lines match" 3
tui_cap -e >"$TMP/search.ansi"
hl=$(python3 - "$TMP/search.ansi" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8", errors="replace").read()
hits = re.findall(r"\x1b\[([0-9;]*)m(hello-(?:one|two))", s)
print(sum(1 for p, _ in hits if "7" in p.split(";")), len(re.findall(r"hello-(?:one|two)", s)))
PY
)
if [ "$hl" = "2 2" ]; then ok "search matches are highlighted (SGR 7 reverse), both of them"; else not_ok "search matches are highlighted (SGR 7 reverse)" "$hl"; fi
tmux -L "$TUI_SOCK" set -g set-clipboard on
tui_keys y
wait_cmd bash -c "tmux -L $TUI_SOCK show-buffer 2>/dev/null | grep -q hello-two"
buf=$(tmux -L "$TUI_SOCK" show-buffer 2>/dev/null)
if [[ "$buf" == "{\"ts\":"*"hello-two second marker"* ]]; then ok "y copies the selected line's JSON with OSC 52"; else not_ok "y copies the selected line's JSON with OSC 52" "buffer: $buf"; fi
tui_keys N; tui_keys y
wait_cmd bash -c "tmux -L $TUI_SOCK show-buffer 2>/dev/null | grep -q hello-one"
buf=$(tmux -L "$TUI_SOCK" show-buffer 2>/dev/null)
if [[ "$buf" == *"hello-one first marker"* ]]; then ok "N moves to the previous match (and y copies it)"; else not_ok "N moves to the previous match" "buffer: $buf"; fi
tui_keys n; tui_keys n
tui_expect "n past the last match says so" "no more matches below" 3

# ---- Enter only opens the log line when the Logs pane has focus
tui_keys Tab # logs -> the header (the verdict line), whose Enter opens Problems
tui_keys Enter
wait_cmd screen_has "Problems:"
if tui_cap | grep -q "Log line ("; then not_ok "Enter with another pane focused does not open a log line" "$(tui_cap)"; else ok "Enter with another pane focused does not open a log line"; fi
tui_keys Escape
wait_cmd screen_lacks "Problems:"
tui_keys BTab Enter
tui_expect "Enter in the Logs pane opens the selected line's JSON" '"msg": "hello-two second marker"' 3
tui_keys Escape

# ---- a NUL (a JSON \u0000, a raw byte) does not cut the line: shown as ␀, the rest after it
wait_cmd screen_lacks "Log line \\("
tui_keys G
logline warn 'json-before\u0000json-after-nul'
printf 'raw-before\0raw-after-nul\n' >>artifacts/logs/extra.log
tui_expect "a NUL byte in a raw line: shown as ␀, the rest of the line after it" "raw-before␀raw-after-nul" 5
tui_expect "a \\u0000 in a JSON line's msg: shown as ␀, the rest of the message after it" "marker json-before␀json-after-nul" 3
tui_keys y
wait_cmd bash -c "tmux -L $TUI_SOCK show-buffer 2>/dev/null | grep -q raw-before"
buf=$(tmux -L "$TUI_SOCK" show-buffer 2>/dev/null)
if [ "$buf" = "raw-before␀raw-after-nul" ]; then ok "y copies the whole raw line, its NUL as ␀"; else not_ok "y copies the whole raw line, its NUL as ␀" "buffer: $buf"; fi
tui_keys Enter
tui_expect "Enter shows the whole raw line" "raw-before␀raw-after-nul" 3
tui_keys Escape
wait_cmd screen_lacks "Log line \\("
tui_keys Up Enter
tui_expect "Enter on the JSON line shows its whole msg" '"msg": "json-before␀json-after-nul"' 3
tui_keys Escape
wait_cmd screen_lacks "Log line \\("
tui_keys G

# ---- horizontal scroll
logline info "long-line-start $(printf 'word%.0s ' $(seq 40))TAILMARK-end"
tui_keys G
tui_wait "long-line-start" 3
row=$(logs_rows | grep long-line-start)
if [[ "$row" == *"…" ]] && ! grep -q TAILMARK <<<"$row"; then ok "a cut line ends in …"; else not_ok "a cut line ends in …" "$row"; fi
for _ in 1 2 3 4 5 6; do tui_keys Right; done
scrolled() { logs_rows | grep -E 'TAILMARK|word' | tail -1 | grep -q "^….*TAILMARK-end"; }
wait_cmd scrolled
row=$(logs_rows | grep -E 'TAILMARK|word' | tail -1)
if [[ "$row" == "…"* ]] && grep -q "TAILMARK-end" <<<"$row"; then ok "Right scrolls the logs horizontally; the cut start shows …"; else not_ok "Right scrolls the logs horizontally" "$(logs_rows)"; fi
for _ in 1 2 3 4 5 6; do tui_keys Left; done

# ---- g/G after a 50k-line append
python3 - "$LOG" <<'PY'
import json, sys
with open(sys.argv[1], "a") as f:
    for i in range(1, 50001):
        f.write(json.dumps({"ts": "2026-11-30T04:00:00.000Z", "level": "info", "component": "bulk", "event": "line", "msg": "bulk %05d" % i}) + "\n")
PY
tui_expect "the title shows the ring: last 20,000 of all read" "last 20,000 of [0-9]{2},[0-9]{3} read" 10
tui_wait "bulk 50000" 5
tui_keys g
at_top() { logs_rows | head -1 | grep -qE "bulk 30[01][0-9]{2}"; }
wait_cmd at_top
rows=$(logs_rows)
n=$(grep -c . <<<"$rows"); full=$(grep -c "bulk [0-9]" <<<"$rows")
first=$(head -1 <<<"$rows" | grep -oE "bulk [0-9]+" | cut -d' ' -f2)
if [ "$n" -ge 4 ] && [ "$full" = "$n" ] && [ "${first:-0}" -ge 30000 ] && [ "${first:-0}" -le 30100 ]; then
  ok "g after a 50k-line append shows a full pane from the top of the ring (first: bulk $first)"
else not_ok "g after a 50k-line append shows a full pane from the top of the ring" "$rows"; fi
tui_keys G
following() { logs_rows | grep -q "bulk 50000" && tui_cap | grep -q "Logs  follow"; }
wait_cmd following
if logs_rows | grep -q "bulk 50000" && tui_cap | grep -q "Logs  follow"; then ok "G follows the newest line again"; else not_ok "G follows the newest line again" "$(tui_cap)"; fi

# ---- settings persist: wrap, level, zoom
tui_keys w l l
set_file=$XDG_CONFIG_HOME/ragtop/settings.yaml
settings_written() { grep -q "^wrap: true" "$set_file" 2>/dev/null && grep -q "^log_level: info" "$set_file"; }
if wait_cmd settings_written; then
  ok "w and l are written to \$XDG_CONFIG_HOME/ragtop/settings.yaml"
else not_ok "w and l are written to settings.yaml" "$(cat "$set_file" 2>&1)"; fi
tui_keys q
tui_wait "EXIT=0" 5
tmux -L "$TUI_SOCK" kill-server

TUI_SOCK="$TUI_SOCK-b"
tui_start 120 40 "$BIN/ragtop; sleep 60"
tui_expect "restarted, the console comes back with wrap and level>=info" "Logs  follow  wrap  last .*level>=info" 8
scr=$(tui_cap)
if grep -q "Runs" <<<"$scr" && grep -q "Freshness" <<<"$scr" && [ "$(logs_rows | wc -l)" -ge 12 ]; then
  ok "120x40: every pane, the logs with 12+ rows"
else not_ok "120x40: every pane, the logs with 12+ rows" "$scr"; fi
tui_keys /; tui_keys -l 'bulk 4999'; tui_keys Enter
tui_wait "search /bulk 4999/" 3
if tui_cap -e | grep -qE $'\e\\[[0-9;]*7[0-9;]*mbulk 4999'; then ok "120x40: search highlights"; else not_ok "120x40: search highlights" "$(tui_cap)"; fi
# services.yml is re-read when it changes; a broken one keeps the last good one
cp services.yml services.yml.orig
printf '  reports:\n    kind: job\n    logs: [artifacts/logs/reports.log]\n' >>services.yml
tui_expect "an edited services.yml is re-read: the new service shows" "services.yml changed: re-read, 3 services" 6
tui_keys G
echo '{"ts":"2026-11-30T04:00:00.000Z","level":"warn","component":"r","event":"e","msg":"from-the-new-service"}' >>artifacts/logs/reports.log
tui_expect "the new service's log file is followed, labelled with its name" "warn  reports .*from-the-new-service" 6
printf 'oops: [\n' >>services.yml
tui_expect "a broken services.yml is reported and the last good one stays" "services.yml changed but is not valid" 6
like "$(tui_cap)" "reports +job" "the services read before stay on screen"
cp services.yml.orig services.yml
tui_resize 200 60
wait_cmd screen_has "Freshness.*Config.*Services"
scr=$(tui_cap)
line2=$(sed -n 2p <<<"$scr")
if [[ "$line2" == *Freshness*Config*Services* ]] && [ "$(logs_rows | wc -l)" -ge 30 ] && tui_cap -e | grep -qE $'\e\\[[0-9;]*7[0-9;]*mbulk 4999'; then
  ok "200x60: Freshness, Config and Services side by side, logs 30+ rows, search highlights"
else not_ok "200x60: Freshness, Config and Services side by side, logs 30+ rows" "$scr"; fi
tui_resize 40 12
wait_cmd screen_has "too small"
scr=$(tui_cap)
if grep -q "too small" <<<"$scr" && grep -qE "(✔|▲|✖|\\?) (OK|WARN|CRIT|UNKNOWN)" <<<"$scr"; then ok "40x12: the too-small screen still shows the verdict"; else not_ok "40x12: the too-small screen still shows the verdict" "$scr"; fi
tmux -L "$TUI_SOCK" kill-server

# ---- STATE column under LANG=C; a broken settings file
printf 'wrap: maybe\n' >"$set_file"
TUI_SOCK="$TUI_SOCK-c"
tui_start 80 24 "LC_ALL=C LANG=C $BIN/ragtop --no-osc52; sleep 60"
tui_wait "SERVICE" 8
tui_wait "api +\\[ok\\] up" 5
scr=$(tui_cap)
hdr=$(grep "SERVICE" <<<"$scr"); row=$(grep -E "\\|[ >]api " <<<"$scr") # > marks the action target
if [ "$(awk '{print index($0, "STATE")}' <<<"$hdr")" = "$(awk '{print index($0, "[ok]")}' <<<"$row")" ] && grep -q "\\[ok\\] up " <<<"$row"; then
  ok "LANG=C: the STATE column lines up with its [ok] marks"
else not_ok "LANG=C: the STATE column lines up with its [ok] marks" "$hdr" "$row"; fi
if grep -q "settings.yaml:1:" <<<"$scr" && grep -qi "using the defaults\|defaults" <<<"$scr" || tui_cap | grep -q "settings.yaml:1"; then
  ok "a broken settings.yaml is named with its line; the defaults are used"
else not_ok "a broken settings.yaml is named with its line" "$scr"; fi
if ! grep -q "wrap" <<<"$(tui_cap | grep 'Logs')"; then ok "the broken file's values are not used"; else not_ok "the broken file's values are not used" "$(tui_cap)"; fi
tmux -L "$TUI_SOCK" set -g set-clipboard on
tui_keys y
tui_expect "--no-osc52: y says copying is off" "copy is off \\(--no-osc52\\)" 3
if tmux -L "$TUI_SOCK" show-buffer >/dev/null 2>&1; then not_ok "--no-osc52: nothing reaches the clipboard" "$(tmux -L "$TUI_SOCK" show-buffer)"; else ok "--no-osc52: nothing reaches the clipboard"; fi
tmux -L "$TUI_SOCK" kill-server
