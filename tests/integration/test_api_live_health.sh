#!/usr/bin/env bash
# test_api_live_health.sh — /healthz judges by the config and files as they
# are now (issue 10): freshness limits edited while rag-api runs apply within
# 3 s and agree with `ragtop --once`; a deleted latest.json is its own check;
# a served generation corrupted in place flips the generation check on the
# next failed query, and restoring the file + SIGHUP recovers.
. "$(dirname "$0")/api_lib.sh"
plan 14

api_stack_new
api_ingest >/dev/null 2>&1
api_start || { not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; }
api_services_yml
is "$(hz .status)" "pass" "a fresh index: /healthz is pass"

# 1. freshness.error_after edited to 1s while the API runs
sed -i -e "s|^  warn_after: .*|  warn_after: 500ms|" -e "s|^  error_after: .*|  error_after: 1s|" "$CONFIG"
if api_wait_for .checks.index_age.status fail 3; then ok "error_after edited to 1s: /healthz's index_age check is fail within 3 s"
else not_ok "error_after edited to 1s: index_age fail within 3 s" "$(curl -s "$URL/healthz" | jq -c .checks.index_age)"; fi
code=$(curl -s -o "$STACK/hz.json" -w '%{http_code}' --max-time 2 "$ADMIN_URL/healthz")
is "$code $(jq -r .status "$STACK/hz.json") $(jq -r .checks.index_age.error_after_s "$STACK/hz.json")" "503 fail 1" \
  "/healthz is fail/503 and shows the limit it judged by (error_after_s 1)"
"$BIN/ragtop" --once --config "$CONFIG" --services "$STACK/services.yml" >"$STACK/once.out" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -qE '^CRIT +freshness +index checked .*\(error after 1s\)' "$STACK/once.out" &&
   grep -qE '^CRIT +service:api +api fail \(HTTP 503\)' "$STACK/once.out" && grep -qE 'checks: index_age=fail' "$STACK/once.out"; then
  ok "ragtop --once agrees: its freshness check and the API's index_age are both CRIT/fail (exit $rc)"
else not_ok "ragtop --once agrees: freshness CRIT" "rc=$rc" "$(cat "$STACK/once.out")"; fi
sed -i -e "s|^  warn_after: .*|  warn_after: 1h|" -e "s|^  error_after: .*|  error_after: 7d|" "$CONFIG"
if api_wait_for .status pass 3; then ok "limits restored: pass again within 3 s, no restart"
else not_ok "limits restored: pass again within 3 s" "$(curl -s "$URL/healthz" | jq -c .checks)"; fi

# 2. latest.json deleted: its own check (warn: the generation still serves)
mv "$MANIFEST" "$STACK/latest.json.away"
if api_wait_for .checks.manifest.status warn 3; then ok "latest.json deleted: the manifest check is warn"
else not_ok "latest.json deleted: the manifest check is warn" "$(curl -s "$URL/healthz" | jq -c .checks)"; fi
like "$(hz .checks.manifest.output)" "latest.json is missing: .*does not exist; still serving gen-" "...and says it is missing and what still serves"
mv "$STACK/latest.json.away" "$MANIFEST"
if api_wait_for .checks.manifest.status pass 3; then ok "latest.json back: the manifest check passes again"
else not_ok "latest.json back: the manifest check passes again"; fi

# 3. the served generation corrupted in place (same inode; its segment, which
#    holds the rows): the next failed query flips /healthz at once
gen=$(gen_segments "$STACK/artifacts/index/$(jq -r .generation "$MANIFEST")" | head -n 1)
cp "$gen" "$STACK/gen.good"
python3 - "$gen" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:   # keep page 1 (the schema); garble the rest in place
    size = os.fstat(f.fileno()).st_size
    f.seek(4096); f.write(b"\xa5" * (size - 4096))
PY
code=$(curl -s -o "$STACK/q.json" -w '%{http_code}' --max-time 5 "$URL/query?q=hello+retrieval&mode=bm25")
is "$code $(jq -r .error.kind "$STACK/q.json")" "500 query_failed" "a query on the corrupted generation is a 500 with a JSON error"
if api_wait_for .checks.generation.status fail 1; then ok "the next /healthz fails its generation check (no 10-error wait)"
else not_ok "the next /healthz fails its generation check" "$(curl -s "$URL/healthz" | jq -c .checks)"; fi
is "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_URL/healthz") $(hz .status)" "503 fail" "/healthz is fail/503"

# restore the same file in place, then SIGHUP: reopened, pass, queries answer
cat "$STACK/gen.good" >"$gen"
kill -HUP "$API_PID"
if api_wait_for .status pass 5 && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/query?q=hello+retrieval&mode=bm25")" = 200 ]; then
  ok "file restored + SIGHUP: /healthz pass and queries answer again"
else not_ok "file restored + SIGHUP: recovered" "$(curl -s "$URL/healthz" | jq -c .checks)"; fi

# 4. truthful messages: a published generation that fails to open is not
#    "no generation has been published"
kill -TERM "$API_PID"; wait_for 15 bash -c "! kill -0 $API_PID 2>/dev/null"
printf 'not a database' >"$gen"
api_start || not_ok "rag-api starts on a broken generation"
code=$(curl -s -o "$STACK/q.json" -w '%{http_code}' --max-time 5 "$URL/query?q=hello")
like "$code $(jq -r .error.message "$STACK/q.json")" "^503 no generation is being served: gen-.*failed to open" \
  "/query on a published generation that fails to open: 503 naming it, not 'nothing published'"
kill -TERM "$API_PID"; wait_for 15 bash -c "! kill -0 $API_PID 2>/dev/null"
cat "$STACK/gen.good" >"$gen"
manifest_edit '.checked_at = "2000-01-01T00:00:00.000Z"'   # older than error_after (7d)
on_exit "bash '$ROOT/scripts/apictl.sh' stop --bin '$BIN/rag-api' --config '$CONFIG' >/dev/null 2>&1"
out=$(bash "$ROOT/scripts/apictl.sh" start --bin "$BIN/rag-api" --config "$CONFIG" 2>&1)
bash "$ROOT/scripts/apictl.sh" stop --bin "$BIN/rag-api" --config "$CONFIG" >/dev/null 2>&1
if grep -q "index is older than freshness.error_after" <<<"$out" && ! grep -q "with no index yet" <<<"$out"; then
  ok "apictl start on a stale index gives the stale-index hint, not the no-index one"
else not_ok "apictl start on a stale index gives the stale-index hint" "$out"; fi
done_testing
