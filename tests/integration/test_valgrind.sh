#!/usr/bin/env bash
# test_valgrind.sh — rag-ingest's runs and a served rag-api under valgrind:
# no leaks (definite, indirect) and no memory errors (invalid reads or
# writes, uninitialised bytes, also those handed to the kernel, as
# setsockopt's) on real files, processes and sockets:
#  1. a run over the sample corpus with a malformed WebVTT file among it
#     (indexed, the bad file a failure; exit 0);
#  2. a one-file-changed rerun (the incremental path; exit 0);
#  3. a config with a bad value (exit 78);
#  4. rag-api started, asked bm25, hybrid and vector /query, /healthz and
#     /metrics on both listeners, then stopped with SIGTERM (exit 0). On a
#     machine with more than one CPU its listener is a socket group with a
#     steering program (src/api/listen_group.c).
# ragtop --once is checked the same way in test_once.sh. Skipped in the
# ASan build (ASan's own leak check runs there instead).
. "$(dirname "$0")/api_lib.sh"
plan 8
if [ "${SAN:-0}" = 1 ]; then
  for _ in 1 2 3 4 5 6 7 8; do skip "valgrind" "ASan build (ASan's leak check runs instead)"; done
  done_testing
fi

# vg LOG CMD... — CMD under valgrind, its report in LOG; valgrind's own
# status 99 means a leak or an error
VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
vg() {
  local log=$1; shift
  "${VG[@]}" --log-file="$log" "$@"
}
# vg_clean NAME LOG RC WANT_RC — ok when the program exited WANT_RC and
# valgrind counted no error (leaks of the kinds above count as errors)
vg_clean() {
  local name=$1 log=$2 rc=$3 want=$4
  if [ "$rc" = "$want" ] && grep -q "ERROR SUMMARY: 0 errors" "$log"; then
    ok "$name (exit $rc)"
  else
    not_ok "$name (exit $rc, expected $want)" \
      "$(grep -B2 -A14 -E 'definitely lost|indirectly lost|Invalid|uninitialised|ERROR SUMMARY' "$log" | head -80)"
  fi
}

api_stack_new
sed -i 's/^  max_error_ratio: .*/  max_error_ratio: 0.9/' "$CONFIG"
printf 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n\xff\xfe\x00broken\n' >"$TX/broken.vtt"

# ---------------------------------------------------------------- 1. a run with a bad file
vg "$TMP/vg-ingest.log" "$BIN/rag-ingest" --config "$CONFIG" --quiet >"$TMP/ingest.out" 2>&1; rc=$?
vg_clean "rag-ingest, a run with a malformed file among the corpus" "$TMP/vg-ingest.log" "$rc" 0
if jqe 'select(.event == "file_failed" and .payload.path == "broken.vtt")' "$STACK/artifacts/logs/ingest.jsonl" >/dev/null &&
   [ "$(jq -r .errors "$MANIFEST")" = 1 ]; then
  ok "the run published, the malformed file a failure named in its log"
else
  not_ok "the run published, the malformed file a failure named in its log" "$(cat "$TMP/ingest.out")" "$(grep -h -E 'broken|run_finished' "$STACK/artifacts/logs/ingest.jsonl" | cut -c1-300)"
fi

# ---------------------------------------------------------------- 2. one file changed
first=$(find "$TX" -name '*.txt' | sort | head -n1)
echo "A late addition about lighthouse lamps." >>"$first"
vg "$TMP/vg-rerun.log" "$BIN/rag-ingest" --config "$CONFIG" --quiet >"$TMP/rerun.out" 2>&1; rc=$?
vg_clean "rag-ingest, a one-file-changed rerun" "$TMP/vg-rerun.log" "$rc" 0
is "$(tail -n 1 "$STACK/artifacts/logs/ingestion_metrics.jsonl" | jq -c '[.transcripts_processed, .published]')" "[1,true]" \
   "the rerun processed the one changed file and published"

# ---------------------------------------------------------------- 3. a bad config
sed 's/^  max_error_ratio: .*/  max_error_ratio: 7/' "$CONFIG" >"$STACK/config/bad.yaml"
vg "$TMP/vg-badconf.log" "$BIN/rag-ingest" --config "$STACK/config/bad.yaml" --quiet >"$TMP/badconf.out" 2>&1; rc=$?
vg_clean "rag-ingest, a config with a bad value" "$TMP/vg-badconf.log" "$rc" 78

# ---------------------------------------------------------------- 4. a served rag-api
"${VG[@]}" --log-file="$TMP/vg-api.log" "$BIN/rag-api" --config "$CONFIG" >"$STACK/api.stderr" 2>&1 &
VG_API=$!
track_pid "$VG_API"
# valgrind starts slowly: poll /healthz until the generation is served
if wait_for 120 curl -sf --max-time 2 -o /dev/null "$ADMIN_URL/healthz"; then
  ok "rag-api under valgrind serves /healthz"
else
  not_ok "rag-api under valgrind serves /healthz" "$(tail -n 20 "$STACK/api.stderr")"
fi
answers=0
for mode in bm25 hybrid vector; do
  out=$(curl -s --max-time 30 -w '\n%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"q\": \"lamp turned on a bath of mercury\", \"k\": 3, \"mode\": \"$mode\"}" "$URL/query")
  [ "$(tail -n1 <<<"$out")" = 200 ] && [ "$(sed '$d' <<<"$out" | jq '.results | length')" -gt 0 ] &&
    answers=$((answers + 1))
done
for u in "$URL/healthz" "$URL/metrics" "$ADMIN_URL/metrics"; do
  [ "$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$u")" = 200 ] && answers=$((answers + 1))
done
is "$answers" 6 "rag-api under valgrind answers bm25, hybrid and vector /query, /healthz and /metrics"
kill -TERM "$VG_API"
wait "$VG_API"; rc=$?
vg_clean "rag-api under valgrind, stopped with SIGTERM" "$TMP/vg-api.log" "$rc" 0
done_testing
