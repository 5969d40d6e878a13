#!/usr/bin/env bash
# test_k8s.sh — deploy/k8s: every file parses as YAML with the fields the
# runbook relies on: CronJob with concurrencyPolicy Forbid; API Deployment
# with startup, liveness (process only, never /healthz) and readiness
# (/healthz) probes; Service; single-replica watcher; artifacts claim;
# ConfigMap identical to deploy/docker's files and accepted by `ragtop validate`;
# every pod admissible under Pod Security "restricted"; ReadWriteOnce claims
# on the default class with the pods that share them scheduled together, and
# a ReadWriteMany overlay; probes on the admin port; the watcher probes the
# replicas through a headless Service that lists unready pods, and mounts the
# transcripts where paths.transcripts points; `kubectl kustomize` renders both
# variants (when kubectl is installed).
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 17
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
def pod(obj):
    spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    return spec["template"]
def workloads():
    return [d for d in docs if d["kind"] in ("Deployment", "CronJob")]
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
# a refused quality gate (65) or a bad config (78) fails the Job without a retry
rules = cj["spec"]["jobTemplate"]["spec"]["podFailurePolicy"]["rules"]
assert any(r["action"] == "FailJob" and r["onExitCodes"]["operator"] == "In"
           and {65, 78} <= set(r["onExitCodes"]["values"]) for r in rules), rules
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

check "Pod Security restricted: seccomp RuntimeDefault, non-root, no privilege escalation, all capabilities dropped, allowed volume types" py <<PY
$load
for w in workloads():
    spec = pod(w)["spec"]; name = w["metadata"]["name"]
    psc = spec.get("securityContext", {})
    assert psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", (name, "seccompProfile")
    assert psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, (name, "runAsNonRoot")
    for c in spec["containers"] + spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        assert sc.get("allowPrivilegeEscalation") is False, (name, c["name"], "allowPrivilegeEscalation")
        assert sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc["capabilities"].get("add"), (name, "capabilities")
        assert not sc.get("privileged") and sc.get("runAsUser", 1) != 0, (name, "privileged/root")
        assert not c.get("ports") or all("hostPort" not in p for p in c["ports"]), (name, "hostPort")
    assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), (name, "host namespaces")
    for v in spec["volumes"]:
        kinds = set(v) - {"name"}
        assert kinds <= {"configMap", "emptyDir", "persistentVolumeClaim", "secret", "projected", "downwardAPI", "ephemeral", "csi"}, (name, v)
PY

check "claims: ReadWriteOnce on the default storage class (no storageClassName)" py <<PY
$load
for n in ("ragtop-artifacts", "ragtop-transcripts"):
    c = one("PersistentVolumeClaim", n)
    assert c["spec"]["accessModes"] == ["ReadWriteOnce"], (n, c["spec"]["accessModes"])
    assert "storageClassName" not in c["spec"], n
PY

check "every pod mounting a claim is labelled ragtop.io/artifacts=shared and required to share a node with that label" py <<PY
$load
for w in workloads():
    t = pod(w); name = w["metadata"]["name"]
    if not any("persistentVolumeClaim" in v for v in t["spec"]["volumes"]): continue
    assert t["metadata"]["labels"].get("ragtop.io/artifacts") == "shared", name
    terms = t["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert any(x["topologyKey"] == "kubernetes.io/hostname" and x["labelSelector"]["matchLabels"] == {"ragtop.io/artifacts": "shared"} for x in terms), name
PY

check "API pods: ports http 8088 and admin 8089; readiness GET /healthz and startup on admin; Prometheus annotations on 8089" py <<PY
$load
d = one("Deployment", "rag-api"); c = container(d)
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
assert ports == {"http": 8088, "admin": 8089}, ports
assert c["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}, c["readinessProbe"]
assert c["startupProbe"]["tcpSocket"]["port"] == "admin", c["startupProbe"]
assert pod(d)["metadata"]["annotations"]["prometheus.io/port"] == "8089"
import yaml as y
params = y.safe_load(one("ConfigMap", "ragtop-config")["data"]["params.yaml"])
assert params["api"]["listen"].endswith(":8088") and params["api"]["admin_listen"] == "0.0.0.0:8089", params["api"]
PY

check "watcher probes every replica's admin port: headless rag-api-admin, publishNotReadyAddresses, the URL in services.yml" py <<PY
$load
import yaml as y
svc = one("Service", "rag-api-admin")
assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["publishNotReadyAddresses"] is True, svc["spec"]
assert svc["spec"]["selector"] == one("Service", "rag-api")["spec"]["selector"]
assert svc["spec"]["ports"][0]["port"] == 8089 and svc["spec"]["ports"][0]["targetPort"] == "admin"
services = y.safe_load(one("ConfigMap", "ragtop-config")["data"]["services.yml"])
assert services["services"]["rag_api"]["health"]["url"] == "http://rag-api-admin:8089/healthz", services["services"]["rag_api"]
params = y.safe_load(one("ConfigMap", "ragtop-config")["data"]["params.yaml"])
assert params["watch"]["instance"], "watch.instance must be fixed: a pod's host name changes"
PY

check "the watcher mounts the transcripts claim read-only at paths.transcripts (its sources check reads them)" py <<PY
$load
import yaml as y
params = y.safe_load(one("ConfigMap", "ragtop-config")["data"]["params.yaml"])
w = one("Deployment", "ragtop-watch"); spec = pod(w)["spec"]
m = [x for x in spec["containers"][0]["volumeMounts"] if x["mountPath"] == params["paths"]["transcripts"]]
assert m and m[0].get("readOnly") is True, spec["containers"][0]["volumeMounts"]
v = [x for x in spec["volumes"] if x["name"] == m[0]["name"]][0]
assert v["persistentVolumeClaim"]["claimName"] == "ragtop-transcripts", v
PY

if command -v kubectl >/dev/null; then
  check "kubectl kustomize deploy/k8s renders every object" bash -c "
    kubectl kustomize deploy/k8s >'$tmp/k8s.yaml' &&
    python3 -c 'import sys, yaml; d=[x for x in yaml.safe_load_all(open(sys.argv[1])) if x]; k=sorted(x[\"kind\"] for x in d); assert k == [\"ConfigMap\",\"CronJob\",\"Deployment\",\"Deployment\",\"PersistentVolumeClaim\",\"PersistentVolumeClaim\",\"Service\",\"Service\"], k' '$tmp/k8s.yaml'"
  check "kubectl kustomize deploy/k8s-rwx: ReadWriteMany claims on a named class, no pod affinity" bash -c "
    kubectl kustomize deploy/k8s-rwx >'$tmp/rwx.yaml' &&
    python3 -c '
import sys, yaml
d = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x]
for c in [x for x in d if x[\"kind\"] == \"PersistentVolumeClaim\"]:
    assert c[\"spec\"][\"accessModes\"] == [\"ReadWriteMany\"] and c[\"spec\"][\"storageClassName\"], c
assert \"affinity\" not in open(sys.argv[1]).read()' '$tmp/rwx.yaml'"
else
  skip "kubectl kustomize deploy/k8s renders every object" "kubectl not installed"
  skip "kubectl kustomize deploy/k8s-rwx: ReadWriteMany claims, no pod affinity" "kubectl not installed"
fi

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
