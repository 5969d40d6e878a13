#!/usr/bin/env bash
# test_replicas.sh — a replicated service (services.yml health.urls) with
# three real rag-api instances on 127.0.0.1 (different admin ports), one of
# them started on an older generation: `ragtop --once` sees "3/3 up" and
# "2/3 serve gen-X, 1 serves gen-W"; the rollout check is OK within
# health.rollout_grace and warns (naming the instance) after it; the console
# under tmux shows the convergence in Freshness and Config, "3/3 up" in
# Services and, on Space, one row per instance; `ragtop watch` sends an alert
# naming the instance; once the third instance reloads the newest generation
# --once is OK (exit 0); stopping it shows "2/3 up" (console, --once, alert).
# The older instance serves a copy of the artifacts taken before the newest
# ingest; it "reloads" when the newest generation and manifest are copied
# into its folder (rag-api's inotify reload, src/api/reload.c).
set -uo pipefail
source "$(dirname "$0")/watch_lib.sh"   # api_lib.sh, lib.sh, webhook receivers
source "$ROOT/tests/tui/tmux.sh"
plan 19

api_stack_new
api_ingest || { fail "first ingest"; done_testing; }
GEN_W=$(jq -r .generation "$MANIFEST")
cp -a "$STACK/artifacts" "$STACK/artifacts-old"   # what the lagging instance serves
printf 'A new transcript about replicas.\n\nEvery replica should serve it soon.\n' >"$TX/replicas-new.txt"
api_ingest || { fail "second ingest"; done_testing; }
GEN_X=$(jq -r .generation "$MANIFEST")
SHORT_X=${GEN_X%.sqlite}; SHORT_W=${GEN_W%.sqlite}
[ "$GEN_W" != "$GEN_X" ] || { fail "two generations" "$GEN_W"; done_testing; }

# instance NAME ARTIFACTS: a config of its own (ports), started -> PID_NAME, ADMIN_NAME
declare -A PID ADMIN
instance() {
  local name=$1 artifacts=$2 admin main
  admin=$(free_port); main=$(free_port)
  sed -e "s|^  artifacts: .*|  artifacts: $artifacts|" \
      -e "s|^  listen: .*|  listen: 127.0.0.1:$main|" \
      -e "s|^  admin_listen: .*|  admin_listen: 127.0.0.1:$admin|" \
      "$CONFIG" >"$STACK/config/$name.yaml"
  api_launch "$STACK/config/$name.yaml" "http://127.0.0.1:$admin" "$STACK/$name.log" || return 1
  PID[$name]=$API_PID; ADMIN[$name]=$admin
}
instance a ../artifacts && instance b ../artifacts && instance c ../artifacts-old ||
  { fail "three rag-api instances start" "$(cat "$STACK"/*.log)"; done_testing; }
C="127.0.0.1:${ADMIN[c]}"

# services.yml with the three instances; GRACE is health.rollout_grace
write_services() {
  cat >"$STACK/services.yml.new" <<YAML
version: 1
services:
  rag_api:
    kind: server
    health:
      urls: [http://127.0.0.1:${ADMIN[a]}/healthz, http://127.0.0.1:${ADMIN[b]}/healthz, http://$C/healthz]
      interval: 1s
      timeout: 1s
      rollout_grace: $1
    actions:
      restart: {argv: ["true"]}
  rag_ingest:
    kind: job
    metrics: artifacts/logs/ingestion_metrics.jsonl
YAML
  mv "$STACK/services.yml.new" "$STACK/services.yml"
}
write_services 1h

fired() { [ "$(received hook "$1")" -ge 1 ]; }   # an alert matching a jq filter arrived
once_json() { "$BIN/ragtop" --once --json --config "$CONFIG" --services "$STACK/services.yml"; }
# check NAME field of `--once --json` (jq -r)
field() { once_json | jq -r --arg n "$1" ".checks[] | select(.name == \$n) | $2"; }
# poll_check NAME JQ-FILTER SECS: until the check matches the filter
poll_check() {
  local end=$(( SECONDS + $3 ))
  while [ $SECONDS -le "$end" ]; do
    [ "$(field "$1" "$2")" = true ] && return 0
    sleep 0.2
  done
  return 1
}

out=$(once_json)
is "$(jq -r '.checks[] | select(.name == "service:rag_api") | .summary' <<<"$out" | grep -oE '3/3 up')" "3/3 up" \
  "--once: service:rag_api reads 3/3 up"
like "$(jq -r '.checks[] | select(.name == "rollout:rag_api") | "\(.status) \(.summary)"' <<<"$out")" \
  "^OK rag_api rolling out: 2/3 serve $SHORT_X, 1 serves $SHORT_W \(for (<1s|[0-9]+s)\) \(grace 1h 0m\)" \
  "--once within the grace: rollout OK, 2/3 serve gen X, 1 serves gen W (for Ns)"
is "$(jq -c '.checks[] | select(.name == "rollout:rag_api") | .instances' <<<"$out")" "[\"$C\"]" \
  "--once --json: the rollout check names the lagging instance"
is "$(jq -r '[.services[] | select(.name == "rag_api") | .instances[] | "\(.name)=\(.generation)"] | join(" ")' <<<"$out")" \
  "127.0.0.1:${ADMIN[a]}=$GEN_X 127.0.0.1:${ADMIN[b]}=$GEN_X $C=$GEN_W" \
  "--once --json: every instance with the generation it serves"

# the console under tmux: convergence in Freshness and Config, 3/3 up, instances on Space
tui_start 200 45 "cd '$STACK' && '$BIN/ragtop' --config '$CONFIG' --services '$STACK/services.yml' --interval 500ms"
tui_expect "console: Freshness and Config show 2/3 serve gen X, 1 serves gen W (for ...)" \
  "Rollout +2/3 serve $SHORT_X," 15
is "$(tui_cap | grep -oE "Rollout +(. )?2/3 serve $SHORT_X," | wc -l)" 2 "console: the rollout rows are in both Freshness and Config"
is "$(tui_cap | grep -oE "│ +1 serves $SHORT_W( \(for ([0-9]+s|<1s)\))? " | wc -l)" 2 "console: both panes continue with 1 serves gen W"
like "$(tui_cap)" "│ +1 serves $SHORT_W \(for ([0-9]+s|<1s)\) " "console: ... with the age of the disagreement (for Ns)"
tui_expect "console: Services reads 3/3 up" "rag_api +. 3/3 up" 10
tui_keys Tab Tab Tab Tab Space  # focus Services (Logs -> header -> Freshness -> Config -> Services), expand
tui_expect "console: Space expands rag_api into its instances with their generations" "$C +. up +[0-9]+ms +$SHORT_W" 10

# the grace passes: --once warns, naming the instance; exit status 1
write_services 2s
if poll_check rollout:rag_api '.status == "WARN"' 20; then pass "--once warns once the disagreement is older than the grace"
else fail "--once warns once the disagreement is older than the grace" "$(once_json | jq -c '.checks[]')"; fi
txt=$("$BIN/ragtop" --once --no-color --config "$CONFIG" --services "$STACK/services.yml"); rc=$?
like "$rc $(tr '\n' ' ' <<<"$txt")" "^1 .*WARN +rollout:rag_api +rag_api: 2/3 serve $SHORT_X, 1 serves $SHORT_W \(for [^)]+\), longer than the rollout grace \(2s\): $C .*$C serves $SHORT_W" \
  "--once text: exit 1, the rollout warning and the instance serving the old generation"

# the watcher alerts, naming the instance
start_receiver hook || fail "webhook receiver starts"
WCONF="$STACK/config/watch.yaml"
sed -e '/^watch:/,/^[a-z]/{s|^  interval: .*|  interval: 300ms|;s|^  receivers: .*|  receivers: [{name: hook, format: json, url_env: WT_HOOK_URL}]|}' \
  "$CONFIG" >"$WCONF"
WT_HOOK_URL="http://127.0.0.1:${RECV_PORT[hook]}/hook" "$BIN/ragtop" watch --config "$WCONF" \
  --services "$STACK/services.yml" >"$STACK/watch.out" 2>&1 &
track_pid $!
if wait_for 20 fired '.check == "rollout:rag_api" and .status == "firing"'; then
  body=$(jq -c 'select(.body.check == "rollout:rag_api") | .body' "$W/hook.jsonl" | head -1)
  like "$(jq -r '"\(.alertname) \(.details.instances | join(",")) \(.summary)"' <<<"$body")" \
    "^RagRolloutStuck $C rag_api: 2/3 serve .*grace \(2s\): $C\$" "watch: the rollout alert names the instance (details.instances, summary)"
else
  fail "watch: the rollout alert names the instance (details.instances)" "$(cat "$STACK/watch.out")" "$(cat "$W/hook.jsonl" 2>/dev/null)"
fi

# the third instance reloads the newest generation: --once is OK (exit 0)
cp -n "$STACK"/artifacts/index/*.sqlite "$STACK/artifacts-old/index/"   # the descriptor and its new segment
cp "$MANIFEST" "$STACK/artifacts-old/checkpoints/latest.json.new"
mv "$STACK/artifacts-old/checkpoints/latest.json.new" "$STACK/artifacts-old/checkpoints/latest.json"
if poll_check rollout:rag_api ".status == \"OK\" and .summary == \"rag_api: 3/3 serve $SHORT_X\"" 20; then
  "$BIN/ragtop" --once --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.txt"; rc=$?
  is "$rc" 0 "--once is OK (exit 0) once the third instance reloaded: 3/3 serve gen X"
else
  fail "--once is OK (exit 0) once the third instance reloaded: 3/3 serve gen X" "$(once_json | jq -c '.checks[]')"
fi
tui_expect "console: Freshness shows 3/3 serve gen X" "Rollout +3/3 serve $SHORT_X" 15

# stopping one instance: 2/3 up in the console and --once, an alert naming it
kill -TERM "${PID[c]}"; wait "${PID[c]}" 2>/dev/null
tui_expect "console: Services reads 2/3 up after one instance stopped" "rag_api +. 2/3 up" 15
tui_expect "console: the stopped instance's row reads DOWN" "$C +. DOWN +- +connection refused" 10
like "$(field service:rag_api '"\(.status) \(.summary) \(.instances | join(","))"')" \
  "^WARN rag_api 2/3 up: $C down \(connection refused\) $C\$" "--once: 2/3 up, WARN, naming the stopped instance"
if wait_for 20 fired '.check == "service:rag_api" and .status == "firing"'; then
  is "$(jq -r 'select(.body.check == "service:rag_api") | .body.details.instances | join(",")' "$W/hook.jsonl" | head -1)" \
    "$C" "watch: the service alert names the stopped instance"
else
  fail "watch: the service alert names the stopped instance" "$(cat "$W/hook.jsonl" 2>/dev/null)"
fi
done_testing
