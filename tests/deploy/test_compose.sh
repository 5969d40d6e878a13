#!/usr/bin/env bash
# test_compose.sh — docker-compose.yml and Dockerfile: Debian's docker-compose
# accepts the file; the services, profiles, dependency and volumes are the ones
# the runbook describes; no secret is written in it; ports bind 127.0.0.1; the
# API healthcheck works with bash alone (run here against a real HTTP server
# answering 200, then 503, then nothing); the Dockerfile is a two-stage
# bookworm-slim build whose runtime stage installs no -dev package.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 10

tmp=$TMP
srv_pid=""

# Resolve the file with every variable unset, as on a fresh clone.
if env -u RAG_ALERT_WEBHOOK_URL -u RAG_ALERT_JSON_URL -u RAG_ALERT_FORWARD_URL \
     docker-compose -f docker-compose.yml --profile cron --profile n8n config >"$tmp/resolved.yml" 2>"$tmp/err"; then
  ok "docker-compose config accepts docker-compose.yml (all profiles)"
else
  not_ok "docker-compose config accepts docker-compose.yml (all profiles)" "$(cat "$tmp/err")"
fi

check "services, profiles, depends_on and volumes are as documented" python3 - "$tmp/resolved.yml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
want = {"rag_ingest", "rag_api", "rag_ingest_cron", "rag_watch", "n8n"}
assert want <= set(s), f"services missing: {want - set(s)}"
# a failed ingest must not keep the API from serving the good generation in the volume
assert s["rag_api"]["depends_on"]["rag_ingest"]["condition"] == "service_started", s["rag_api"]["depends_on"]
# the watcher probes the admin listener by the name Kubernetes also uses
assert "rag-api-admin" in s["rag_api"]["networks"]["default"]["aliases"], s["rag_api"]["networks"]
def port(p):  # docker-compose 1.x prints "ip:published:target", 2.x a mapping
    if isinstance(p, dict): return (int(p["target"]), p.get("host_ip"))
    ip, _, target = p.rsplit(":", 2); return (int(target.split("/")[0]), ip)
targets = {port(p) for p in s["rag_api"]["ports"]}
assert {(8088, "127.0.0.1"), (8089, "127.0.0.1")} <= targets, s["rag_api"]["ports"]
# n8n keeps its 2.x default: no $env in nodes (the workflows use $vars)
assert s["n8n"]["environment"]["N8N_BLOCK_ENV_ACCESS_IN_NODE"] == "true", s["n8n"]["environment"]
assert s["rag_ingest_cron"]["profiles"] == ["cron"], s["rag_ingest_cron"].get("profiles")
assert "--watch" in s["rag_ingest_cron"]["command"], s["rag_ingest_cron"]["command"]
assert s["n8n"]["profiles"] == ["n8n"], s["n8n"].get("profiles")
assert s["rag_watch"]["command"][:2] == ["ragtop", "watch"], s["rag_watch"]["command"]
assert s["rag_ingest"]["command"][0] == "rag-ingest" and "profiles" not in s["rag_ingest"]
for name in ("rag_ingest", "rag_api", "rag_ingest_cron", "rag_watch"):
    vols = s[name]["volumes"]
    targets = {(v["target"] if isinstance(v, dict) else v.split(":")[1]) for v in vols}
    assert {"/data/transcripts", "/data/artifacts"} <= targets, (name, vols)
    assert s[name]["container_name"] == name, name
assert "artifacts" in c["volumes"], c.get("volumes")
PY

check "every published port binds 127.0.0.1" python3 - "$tmp/resolved.yml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
for name, svc in c["services"].items():
    for p in svc.get("ports", []):
        ip = p.get("host_ip") if isinstance(p, dict) else p.split(":")[0]
        assert ip == "127.0.0.1", (name, p)
PY

check "no secret in the compose file: environment values are variables or fixed non-secret settings" python3 - docker-compose.yml <<'PY'
import re, sys, yaml
text = open(sys.argv[1]).read()
assert not re.search(r"https?://[^\s/]*:[^\s/]*@", text), "URL with credentials"
assert not re.search(r"(?i)hooks\.slack\.com|sk-[A-Za-z0-9]{10,}|BEGIN [A-Z ]*PRIVATE KEY", text), "secret-looking value"
c = yaml.safe_load(text)
for name, svc in c["services"].items():
    env = svc.get("environment", {}) or {}
    for k, v in env.items():
        if re.search(r"(?i)(key|token|secret|password|webhook|_url)$", k) and not k.startswith("N8N_") and k != "RAG_HEALTHZ_URL":
            assert isinstance(v, str) and re.fullmatch(r"\$\{" + k + r"(:-)?\}", v), f"{name}.{k} = {v!r} is not passed through from the environment"
PY

# Run the API healthcheck exactly as compose would ($$ -> $), against a tiny
# HTTP server on a free port that answers with the status code in $tmp/code.
probe=$(python3 - "$tmp/resolved.yml" <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))["services"]["rag_api"]["healthcheck"]["test"]
assert t[0] == "CMD" and t[1] == "bash", t
assert "/dev/tcp/127.0.0.1/8089" in t[3], "the healthcheck must probe the admin listener (8089)"
print(t[3].replace("$$", "$"))
PY
)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/srv.py" <<'PY'
import http.server, sys
code_file = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(open(code_file).read())
        body = b'{"status":"%s"}' % (b"pass" if code == 200 else b"fail")
        self.send_response(code if self.path == "/healthz" else 404)
        self.send_header("Content-Type", "application/health+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
echo 200 >"$tmp/code"
python3 "$tmp/srv.py" "$port" "$tmp/code" >"$tmp/srv.log" 2>&1 & srv_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
hc() { env -i PATH=/nonexistent /bin/bash -c "${probe//8089/$port}" 2>/dev/null; }
if hc; then ok "healthcheck (bash builtins only, empty PATH) passes on /healthz 200"; else not_ok "healthcheck (bash builtins only, empty PATH) passes on /healthz 200" "probe: $probe"; fi
echo 503 >"$tmp/code"
if ! hc; then ok "healthcheck fails on /healthz 503"; else not_ok "healthcheck fails on /healthz 503"; fi
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=""
if ! hc; then ok "healthcheck fails when nothing listens"; else not_ok "healthcheck fails when nothing listens"; fi

# The same probe against the real rag-api (an index published first), and
# after it stopped.
S=$tmp/stack; mkdir -p "$S"
port2=$(free_port); admin2=$(free_port)
sed -e "s#^  transcripts: .*#  transcripts: $ROOT/data/transcripts#" -e "s#^  artifacts: .*#  artifacts: $S/artifacts#" \
    -e "s#^  listen: .*#  listen: 127.0.0.1:$port2#" -e "s#^  admin_listen: .*#  admin_listen: 127.0.0.1:$admin2#" config/params.yaml >"$S/params.yaml"
on_exit "bash scripts/apictl.sh stop --bin '$BIN/rag-api' --config '$S/params.yaml' >/dev/null 2>&1"
if "$BIN/rag-ingest" --config "$S/params.yaml" --quiet >"$tmp/ing" 2>&1 && bash scripts/apictl.sh start --bin "$BIN/rag-api" --config "$S/params.yaml" >>"$tmp/ing" 2>&1 \
   && env -i PATH=/nonexistent /bin/bash -c "${probe//8089/$admin2}" 2>/dev/null; then
  ok "healthcheck passes against a real rag-api's admin port, serving a fresh index"
else not_ok "healthcheck passes against a real rag-api's admin port, serving a fresh index" "$(cat "$tmp/ing")"; fi
bash scripts/apictl.sh stop --bin "$BIN/rag-api" --config "$S/params.yaml" >/dev/null 2>&1

check "Dockerfile: two bookworm-slim stages; the runtime stage installs only runtime libraries" python3 - Dockerfile <<'PY'
import re, sys
text = open(sys.argv[1]).read()
froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M)
assert [f[0] for f in froms] == ["debian:bookworm-slim", "debian:bookworm-slim"], froms
runtime = text.split("\nFROM ")[2]
assert not re.search(r"-dev\b|build-essential|gcc|clang", runtime), "build tools in the runtime stage"
for lib in "libncursesw6 libcurl4 libcjson1 libyaml-0-2 libmicrohttpd12 libsqlite3-0 libssl3".split():
    assert lib in runtime, f"runtime stage lacks {lib}"
assert "COPY --from=build" in runtime
assert re.search(r"^USER\s+\S+", runtime, re.M) and not re.search(r"^USER\s+(root|0)\b", runtime, re.M), "runs as root"
PY

missing=""
while read -r src; do
  [ -e "$src" ] || missing="$missing $src"
done < <(grep -E '^COPY ' Dockerfile | grep -v -- '--from=' | awk '{for (i = 2; i < NF; i++) print $i}')
if [ -z "$missing" ]; then ok "every path the Dockerfile copies exists in the repository"
else not_ok "every path the Dockerfile copies exists in the repository" "missing:$missing"; fi
done_testing
