#!/usr/bin/env bash
# test_prometheus_rules.sh — deploy/prometheus: the config and rule files pass
# promtool, the rule unit tests pass, every alert the runbook promises exists
# and carries a runbook link.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 7
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
dangling=""
for a in $(grep -oE 'orchestration.md#[a-z-]+' "$P/rules/ragtop.rules.yml" | cut -d'#' -f2 | sort -u); do
  grep -q "id=\"$a\"" docs/runbooks/orchestration.md || dangling="$dangling #$a"
done
if [ "$n_alerts" -gt 0 ] && [ "$n_alerts" = "$n_runbook" ] && [ -z "$dangling" ]; then ok "every alert links a runbook section that exists"
else not_ok "every alert links a runbook section that exists" "$n_alerts alerts, $n_runbook runbook links; missing anchors:$dangling"; fi
# Every rag_api_* metric a rule uses must be one rag-api exports (its source),
# or be listed as pending in deploy/prometheus/README.md — and a pending one
# must really be missing, so the list cannot go stale.
used=$(grep -hoE 'rag_api_[a-z_]+' "$P/rules/ragtop.rules.yml" | sort -u)
pending=$(sed -n '/pending-metrics: begin/,/pending-metrics: end/p' "$P/README.md" | grep -oE '^- `rag_api_[a-z_]+`' | sed 's/^- `//; s/`$//' | sort -u)
unknown=""; stale=""
for m in $used; do
  if grep -rqF "\"$m" src/api/ 2>/dev/null; then
    grep -qx "$m" <<<"$pending" && stale="$stale $m"
  else
    grep -qx "$m" <<<"$pending" || unknown="$unknown $m"
  fi
done
if [ -n "$used" ] && [ -z "$unknown" ]; then ok "every rag_api_* metric in the rules is exported by rag-api or listed as pending"
else not_ok "every rag_api_* metric in the rules is exported by rag-api or listed as pending" "neither exported (src/api) nor pending:$unknown"; fi
if [ -z "$stale" ]; then ok "no metric listed as pending is already exported"
else not_ok "no metric listed as pending is already exported" "exported now, remove from the pending list:$stale"; fi
done_testing
