#!/usr/bin/env bash
# test_n8n_workflows.sh — deploy/n8n/workflows/*.json have the shape n8n 2.x
# imports (`n8n import:workflow --separate`): one workflow object per file with
# name, nodes and connections; nodes with unique names and ids, a type,
# typeVersion and position; connections keyed by node *name*, pointing at
# existing nodes with type "main"; node types at the versions n8n 2.x ships;
# under n8n 2.x defaults (N8N_BLOCK_ENV_ACCESS_IN_NODE) no $env: URLs come
# from n8n Variables through a Settings node, and a missing URL fails the run;
# the forwarder answers (204, as the README says) only after the forward
# succeeded, so a failed forward is a 5xx the watcher retries; the health
# check reads index.generation and alerts on a change of state only (its Code
# nodes run here in node against sample /healthz answers).
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

check "node types at n8n 2.x versions (webhook 2, respondToWebhook 1.1, httpRequest 4.2, if 2.2, set 3.4, code 2, scheduleTrigger 1.2, stopAndError 1)" jq -se '
  {"n8n-nodes-base.webhook": 2, "n8n-nodes-base.respondToWebhook": 1.1, "n8n-nodes-base.httpRequest": 4.2,
   "n8n-nodes-base.if": 2.2, "n8n-nodes-base.set": 3.4, "n8n-nodes-base.code": 2,
   "n8n-nodes-base.scheduleTrigger": 1.2, "n8n-nodes-base.stopAndError": 1} as $v
  | all(.[].nodes[]; $v[.type] != null and .typeVersion == $v[.type])' "$W"/*.json

check "no \$env anywhere (blocked by default in n8n 2.x); every URL is \$json.<url> from a Settings node reading \$vars" bash -c "
  ! grep -q '\\\$env' $W/*.json &&
  jq -se 'all(.[].nodes[] | select(.type == \"n8n-nodes-base.httpRequest\"); .parameters.url | test(\"^=\\\\{\\\\{ \\\\\$json\\\\.(forward|healthz)_url \\\\}\\\\}\$\"))
          and all(.[]; [.nodes[] | select(.name == \"Settings\" and .type == \"n8n-nodes-base.set\")
                        | .parameters.assignments.assignments[].value | test(\"\\\\\$vars\\\\.RAG_\")] | length >= 1 and all)' $W/*.json"

check "a missing forward URL fails the run (Stop and Error), in both workflows" jq -se '
  all(.[]; (.nodes | map({(.name): .}) | add) as $by
      | .connections["Forward URL set?"].main as $b
      | $by["Forward URL set?"].parameters.conditions.conditions[0].operator.operation == "notEmpty"
        and $by[$b[1][0].node].type == "n8n-nodes-base.stopAndError")' "$W"/*.json

check "forwarder: Webhook (POST ragtop-alerts, responseMode responseNode) answers 204 only after a forward POST that fails the run on error" jqe '
  (.nodes | map({(.name): .}) | add) as $by
  | ([.nodes[] | select(.type == "n8n-nodes-base.webhook")]) as $w
  | ([.nodes[] | select(.type == "n8n-nodes-base.respondToWebhook")]) as $r
  | ($w | length) == 1 and $w[0].parameters.httpMethod == "POST" and $w[0].parameters.path == "ragtop-alerts"
    and $w[0].parameters.responseMode == "responseNode" and ($w[0].parameters.responseCode == null)
    and ($w[0].webhookId | type) == "string"
    and ($r | length) == 1 and $r[0].parameters.options.responseCode == 204
    # every link into the respond node comes from an HTTP POST that stops the run on error
    and ([.connections | to_entries[] | select(.value.main[][]?.node == $r[0].name) | .key] as $into
         | ($into | length) == 2
           and all($into[]; $by[.] | .type == "n8n-nodes-base.httpRequest" and .parameters.method == "POST"
                              and (.onError == null or .onError == "stopWorkflow")))
    and ($by["Resolved?"].type == "n8n-nodes-base.if")' "$FW"

check "workflows carry fixed ids (re-import replaces them) and are inactive until published" jq -se '
  all(.[]; (.id | type) == "string" and (.id | length) == 16 and .active == false)
  and ((map(.id) | unique | length) == length)' "$W"/*.json

# The expressions are JavaScript inside ={{ }}, the Code nodes plain
# JavaScript: run them all with node, with n8n's $json, $vars, $input, $() and
# $getWorkflowStaticData stood in, against sample items.
check "expressions evaluate; the health check reads index.generation and alerts on state changes only (pass, warn, warn, fail, fail, pass -> 3 alerts)" node - "$W"/*.json <<'JS'
const fs = require("fs");
const vars = { RAG_HEALTHZ_URL: "http://rag-api-admin:8089/healthz", RAG_ALERT_FORWARD_URL: "http://127.0.0.1:9/hook" };
// every item has passed the Settings node (its fields are added to the item)
const cfg = { healthz_url: vars.RAG_HEALTHZ_URL, forward_url: vars.RAG_ALERT_FORWARD_URL };
const samples = [
  { statusCode: 200, body: { status: "pass", index: { generation: "gen-1.sqlite", generated_at: "2026-11-28T13:00:00Z" } } },
  { statusCode: 503, body: { status: "fail", index: { generation: null, generated_at: null } } },
  { error: { message: "connect ECONNREFUSED 127.0.0.1:8089" } },
  { forward_url: "http://127.0.0.1:9/hook", body: { version: 1, status: "firing", check: "freshness", severity: "warn", summary: "index is 30h old", project: "ragtop", instance: "host-a" } },
  { forward_url: "http://127.0.0.1:9/hook", body: { version: 1, status: "resolved", check: "freshness", severity: "warn", summary: "fresh again", project: "ragtop", instance: "host-a" } },
].map(x => Object.assign({}, cfg, x));
let n = 0;
const wfs = process.argv.slice(2).map(f => [f, JSON.parse(fs.readFileSync(f, "utf8"))]);
for (const [file, wf] of wfs) {
  for (const node of wf.nodes) {
    const walk = (v, path) => {
      if (typeof v === "string" && v.startsWith("=")) {
        const m = v.match(/^=\{\{([\s\S]*)\}\}$/);
        if (!m) throw new Error(`${file}: ${node.name}.${path}: not a single ={{ }} expression`);
        const fn = new Function("$json", "$vars", `return (${m[1]});`);
        for (const item of samples) {
          const out = fn(item, vars);
          if (path === "url" && typeof out !== "string") throw new Error(`${node.name}.url gave ${out}`);
          if (path === "jsonBody" && node.name.startsWith("Forward ")) {
            const o = JSON.parse(out);
            if (typeof o !== "object" || o === null || typeof o.text !== "string") throw new Error(`${node.name}.jsonBody gave ${out}`);
            if ("forward_url" in o) throw new Error(`${node.name}.jsonBody leaks forward_url`);
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
if (n < 8) throw new Error(`only ${n} expressions found`);
// The forwarder's firing text names project@instance and the severity.
const fw = wfs.find(([, w]) => w.id === "RagtopAlertFwd01")[1];
const firing = fw.nodes.find(x => x.name === "Forward firing").parameters.jsonBody.match(/^=\{\{([\s\S]*)\}\}$/)[1];
const ftext = JSON.parse(new Function("$json", `return (${firing});`)(samples[3])).text;
if (ftext !== "[ragtop@host-a] WARN freshness: index is 30h old") throw new Error(`firing text: ${ftext}`);
// Health check: run the two Code nodes over a sequence of /healthz answers.
const hc = wfs.find(([, w]) => w.id === "RagtopHealthChk1")[1];
const code = name => hc.nodes.find(x => x.name === name).parameters.jsCode;
const changed = new Function("$input", "$", "$getWorkflowStaticData", code("Changed since last alert?"));
const remember = new Function("$input", "$", "$getWorkflowStaticData", code("Remember state"));
const staticData = {};
const settings = { json: { healthz_url: vars.RAG_HEALTHZ_URL, forward_url: vars.RAG_ALERT_FORWARD_URL } };
const sent = [];
const seq = ["pass", "warn", "warn", "fail", "fail", "pass"];
for (const st of seq) {
  const r = { statusCode: st === "fail" ? 503 : 200, body: { status: st, index: { generation: "gen-7.sqlite", generated_at: "2026-11-28T13:00:00Z" } } };
  const out = changed({ first: () => ({ json: r }) }, nm => ({ first: () => settings }), () => staticData);
  if (!Array.isArray(out)) throw new Error("Changed? must return an array");
  if (out.length === 0) continue;
  const post = hc.nodes.find(x => x.name === "POST alert to webhook").parameters.jsonBody.match(/^=\{\{([\s\S]*)\}\}$/)[1];
  const body = JSON.parse(new Function("$json", `return (${post});`)(out[0].json));
  if (typeof body.text !== "string" || "forward_url" in body) throw new Error(`health POST body: ${JSON.stringify(body)}`);
  sent.push(body);  // the POST succeeded
  remember({}, nm => ({ first: () => out[0] }), () => staticData);
}
const got = sent.map(a => `${a.previous_status}->${a.status}`).join(" ");
if (got !== "pass->warn warn->fail fail->pass") throw new Error(`alerts sent: ${got}`);
if (sent[0].generation !== "gen-7.sqlite" || sent[0].generated_at !== "2026-11-28T13:00:00Z") throw new Error(`generation not read from index: ${JSON.stringify(sent[0])}`);
// A failed POST (no "Remember state") sends the same change again next run.
const sd2 = {};
const warn = { statusCode: 200, body: { status: "warn", index: {} } };
const a1 = changed({ first: () => ({ json: warn }) }, nm => ({ first: () => settings }), () => sd2);
const a2 = changed({ first: () => ({ json: warn }) }, nm => ({ first: () => settings }), () => sd2);
if (a1.length !== 1 || a2.length !== 1) throw new Error("an undelivered alert must be retried on the next run");
// Unreachable API: status "unreachable" with the error text.
const u = changed({ first: () => ({ json: samples[2] }) }, nm => ({ first: () => settings }), () => ({}));
if (u.length !== 1 || u[0].json.status !== "unreachable" || !/ECONNREFUSED/.test(u[0].json.error)) throw new Error(`unreachable: ${JSON.stringify(u)}`);
JS
done_testing
