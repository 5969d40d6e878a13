#!/usr/bin/env bash
# test_once.sh — `ragtop --once` (= make status) against a real sample stack
# (rag-ingest + rag-api): exit 0 healthy, 1 stale manifest, 2 API down,
# 3 no services file; --json has the shape docs/specs/once.md documents;
# fixes name the command services.yml runs and only when there is one;
# the name column fits the longest check name; pidfile services;
# probes run concurrently (three hung services cost one timeout, not three);
# no colour when not a terminal; valgrind finds no leaks.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/tui/stack.sh"
plan 29

STACK_WARN=3s STACK_ERROR=1h stack_init
cd "$STACK" || exit 1
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
on_exit "cd $STACK && bash $ROOT/tests/tui/stackctl.sh stop >/dev/null 2>&1"
sleep 0.3

out=$("$BIN/ragtop" --once 2>&1); rc=$?
is "$rc" "0" "healthy stack: exit 0"
like "$out" "^OK +service:api +api up" "the snapshot lists the API as up"
if grep -q $'\e' <<<"$out"; then not_ok "no colour when stdout is not a terminal"; else ok "no colour when stdout is not a terminal"; fi
json=$("$BIN/ragtop" --once --json); rc=$?
is "$rc" "0" "--json exits with the same code"
shape=$(jq -r '[.schema_version, .status, .exit_code, (.checks|type), (.checks[0]|keys|join(",")),
                (.index|keys|join(",")), (.services[0]|keys|join(",")), (.runs[0]|keys|join(",")),
                (.sources|keys|join(",")), (.config|keys|join(","))] | map(tostring) | join("|")' <<<"$json")
is "$shape" "1|OK|0|array|details,fix,fix_argv,fix_target,name,status,summary|age_ms,checked_at,chunks,config_hash,documents,generated_at,generation,manifest,quality,run_id,tokens|config_hash,error,errors,generation,health,health_url,http_code,kind,latency_ms,name,probed,requests,up,uptime_s,version|chunks,duration_ms,errors,files,generation,quality_failed,quality_gate,quality_mrr,quality_ndcg_at_10,quality_recall_at_k,rollback,rollback_from,run_id,started_at,status|added,changed,exact,removed,total,unreadable|error,error_after_ms,hash,path,quality_min_ndcg,quality_warn_ndcg,warn_after_ms" \
  "--json has the documented shape"
is "$(jq -r .index.generation <<<"$json")" "$(jq -r .generation artifacts/checkpoints/latest.json)" "--json names the generation on disk"
is "$(jq -r '.services[] | select(.name=="api") | .generation' <<<"$json")" "$(jq -r .generation artifacts/checkpoints/latest.json)" "--json names the generation the API serves"

sleep 3.2 # past freshness.warn_after: the manifest is stale
out=$("$BIN/ragtop" --once 2>&1); rc=$?
is "$rc" "1" "stale manifest: exit 1"
like "$out" "WARN +freshness" "the stale check is named"

cp artifacts/checkpoints/latest.json "$TMP/latest.keep"
jq --arg t "$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%S.000Z)" '.checked_at = $t' "$TMP/latest.keep" >artifacts/checkpoints/latest.json
out=$("$BIN/ragtop" --once 2>&1)
like "$out" "WARN +freshness +index checked_at is (2h 59m|3h) in the future" "a checked_at in the future is a WARN (clock skew), not fresh"
cp "$TMP/latest.keep" artifacts/checkpoints/latest.json
# the manifest names a generation whose file is gone: the index is not OK
jq '.generation = "gen-gone.sqlite"' "$TMP/latest.keep" >artifacts/checkpoints/latest.json
out=$("$BIN/ragtop" --once 2>&1); rc=$?
if [ "$rc" = 2 ] && grep -q "^CRIT .*index .*names gen-gone.sqlite, but .*gen-gone.sqlite is missing" <<<"$out"; then
  ok "a manifest naming a missing generation file: CRIT index"
else not_ok "a manifest naming a missing generation file: CRIT index" "exit $rc" "$out"; fi
cp "$TMP/latest.keep" artifacts/checkpoints/latest.json
# files swapped for FIFOs (no writer) are refused at once, never waited on
rm artifacts/checkpoints/latest.json; mkfifo artifacts/checkpoints/latest.json
mv artifacts/logs/ingestion_metrics.jsonl "$TMP/metrics.keep"; mkfifo artifacts/logs/ingestion_metrics.jsonl
out=$(timeout 20 "$BIN/ragtop" --once 2>&1); rc=$?
if [ "$rc" = 2 ] && grep -q "^CRIT .*index .*latest.json: not a regular file" <<<"$out"; then
  ok "latest.json and the metrics log as FIFOs: --once answers at once (CRIT index, not a regular file)"
else not_ok "latest.json and the metrics log as FIFOs: --once answers at once" "exit $rc" "$out"; fi
like "$out" "WARN +last_run +cannot read the run history: .*ingestion_metrics.jsonl: not a regular file" \
     "a run history that cannot be read is a WARN naming it, not 'no ingestion runs recorded'"
rm artifacts/checkpoints/latest.json artifacts/logs/ingestion_metrics.jsonl
cp "$TMP/latest.keep" artifacts/checkpoints/latest.json; mv "$TMP/metrics.keep" artifacts/logs/ingestion_metrics.jsonl

stack_add_transcript late; sed -i 's/target_tokens: 256/target_tokens: 384/' config/params.yaml
out=$("$BIN/ragtop" --once 2>&1)
like "$out" "chunking.target_tokens 256 -> 384" "a config change is explained key by key"
sed -i 's/target_tokens: 384/target_tokens: 256/' config/params.yaml

stack_api_stop >/dev/null
out=$("$BIN/ragtop" --once 2>&1); rc=$?
is "$rc" "2" "API down: exit 2"
like "$out" "CRIT +service:api +api down: connection refused" "the down service is named"
like "$out" "api down: connection refused  \\[fix: start: bash $ROOT/tests/tui/stackctl.sh start\\]" "the fix names the command it runs (services.yml's start action)"
json=$("$BIN/ragtop" --once --json)
is "$(jq -c '.checks[] | select(.name=="service:api") | [.fix, .fix_target, .fix_argv]' <<<"$json")" \
   "[\"start\",\"api\",[\"bash\",\"$ROOT/tests/tui/stackctl.sh\",\"start\"]]" "--json: fix, fix_target and fix_argv"

# pidfile services (no health URL); a long name; a service with no start action
sleep 60 & track_pid $!; live=$!
printf '%s\nsleep\n60\n' "$live" >"$TMP/live.pid" # the pid, then its command, one item a line (daemon.sh's format)
printf '999999\nsleep\n' >"$TMP/stale.pid"
cat >"$TMP/pid.yml" <<YAML
version: 1
services:
  rag_ingest_cron: {kind: server, optional: true, pidfile: $TMP/live.pid, actions: {start: {argv: [true]}}}
  rag_watch: {kind: server, optional: true, pidfile: $TMP/stale.pid, actions: {start: {argv: [make, watch-start]}}}
  plain: {kind: server, health: {url: "http://127.0.0.1:$STACK_PORT/healthz", timeout: 1s}}
YAML
out=$("$BIN/ragtop" --once --services "$TMP/pid.yml" 2>&1)
like "$out" "OK +service:rag_ingest_cron +rag_ingest_cron running \\(pid $live, started " "a live pidfile reads running with its pid"
like "$out" "OK +service:rag_watch +rag_watch not running \\(optional\\): stale pidfile: pid 999999 is gone  \\[fix: start: make watch-start\\]" "a stale pidfile reads not running, with the fix"
like "$out" "CRIT +service:plain +plain down: connection refused\$" "a service with no start action gets no [fix: start]"
cols=$(grep -E '^(OK|WARN|CRIT|UNKNOWN) ' <<<"$out" | awk '{ match($0, /^[A-Z]+ +[^ ]+ +/); print RLENGTH }' | sort -u)
is "$cols" "32" "every summary starts in the same column (the longest name, service:rag_ingest_cron, fits)"

mkdir -p "$TMP/empty"
(cd "$TMP/empty" && env -u RAG_SERVICES -u RAG_CONFIG XDG_CONFIG_HOME="$TMP/empty" HOME="$TMP/empty" "$BIN/ragtop" --once >"$TMP/none.out" 2>&1); rc=$?
is "$rc" "3" "no services file: exit 3"
like "$(cat "$TMP/none.out")" "UNKNOWN +services_file +no services file" "the missing services file is named"

# three services that accept and never answer, 1s timeout each
hport=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$hport" &
track_pid $!
end=$(( $(date +%s) + 10 ))   # wait until it listens (a fixed sleep raced on a loaded machine)
until (exec 3<>"/dev/tcp/127.0.0.1/$hport") 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; do sleep 0.1; done
cat >"$TMP/hung.yml" <<YAML
version: 1
services:
  a: {kind: server, health: {url: "http://127.0.0.1:$hport/a", timeout: 1s}}
  b: {kind: server, health: {url: "http://127.0.0.1:$hport/b", timeout: 1s}}
  c: {kind: server, health: {url: "http://127.0.0.1:$hport/c", timeout: 1s}}
YAML
t0=$(date +%s%N)
out=$("$BIN/ragtop" --once --services "$TMP/hung.yml" 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$ms" -lt 1900 ] && [ "$(grep -c '^CRIT .*timeout after 1.0s' <<<"$out")" = 3 ]; then
  ok "three hung services cost one timeout, not three (${ms}ms)"
else
  not_ok "three hung services cost one timeout, not three (${ms}ms)" "$out"
fi
is "$rc" "2" "hung services are CRIT"
printf 'version: 1\nservices:\n  h: {kind: server, health: {url: "http://127.0.0.1:%s/h", timeout: 1s}, actions: {start: {argv: [echo, start]}, restart: {argv: [echo, restart]}}}\n' "$hport" >"$TMP/hung2.yml"
out=$("$BIN/ragtop" --once --services "$TMP/hung2.yml" 2>&1)
like "$out" "CRIT +service:h +h not answering: timeout after 1.0s  \\[fix: restart: echo restart\\]" \
  "a service that holds its port but does not answer is offered restart, not start"

# another program answering 200 on a health URL (rag-api down, its port
# taken) is not a pass: only a health body says pass
iport=$(free_port)
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = {"/nf": (404, b"not found"), "/odd": (200, b"{\"status\":\"UP\"}")}.get(self.path, (200, b"OK"))
        self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$iport" &
track_pid $!
end=$(( $(date +%s) + 10 ))
until (exec 3<>"/dev/tcp/127.0.0.1/$iport") 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; do sleep 0.1; done
printf 'version: 1\nservices:\n  api: {kind: server, health: {url: "http://127.0.0.1:%s/healthz"}}\n' "$iport" >"$TMP/impostor.yml"
out=$("$BIN/ragtop" --once --services "$TMP/impostor.yml" 2>&1); rc=$?
if [ "$rc" != 0 ] && grep -q "^WARN .*service:api .*api warn (HTTP 200)" <<<"$out" &&
   grep -q "no health status in the answer" <<<"$out"; then
  ok "a 200 without a health body is not a pass (WARN, exit $rc)"
else not_ok "a 200 without a health body is not a pass" "exit $rc" "$out"; fi
printf 'version: 1\nservices:\n  nf: {kind: server, health: {url: "http://127.0.0.1:%s/nf"}}\n  odd: {kind: server, health: {url: "http://127.0.0.1:%s/odd"}}\n' "$iport" "$iport" >"$TMP/impostor2.yml"
out=$("$BIN/ragtop" --once --services "$TMP/impostor2.yml" 2>&1); rc=$?
if grep -q "^WARN .*service:nf .*HTTP 404" <<<"$out" && grep -q "^WARN .*service:odd .*odd warn (HTTP 200)" <<<"$out" &&
   grep -q "unknown health status" <<<"$out" && ! grep -q "^CRIT .*service:" <<<"$out"; then
  ok "a 4xx without a health body is WARN (once.md), an unknown status is not a pass"
else not_ok "a 4xx without a health body is WARN (once.md), an unknown status is not a pass" "exit $rc" "$out"; fi

stack_api_start >/dev/null; sleep 0.3
if [ "${SAN:-0}" = 1 ]; then
  skip "valgrind: no leaks or errors in --once" "ASan build (ASan's leak check runs instead)"
  done_testing
fi
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  --log-file="$TMP/vg.log" "$BIN/ragtop" --once --json >/dev/null 2>&1; rc=$?
if [ "$rc" -ne 99 ] && grep -q "ERROR SUMMARY: 0 errors" "$TMP/vg.log"; then
  ok "valgrind: no leaks or errors in --once (exit $rc)"
else
  not_ok "valgrind: no leaks or errors in --once (exit $rc)" "$(grep -A12 -E 'definitely|indirectly|Invalid|uninitialised' "$TMP/vg.log" | head -60)"
fi
done_testing
