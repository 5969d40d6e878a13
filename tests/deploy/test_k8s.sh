#!/usr/bin/env bash
# test_k8s.sh — deploy/k8s: every file parses as YAML with the fields the
# runbook relies on: CronJob with concurrencyPolicy Forbid; API Deployment
# with startup, liveness (process only, never /healthz) and readiness
# (/healthz) probes; Service; single-replica watcher; artifacts claim;
# ConfigMap identical to deploy/docker's files and accepted by `ragtop validate`.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 9
K=deploy/k8s
tmp=$TMP

py() { python3 - "$K" "$@"; }
load='
import sys, glob, os, yaml
K = sys.argv[1]
docs = []
for f in sorted(glob.glob(os.path.join(K, "*.yaml"))):
    for d in yaml.safe_load_all(open(f)):
        if d: docs.append(d)
def one(kind, name):
    m = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(m) == 1, f"{kind}/{name}: {len(m)} found"
    return m[0]
def container(obj):
    spec = obj["spec"]
    if obj["kind"] == "CronJob": spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]["containers"][0]
'

check "every file in deploy/k8s parses as YAML with apiVersion, kind and metadata.name" py <<PY
$load
assert docs, "no documents"
for d in docs:
    assert d.get("apiVersion") and d.get("kind"), d
    if d["kind"] != "Kustomization": assert d["metadata"]["name"], d
kinds = sorted(d["kind"] for d in docs)
for k in ("CronJob", "Deployment", "Service", "PersistentVolumeClaim", "ConfigMap"):
    assert k in kinds, f"no {k}: {kinds}"
PY

check "ingest CronJob: concurrencyPolicy Forbid, runs rag-ingest, never restarts in place" py <<PY
$load
cj = one("CronJob", "rag-ingest")
assert cj["spec"]["concurrencyPolicy"] == "Forbid", cj["spec"].get("concurrencyPolicy")
assert cj["spec"]["schedule"].count(" ") == 4, cj["spec"]["schedule"]
c = container(cj)
assert c["command"][0] == "rag-ingest", c["command"]
assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"
PY

check "API Deployment: startup, liveness and readiness probes; readiness is GET /healthz" py <<PY
$load
c = container(one("Deployment", "rag-api"))
for p in ("startupProbe", "livenessProbe", "readinessProbe"):
    assert p in c, f"missing {p}"
r = c["readinessProbe"]
assert r.get("httpGet", {}).get("path") == "/healthz", r
assert c["command"][0] == "rag-api", c["command"]
PY

check "API liveness checks only that the process is alive (a stale index must not restart pods)" py <<PY
$load
c = container(one("Deployment", "rag-api"))
for p in ("livenessProbe", "startupProbe"):
    probe = c[p]
    assert "tcpSocket" in probe or probe.get("httpGet", {}).get("path") not in ("/healthz", None), f"{p} depends on index health: {probe}"
PY

check "API Service selects the API pods and exposes the named http port" py <<PY
$load
svc = one("Service", "rag-api"); dep = one("Deployment", "rag-api")
sel = svc["spec"]["selector"]
labels = dep["spec"]["template"]["metadata"]["labels"]
assert all(labels.get(k) == v for k, v in sel.items()), (sel, labels)
ports = {p["name"] for p in container(dep)["ports"]}
assert svc["spec"]["ports"][0]["targetPort"] in ports | {p["containerPort"] for p in container(dep)["ports"]}
PY

check "watcher Deployment: one replica, Recreate, runs ragtop watch" py <<PY
$load
w = one("Deployment", "ragtop-watch")
assert w["spec"]["replicas"] == 1 and w["spec"]["strategy"]["type"] == "Recreate", w["spec"]
assert container(w)["command"][:2] == ["ragtop", "watch"], container(w)["command"]
PY

check "artifacts claim is mounted by the CronJob, the API and the watcher; pods run as non-root" py <<PY
$load
one("PersistentVolumeClaim", "ragtop-artifacts")
for kind, name in (("CronJob", "rag-ingest"), ("Deployment", "rag-api"), ("Deployment", "ragtop-watch")):
    obj = one(kind, name)
    spec = obj["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else obj["spec"]
    pod = spec["template"]["spec"]
    claims = {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert "ragtop-artifacts" in claims, (name, claims)
    assert pod["securityContext"]["runAsNonRoot"] is True, name
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert {"/etc/ragtop", "/data/artifacts"} <= mounts, (name, mounts)
PY

check "ConfigMap params.yaml and services.yml are the files in deploy/docker" py <<PY
$load
cm = one("ConfigMap", "ragtop-config")
assert cm["data"]["params.yaml"] == open("deploy/docker/params.yaml").read(), "params.yaml differs"
assert cm["data"]["services.yml"] == open("deploy/docker/services.yml").read(), "services.yml differs"
PY

if [ -x "${RAG_BIN:-build/bin}/ragtop" ]; then
  python3 -c '
import sys, yaml
cm = [d for d in yaml.safe_load_all(open(sys.argv[1]))][0]
open(sys.argv[2] + "/params.yaml", "w").write(cm["data"]["params.yaml"])
open(sys.argv[2] + "/services.yml", "w").write(cm["data"]["services.yml"])' "$K/configmap.yaml" "$tmp"
  check "ragtop validate accepts the ConfigMap's params.yaml and services.yml" \
    "${RAG_BIN:-build/bin}/ragtop" validate --config "$tmp/params.yaml" --services "$tmp/services.yml"
else
  not_ok "ragtop validate accepts the ConfigMap's params.yaml and services.yml" "ragtop is not built (RAG_BIN=${RAG_BIN:-})"
fi
done_testing
