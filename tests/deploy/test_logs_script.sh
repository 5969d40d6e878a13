#!/usr/bin/env bash
# test_logs_script.sh — scripts/logs.sh (`make logs`): prints JSON log lines
# human-readable, shows malformed lines raw instead of dropping them, renders
# escape sequences inert, follows appends and rename-rotation, and leaves no
# process behind when stopped.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 7
tmp=$TMP
pid=""
on_exit '[ -z "$pid" ] || kill -- -"$pid" 2>/dev/null' 
L=$tmp/logs; mkdir -p "$L"

printf '%s\n' \
  '{"ts":"2026-11-28T13:45:00.123Z","level":"info","component":"ingest","event":"batch_done","run_id":"r1","msg":"batch 1/3","payload":{"files":5}}' \
  'this is {not json' \
  '{"ts":"2026-11-28T13:45:01.000Z","level":"error","component":"api","event":"query_failed","msg":"evil \u001b]0;owned\u0007 title"}' \
  >"$L/ingest.jsonl"
printf '%s\n' '{"run_id":"r2","status":"failed","finished_at":"2026-11-28T13:46:00Z","errors":2}' >"$L/ingestion_metrics.jsonl"

out=$(bash scripts/logs.sh --dir "$L" --no-follow 2>&1); rc=$?
if [ $rc = 0 ] && grep -qE '^2026-11-28T13:45:00.123Z +INFO +ingest +batch_done +run=r1 +batch 1/3 +files=5$' <<<"$out"; then
  ok "a log line prints as: ts LEVEL component event run=… msg key=value"
else not_ok "a log line prints as: ts LEVEL component event run=… msg key=value" "rc=$rc; $out"; fi

if grep -qxF 'RAW this is {not json' <<<"$out"; then ok "a malformed line is shown raw, not dropped"
else not_ok "a malformed line is shown raw, not dropped" "$out"; fi

if ! grep -q $'\x1b' <<<"$out" && ! grep -q $'\x07' <<<"$out" && grep -qF 'evil \u001b]0;owned\u0007 title' <<<"$out"; then
  ok "escape and control characters in log text are printed escaped (inert)"
else not_ok "escape and control characters in log text are printed escaped (inert)" "$(cat -v <<<"$out")"; fi

if grep -qE 'ERROR +metrics +run_failed +run=r2' <<<"$out"; then ok "an ingestion metrics line reads as a run result"
else not_ok "an ingestion metrics line reads as a run result" "$out"; fi

# Follow mode in its own session so every process it starts can be found.
setsid bash scripts/logs.sh --dir "$L" --lines 0 >"$tmp/follow.out" 2>&1 &
pid=$!
sleep 1
echo '{"ts":"t1","level":"warn","component":"api","event":"appended"}' >>"$L/api.jsonl"
mv "$L/ingest.jsonl" "$L/ingest.jsonl.1"
echo '{"ts":"t2","level":"info","component":"ingest","event":"after_rotation"}' >"$L/ingest.jsonl"
for _ in $(seq 50); do grep -q after_rotation "$tmp/follow.out" && break; sleep 0.1; done
if grep -qE '^t1 +WARN +api +appended$' "$tmp/follow.out"; then ok "follows a log file that appears after start"
else not_ok "follows a log file that appears after start" "$(cat "$tmp/follow.out")"; fi
if grep -qE '^t2 +INFO +ingest +after_rotation$' "$tmp/follow.out"; then ok "keeps following across rename-rotation"
else not_ok "keeps following across rename-rotation" "$(cat "$tmp/follow.out")"; fi

kill -TERM "$pid"; wait "$pid" 2>/dev/null
sleep 0.3
left=$(pgrep -s "$pid" 2>/dev/null || true)
pid=""
if [ -z "$left" ]; then ok "stopping it leaves no tail or jq process behind"
else not_ok "stopping it leaves no tail or jq process behind" "$(ps -o pid,args -p $left)"; kill $left 2>/dev/null; fi
done_testing
