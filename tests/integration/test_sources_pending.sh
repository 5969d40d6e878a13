#!/usr/bin/env bash
# test_sources_pending.sh — ragtop's "N transcripts not yet ingested" and
# rag-ingest select the same files (one scan, src/core/sources.c): after an
# ingest of a folder with a hidden file, a link leading out of the folder, a
# link to a folder, an excluded draft, a non-transcript and a file over
# ingest.max_file_size, `ragtop --once --json` reports 0 pending and the same
# total rag-ingest saw; more such files keep it at 0 (and rag-ingest
# --dry-run agrees); one real new transcript makes it 1, a touched failed
# file makes it 1 again, and each time rag-ingest --dry-run agrees.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/tui/stack.sh"
plan 20

STACK_FILES=3 stack_init
cd "$STACK" || exit 1
sed -i 's/^ingest:$/ingest:\n  max_file_size: 2KiB\n  exclude: ["drafts\/**"]/' config/params.yaml
D=$STACK/data
mkdir -p "$D/drafts" "$D/.cache" "$D/sub"
echo "Speaker: a hidden note about retrieval." >"$D/.hidden.txt"
echo "Speaker: cached copy." >"$D/.cache/copy.txt"
echo "Speaker: outside the folder." >"$STACK/outside.txt"
ln -s ../outside.txt "$D/link-out.txt"
ln -s sub "$D/dirlink"
ln -s nowhere.txt "$D/dangling.txt"
echo "Speaker: reached through a link only." >"$D/sub/target.transcript" # no include glob matches it
ln -s sub/target.transcript "$D/link-in.txt"  # inside the folder: a real source
echo "Speaker: a draft, excluded." >"$D/drafts/d1.txt"
echo "%PDF-1.4" >"$D/notes.pdf"                # not matching any include glob
echo "Speaker: nested and real." >"$D/sub/nested.md"
head -c 3000 /dev/zero | tr '\0' 'a' >"$D/big.txt" # over max_file_size: fails in ingest

# pending: added+changed, removed, total (from --once --json); dry: "N transcripts: K unchanged, M new or changed"
pending() { "$BIN/ragtop" --once --json 2>/dev/null | jq -r '.sources | "\(.added + .changed) \(.removed) \(.total) \(.exact)"'; }
dry() { "$BIN/rag-ingest" --config config/params.yaml --dry-run 2>&1 | sed -nE 's/^rag-ingest --dry-run: ([0-9]+) transcripts: ([0-9]+) unchanged, ([0-9]+) new or changed, ([0-9]+) deleted.*/\3 \4 \1/p'; }

"$BIN/rag-ingest" --config config/params.yaml --quiet >"$TMP/ingest1.out" 2>&1; rc=$?
if [ "$rc" = 0 ]; then ok "rag-ingest publishes the tricky folder (exit 0)"; else not_ok "rag-ingest publishes the tricky folder (exit 0)" "exit $rc" "$(cat "$TMP/ingest1.out")"; fi
seen=$(jq -r 'select(.status=="published") | .transcripts_seen' artifacts/logs/ingestion_metrics.jsonl | tail -1)
is "$seen" "6" "rag-ingest saw 6 sources: 3 talks, link-in, sub/nested.md, big.txt"
is "$(sqlite3 "artifacts/index/$(jq -r .generation artifacts/checkpoints/latest.json)" 'SELECT path FROM failures')" "big.txt" \
  "the file over max_file_size is recorded as a failure"
is "$(pending)" "0 0 6 true" "ragtop: 0 pending, 0 removed, the 6 sources rag-ingest saw"
is "$(dry)" "0 0 6" "rag-ingest --dry-run: nothing new, nothing deleted, 6 sources"

# more files neither program takes
echo "Speaker: another hidden one." >"$D/sub/.later.txt"
echo "Speaker: a second draft." >"$D/drafts/d2.md"
ln -s ../../outside.txt "$D/sub/out2.txt"
ln -s "$STACK/outside.txt" "$D/abs-out.txt"
ln -s .. "$D/sub/up"
echo "x" >"$D/slides.pptx"
is "$(pending)" "0 0 6 true" "ragtop: still 0 pending after hidden, excluded, outside-link and non-transcript files"
is "$(dry)" "0 0 6" "rag-ingest --dry-run agrees: nothing to do"

stack_add_transcript late
is "$(pending)" "1 0 7 true" "ragtop: one real new transcript is 1 pending"
is "$(dry)" "1 0 7" "rag-ingest --dry-run agrees: 1 new"
"$BIN/rag-ingest" --config config/params.yaml --quiet >"$TMP/ingest2.out" 2>&1
is "$(pending)" "0 0 7 true" "ragtop: 0 pending once it is ingested"

touch -d '2001-01-01' "$D/big.txt" # the failed file changed: rag-ingest retries it
is "$(pending)" "1 0 7 true" "ragtop: a changed failed file is 1 pending"
is "$(dry)" "1 0 7" "rag-ingest --dry-run agrees: 1 to retry"

rm "$D/big.txt" "$D/talk2.txt"
is "$(pending)" "0 2 5 true" "ragtop: a removed document and a removed failure are 2 removals"
"$BIN/rag-ingest" --config config/params.yaml --quiet >"$TMP/ingest3.out" 2>&1
is "$(pending)" "0 0 5 true" "ragtop: nothing pending once rag-ingest published the removals"

# A FIFO and a socket in the folder cannot be transcripts: never read (a
# read would wait for a writer), never left out silently — counted and
# named by rag-ingest, and ragtop's sources check says so.
mkfifo "$D/pipe.txt"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/sock.txt"
timeout 60 "$BIN/rag-ingest" --config config/params.yaml --quiet >"$TMP/ingest4.out" 2>&1; rc=$?
is "$rc" "0" "rag-ingest finishes with a FIFO and a socket in the folder (exit 0, no hang)"
is "$(jq -r 'select(.event == "scan_done") | "\(.payload.skipped_special) \(.payload.skipped_unreadable)"' artifacts/logs/ingest.jsonl | tail -1)" \
  "2 0" "scan_done counts them as skipped_special"
is "$(jq -r 'select(.event == "source_skipped") | .msg' artifacts/logs/ingest.jsonl | tail -2 | sort | paste -sd'|')" \
  "pipe.txt: a FIFO, not a file|sock.txt: a socket, not a file" "each is named with why (source_skipped, warn)"
out=$("$BIN/ragtop" --once 2>&1)
like "$out" "WARN +sources +2 entries of the transcripts folder cannot be read" "ragtop's sources check warns"
like "$out" "pipe\.txt: a FIFO, not a file" "and names the first"
rm "$D/pipe.txt" "$D/sock.txt"
is "$(pending) $("$BIN/ragtop" --once --json 2>/dev/null | jq -r .sources.unreadable)" "0 0 5 true 0" "gone: nothing unreadable, nothing pending"
done_testing
