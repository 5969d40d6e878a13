#!/usr/bin/env bash
# test_prometheus_rules.sh — deploy/prometheus: the config and rule files pass
# promtool, the rule unit tests pass, every alert the runbook promises exists
# and carries a runbook link.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 6
P=deploy/prometheus

check "promtool check config accepts prometheus.yml (and its rule files)" \
  promtool check config "$P/prometheus.yml"
check "promtool check rules accepts ragtop.rules.yml" \
  promtool check rules "$P/rules/ragtop.rules.yml"
check "promtool test rules: every alert fires and clears as its unit test expects" \
  bash -c "cd '$P/tests' && promtool test rules ragtop.rules.test.yml"

alerts=$(grep -oE '^ *- alert: [A-Za-z]+' "$P/rules/ragtop.rules.yml" | awk '{print $3}' | sort)
missing=""
for a in RagApiDown RagIndexStale RagIngestFailed RagIngestOverdue RagConfigDrift; do
  grep -qx "$a" <<<"$alerts" || missing="$missing $a"
done
if [ -z "$missing" ]; then ok "rules cover API down, index stale, ingest failed, ingest overdue, config drift"
else not_ok "rules cover API down, index stale, ingest failed, ingest overdue, config drift" "missing:$missing"; fi

n_alerts=$(grep -cE '^ *- alert:' "$P/rules/ragtop.rules.yml")
n_runbook=$(grep -cE '^ *runbook: docs/runbooks/orchestration.md#' "$P/rules/ragtop.rules.yml")
if [ "$n_alerts" -gt 0 ] && [ "$n_alerts" = "$n_runbook" ]; then ok "every alert links a runbook section"
else not_ok "every alert links a runbook section" "$n_alerts alerts, $n_runbook runbook links"; fi
# Every rag_api_* metric a rule uses must be one rag-api exports (its source).
used=$(grep -hoE 'rag_api_[a-z_]+' "$P/rules/ragtop.rules.yml" | sort -u)
unknown=""
for m in $used; do
  grep -rqF "\"$m" src/api/ 2>/dev/null || unknown="$unknown $m"
done
if [ -n "$used" ] && [ -z "$unknown" ]; then ok "every rag_api_* metric in the rules is exported by rag-api (src/api)"
else not_ok "every rag_api_* metric in the rules is exported by rag-api (src/api)" "not found in src/api:$unknown"; fi
done_testing
