#!/usr/bin/env bash
# test_prometheus_rules.sh — deploy/prometheus: the config and rule files pass
# promtool, the rule unit tests pass, every alert the runbook promises exists
# and carries a runbook link.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
plan 5
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
done_testing
