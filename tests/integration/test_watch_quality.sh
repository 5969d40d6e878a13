#!/usr/bin/env bash
# test_watch_quality.sh — a retrieval-quality regression alerts like
# staleness does: with quality.warn_ndcg / min_ndcg set, a manifest whose
# nDCG@10 falls below them makes `ragtop watch` deliver a firing alert on
# the "quality" check to a local webhook receiver, named RagQualityLow with
# the service (rag_ingest) and instance labels of the other alerts and the
# severity of the threshold crossed; the figures coming back resolve it.
# The manifest's quality object (manifest.md) is written here directly.
. "$(dirname "$0")/watch_lib.sh"
plan 6

make_stack
printf 'quality:\n  warn_ndcg: 0.7\n  min_ndcg: 0.4\n' >>"$W/config/params.yaml"
M=$W/artifacts/checkpoints/latest.json
set_quality() { # ndcg
  jq --argjson n "$1" '.quality = {"golden_sha256": ("0" * 64), "queries": 8, "k": 10, "mode": "bm25",
      "ndcg_at_10": $n, "recall_at_k": 0.5, "mrr": 0.5, "failed": 3,
      "failed_queries": [{"id": "g-budget", "query": "budget vote", "ndcg_at_10": 0}],
      "evaluated_at": "2026-11-30T07:00:00.000Z", "gate": "passed"}' "$M" >"$M.tmp" && mv "$M.tmp" "$M"
}
set_quality 0.9
start_watched_stack

set_quality 0.55
if wait_for 10 received_ge hook '.status=="firing" and .check=="quality"' 1; then
  ok "nDCG@10 0.55 below quality.warn_ndcg 0.7: the watcher fires an alert on the quality check"
else
  not_ok "nDCG@10 below warn_ndcg: a firing alert on quality" "$(tail -3 "$W/artifacts/logs/watch.jsonl")"
fi
a=$(jq -c -s '[.[] | select(.body.check=="quality" and .body.status=="firing")][0].body' "$W/hook.jsonl")
is "$(jq -r '[.alertname, .service, .instance, .severity] | join(" ")' <<<"$a")" "RagQualityLow rag_ingest $(hostname) warn" \
  "the alert is RagQualityLow, service rag_ingest, instance the host name, severity warn"
like "$(jq -r '.summary + " | " + (.details.details // "")' <<<"$a")" \
  "nDCG@10 0.550.*below quality.warn_ndcg 0.700 \\| 3 of 8 golden queries fail: g-budget" "its summary and details name the figure, the threshold and the failing queries"

set_quality 0.9
if wait_for 10 received_ge hook '.status=="resolved" and .check=="quality"' 1; then
  ok "the figures back above the thresholds resolve it"
else
  not_ok "figures back: resolved" "$(tail -3 "$W/artifacts/logs/watch.jsonl")"
fi

set_quality 0.2
if wait_for 10 received_ge hook '.status=="firing" and .check=="quality" and .severity=="crit"' 1; then
  ok "nDCG@10 0.2 below quality.min_ndcg 0.4: a critical RagQualityLow"
else
  not_ok "below min_ndcg: a critical alert" "$(cat "$W/hook.jsonl" | tail -2)"
fi
is "$(jq -r -s '[.[] | select(.body.check=="quality" and .body.severity=="crit")][0].body.alertname' "$W/hook.jsonl")" "RagQualityLow" \
  "...under the same alert name"
stop_watch TERM
done_testing
