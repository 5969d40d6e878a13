#!/usr/bin/env bash
# test_watch_checks.sh — the watcher's non-service checks end to end: a stale
# manifest (older than freshness.warn_after) fires a warn alert on
# "freshness"; a failed run in ingestion_metrics.jsonl fires one on
# "last_run"; a later successful run resolves it.
. "$(dirname "$0")/watch_lib.sh"
plan 6

FRESH_WARN=1h FRESH_ERROR=7d MKINDEX_ARGS="--age 7200" make_stack
start_watched_stack

if wait_for 6 received_ge hook '.status=="firing" and .check=="freshness"' 1; then
  is "$(jq -rs '[.[] | select(.body.check=="freshness")][0].body.severity' "$W/hook.jsonl")" warn \
    "a stale manifest (2h old, warn after 1h) gives a warn alert on freshness"
else
  not_ok "a stale manifest (2h old, warn after 1h) gives a warn alert on freshness" "$(cat "$W/hook.jsonl" 2>/dev/null)"
fi

ts=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
mkdir -p "$W/artifacts/logs"
echo "{\"run_id\":\"r-fail-1\",\"status\":\"failed\",\"started_at\":\"$ts\",\"finished_at\":\"$ts\",\"errors\":2,\"first_errors\":[\"a.txt: invalid UTF-8\"]}" \
  >>"$W/artifacts/logs/ingestion_metrics.jsonl"
if wait_for 6 received_ge hook '.status=="firing" and .check=="last_run"' 1; then
  ok "a failed ingest run gives an alert from the watcher (check last_run)"
else
  not_ok "a failed ingest run gives an alert from the watcher (check last_run)" "$(tail -3 "$W/artifacts/logs/watch.jsonl")"
fi
is "$(jq -rs '[.[] | select(.body.check=="last_run")][0].body.details.details' "$W/hook.jsonl")" \
  "a.txt: invalid UTF-8" "the alert carries the run's first error"

echo "{\"run_id\":\"r-ok-2\",\"status\":\"success\",\"started_at\":\"$ts\",\"finished_at\":\"$ts\",\"errors\":0}" \
  >>"$W/artifacts/logs/ingestion_metrics.jsonl"
if wait_for 6 received_ge hook '.status=="resolved" and .check=="last_run"' 1; then
  ok "a later successful run resolves it"
else
  not_ok "a later successful run resolves it" "$(tail -3 "$W/artifacts/logs/watch.jsonl")"
fi

# config drift: the config file changes what the index would contain
printf 'chunking:\n  target_tokens: 384\n' >>"$W/config/params.yaml"
if wait_for 6 received_ge hook '.status=="firing" and .check=="config_hash"' 1; then
  ok "config drift (config file vs the manifest's hash) fires a config_hash alert"
else
  not_ok "config drift (config file vs the manifest's hash) fires a config_hash alert" "$(tail -3 "$W/artifacts/logs/watch.jsonl")"
fi
like=$(jq -rs '[.[] | select(.body.check=="config_hash")][0].body.details.details' "$W/hook.jsonl")
if grep -q "chunking.target_tokens 256 -> 384" <<<"$like"; then
  ok "the drift alert names the changed key"
else
  not_ok "the drift alert names the changed key" "$like"
fi
stop_watch TERM
done_testing
