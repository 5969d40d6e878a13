#!/usr/bin/env bash
# test_status_remote.sh — issue 15 "remote stacks" and "contexts" without a
# terminal: rag-api's /status (admin listener only; off by default = 404;
# 401 without or with a wrong bearer token, as JSON; the body: manifest,
# last metrics lines, warning/error log events only, config hash and
# canonical config); ragtop monitoring a stack through /status alone (a
# context with no local paths, run from a folder with no stack in it): the
# same verdict and generation as the local view; a wrong token is a clear
# UNKNOWN; the token never appears in the logs, --once or --json output;
# contexts.yaml errors name file and line; `--once --context all`: one
# section per context, --json keyed by context, exit code = the worst.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/tui/stack.sh"
plan 44

stack_status_up
TOKEN=$STATUS_TOKEN
MAIN=http://127.0.0.1:$STACK_PORT

# --- the endpoint
code() { curl -s -o "$TMP/body" -w '%{http_code}' --max-time 5 "$@"; }
is "$(code "$ADMIN/status")" "401" "no token: 401"
is "$(jq -r '.error.kind' "$TMP/body")" "unauthorized" "  with a JSON error body"
is "$(code -H "Authorization: Bearer $BAD_TOKEN" "$ADMIN/status")" "401" "wrong token: 401"
is "$(code -H "Authorization: Bearer ${TOKEN}x" "$ADMIN/status")" "401" "token with an extra byte: 401"
is "$(code -H "Authorization: Bearer $TOKEN" "$MAIN/status")" "404" "not on the main port, even with the token"
like "$(cat "$TMP/body")" "admin listener only" "  the 404 says where it is"
is "$(code -X POST -H "Authorization: Bearer $TOKEN" "$ADMIN/status")" "405" "read-only: POST is 405"
is "$(code -H "Authorization: Bearer $TOKEN" "$ADMIN/status")" "200" "right token, no warning in the logs yet: 200"
is "$(jq -c .log_events "$TMP/body")" "[]" "  with no log events"
# a warning and an error event, and an info line that must not be carried
printf '%s\n' '{"ts":"2026-11-30T07:00:00.000Z","level":"info","component":"rag-ingest","event":"noise","msg":"info line"}' \
  '{"ts":"2026-11-30T07:00:01.000Z","level":"warn","component":"rag-ingest","event":"file_warning","msg":"remote-warn-marker"}' \
  '{"ts":"2026-11-30T07:00:02.000Z","level":"error","component":"rag-ingest","event":"file_failed","msg":"remote-error-marker"}' \
  >>artifacts/logs/ingest.jsonl
is "$(code -H "Authorization: Bearer $TOKEN" "$ADMIN/status")" "200" "right token: 200"
body=$(cat "$TMP/body")
is "$(jq -r '[.schema_version, (.manifest.document.generation), (.metrics_lines|length), .healthz.status] | map(tostring) | join(" ")' <<<"$body")" \
   "1 $(jq -r .generation artifacts/checkpoints/latest.json) 1 pass" "body: schema 1, the manifest as on disk, the metrics line, the health"
is "$(jq -r '[.log_events[].entry.msg] | join(",")' <<<"$body")" "remote-warn-marker,remote-error-marker" "log events: warnings and errors only, oldest first"
local_hash=$("$BIN/ragtop" --once --json | jq -r .config.hash)
is "$(jq -r .config.hash <<<"$body")" "$local_hash" "config hash = the one ragtop computes from the file"
is "$(jq -r '.config.canonical.chunking.target_tokens' <<<"$body")" "256" "the canonical config is included"
if grep -qF -- "$TOKEN" <<<"$body"; then not_ok "the token is not in the body"; else ok "the token is not in the body"; fi
# the limits are the config file's as it is now (a remote ragtop judges by them)
cp config/params.yaml "$TMP/params.before"
printf 'watch:\n  ingest_overdue: 7h\n' >>config/params.yaml
for _ in $(seq 1 100); do
  code -H "Authorization: Bearer $TOKEN" "$ADMIN/status" >/dev/null
  [ "$(jq -r .config.watch.ingest_overdue_ms "$TMP/body")" = 25200000 ] && break; sleep 0.1
done
is "$(jq -r .config.watch.ingest_overdue_ms "$TMP/body")" "25200000" "watch.ingest_overdue edited while rag-api runs: /status says the new limit"
cp "$TMP/params.before" config/params.yaml
like "$(curl -s "$ADMIN/metrics")" 'rag_api_requests_total\{route="/status",code="401"\} 3' "refusals are counted by code in /metrics"

# off by default: a second API without status_token_env
OFF_PORT=$(free_port); OFF_ADMIN=$(free_port)
sed -e "/status_token_env/d" -e "s/127.0.0.1:$STACK_PORT/127.0.0.1:$OFF_PORT/" -e "s/127.0.0.1:$STACK_ADMIN_PORT/127.0.0.1:$OFF_ADMIN/" \
  config/params.yaml >config/off.yaml
"$BIN/rag-api" --config config/off.yaml >"$TMP/off.out" 2>&1 & track_pid $!
wait_for 10 curl -sf "http://127.0.0.1:$OFF_ADMIN/healthz"
is "$(code -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$OFF_ADMIN/status")" "404" "without api.status_token_env /status is off: 404"
like "$(jq -r .error.message "$TMP/body")" "status_token_env" "  and says how to turn it on"
# a secret pasted where the variable name goes is refused, value not shown
sed "s/status_token_env: RAG_STATUS_TOKEN/status_token_env: $TOKEN/" config/params.yaml >config/bad.yaml
out=$("$BIN/ragtop" validate --config config/bad.yaml --services services.yml 2>&1); rc=$?
is "$rc" "78" "status_token_env holding a secret: config invalid (78)"
if grep -qF -- "$TOKEN" <<<"$out"; then not_ok "  the secret is not echoed" "$out"; else ok "  the secret is not echoed"; fi

# --- ragtop through /status alone: a folder with no stack, contexts with no local paths
out=$("$BIN/ragtop" --once --context far 2>&1); rc=$?
is "$rc" "3" "no contexts.yaml: --once --context exits 3"
like "$out" "no $XDG_CONFIG_HOME/ragtop/contexts.yaml: name your stacks there" "  and says where it looked"
mkdir -p "$XDG_CONFIG_HOME/ragtop" "$TMP/elsewhere"
cat >"$XDG_CONFIG_HOME/ragtop/contexts.yaml" <<YAML
version: 1
contexts:
  here: {services: $STACK/services.yml, config: $STACK/config/params.yaml}
  far: {url: "$ADMIN", token_env: RAG_STATUS_TOKEN}
  wrong: {url: "$ADMIN/status", token_env: BAD_TOKEN}
YAML
cd "$TMP/elsewhere" || exit 1
unset RAG_CONFIG RAG_SERVICES
out=$("$BIN/ragtop" --once --context far 2>&1); rc=$?
is "$rc" "0" "remote context: exit 0 (healthy)"
like "$out" "OK +remote +read $ADMIN/status" "  read through /status"
like "$out" "OK +served:rag_api +rag_api serves $(jq -r .generation "$STACK/artifacts/checkpoints/latest.json")" "  the served generation, from /status alone"
like "$out" "OK +last_run " "  the last run, from the metrics lines"
json=$("$BIN/ragtop" --once --json --context far); rc=$?
is "$(jq -r '[.index.generation, .config.hash, .remote.ok, .services[0].name] | map(tostring) | join(" ")' <<<"$json")" \
   "$(jq -r .generation "$STACK/artifacts/checkpoints/latest.json") $local_hash true rag_api" "  --json: same generation and hash as on disk"
# (freshness's summary says "Ns ago": compared by status only, the two reads may be a second apart)
pick='[.checks[] | select(.name | test("^(index|freshness|config_hash|quality|last_run)$"))
       | "\(.name) \(.status) \(if .name == "freshness" then "" else .summary end)"] | join("\n")'
remote_checks=$(jq -r "$pick" <<<"$json")
local_checks=$("$BIN/ragtop" --once --json --context here | jq -r "$pick")
is "$remote_checks" "$local_checks" "  index, freshness, config_hash, quality, last_run: the same verdicts as from the files"
out=$("$BIN/ragtop" --once --context wrong 2>&1); rc=$?
is "$rc" "3" "wrong token: exit 3 (UNKNOWN: nothing is known)"
like "$out" "UNKNOWN: 401 Unauthorized: the token in \\\$BAD_TOKEN was not accepted \\($ADMIN/status\\)" "  the headline says so"
out2=$(BAD_TOKEN= "$BIN/ragtop" --once --context wrong 2>&1)
like "$out2" "the token variable BAD_TOKEN is not set" "token variable unset: said so, nothing sent"

# --- every context
all=$("$BIN/ragtop" --once --context all 2>&1); rc=$?
is "$rc" "3" "--context all: exit = the worst (UNKNOWN from the wrong token)"
is "$(grep -cE '^== context (here|far|wrong) ' <<<"$all")" "3" "  one section per context"
like "$all" "wrong +remote +UNKNOWN +remote " "  the fleet overview names the worst check"
ajson=$("$BIN/ragtop" --once --json --context all)
is "$(jq -r '[.exit_code, (.contexts|keys_unsorted|join(",")), .contexts.far.index.generation == .contexts.here.index.generation] | map(tostring) | join(" ")' <<<"$ajson")" \
   "3 here,far,wrong true" "  --json keyed by context"
# the API down: CRIT beats UNKNOWN
(cd "$STACK" && stack_api_stop >/dev/null)
"$BIN/ragtop" --once --context all >"$TMP/all-down" 2>&1; rc=$?
is "$rc" "2" "API down: --context all exits 2 (CRIT beats UNKNOWN)"
like "$(cat "$TMP/all-down")" "far +remote +CRIT " "  the remote context reads CRIT (connection refused)"
(cd "$STACK" && stack_api_start >/dev/null)

# --- contexts.yaml mistakes
printf 'contexts:\n  prod:\n    url: http://127.0.0.1:1\n    token_env: %s\n' "$TOKEN" >"$XDG_CONFIG_HOME/ragtop/contexts.yaml"
out=$("$BIN/ragtop" --once --context prod 2>&1); rc=$?
is "$rc" "3" "a token pasted into contexts.yaml: exit 3"
like "$out" "contexts.yaml:4:[0-9]+: contexts.prod.token_env: must be the name of an environment variable" "  named by file, line and key"
if grep -qF -- "$TOKEN" <<<"$out"; then not_ok "  the value is not shown" "$out"; else ok "  the value is not shown"; fi
printf 'contexts:\n  prod: {url: "http://127.0.0.1:1"}\n' >"$XDG_CONFIG_HOME/ragtop/contexts.yaml"
out=$("$BIN/ragtop" --once --context nope 2>&1); rc=$?
like "$out" "no context named \"nope\" .*known: prod" "an unknown context lists the known ones"

# --- the token never written anywhere
leak=$(grep -rlF -- "$TOKEN" "$STACK/artifacts" "$TMP/off.out" 2>/dev/null)
is "$leak" "" "the token is in no log or artifact file"
if grep -qF -- "$TOKEN" <<<"$json$all$ajson$out2"; then not_ok "the token is in no --once / --json output"; else ok "the token is in no --once / --json output"; fi
finish
