#!/usr/bin/env bash
# test_api_quality.sh — retrieval quality monitored like freshness (issue 13
# item 4), end to end with a real rag-ingest, rag-api and ragtop --once:
# /healthz's quality check is pass "not measured" without figures, pass
# with the served generation's figures, warn below quality.warn_ndcg, fail
# (503) below quality.min_ndcg, warn for a generation published with
# --force — the thresholds edited in params.yaml apply without a restart;
# /metrics has the quality gauges only when measured and stays promtool-clean;
# `ragtop --once` exits 2 on a quality failure with the rollback fix, and
# --json carries the figures, the failing queries and the runs' figures.
# The manifests and metrics lines carry the quality fields of the specs
# (manifest.md, metrics-line.md) written here directly: this suite tests
# their readers.
. "$(dirname "$0")/api_lib.sh"
plan 21

api_stack_new
api_ingest || { not_ok "setup: rag-ingest"; done_testing; }
# a run without quality: the manifest has none (whatever golden file exists)
manifest_edit 'del(.quality)'
api_start || { not_ok "setup: rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; }
gauge() { curl -s --max-time 5 "$URL/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {print $2}'; }
set_thresholds() { # warn min
  sed -i -e "s|^  warn_ndcg: .*|  warn_ndcg: $1|" -e "s|^  min_ndcg: .*|  min_ndcg: $2|" "$CONFIG"
}
set_thresholds 0 0

# 1. not measured
is "$(hz .checks.quality.status)|$(hz .status)" "pass|pass" "no quality in the manifest: the quality check passes"
like "$(hz .checks.quality.output)" "^not measured: .*no golden file" "...and says it is not measured (no golden file)"
curl -s "$URL/metrics" >"$STACK/m0.txt"
if ! grep -q '^rag_api_quality_ndcg_at_10' "$STACK/m0.txt" && ! grep -q '^rag_api_quality_queries' "$STACK/m0.txt" &&
   grep -q '^rag_api_quality_warn_ndcg 0$' "$STACK/m0.txt"; then
  ok "/metrics: no quality gauges when not measured (absent, not 0); the thresholds are there"
else not_ok "/metrics: no quality gauges when not measured" "$(grep quality "$STACK/m0.txt")"; fi

# 2. measured: the served generation's figures
QUALITY='{"golden_sha256": "'$(printf 'a%.0s' $(seq 64))'", "queries": 12, "k": 10, "mode": "bm25",
  "ndcg_at_10": 0.61, "recall_at_k": 0.75, "mrr": 0.5, "failed": 2,
  "failed_queries": [{"id": "q-esc", "query": "budget \u001b[2J\u001b]0;pwned\u0007 vote", "ndcg_at_10": 0},
                     {"id": "q-two", "query": "who chaired the meeting", "ndcg_at_10": 0.1}],
  "evaluated_at": "2026-11-30T07:00:00.000Z", "gate": "passed"}'
manifest_edit --argjson q "$QUALITY" '.quality = $q'
if api_wait_for .checks.quality.observed_value 0.61 3; then ok "a manifest with quality: /healthz shows its nDCG@10 (no restart)"
else not_ok "a manifest with quality: /healthz shows its nDCG@10" "$(hz .checks.quality)"; fi
is "$(hz '.checks.quality | [.status, .recall_at_k, .mrr, .queries, .failed, (.failed_ids|join(",")), .mode, .gate] | map(tostring) | join("|")')" \
   "pass|0.75|0.5|12|2|q-esc,q-two|bm25|passed" "...with recall, MRR, counts, failing ids, mode and gate; pass (no thresholds)"
curl -s "$URL/metrics" >"$STACK/m1.txt"
is "$(gauge rag_api_quality_ndcg_at_10)/$(gauge rag_api_quality_recall_at_k)/$(gauge rag_api_quality_mrr)/$(gauge rag_api_quality_failed_queries)/$(gauge rag_api_quality_queries)" \
   "0.610000/0.750000/0.500000/2/12" "/metrics: nDCG@10, recall@k, MRR, failed and evaluated query gauges"
if out=$(promtool check metrics <"$STACK/m1.txt" 2>&1); then ok "/metrics with the quality gauges passes promtool check metrics"
else not_ok "/metrics with the quality gauges passes promtool check metrics" "$out"; fi

# 3. thresholds edited in params.yaml while rag-api runs
set_thresholds 0.7 0
if api_wait_for .checks.quality.status warn 3; then ok "quality.warn_ndcg 0.7 edited in: the quality check warns within 3 s, no restart"
else not_ok "warn_ndcg 0.7: quality warn within 3 s" "$(hz .checks.quality)"; fi
like "$(hz .checks.quality.output)" "nDCG@10 0.610.*below quality.warn_ndcg 0.700" "...naming the figure and the threshold"
is "$(gauge rag_api_quality_warn_ndcg)" "0.7" "/metrics exports the threshold as the config says now"
set_thresholds 0.7 0.65
if api_wait_for .checks.quality.status fail 3; then ok "quality.min_ndcg 0.65: the quality check fails"
else not_ok "min_ndcg 0.65: quality fail" "$(hz .checks.quality)"; fi
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ADMIN_URL/healthz") $(hz .status)" "503 fail" "/healthz is fail/503 on a quality failure"

# 4. ragtop --once sees it (exit 2) with the rollback fix
api_services_yml
cat >>"$STACK/services.yml" <<YAML
  ingest:
    kind: job
    metrics: $STACK/artifacts/logs/ingestion_metrics.jsonl
    actions:
      run: {argv: [true]}
      rollback: {argv: [make, rollback], confirm: true}
YAML
"$BIN/ragtop" --once --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.out" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -qE '^CRIT +quality +nDCG@10 0\.610, recall@10 0\.750, MRR 0\.500 below quality\.min_ndcg 0\.650  \[fix: rollback: make rollback\]$' "$STACK/once.out"; then
  ok "ragtop --once: exit 2, CRIT quality below min_ndcg with [fix: rollback: make rollback]"
else not_ok "ragtop --once: exit 2, CRIT quality with the rollback fix" "rc=$rc" "$(cat "$STACK/once.out")"; fi
like "$(cat "$STACK/once.out")" "2 of 12 golden queries fail: q-esc, q-two" "...its details list the failing queries"
like "$(cat "$STACK/once.out")" "make rollback, rag-ingest --rollback.*--force publishes past the gate" "...and say rollback, golden file and --force"

# metrics lines with the quality fields (metrics-line.md): a passed and a refused run
JSONL=$STACK/artifacts/logs/ingestion_metrics.jsonl
last=$(tail -n 1 "$JSONL")
jq -c '.run_id = "20991231T000001Z-aaaaaa" | .quality_ndcg_at_10 = 0.8 | .quality_recall_at_k = 0.9 | .quality_mrr = 0.7 | .quality_failed = 1 | .quality_gate = "passed"' <<<"$last" >>"$JSONL"
jq -c '.run_id = "20991231T000002Z-bbbbbb" | .status = "failed" | .quality_ndcg_at_10 = 0.3 | .quality_recall_at_k = 0.4 | .quality_mrr = 0.2 | .quality_failed = 9 | .quality_gate = "refused"' <<<"$last" >>"$JSONL"
"$BIN/ragtop" --once --json --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.json" 2>"$STACK/once.err"; rc=$?
is "$rc|$(jq -c '.checks[] | select(.name=="quality") | [.status, .fix, .fix_target, .fix_argv]' "$STACK/once.json")" \
   '2|["CRIT","rollback","ingest",["make","rollback"]]' "--json: the quality check CRIT with fix rollback, its target and argv; same exit code"
is "$(jq -c '.index.quality | [.ndcg_at_10, .recall_at_k, .k, .mrr, .queries, .failed, .mode, .gate, .failed_queries[1].id]' "$STACK/once.json")" \
   '[0.61,0.75,10,0.5,12,2,"bm25","passed","q-two"]' "--json: index.quality carries the manifest's figures and failing queries"
is "$(jq -c '.index.quality.failed_queries[0].query' "$STACK/once.json")" '"budget \u001b[2J\u001b]0;pwned\u0007 vote"' \
   "--json: a failing query's control characters are JSON-escaped, kept as they are (the console shows them inert)"
is "$(jq -c '[.runs[-2:][] | [.quality_ndcg_at_10, .quality_gate]]' "$STACK/once.json")|$(jq -c '.config | [.quality_warn_ndcg, .quality_min_ndcg]' "$STACK/once.json")" \
   '[[0.8,"passed"],[0.3,"refused"]]|[0.7,0.65]' "--json: the runs' quality figures and gates from the metrics lines; the thresholds judged by"

# 5. published with --force past the gate: warn, even above the thresholds
set_thresholds 0 0
manifest_edit '.quality.gate = "forced"'
if api_wait_for .checks.quality.status warn 3; then ok "a generation published with --force past the gate: the quality check warns"
else not_ok "gate forced: the quality check warns" "$(hz .checks.quality)"; fi
like "$(hz .checks.quality.output)" "published with --force although the quality gate refused it" "...and says so"
done_testing
