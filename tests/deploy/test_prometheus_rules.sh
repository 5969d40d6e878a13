#!/usr/bin/env bash
# test_prometheus_rules.sh — deploy/prometheus: the config and rule files pass
# promtool, the rule unit tests pass, every alert the runbook promises exists
# and carries a runbook URL built from the configurable base (external label
# runbook_base, dropped from the alert labels); no two rules fire for the
# same condition; every rule has the watcher's label scheme (severity,
# service); the scrape target is rag-api's admin port with an instance name.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 10
P=deploy/prometheus

check "promtool check config accepts prometheus.yml (and its rule files)" \
  promtool check config "$P/prometheus.yml"
check "promtool check rules accepts ragtop.rules.yml" \
  promtool check rules "$P/rules/ragtop.rules.yml"
check "promtool test rules: every alert fires and clears as its unit test expects" \
  bash -c "cd '$P/tests' && promtool test rules ragtop.rules.test.yml"

alerts=$(grep -oE '^ *- alert: [A-Za-z]+' "$P/rules/ragtop.rules.yml" | awk '{print $3}' | sort)
missing=""
for a in RagApiDown RagIndexStale RagIngestFailed RagConfigDrift; do
  grep -qx "$a" <<<"$alerts" || missing="$missing $a"
done
if [ -z "$missing" ]; then ok "rules cover API down, index stale, ingest failed, config drift"
else not_ok "rules cover API down, index stale, ingest failed, config drift" "missing:$missing"; fi

# runbook_url = $externalLabels.runbook_base (or the installed runbook) + an
# anchor the runbook has; the promtool unit tests check the rendered URLs.
n_alerts=$(grep -cE '^ *- alert:' "$P/rules/ragtop.rules.yml")
n_runbook=$(grep -cE "^ *runbook_url: '\{\{ with \\\$externalLabels.runbook_base \}\}\{\{ \. \}\}\{\{ else \}\}file:///usr/local/share/doc/ragtop/runbooks/orchestration.md\{\{ end \}\}#[a-z-]+'$" "$P/rules/ragtop.rules.yml")
dangling=""
for a in $(grep -oE 'end \}\}#[a-z-]+' "$P/rules/ragtop.rules.yml" | cut -d'#' -f2 | sort -u); do
  grep -q "id=\"$a\"" docs/runbooks/orchestration.md || dangling="$dangling #$a"
done
if [ "$n_alerts" -gt 0 ] && [ "$n_alerts" = "$n_runbook" ] && [ -z "$dangling" ]; then ok "every alert's runbook_url is the configurable base + a runbook section that exists"
else not_ok "every alert's runbook_url is the configurable base + a runbook section that exists" "$n_alerts alerts, $n_runbook runbook URLs; missing anchors:$dangling"; fi

check "prometheus.yml: runbook_base external label, dropped from alert labels; scrape of the admin port 8089 with service and instance" python3 - "$P/prometheus.yml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert c["global"]["external_labels"]["runbook_base"], c["global"]
assert {"action": "labeldrop", "regex": "runbook_base"} in c["alerting"]["alert_relabel_configs"], c["alerting"]
job = [j for j in c["scrape_configs"] if j["job_name"] == "rag-api"][0]
sc = job["static_configs"][0]
assert sc["targets"] == ["127.0.0.1:8089"], sc
assert sc["labels"]["service"] == "rag_api" and sc["labels"]["instance"], sc
PY

# Overdue and stale must not be the same condition twice: the index age is
# read by the stale pair (warning and critical thresholds) and by the clock
# skew rule, whose condition (an age below zero) the stale pair can never meet.
check "no two rules fire for the same condition: only RagIndexStale(Critical) read the index age (one RagIndexStale for a negative age: clock skew); no RagIngestOverdue rule" python3 - "$P/rules/ragtop.rules.yml" <<'PY'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))["groups"][0]["rules"]
age = sorted(r["alert"] for r in rules if "rag_api_index_age_seconds" in r["expr"])
assert age == ["RagIndexStale", "RagIndexStale", "RagIndexStaleCritical"], age
skew = [r["expr"] for r in rules if "rag_api_index_age_seconds" in r["expr"] and "freshness" not in r["expr"]]
assert skew == ["-rag_api_index_age_seconds > 300"], skew
exprs = [r["expr"] for r in rules]
assert len(set(exprs)) == len(exprs), "duplicate expressions"
assert "RagIngestOverdue" not in [r["alert"] for r in rules]
PY

check "every rule carries severity and service (rag_api or rag_ingest), the watcher's label scheme" python3 - "$P/rules/ragtop.rules.yml" <<'PY'
import sys, yaml
for r in yaml.safe_load(open(sys.argv[1]))["groups"][0]["rules"]:
    assert r["labels"]["severity"] in ("warning", "critical"), r["alert"]
    assert r["labels"]["service"] in ("rag_api", "rag_ingest"), r["alert"]
PY
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
