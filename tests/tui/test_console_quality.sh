#!/usr/bin/env bash
# test_console_quality.sh — issue 13 item 4 in the console, under tmux
# against a real sample stack (two ingests, so there is a generation to
# roll back to; the newest manifest given a quality object and the metrics
# lines quality fields as the specs say): the Quality row beside Freshness
# shows the state, nDCG@10 / recall / MRR and a sparkline of nDCG@10 over
# the runs (block glyphs on a fixed 0..1 scale, a refused candidate as a
# failure mark; an ASCII ramp with --ascii); Enter on it lists the failing
# golden queries with their text rendered inert; the Problems view has the
# quality entry whose fix is the rollback, and running it (b, confirmed)
# rolls back for real: the row reads "not measured" for the older
# generation and the verdict clears.
source "$(dirname "$0")/../integration/lib.sh"
source "$ROOT/tests/tui/stack.sh"
source "$ROOT/tests/tui/tmux.sh"
plan 17

stack_init
cd "$STACK" || exit 1
cat >>services.yml <<YAML
      rollback: {argv: [$BIN/rag-ingest, --config, config/params.yaml, --rollback], timeout: 60s}
YAML
printf 'quality:\n  golden: ""\n  warn_ndcg: 0.7\n  min_ndcg: 0.5\n' >>config/params.yaml
stack_ingest >/dev/null 2>&1 || { not_ok "setup: first ingest"; done_testing; }
first_gen=$(jq -r .generation artifacts/checkpoints/latest.json)
stack_add_transcript later
stack_ingest >/dev/null 2>&1 || { not_ok "setup: second ingest"; done_testing; }
M=artifacts/checkpoints/latest.json
jq '.quality = {"golden_sha256": ("b" * 64), "queries": 10, "k": 10, "mode": "bm25",
     "ndcg_at_10": 0.3, "recall_at_k": 0.45, "mrr": 0.25, "failed": 2,
     "failed_queries": [{"id": "g-esc", "query": "budget \u001b[2J\u001b]0;pwned\u0007 vote", "ndcg_at_10": 0},
                        {"id": "g-chair", "query": "who chaired the meeting", "ndcg_at_10": 0.1}],
     "evaluated_at": "2026-11-30T07:00:00.000Z", "gate": "passed"}' "$M" >"$M.tmp" && mv "$M.tmp" "$M"
# the runs' figures: 0.9, 0.6, a refused candidate, then the served 0.3
J=artifacts/logs/ingestion_metrics.jsonl
last=$(tail -n 1 "$J")
i=0
for q in '0.9 passed published' '0.6 passed published' '0.2 refused failed' '0.3 passed published'; do
  set -- $q; i=$((i + 1))
  jq -c --argjson n "$1" --arg g "$2" --arg s "$3" --arg id "20991231T00000${i}Z-q0000$i" \
    '.run_id = $id | .status = $s | .quality_ndcg_at_10 = $n | .quality_recall_at_k = 0.5 | .quality_mrr = 0.4 | .quality_failed = 1 | .quality_gate = $g' <<<"$last" >>"$J"
done

stack_api_start >/dev/null || { not_ok "setup: rag-api starts"; done_testing; }
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"

# 1. ASCII at 80x24: the narrow row, the ramp
tui_start 80 24 "LANG=C.UTF-8 $BIN/ragtop --ascii --interval 1s; echo EXIT=\$?; sleep 60"
tui_expect "80x24 --ascii: the Quality row: state, nDCG/recall/MRR, the sparkline as an ASCII ramp (x = refused), failing count" \
  "Quality +\\[XX\\] 0\\.30/0\\.45/0\\.25 \\*=x- 2" 15
tui_keys q
tui_expect "80x24: q quits" "EXIT=0" 5
tmux -L "$TUI_SOCK" kill-server 2>/dev/null

# 2. 120x40, UTF-8 (a tmux server of its own: a new session on the socket
#    just killed can race the old server's exit)
TUI_SOCK="$TUI_SOCK-utf8"
tui_start 120 40 "LANG=C.UTF-8 $BIN/ragtop --interval 1s; echo EXIT=\$?; sleep 60"
tui_expect "120x40: the Quality row beside Freshness: nDCG@10, R@10, MRR and the block sparkline (▇▅✗▃)" \
  "Quality +✖ nDCG@10 0\\.300  R@10 0\\.450  MRR 0\\.250 ▇▅✗▃ 2" 15
like "$(head -1 <<<"$(tui_cap)")" "CRIT: nDCG@10 0\\.300.* b: roll back to the previous generation" \
  "120x40: the header names the quality problem and its fix key"
tui_keys Tab Tab   # Logs -> header -> Freshness
tui_keys Down      # its Quality row
tui_expect "120x40: Down in Freshness selects the Quality row" "│>Quality" 3
tui_keys Enter
tui_expect "120x40: Enter on it opens the failing golden queries" "Quality: golden queries" 3
scr=$(tui_cap)
like "$scr" "g-chair +who chaired the meeting" "120x40: ...each with its id and query"
if grep -qF 'budget \e[2J\e]0;pwned' <<<"$scr" && grep -q "Quality: golden queries" <<<"$scr" && grep -qE "nDCG@10 +0\.300" <<<"$scr"; then
  ok "120x40: a query's escape sequences are shown escaped and did not clear the screen"
else not_ok "120x40: a query's escape sequences are shown escaped" "$scr"; fi
like "$scr" "0\\.300 +0\\.500 +0\\.400 +1" "120x40: ...and the runs' figures, newest first"
tui_keys Escape
tui_keys '!'
tui_expect "120x40: the Problems view lists the quality problem" "CRIT +quality: nDCG@10 0\\.300" 3
like "$(tui_cap | tr -d '│\n' | tr -s ' ')" "fix: b: roll back to the previous generation \\($BIN/rag-ingest --config config/params.yaml --rollback\\)" \
  "120x40: ...with the rollback as its fix and the command it runs"
like "$(tui_cap | tr -d '│\n' | tr -s ' ')" "make rollback, rag-ingest --rollback.*--force publishes past the gate" "120x40: ...and its details mention rollback, the golden file and --force"
tui_keys b
tui_expect "120x40: b asks first (a rollback changes what is served)" "rollback ingest\\?" 3
tui_keys y
tui_expect "120x40: confirmed, the rollback runs" "ingest rollback: done \\(exit 0\\)" 30
if wait_for 10 bash -c "[ \"\$(jq -r .generation $STACK/$M)\" = '$first_gen' ]"; then
  ok "120x40: latest.json names the previous generation again"
else not_ok "120x40: latest.json names the previous generation again" "$(jq -c '{generation, rollback_from}' "$M")"; fi
tui_keys Escape
tui_expect "120x40: the Quality row now reads not measured (the older generation has no figures)" "Quality +- not measured" 10
tui_keys q
tui_expect "120x40: q quits" "EXIT=0" 5
done_testing
