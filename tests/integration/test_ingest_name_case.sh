#!/usr/bin/env bash
# test_ingest_name_case.sh — a transcript is never left out for the case of
# its name: with the default include globs, Intro.SRT and Notes.TXT are
# indexed (as srt with its cue times, and as txt), an exclude "drafts/**"
# also leaves out Drafts/, and ragtop --once --json counts the same files
# (0 pending afterwards, the same total rag-ingest saw).
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/tui/stack.sh"
plan 7

STACK_FILES=2 stack_init
cd "$STACK" || exit 1
sed -i 's/^ingest:$/ingest:\n  exclude: ["drafts\/**"]/' config/params.yaml
D=$STACK/data
mkdir -p "$D/Drafts" "$D/Sub"
printf '1\n00:00:01,000 --> 00:00:04,000\nAda: upper case subtitles about lighthouses.\n\n2\n00:00:05,000 --> 00:00:09,000\nAda: the keeper climbs the stairs.\n' >"$D/Sub/Intro.SRT"
echo "Speaker: shouting notes about harbours." >"$D/Notes.TXT"
echo "Speaker: a draft in a capitalised folder, excluded." >"$D/Drafts/d1.txt"

"$BIN/rag-ingest" --config config/params.yaml --quiet >"$TMP/ingest.out" 2>&1; rc=$?
is "$rc" "0" "rag-ingest publishes the folder (exit 0)"
seen=$(jq -r 'select(.status=="published") | .transcripts_seen' artifacts/logs/ingestion_metrics.jsonl | tail -1)
is "$seen" "4" "rag-ingest saw 4 sources: 2 talks, Sub/Intro.SRT, Notes.TXT (not Drafts/d1.txt)"

docs() { # path format chunks start_ms-of-first-chunk, over every segment of the published generation
  local s
  for s in $(gen_segments "artifacts/index/$(jq -r .generation artifacts/checkpoints/latest.json)"); do
    sqlite3 -separator ' ' "file:$s?immutable=1" \
      "select d.path, d.format, d.chunk_count, (select min(start_ms) from chunks c where c.doc_id = d.id) from documents d order by d.path"
  done
}
docs >"$TMP/docs"
is "$(grep '^Sub/Intro.SRT ' "$TMP/docs")" "Sub/Intro.SRT srt 1 1000" "Intro.SRT is indexed as srt, with its cue times"
is "$(grep -c '^Notes.TXT txt ' "$TMP/docs")" "1" "Notes.TXT is indexed as txt"
is "$(grep -c '^Drafts/' "$TMP/docs")" "0" "Drafts/d1.txt is excluded by drafts/**"

json=$("$BIN/ragtop" --once --json 2>/dev/null)
is "$(jq -r '.sources | "\(.added + .changed) \(.removed)"' <<<"$json")" "0 0" "ragtop: nothing pending after the ingest"
is "$(jq -r '.sources.total' <<<"$json")" "4" "ragtop counts the same 4 sources"

done_testing
