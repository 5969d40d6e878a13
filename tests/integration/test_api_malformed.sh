#!/usr/bin/env bash
# test_api_malformed.sh — a table of malformed and hostile HTTP requests
# (tests/integration/malformed_http.py) against a real rag-api: every
# response is a JSON error with the right status, or one of the exceptions
# docs/specs/query.md documents (libmicrohttpd answers those itself);
# api.jsonl stays valid UTF-8 JSON Lines with no HTML in it; the server
# never crashes (the suite also runs under `make SAN=1 test`).
. "$(dirname "$0")/api_lib.sh"
plan 6

api_stack_new
api_ingest >/dev/null 2>&1
api_start || { not_ok "rag-api starts" "$(cat "$STACK/api.stderr")"; done_testing; }

out=$(timeout 120 python3 "$ROOT/tests/integration/malformed_http.py" "$PORT" 2>&1); rc=$?
n=$(grep -c '^PASS' <<<"$out")
if [ "$rc" = 0 ] && [ "$n" -ge 40 ]; then ok "all $n malformed requests: a JSON error with the right status, or a documented exception"
else not_ok "every malformed request: JSON error or documented exception" "$(grep -v '^PASS' <<<"$out")"; fi
# the same table a second time on the same process (nothing left in a bad state)
out=$(timeout 120 python3 "$ROOT/tests/integration/malformed_http.py" "$PORT" 2>&1); rc=$?
if [ "$rc" = 0 ] && kill -0 "$API_PID" 2>/dev/null; then ok "a second round gives the same answers; rag-api is still running"
else not_ok "a second round gives the same answers; rag-api is still running" "$(grep -v '^PASS' <<<"$out")"; fi
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/healthz") $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/query?q=hello")" \
  "200 200" "/healthz and /query still answer"

# Every exception the table allows is documented in docs/specs/query.md.
exc=$(sed -n '/^### Responses libmicrohttpd sends itself/,/^#/p' "$ROOT/docs/specs/query.md")
missing=""
for s in 400 413 414 431 505 "closed"; do grep -q "| $s " <<<"$exc" || missing="$missing $s"; done
is "$missing" "" "docs/specs/query.md lists every exception (400 413 414 431 505, closed)"

kill -TERM "$API_PID"; wait_for 15 bash -c "! kill -0 $API_PID 2>/dev/null"
log="$STACK/artifacts/logs/api.jsonl"
check "api.jsonl is valid UTF-8 JSON Lines, with no HTML in it" python3 - "$log" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1], "rb"), 1):
    text = line.decode("utf-8")          # strict: raises on invalid UTF-8
    json.loads(text)
    assert "<html" not in text.lower() and "<title" not in text.lower(), "line %d has HTML: %s" % (i, text)
PY
check "libmicrohttpd's rejections are logged with their status (http_error events)" \
  bash -c "jqe 'select(.event == \"http_error\") | .payload.status' '$log' | grep -qx 414"
done_testing
