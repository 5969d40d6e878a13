#!/usr/bin/env bash
# test_n8n_workflows.sh — deploy/n8n/workflows/*.json have the shape n8n 2.x
# imports (`n8n import:workflow --separate`): one workflow object per file with
# name, nodes and connections; nodes with unique names and ids, a type,
# typeVersion and position; connections keyed by node *name*, pointing at
# existing nodes with type "main"; the health check is Schedule Trigger ->
# HTTP Request -> If (two branches) -> webhook POST, the forwarder is Webhook ->
# If -> HTTP Request; no URL or secret is hard-coded except the compose default.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 7
W=deploy/n8n/workflows
HC=$W/ragtop-healthcheck.json
FW=$W/ragtop-alert-forward.json

# Generic structure: the jq program prints every problem; no output = valid.
STRUCT='
  def problems:
    (if type != "object" then "not one workflow object" else empty end),
    (if (.name | type) != "string" or .name == "" then "no name" else empty end),
    (if (.nodes | type) != "array" or (.nodes | length) == 0 then "no nodes" else empty end),
    (if (.connections | type) != "object" then "no connections object" else empty end),
    ([.nodes[].name] as $n | if ($n | length) != ($n | unique | length) then "duplicate node names" else empty end),
    ([.nodes[].id] as $i | if ($i | length) != ($i | unique | length) then "duplicate node ids" else empty end),
    (.nodes[] | select((.type | type) != "string" or (.type | startswith("n8n-nodes-base.") | not)
                       or (.typeVersion | type) != "number" or (.position | length) != 2
                       or (.parameters | type) != "object" or (.id | type) != "string")
              | "bad node: \(.name)"),
    ([.nodes[].name] as $names
     | .connections | to_entries[]
     | (if (.key as $k | $names | index($k)) == null then "connection from unknown node \(.key)" else empty end),
       (.value.main[][]? | select(.type != "main" or (.node as $t | $names | index($t)) == null or (.index | type) != "number")
         | "bad link to \(.node)"));
  [problems] | .[]'
bad=""
for f in "$W"/*.json; do
  out=$(jq -r "$STRUCT" "$f" 2>&1) || out="not JSON: $out"
  [ -z "$out" ] || bad="$bad$f: $out"$'\n'
done
n=$(ls "$W"/*.json 2>/dev/null | wc -l)
if [ -z "$bad" ] && [ "$n" -ge 2 ]; then ok "$n workflow files: one object each, unique nodes, connections keyed by existing node names"
else not_ok "workflow files: one object each, unique nodes, connections keyed by existing node names" "$bad (files: $n)"; fi

check "health check: Schedule Trigger -> HTTP Request GET /healthz -> If" jq -e '
  (.nodes | map({(.name): .}) | add) as $by
  | ([.nodes[] | select(.type == "n8n-nodes-base.scheduleTrigger")] | length) == 1
  and ([.nodes[] | select(.type == "n8n-nodes-base.scheduleTrigger")][0].name) as $t
  | .connections[$t].main[0][0].node as $h
  | $by[$h].type == "n8n-nodes-base.httpRequest"
    and ($by[$h].parameters.url | test("healthz"))
    and ($by[$h].parameters.options.response.response.neverError == true)
    and ($by[.connections[$h].main[0][0].node].type == "n8n-nodes-base.if")' "$HC"

check "health check: the If node has a healthy branch and an unhealthy branch that POSTs to a webhook" jq -e '
  (.nodes | map({(.name): .}) | add) as $by
  | ([.nodes[] | select(.type == "n8n-nodes-base.if")][0].name) as $cond
  | (.connections[$cond].main | length) == 2
    and ($by[.connections[$cond].main[1][0].node] | .type == "n8n-nodes-base.httpRequest" and .parameters.method == "POST")
    and ($by[.connections[$cond].main[0][0].node].type != null)' "$HC"

check "forwarder: Webhook (POST ragtop-alerts) -> If -> HTTP Request POST on both branches" jq -e '
  (.nodes | map({(.name): .}) | add) as $by
  | ([.nodes[] | select(.type == "n8n-nodes-base.webhook")]) as $w
  | (.connections[$w[0].name].main[0][0].node) as $cond
  | ($w | length) == 1 and $w[0].parameters.httpMethod == "POST" and $w[0].parameters.path == "ragtop-alerts"
    and ($w[0].webhookId | type) == "string"
    and $by[$cond].type == "n8n-nodes-base.if"
    and ([.connections[$cond].main[][0].node | $by[.] | select(.type == "n8n-nodes-base.httpRequest" and .parameters.method == "POST")] | length) == 2' "$FW"

check "workflows carry fixed ids (re-import replaces them) and are inactive until published" jq -se '
  all(.[]; (.id | type) == "string" and (.id | length) == 16 and .active == false)
  and ((map(.id) | unique | length) == length)' "$W"/*.json

check "no hard-coded target URL or secret: outgoing URLs come from \$env" jq -e -s '
  [.[].nodes[] | select(.type == "n8n-nodes-base.httpRequest") | .parameters.url]
  | all(.[]; startswith("={{ $env."))' "$W"/*.json
# The expressions are JavaScript inside ={{ }}: evaluate every one with node
# against sample items (healthz pass, healthz fail, API unreachable, a watcher
# alert); each must run, URLs must come out as strings, bodies as JSON objects.
check "every ={{ }} expression evaluates (node) on sample healthz and alert items" node - "$W"/*.json <<'JS'
const fs = require("fs");
const env = { RAG_HEALTHZ_URL: "http://rag_api:8088/healthz", RAG_ALERT_FORWARD_URL: "http://127.0.0.1:9/hook" };
const samples = [
  { statusCode: 200, body: { status: "pass", generation: "gen-1.sqlite", generated_at: "2026-11-28T13:00:00Z" } },
  { statusCode: 503, body: { status: "fail", generation: null } },
  { error: { message: "connect ECONNREFUSED 127.0.0.1:8088" } },
  { body: { version: 1, status: "firing", check: "index_age", severity: "warn", summary: "index is 30h old", project: "ragtop" } },
  { body: { version: 1, status: "resolved", check: "index_age", severity: "warn", summary: "fresh again", project: "ragtop" } },
];
let n = 0;
for (const file of process.argv.slice(2)) {
  const wf = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const node of wf.nodes) {
    const walk = (v, path) => {
      if (typeof v === "string" && v.startsWith("=")) {
        const m = v.match(/^=\{\{([\s\S]*)\}\}$/);
        if (!m) throw new Error(`${file}: ${node.name}.${path}: not a single ={{ }} expression`);
        const fn = new Function("$json", "$env", `return (${m[1]});`);
        for (const item of samples) {
          const out = fn(item, env);
          if (path === "url" && typeof out !== "string") throw new Error(`${node.name}.url gave ${out}`);
          if (path === "jsonBody") {
            const o = JSON.parse(out);
            if (typeof o !== "object" || o === null || typeof o.text !== "string") throw new Error(`${node.name}.jsonBody gave ${out}`);
          }
        }
        n++;
      } else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      }
    };
    walk(node.parameters, "");
  }
}
if (n < 6) throw new Error(`only ${n} expressions found`);
JS
done_testing
