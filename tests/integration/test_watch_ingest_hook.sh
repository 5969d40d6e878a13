#!/usr/bin/env bash
# test_watch_ingest_hook.sh — a failed rag-ingest run is reported twice when
# a watcher runs too: once by rag-ingest's own failure hook (source
# "ingest", immediately, even with no watcher) and once by the watcher
# (source "watch", check last_run); both carry the same fingerprint so a
# receiver can deduplicate (docs/specs/alerts.md section 6). A failed run
# with the receiver down leaves the alert in the outbox for the watcher.
. "$(dirname "$0")/watch_lib.sh"
plan 6

make_stack
# two of three transcripts are not UTF-8: over max_error_ratio 0.2 -> the run fails
printf 'caf\xe9 \xff\xfe broken\n' >"$W/data/bad1.txt"
printf '\xc3\x28 also broken \xa0\xa1\n' >"$W/data/bad2.txt"
start_receiver hook || { not_ok "receiver starts"; done_testing; }
export WT_HOOK_URL="http://127.0.0.1:${RECV_PORT[hook]}/hook/secret"

# 1. no watcher running: the hook alone reports the failure
(cd "$W" && "$BIN/rag-ingest" --config config/params.yaml --quiet >"$W/ingest1.out" 2>&1)
is "$?" 1 "rag-ingest exits 1 on a failed run"
is "$(received hook '.status=="firing" and .check=="last_run" and .source=="ingest"')" 1 \
  "with no watcher, rag-ingest's hook delivers one failure alert"
fp_hook=$(jq -rs '[.[] | select(.body.source=="ingest")][0].body.fingerprint' "$W/hook.jsonl")

# 2. with a watcher: the watcher reports the same failed run too, same fingerprint
start_watch || { not_ok "watcher starts" "$(cat "$W/watch.out")"; done_testing; }
wait_for 6 received_ge hook '.status=="firing" and .check=="last_run" and .source=="watch"' 1
is "$(received hook '.status=="firing" and .check=="last_run" and .source=="watch"')" 1 \
  "the watcher reports the failed run as well (check last_run)"
fp_watch=$(jq -rs '[.[] | select(.body.source=="watch" and .body.check=="last_run")][0].body.fingerprint' "$W/hook.jsonl")
is "$fp_watch" "$fp_hook" "hook and watcher alerts share one fingerprint (dedup key)"

# 3. receiver down during a second failed run: the hook's alert waits in the
#    outbox and the running watcher delivers it once the receiver is back
port=${RECV_PORT[hook]}
stop_receiver hook
(cd "$W" && "$BIN/rag-ingest" --config config/params.yaml --quiet >"$W/ingest2.out" 2>&1)
pending=$(ls "$W/artifacts/run/outbox/pending" | grep -c 'ingest-' || true)
is "$pending" 1 "receiver down: the hook's alert stays pending in the outbox"
start_receiver hook "$port"
wait_for 25 received_ge hook '.source=="ingest"' 2
is "$(received hook '.source=="ingest"')" 2 "the watcher delivers the hook's pending alert once the receiver is back"
stop_watch TERM
done_testing
