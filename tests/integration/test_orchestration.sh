#!/usr/bin/env bash
# test_orchestration.sh — the operator workflow of docs/runbooks/orchestration.md
# run for real through the Makefile (local runtime), on a private copy of the
# config (own artifacts folder, own transcripts copy, a free port):
# ingest -> api -> status, every target twice (idempotent), the runbook's
# inspection commands, config drift, hot reload of a new generation, the
# ingest lock, a failed run, the port-taken case, undelivered alerts, `make
# logs`, background services, `make stop` leaving no process, a broken config
# failing `make ingest` and `make api` before anything starts, and `make api`
# ingesting first when no index is published.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
plan 36

W=$TMP/stack
mkdir -p "$W/config"
cp -r "$ROOT/data/transcripts" "$W/transcripts"
cp "$ROOT/config/golden.yaml" "$W/config/golden.yaml" # the shipped golden set fits the sample corpus
PORT=$(free_port)
ADMIN_PORT=$(free_port)
HOOK_PORT=$(free_port)
URL=http://127.0.0.1:$PORT
A=$W/artifacts
CFG=$W/config/params.yaml
SVC=$W/services.yml
sed -e "s#^  transcripts: .*#  transcripts: $W/transcripts#" \
    -e "s#^  artifacts: .*#  artifacts: $A#" \
    -e "s#^  listen: .*#  listen: 127.0.0.1:$PORT#" \
    -e "s#^  admin_listen: .*#  admin_listen: 127.0.0.1:$ADMIN_PORT#" \
    -e "s#^  interval: 30s .*#  interval: 1s#" \
    -e "s#^  failure_threshold: 3 .*#  failure_threshold: 1#" \
    -e "s#^  receivers: \[\].*#  receivers: [{name: hook, format: json, url_env: RAG_TEST_HOOK_URL}]#" \
    "$ROOT/config/params.yaml" >"$CFG"
sed -e "s#127.0.0.1:8088#127.0.0.1:$PORT#" -e "s#127.0.0.1:8089#127.0.0.1:$ADMIN_PORT#" -e "s#artifacts/#$A/#g" "$ROOT/services.yml" >"$SVC"
export RAG_TEST_HOOK_URL=http://127.0.0.1:$HOOK_PORT/hook
M=(make --no-print-directory -C "$ROOT" "CONFIG=$CFG" "SERVICES=$SVC")
on_exit '"${M[@]}" stop >/dev/null 2>&1'
out=$TMP/out
mk() { "${M[@]}" "$@" >"$out" 2>&1; }
healthz() { curl -s --max-time 3 "$URL/healthz"; }
ours() { pgrep -f -- "$W" || true; }

# --- broken config first: nothing may start, nothing may be written ---------
B=$TMP/broken; mkdir -p "$B"
sed -e 's#^  target_tokens: 256 #  target_tokens: 5 #' -e "s#^  artifacts: .*#  artifacts: $B/artifacts#" "$CFG" >"$B/params.yaml"
for t in ingest api; do
  "${M[@]}" "CONFIG=$B/params.yaml" "$t" >"$out" 2>&1; rc=$?
  if [ $rc != 0 ] && grep -qE "$B/params.yaml:[0-9]+:[0-9]+: chunking.target_tokens: must be between 16 and 8192" "$out" \
     && [ ! -e "$B/artifacts" ] && [ -z "$(pgrep -f -- "$B" || true)" ]; then
    ok "broken config: make $t fails (exit $rc) with file:line:col before starting or writing anything"
  else not_ok "broken config: make $t fails with file:line:col before starting or writing anything" "rc=$rc" "$(cat "$out")" "$(ls -R "$B")"; fi
done

# --- make api with no published index ingests first --------------------------
mk api; rc=$?
if [ $rc = 0 ] && grep -q "no published index yet" "$out" && [ -f "$A/checkpoints/latest.json" ] \
   && [ "$(healthz | jq -r .status)" = pass ]; then
  ok "make api with no index runs make ingest first, then serves it (/healthz pass)"
else not_ok "make api with no index runs make ingest first, then serves it (/healthz pass)" "rc=$rc" "$(cat "$out")"; fi
check "make stop" "${M[@]}" stop

# --- the daily loop: make ingest && make api && make status -----------------
if "${M[@]}" ingest >"$out" 2>&1 && "${M[@]}" api >>"$out" 2>&1 && "${M[@]}" status >>"$out" 2>&1; then
  ok "make ingest && make api && make status exits 0"
else not_ok "make ingest && make api && make status exits 0" "$(cat "$out")"; fi
pid1=$(cat "$A/run/rag-api.pid" 2>/dev/null)

mk ingest; rc=$?
gen=$(jq -r .generation "$A/checkpoints/latest.json")
if [ $rc = 0 ] && [ "$(tail -n 1 "$A/logs/ingestion_metrics.jsonl" | jq -r .status)" = unchanged ]; then
  ok "make ingest again: exit 0, run recorded as unchanged"
else not_ok "make ingest again: exit 0, run recorded as unchanged" "$(cat "$out")"; fi

mk api; rc=$?
if [ $rc = 0 ] && grep -q "already running (pid $pid1)" "$out" && [ "$(cat "$A/run/rag-api.pid")" = "$pid1" ]; then
  ok "make api again: exit 0, says already running, same process"
else not_ok "make api again: exit 0, says already running, same process" "$(cat "$out")"; fi

# --- the runbook's inspection commands ---------------------------------------
j=$("$BIN/ragtop" --once --json --config "$CFG" --services "$SVC" | jq -c '{status, exit_code, g: .index.generation}')
is "$j" "{\"status\":\"OK\",\"exit_code\":0,\"g\":\"$gen\"}" "ragtop --once --json | jq: OK, exit_code 0, the manifest's generation"
h=$(healthz | jq -c '{status, g: .index.generation}')
is "$h" "{\"status\":\"pass\",\"g\":\"$gen\"}" "curl -s …/healthz | jq: pass, serving the manifest's generation"
check "jq . artifacts/checkpoints/latest.json shows generation, generated_at, checked_at, config_hash" \
  jqe '.generation and .generated_at and .checked_at and .config_hash' "$A/checkpoints/latest.json"
check "tail -n 1 artifacts/logs/ingestion_metrics.jsonl | jq . reads the last run" \
  bash -c "tail -n 1 '$A/logs/ingestion_metrics.jsonl' | jqe '.run_id and .status'"
check "jq -c 'select(.level == \"error\")' artifacts/logs/*.jsonl runs (no errors yet)" \
  bash -c "n=\$(jq -c 'select(.level == \"error\")' '$A'/logs/*.jsonl | wc -l); [ \"\$n\" = 0 ]"

# --- make logs: readable lines, then Ctrl-C leaves nothing behind ------------
setsid "${M[@]}" logs >"$TMP/logs.out" 2>&1 &
lpid=$!
# wait (deadline 20 s) for BOTH lines the check needs — one from each log —
# not for the first of them: `make logs` prints the logs' tails in any order
logs_ready() {
  grep -qE '^[0-9T:.-]+Z +INFO +rag-api +started' "$TMP/logs.out" && grep -qE ' metrics +run_unchanged ' "$TMP/logs.out"
}
for _ in $(seq 200); do logs_ready && break; sleep 0.1; done
# (a background job ignores SIGINT, so the test ends it the way a closed
# terminal or `kill` would: SIGTERM to its process group)
kill -TERM -- -"$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
for _ in $(seq 50); do [ -z "$(pgrep -s "$lpid" 2>/dev/null || true)" ] && break; sleep 0.1; done
if logs_ready && [ -z "$(pgrep -s "$lpid" 2>/dev/null || true)" ]; then
  ok "make logs prints readable lines from every log; stopping it leaves no process"
else not_ok "make logs prints readable lines from every log; stopping it leaves no process" "$(head -n 20 "$TMP/logs.out")"; fi

# --- restart ------------------------------------------------------------------
mk restart-api; rc=$?
pid2=$(cat "$A/run/rag-api.pid" 2>/dev/null)
if [ $rc = 0 ] && [ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && ! kill -0 "$pid1" 2>/dev/null && [ "$(healthz | jq -r .status)" = pass ]; then
  ok "make restart-api: a new process, the old one gone, /healthz pass"
else not_ok "make restart-api: a new process, the old one gone, /healthz pass" "$(cat "$out")"; fi

# --- new transcripts: a new generation is served without a restart -----------
printf 'Speaker A: the orchestration runbook test adds this transcript.\n' >"$W/transcripts/runbook-test.txt"
mk ingest
gen2=$(jq -r .generation "$A/checkpoints/latest.json")
for _ in $(seq 50); do [ "$(healthz | jq -r .index.generation)" = "$gen2" ] && break; sleep 0.2; done
if [ "$gen2" != "$gen" ] && [ "$(healthz | jq -r .index.generation)" = "$gen2" ] && [ "$(cat "$A/run/rag-api.pid")" = "$pid2" ]; then
  ok "a new transcript + make ingest: the running API serves the new generation (same pid)"
else not_ok "a new transcript + make ingest: the running API serves the new generation (same pid)" "gen=$gen gen2=$gen2 served=$(healthz | jq -r .index.generation)"; fi

# --- config drift ---------------------------------------------------------------
cp "$CFG" "$TMP/params.good"
sed -i 's#^  target_tokens: 256 #  target_tokens: 384 #' "$CFG"
mk status; rc=$?
if [ $rc != 0 ] && grep -qE 'WARN +config_hash' "$out" && grep -q 'chunking.target_tokens 256 -> 384' "$out" \
   && "$BIN/ragtop" --once --config "$CFG" --services "$SVC" >/dev/null 2>&1; [ $? = 1 ]; then
  ok "config drift: make status fails (ragtop --once exit 1, WARN) naming chunking.target_tokens 256 -> 384"
else not_ok "config drift: make status fails (ragtop --once exit 1, WARN) naming chunking.target_tokens 256 -> 384" "rc=$rc" "$(cat "$out")"; fi
for _ in $(seq 50); do [ "$(healthz | jq -r .checks.config_hash.status)" != pass ] && break; sleep 0.2; done
check "config drift: curl …/healthz | jq .checks.config_hash reports it" \
  bash -c "curl -s '$URL/healthz' | jqe '.checks.config_hash.status != \"pass\"'"
cp "$TMP/params.good" "$CFG"
for _ in $(seq 50); do [ "$(healthz | jq -r .checks.config_hash.status)" = pass ] && break; sleep 0.2; done
check "config drift resolved by reverting the edit: make status exits 0" "${M[@]}" status

# --- ingest lock ------------------------------------------------------------------
flock -o "$A/run/ingest.lock" sleep 30 &
fpid=$!
sleep 0.3
mk ingest; rc=$?
holder=$(fuser "$A/run/ingest.lock" 2>/dev/null | tr -s ' ' | sed 's/^ //')
if [ $rc != 0 ] && grep -q 'another run holds the lock' "$out" && grep -q "Error 75" "$out" && [ -n "$holder" ]; then
  ok "ingest lock held: make ingest fails (rag-ingest exit 75) and fuser names the holder"
else not_ok "ingest lock held: make ingest fails (rag-ingest exit 75) and fuser names the holder" "rc=$rc holder=$holder" "$(cat "$out")"; fi
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
check "lock released: make ingest succeeds again" "${M[@]}" ingest

# --- a failed run keeps the served index ---------------------------------------------
mkdir -p "$W/transcripts/broken"
# not UTF-8 and no legacy_encoding: each file fails; 10 of 33 is beyond max_error_ratio 0.2
for i in 1 2 3 4 5 6 7 8 9 10; do printf 'transcript %d in latin-1: caf\xe9 \xe0 la cr\xe8me\n' "$i" >"$W/transcripts/broken/bad-$i.txt"; done
before=$(cat "$A/checkpoints/latest.json")
mk ingest; rc=$?
if [ $rc != 0 ] && [ "$(tail -n 1 "$A/logs/ingestion_metrics.jsonl" | jq -r .status)" = failed ] \
   && [ "$(cat "$A/checkpoints/latest.json")" = "$before" ] && [ "$(healthz | jq -r .index.generation)" = "$gen2" ]; then
  ok "failed run: make ingest fails, metrics line says failed, manifest untouched, API keeps serving"
else not_ok "failed run: make ingest fails, metrics line says failed, manifest untouched, API keeps serving" "rc=$rc" "$(tail -n 5 "$out")"; fi
mk status; rc=$?
if [ $rc != 0 ] && grep -qE 'WARN +last_run +last run [^ ]+ failed' "$out"; then ok "failed run: make status fails with last_run WARN"
else not_ok "failed run: make status fails with last_run WARN" "rc=$rc" "$(cat "$out")"; fi
rm -rf "$W/transcripts/broken"
check "after removing the bad files: make ingest succeeds" "${M[@]}" ingest

# --- background services: scheduled ingest and watcher, started twice ------------------
if "${M[@]}" ingest-cron >"$out" 2>&1 && "${M[@]}" ingest-cron >>"$out" 2>&1 && grep -q 'already running' "$out"; then
  ok "make ingest-cron twice: started, then already running"
else not_ok "make ingest-cron twice: started, then already running" "$(cat "$out")"; fi
if "${M[@]}" watch-start >"$out" 2>&1 && "${M[@]}" watch-start >>"$out" 2>&1 && grep -q 'already running' "$out"; then
  ok "make watch-start twice: started, then already running"
else not_ok "make watch-start twice: started, then already running" "$(cat "$out")"; fi
check "make status with every service running exits 0" "${M[@]}" status

# --- webhook not delivering: the watcher's alert waits in the outbox ---------------------
mk stop-api
for _ in $(seq 100); do
  jqe 'select(.event == "alert_delivery_failed")' "$A/logs/watch.jsonl" >/dev/null 2>&1 && break; sleep 0.1
done
failed=$(jq -c 'select(.event | test("alert_delivery_failed|alert_expired|receiver_url_unset"))' "$A/logs/watch.jsonl" | tail -n 5)
if [ -n "$failed" ] && [ -n "$(ls "$A/run/outbox/pending/" 2>/dev/null)" ] && ! grep -q "$HOOK_PORT/hook" "$A/logs/watch.jsonl"; then
  ok "webhook down: watch.jsonl shows alert_delivery_failed (URL redacted), the alert waits in outbox/pending"
else not_ok "webhook down: watch.jsonl shows alert_delivery_failed (URL redacted), the alert waits in outbox/pending" "$failed" "$(ls -R "$A/run/outbox" 2>&1)"; fi
check "webhook check from the runbook: curl -X POST to \$RAG_TEST_HOOK_URL fails while nothing listens" \
  bash -c "! curl -sS -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' -d '{}' \"\$RAG_TEST_HOOK_URL\" 2>/dev/null"

# --- port taken ------------------------------------------------------------------------------
python3 -c "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', $PORT)); s.listen(); time.sleep(20)" &
ppid=$!
for _ in $(seq 50); do ss -ltn "sport = :$PORT" | grep -q LISTEN && break; sleep 0.1; done
mk api; rc=$?
listener=$(ss -ltnp "sport = :$PORT" | grep -o 'python3' | head -n 1)
if [ $rc != 0 ] && grep -q 'Address already in use' "$out" && [ "$listener" = python3 ]; then
  ok "port taken: make api fails with 'Address already in use'; ss -ltnp names the holder"
else not_ok "port taken: make api fails with 'Address already in use'; ss -ltnp names the holder" "rc=$rc listener=$listener" "$(cat "$out")"; fi
kill "$ppid"; wait "$ppid" 2>/dev/null

# --- stop: twice, and nothing of ours is left --------------------------------------------------
mk api
mk stop; rc1=$?
mk stop; rc2=$?
sleep 0.3
left=$(ours)
if [ $rc1 = 0 ] && [ $rc2 = 0 ] && grep -q 'rag-api is not running' "$out" && [ -z "$left" ] && [ ! -e "$A/run/rag-api.pid" ]; then
  ok "make stop twice: exit 0 both times, no process of the stack left"
else not_ok "make stop twice: exit 0 both times, no process of the stack left" "rc=$rc1/$rc2" "$(ps -o pid,args -p ${left:-0} 2>/dev/null)"; fi
"$BIN/ragtop" --once --config "$CFG" --services "$SVC" >"$out" 2>&1; rc=$?
if [ $rc = 2 ] && grep -qE 'CRIT +service:rag_api' "$out"; then ok "after make stop: ragtop --once exits 2 (CRIT: rag_api down)"
else not_ok "after make stop: ragtop --once exits 2 (CRIT: rag_api down)" "rc=$rc" "$(cat "$out")"; fi

# --- every local command of the runbook, as written ------------------------------
# The runbook's commands assume the repository root as the working folder, with
# config/params.yaml, services.yml and artifacts/ there: the stack folder gets
# the same shape (the Makefile and sources linked in), and each command from the
# runbook's ```sh blocks runs verbatim there, only the port swapped. Commands
# for docker, systemd and kubectl, interactive or endless ones, and the stop
# and rollback commands (run last) are left out. Make targets must exit 0 on the healthy
# stack; other commands must run without a usage, syntax or not-found error.
for f in Makefile scripts src include deploy docs themes data tests; do ln -sfn "$ROOT/$f" "$W/$f"; done
# build/ holds the repository's build outputs; build/bin is always the programs
# under test ($BIN), so the runbook's build/bin/ragtop also works under SAN=1.
mkdir -p "$W/build"
for f in "$ROOT"/build/*; do [ "$(basename "$f")" = bin ] || ln -sfn "$f" "$W/build/$(basename "$f")"; done
ln -sfn "$BIN" "$W/build/bin"
"${M[@]}" api >/dev/null 2>&1
cmds=$(awk '/^```sh$/ { inblock = 1; next } /^```$/ { inblock = 0 } inblock' "$ROOT/docs/runbooks/orchestration.md" \
  | sed -E 's/[[:space:]]{2,}#.*$//' | grep -vE '^[[:space:]]*(#|$)' \
  | grep -vE 'docker|systemctl|journalctl|kubectl|sudo |^export |RUNTIME=|^make (logs|console|watch|demo|stop|stop-api|rollback)$' | sort -u)
bad=""; n=0
while IFS= read -r c; do
  [ -n "$c" ] || continue
  n=$((n + 1))
  run=${c//8088/$PORT}; run=${run//8089/$ADMIN_PORT}
  o=$( cd "$W" && RAG_ALERT_JSON_URL=$RAG_TEST_HOOK_URL timeout 60 bash -c "$run" 2>&1 ); rc=$?
  if [[ $c == make* ]]; then
    [ $rc = 0 ] || bad="$bad"$'\n'"[$rc] $c: $(tail -n 3 <<<"$o")"
  elif [ $rc = 126 ] || [ $rc = 127 ] || [ $rc = 124 ] || grep -qiE 'syntax error|parse error|compile error|unknown option|invalid option|usage:|No such file' <<<"$o"; then
    bad="$bad"$'\n'"[$rc] $c: $(tail -n 3 <<<"$o")"
  fi
done <<<"$cmds"
if [ -z "$bad" ] && [ "$n" -ge 25 ]; then ok "all $n local runbook commands run as written on a healthy stack"
else not_ok "every local runbook command runs as written on a healthy stack ($n run)" "$bad"; fi
# make rollback changes what is served, so it runs after the others, as written
g_before=$(jq -r .generation "$A/checkpoints/latest.json")
if ( cd "$W" && make rollback >"$out" 2>&1 ) && [ "$(jq -r .generation "$A/checkpoints/latest.json")" != "$g_before" ] \
   && [ "$(jq -r .rollback_from "$A/checkpoints/latest.json")" = "$g_before" ]; then
  ok "runbook: make rollback serves the previous generation again"
else not_ok "runbook: make rollback serves the previous generation again" "$(cat "$out")"; fi
for c in "make stop-api" "make stop" "make stop"; do
  if ! ( cd "$W" && $c >"$out" 2>&1 ); then bad="$bad $c"; fi
done
if [ -z "$bad" ] && [ -z "$(ours)" ]; then ok "runbook stop commands as written: make stop-api, make stop (twice); nothing left running"
else not_ok "runbook stop commands as written: make stop-api, make stop (twice); nothing left running" "$bad" "$(cat "$out")"; fi

# --- help and unknown runtime ---------------------------------------------------------------------
h=$("${M[@]}" help)
missing=""
for t in ingest api stop restart-api status console watch logs demo test deps install uninstall clean help; do
  grep -qE "^  make $t +[^ ]" <<<"$h" || missing="$missing $t"
done
if [ -z "$missing" ]; then ok "make help lists every operator target with a line each"
else not_ok "make help lists every operator target with a line each" "missing:$missing"; fi
check "make validate accepts the repository's config and services.yml" make --no-print-directory -C "$ROOT" validate
done_testing
