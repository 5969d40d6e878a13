#!/usr/bin/env bash
# test_jsonlog_concurrent.sh — 8 processes append 5,000 lines each to one
# JSON Lines file at the same moment (through rag_log: one write() per line
# on O_APPEND; some lines are ~10 KB, larger than PIPE_BUF). Afterwards the
# file must hold exactly 40,000 lines, each valid JSON (checked by jq and by
# our own reader), none interleaved, and every writer's sequence complete.
source "$(dirname "$0")/lib.sh"
W=${RAG_LOG_WRITERS:-8}
N=${RAG_LOG_LINES:-5000}
plan 5

log=$TMP/logs/ingest.jsonl
go=$TMP/go
pids=()
for ((w = 0; w < W; w++)); do
  "$HELPERS/jsonlog_writer" "$log" "$w" "$N" "$go" 2>"$TMP/writer-$w.err" &
  pids+=($!)
done
sleep 0.3          # all writers have opened the log and are waiting
t0=$(date +%s%N)
touch "$go"
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $fails -eq 0 ]; then
  ok "$W writer processes each wrote $N lines ($((W * N)) lines in ${ms} ms)"
else
  not_ok "$W writer processes each wrote $N lines" "$(cat "$TMP"/writer-*.err)"
fi

lines=$(wc -l <"$log")
if [ "$lines" -eq $((W * N)) ] && [ "$(tail -c1 "$log" | od -An -c | tr -d ' ')" = '\n' ]; then
  ok "the file holds exactly $((W * N)) newline-terminated lines"
else
  not_ok "the file holds exactly $((W * N)) newline-terminated lines" "found $lines"
fi

if n=$(jq -c '.payload.seq' "$log" 2>&1 | wc -l) && jqe . "$log" >/dev/null 2>&1 && [ "$n" -eq $((W * N)) ]; then
  ok "jq parses every line as one JSON object"
else
  not_ok "jq parses every line as one JSON object" "jq saw $n values"
fi

if out=$("$HELPERS/jsonlog_check" "$log" "$W" "$N" 2>&1); then
  ok "every line is a valid log line, none interleaved, every writer's sequence complete and in order"
  diag "$out"
else
  not_ok "every line is a valid log line, none interleaved, every writer's sequence complete and in order" "$out"
fi

# The writers must really have run at the same time, or the test proves nothing.
switches=$(jq -r '.payload.writer' "$log" | uniq | wc -l)
if [ "$switches" -gt $((W * 10)) ]; then
  ok "writers were interleaved line by line ($switches runs of consecutive lines from one writer)"
else
  not_ok "writers were interleaved line by line" "only $switches runs: the writers did not overlap"
fi
done_testing
