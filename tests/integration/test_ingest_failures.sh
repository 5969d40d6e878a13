#!/usr/bin/env bash
# test_ingest_failures.sh — rag-ingest loses no transcript silently and fails
# without leftovers (issue 11), with real files and processes:
#  1. the transcripts folder renamed away mid-run: the files that could not
#     be read are transient failures, `ragtop --once` says "N failed (N will
#     be retried)", and the next run indexes them;
#  2. a full disk (a small tmpfs; skipped where mount is not permitted),
#     before the run starts and filling up while it publishes: the run fails
#     (exit 1), latest.json is untouched, the metrics file's last line is
#     the failed run's (room for it was reserved), and both files hold whole
#     lines only; when no room can be reserved the run fails at once and
#     says so; a file-size limit (ulimit -f) fails the run the same way,
#     not by killing it;
#  3. latest.json cannot be written: exit 1, no orphan generation or copy;
#     and when the metrics line cannot be appended either, that is said on
#     stderr (also with -q) and in the log, and the exit status stays 1;
#  4. a checkpoint copy cannot be pruned: the run still succeeds (exit 0,
#     published), the problem is a warning, generations are still pruned;
#  5. orphan generations do not take retention slots, and --rollback serves
#     the earlier good generation again; afterwards ragtop says it was a
#     rollback (last_run, index, --json runs[]) and does not count it as an
#     ingest (ingest_overdue); a rollback to a generation whose segment was
#     truncated by hand fails naming that segment and SQLite's reason;
#     after rolling back a config change config_hash offers no ingest fix;
#     --rollback RUN_ID repairs a latest.json damaged or deleted by hand;
#     a RUN_ID already served is nothing to do (exit 0), a malformed one a
#     usage error (exit 2), neither writes a metrics line; a failed run's
#     id is refused saying that run failed;
#  6. SRT: "5 < 7 and margin > 3" is text, only real tags are stripped;
#  7. WebVTT: cues without a blank line between them stay two cues, the
#     timing line is not text, invalid cues are skipped with a warning;
#  8. UTF-32-LE is read, JSON nesting depth and binary data in a legacy
#     encoding are reported as what they are;
# plus content failures remembered by hash (a touch does not retry them)
# and --retry-failed.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/tui/stack.sh"
plan 90

ING=$BIN/rag-ingest
metric_of() { tail -n 1 "$1" | jq -r "$2"; }

# ---------------------------------------------------------------- 1. folder renamed mid-run
STACK_FILES=40 STACK_BATCH=5 stack_init
sed -i 's/^ingest:$/ingest:\n  max_error_ratio: 0.95/' "$STACK/config/params.yaml"
cd "$STACK" || exit 1
ML=artifacts/logs/ingestion_metrics.jsonl
LOG=artifacts/logs/ingest.jsonl
RAG_INGEST_TEST_BATCH_DELAY_MS=400 "$ING" --config config/params.yaml -q &
P=$!
batch_one() { jqe 'select(.event=="batch_done" and .payload.batch==1)' "$LOG" >/dev/null 2>&1; }
if wait_for 30 batch_one; then
  mv data data.away
  wait $P; rc=$?
  mv data.away data
else
  wait $P; rc=$?
fi
is "$rc" 0 "a run that lost its folder mid-run still publishes what it read (exit 0)"
failed=$(metric_of $ML .transcripts_failed)
is "$(metric_of $ML .failed_by_class.transient)/$(metric_of $ML .failed_by_class.content)" "$failed/0" \
  "every file that vanished is a transient failure ($failed)"
check "some files vanished" test "$failed" -ge 5
check "file_failed events say they are retried next run" \
  jqe -s '[.[] | select(.event=="file_failed")] | length > 0 and all(.payload.class=="transient" and .payload.retry=="next run")' "$LOG"
check "the manifest carries the split" jqe ".failed_by_class.transient == $failed and .errors == $failed" artifacts/checkpoints/latest.json
summary=$("$BIN/ragtop" --once --json 2>/dev/null | jq -r '.checks[] | select(.name=="sources") | .summary')
is "$summary" "40 transcripts, $failed failed ($failed will be retried)" "ragtop's sources check names the failures and the retries"
"$ING" --config config/params.yaml -q; rc=$?
is "$rc/$(metric_of $ML .status)/$(metric_of $ML .transcripts_processed)/$(metric_of $ML .transcripts_failed)" "0/published/$failed/0" \
  "the next run retries and indexes every vanished file (not 'unchanged')"
is "$(metric_of $ML .documents)" 40 "all 40 transcripts are in the index"
summary=$("$BIN/ragtop" --once --json 2>/dev/null | jq -r '.checks[] | select(.name=="sources") | .summary')
is "$summary" "40 transcripts, all ingested" "ragtop: all ingested once they are"
cd "$ROOT" || exit 1

# ---------------------------------------------------------------- a plain workspace for the rest
W=$TMP/w
mkdir -p "$W/corpus"
for i in 1 2 3 4 5 6; do printf 'Alice: talk %s about bees and honey.\n\nBob: more words %s.\n' "$i" "$i" >"$W/corpus/t$i.txt"; done
conf() { # keep_generations keep_checkpoints [extra ingest keys]
  cat >"$W/params.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: art}
ingest: {keep_generations: ${1:-2}, keep_checkpoints: ${2:-20}, max_error_ratio: 0.9${3:+, $3}}
YAML
}
conf 2 20
run() { "$ING" --config "$W/params.yaml" -q "$@"; }
M=$W/art/checkpoints/latest.json
WML=$W/art/logs/ingestion_metrics.jsonl
WLOG=$W/art/logs/ingest.jsonl
gen() { jq -r .generation "$M"; }
sql() { GEN_FTS=${GEN_FTS:-} gen_sql "$W/art/index/$(gen)" "$1"; }
ngens() { find "$W/art/index" -name 'gen-*.sqlite' | wc -l; }
edit() { echo "Carol: edit $RANDOM." >>"$W/corpus/t1.txt"; }
run

# ---------------------------------------------------------------- 3. latest.json cannot be written
G=$(gen); n0=$(ngens); c0=$(ls "$W/art/checkpoints" | wc -l)
mv "$M" "$W/latest.save"; mkdir "$M"; touch "$M/in-the-way"
edit
run 2>/dev/null; rc=$?
is "$rc/$(metric_of "$WML" .status)" "1/failed" "a manifest that cannot be written fails the run"
is "$(ngens)/$(ls "$W/art/checkpoints" | wc -l)" "$n0/$c0" "it leaves no orphan generation and no orphan checkpoint copy"
is "$(metric_of "$WML" .generation)/$(metric_of "$WML" .published)" "null/false" "its metrics line names no generation"
rm -rf "$M"; mv "$W/latest.save" "$M"
is "$(gen)" "$G" "latest.json still names the previous generation"
# the metrics file turns into a folder while the run publishes
mv "$M" "$W/latest.save"; mkdir "$M"; touch "$M/in-the-way"
edit
lines=$(wc -l <"$WLOG")
RAG_INGEST_TEST_PUBLISH_DELAY_MS=1000 "$ING" --config "$W/params.yaml" -q 2>"$TMP/e3b" &
P=$!
run_going() { tail -n +$((lines + 1)) "$WLOG" | jqe -s 'any(.event == "scan_done")'; }
wait_for 60 run_going && mv "$WML" "$W/metrics.save" && mkdir "$WML"
wait $P; rc=$?
rmdir "$WML"; mv "$W/metrics.save" "$WML"; rm -rf "$M"; mv "$W/latest.save" "$M"
is "$rc" 1 "a failed run whose metrics line cannot be appended still exits 1"
like "$(cat "$TMP/e3b")" "ingestion_metrics.jsonl: cannot open: Is a directory" "the lost metrics line is said on stderr, even with -q"
check "and in the log (metrics_line_failed, naming the run's status)" \
  jqe -s 'any(.event == "metrics_line_failed" and .level == "error" and .payload.status == "failed")' "$WLOG"

# ---------------------------------------------------------------- 4. pruning a copy fails after publishing
conf 2 1
mkdir -p "$W/art/checkpoints/20000101T000000Z-000000.json"; touch "$W/art/checkpoints/20000101T000000Z-000000.json/x"
edit
run 2>"$TMP/e4"; rc=$?
is "$rc/$(metric_of "$WML" .status)/$(metric_of "$WML" .published)" "0/published/true" \
  "a checkpoint copy that cannot be pruned does not fail a run that published"
is "$(gen)" "$(metric_of "$WML" .generation)" "latest.json names the generation the run reports"
like "$(metric_of "$WML" '.warnings[0]')" "pruning checkpoint copies: .*20000101T000000Z-000000.json: cannot delete" "the metrics line carries the warning"
check "the log has a housekeeping_failed warning" jqe -s 'any(.event=="housekeeping_failed" and .level=="warn")' "$WLOG"
is "$(ngens)" 1 "generations are still pruned (keep_checkpoints 1: only one generation is named by a manifest)"
rm -rf "$W/art/checkpoints/20000101T000000Z-000000.json"
conf 2 20

# ---------------------------------------------------------------- 5. orphans and rollback
edit; run; G1=$(gen)
edit; run; G2=$(gen)
for o in 20991231T000000Z-0000a1 20991231T000000Z-0000a2; do cp "$W/art/index/$G2" "$W/art/index/gen-$o.sqlite"; done
edit; run; G3=$(gen)
check "the earlier good generation is kept over newer orphans" test -f "$W/art/index/$G2"
is "$(find "$W/art/index" -name 'gen-2099*' | wc -l)/$(ngens)" "0/2" "orphans are removed first; 2 generations kept"
run --rollback 2>"$TMP/e5"; rc=$?
is "$rc/$(gen)" "0/$G2" "--rollback serves the previous generation again"
check "the manifest names what it replaced" jqe --arg g "$G3" '.rollback_from == $g' "$M"
is "$(metric_of "$WML" .rollback)/$(metric_of "$WML" .rollback_from)/$(metric_of "$WML" .generation)" "true/$G3/$G2" \
  "a metrics line records the rollback"
check "a rolled_back event is logged" jqe -s --arg g "$G2" 'any(.event=="rolled_back" and .payload.generation==$g)' "$WLOG"
run --rollback 2>"$TMP/e5b"; rc=$?
is "$rc/$(gen)" "1/$G2" "no earlier retained generation: --rollback fails and changes nothing"
like "$(cat "$TMP/e5b")" "no earlier generation is retained" "and says why"
run --rollback "$(basename "$G3" .sqlite | sed 's/^gen-//')" 2>/dev/null; rc=$?
is "$rc/$(gen)" "0/$G3" "--rollback RUN_ID serves that run's generation"
# the run whose generation is served already: nothing to do (exit 0), nothing written but an info event
lines=$(wc -l <"$WML"); cp "$M" "$TMP/m5"
"$ING" --config "$W/params.yaml" --rollback "$(basename "$G3" .sqlite | sed 's/^gen-//')" 2>"$TMP/e5s"; rc=$? # not -q: it says so
is "$rc/$(wc -l <"$WML")/$(cmp -s "$M" "$TMP/m5" && echo same)" "0/$lines/same" "--rollback RUN_ID to the generation served already: exit 0, no metrics line, latest.json untouched"
like "$(cat "$TMP/e5s")" "nothing to roll back: $G3 \\(run [^)]*\\) is already the served generation" "and says so"
check "a rollback_unchanged info event is logged" jqe -s --arg g "$G3" 'any(.event=="rollback_unchanged" and .level=="info" and .payload.generation==$g)' "$WLOG"
# a malformed RUN_ID is a usage error (exit 2), refused before any work: no metrics line, nothing served changes
lines=$(wc -l <"$WML"); cp "$M" "$TMP/m5"
run --rollback '../20240101T000000Z-x' 2>"$TMP/e5r"; rc=$?
is "$rc/$(wc -l <"$WML")/$(cmp -s "$M" "$TMP/m5" && echo same)" "2/$lines/same" "--rollback with a malformed RUN_ID: exit 2, no metrics line, latest.json untouched"
like "$(cat "$TMP/e5r")" 'is not a run id \(YYYYMMDDTHHMMSSZ-xxxxxx\)' "and says what a run id looks like"

# ---------------------------------------------------------------- 5b. what ragtop says after a rollback
# A rollback ingests nothing: the dead man's switch (ingest_overdue) still
# counts from the last ingest, and last_run / index say it was a rollback.
R=$TMP/rb
mkdir -p "$R/corpus"
cp "$W/corpus/t1.txt" "$W/corpus/t2.txt" "$R/corpus/"
printf 'schema_version: 1\npaths: {transcripts: corpus, artifacts: art}\nwatch: {ingest_overdue: 1h}\n' >"$R/params.yaml"
rrun() { "$ING" --config "$R/params.yaml" -q "$@"; }
# ragtop runs in $R: it would read the metrics file the services.yml of its folder names
rcheck() { (cd "$R" && "$BIN/ragtop" --once --json --config params.yaml) 2>/dev/null | jq -r --arg c "$1" ".checks[] | select(.name==\$c) | $2"; }
rrun; RG1=$(jq -r .generation "$R/art/checkpoints/latest.json")
echo "Erin: a later line." >>"$R/corpus/t1.txt"; rrun; RG2=$(jq -r .generation "$R/art/checkpoints/latest.json")
# both ingests ran three hours ago: every time in the manifests and metrics lines moves back 3h
back='def back: if type == "string" then ((.[0:19] + "Z") | fromdateiso8601 - 10800 | todateiso8601 | .[0:19]) + .[19:] else . end;'
for f in "$R"/art/checkpoints/*.json; do
  jq "$back .generated_at |= back | .checked_at |= back" "$f" >"$R/m.tmp" && touch -r "$f" "$R/m.tmp" && mv "$R/m.tmp" "$f"
done
jq -c "$back .started_at |= back | .finished_at |= back" "$R/art/logs/ingestion_metrics.jsonl" >"$R/m.tmp"
mv "$R/m.tmp" "$R/art/logs/ingestion_metrics.jsonl"
is "$(rcheck ingest_overdue .status)" WARN "no ingest for 3h with watch.ingest_overdue 1h: ingest_overdue WARN"
rrun --rollback; rc=$?
is "$rc/$(jq -r .generation "$R/art/checkpoints/latest.json")" "0/$RG1" "the rollback serves the earlier generation"
is "$(rcheck ingest_overdue '.status + " " + .summary')" "WARN no successful ingest run for 3h 0m (expected within 1h 0m)" \
  "a rollback is not an ingest: ingest_overdue still WARNs"
is "$(rcheck last_run .summary)" "last run $(metric_of "$R/art/logs/ingestion_metrics.jsonl" .run_id) rolled back to $RG1 (was $RG2)" \
  "last_run says the last run was a rollback, to what and from what"
like "$(rcheck index .summary)" "^$RG1: .* \(rolled back from $RG2\)$" "the index check says the served generation was rolled back"
is "$(cd "$R" && "$BIN/ragtop" --once --json --config params.yaml 2>/dev/null | jq -c '.runs[-1] | [.rollback, .rollback_from]')" \
  "[true,\"$RG2\"]" "--json runs[] marks the rollback and what it replaced"
rrun --rollback 2>/dev/null; rc=$?
is "$rc/$(rcheck last_run '.status + " " + (.fix|tostring)')" "1/WARN null" \
  "a failed rollback: last_run WARN without an ingest fix (nothing changed)"
like "$(rcheck last_run .summary)" "rollback failed, nothing changed" "and it says so"
# an ingest that failed, then a rollback: the ingest is still failing
rrun --rollback "$(basename "$RG2" .sqlite | sed 's/^gen-//')" 2>/dev/null
python3 -c 'import sys; sys.stdout.buffer.write(bytes([0xe9, 1, 2, 3, 0xff] * 40))' >"$R/corpus/garbage.txt"
rrun 2>/dev/null; rc=$?
FAILED_RUN=$(metric_of "$R/art/logs/ingestion_metrics.jsonl" .run_id)
rrun --rollback; rc=$rc/$?
is "$rc/$(rcheck last_run '.status + " " + .fix')" "1/0/WARN ingest" \
  "a rollback after a failed ingest: last_run stays WARN (fix: ingest)"
like "$(rcheck last_run .summary)" "^last ingest $FAILED_RUN failed \(1 errors\); run [^ ]+ since rolled back to $RG1$" \
  "and names the failed ingest and the rollback"
# rolling back to the failed run itself: it published nothing, and the error says so
cp "$R/art/checkpoints/latest.json" "$TMP/m5f"
rrun --rollback "$FAILED_RUN" 2>"$TMP/e5f"; rc=$?
is "$rc/$(cmp -s "$R/art/checkpoints/latest.json" "$TMP/m5f" && echo same)" "1/same" "--rollback to a failed run's id fails and changes nothing"
like "$(cat "$TMP/e5f")" "run $FAILED_RUN failed \(ingestion_metrics.jsonl\), so it published no generation to roll back to: name a run that published" \
  "and says that run failed (not 'no checkpoint copy')"
# the target's own segment was truncated by hand: the error names it and says what is wrong
RUN2=$(basename "$RG2" .sqlite | sed 's/^gen-//')
RS=$(comm -13 <(gen_segments "$R/art/index/$RG1" | sort) <(gen_segments "$R/art/index/$RG2" | sort) | head -n 1)
check "$RG2 has a segment $RG1 does not name" test -f "$RS"
cp "$RS" "$TMP/seg.keep"; truncate -s 8192 "$RS"
rrun --rollback "$RUN2" 2>"$TMP/e5c"; rc=$?
is "$rc/$(jq -r .generation "$R/art/checkpoints/latest.json")" "1/$RG1" \
  "a rollback to a generation whose segment is truncated fails and changes nothing"
like "$(cat "$TMP/e5c")" "rollback: .*/$RG2: segment $RS cannot be read: database disk image is malformed$" \
  "and names the segment and what is wrong (not 'holds -1 chunks')"
cp "$TMP/seg.keep" "$RS"
rrun --rollback "$RUN2"; rc=$?
is "$rc/$(jq -r .generation "$R/art/checkpoints/latest.json")" "0/$RG2" "with the segment restored the rollback succeeds"
# a config change went out and was rolled back: ragtop offers no one-key ingest (it would publish it again)
printf 'chunking: {target_tokens: 100, overlap_tokens: 10}\n' >>"$R/params.yaml"
rm "$R/corpus/garbage.txt"
rrun || not_ok "setup: an ingest with the changed config"
RG3=$(jq -r .generation "$R/art/checkpoints/latest.json")
rrun --rollback; rc=$?
is "$rc/$(jq -r .generation "$R/art/checkpoints/latest.json")" "0/$RG2" "a generation built from another config is rolled back"
is "$(rcheck config_hash '.status + " " + (.fix|tostring)')" "WARN null" \
  "config_hash after rolling back a config change: WARN without an ingest fix"
like "$(rcheck config_hash .summary)" "rolled back from $RG3: revert the config, or ingest to publish with it$" "and says why"
# latest.json damaged or deleted by hand: a rollback to a named run repairs it
RM=$R/art/checkpoints/latest.json
head -c 100 "$RM" >"$R/latest.cut"; cp "$R/latest.cut" "$RM"
rrun --rollback 2>"$TMP/e5d"; rc=$?
is "$rc/$(cmp -s "$RM" "$R/latest.cut" && echo same)" "1/same" "a damaged latest.json and no RUN_ID: the rollback fails and changes nothing"
like "$(cat "$TMP/e5d")" "latest.json:[0-9]+:[0-9]+: truncated JSON .*the served generation is unknown, so there is no previous one: name the run to serve again \(rag-ingest --rollback RUN_ID" \
  "and says what is wrong and what to do"
RUN1=$(basename "$RG1" .sqlite | sed 's/^gen-//')
rrun --rollback "$RUN1"; rc=$?
is "$rc/$(jq -r .generation "$RM" 2>&1)" "0/$RG1" "--rollback RUN_ID over a damaged latest.json serves that run's generation again"
like "$(metric_of "$R/art/logs/ingestion_metrics.jsonl" '.warnings[0]')" "^replaced an unreadable manifest: .*latest.json:[0-9]+:[0-9]+: truncated JSON" \
  "its metrics line says it replaced an unreadable manifest"
rm "$RM"
rrun --rollback "$RUN2"; rc=$?
is "$rc/$(jq -r .generation "$RM" 2>&1)" "0/$RG2" "--rollback RUN_ID with latest.json deleted publishes it again"

# ---------------------------------------------------------------- 6-8. parsers and encodings
printf '1\n00:00:01,000 --> 00:00:03,000\n<i>revenue</i> 5 < 7 and margin > 3 percent\n\n2\n00:00:04,000 --> 00:00:05,000\n<font color="#ff0000">red</font> <b>bold</b> <x>kept</x>\n' >"$W/corpus/angle.srt"
printf 'WEBVTT\n\n00:01.000 --> 00:02.000\nfirst cue line\n00:02.000 --> 00:03.000\nsecond cue\n\n00:04.000 --> 00:5.000\nbad timing cue\n\n00:06.000\f-->\f00:07.000\nformfeed cue\n' >"$W/corpus/noblank.vtt"
python3 -c 'import sys; sys.stdout.buffer.write("\ufeffDana: thirty two bit quokka transcript.\n".encode("utf-32-le"))' >"$W/corpus/wide.txt"
python3 -c 'print("[" * 1200 + "]" * 1200)' >"$W/corpus/deep.json"
edit; run 2>/dev/null
is "$(sql "select text from chunks c join documents d on d.id=c.doc_id where d.path='angle.srt'" | tr '\n' ' ')" \
  'revenue 5 < 7 and margin > 3 percent red bold <x>kept</x> ' "SRT: '<' in text is kept, only b/i/u/font tags are stripped"
is "$(sql "select text from chunks c join documents d on d.id=c.doc_id where d.path='noblank.vtt'" | tr '\n' ' ')" \
  'first cue line second cue formfeed cue ' "VTT: a line with --> ends a cue, its timing is not text, form feed is white space"
check "VTT: the invalid cue is a file_warning naming its line" \
  jqe -s 'any(.event=="file_warning" and .payload.path=="noblank.vtt" and .payload.line==8)' "$WLOG"
is "$(GEN_FTS="'quokka'" sql "select live_fts")" 1 "UTF-32-LE (BOM) is read and indexed"
like "$(sql "select reason from failures where path='deep.json'")" "deep.json:1:[0-9]+: JSON nested deeper than 1000 levels" \
  "JSON over the nesting limit is reported as such"
is "$(sql "select class from failures where path='deep.json'")" content "a parse failure is a content failure"
conf 2 20 "legacy_encoding: windows-1252"
printf 'caf\xe9 ok\n' >"$W/corpus/latin.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes([0xe9,1,2,3,0x8a,0x1b,0x7f,5,6,0xff] * 50))' >"$W/corpus/garbage.txt"
run 2>/dev/null
is "$(sql "select count(*) from documents where path='latin.txt'")" 1 "windows-1252 text is transcoded and indexed"
like "$(sql "select reason from failures where path='garbage.txt'")" "garbage.txt:1:2: binary data \(control byte 0x01\), not windows-1252 text" \
  "binary garbage is not indexed as windows-1252 text"

# ---------------------------------------------------------------- content failures: by hash, --retry-failed
touch "$W/corpus/deep.json"
lines=$(wc -l <"$WLOG")
run; rc=$?
is "$rc/$(metric_of "$WML" .transcripts_failed)" "0/2" "a touched content failure is still counted"
is "$(tail -n +$((lines + 1)) "$WLOG" | jq -s '[.[] | select(.event=="file_failed")] | length')" 0 \
  "but not parsed again (same content hash)"
lines=$(wc -l <"$WLOG")
run --retry-failed; rc=$?
is "$(tail -n +$((lines + 1)) "$WLOG" | jq -r -s '[.[] | select(.event=="file_failed") | .payload.path] | sort | join(" ")')" \
  "deep.json garbage.txt" "--retry-failed parses content failures again"
python3 -c 'print("{\"text\": \"the json is fixed now\"}")' >"$W/corpus/deep.json"
run; rc=$?
is "$(sql "select count(*) from documents where path='deep.json'")/$(metric_of "$WML" .transcripts_failed)" "1/1" \
  "a changed file is retried without asking"

# ---------------------------------------------------------------- 2. disk full
D=$TMP/full
mkdir -p "$D"
if mount -t tmpfs -o size=4m tmpfs "$D" 2>"$TMP/mount.err"; then
  on_exit "umount -l '$D'"
  mkdir -p "$D/corpus"
  cp "$W"/corpus/t*.txt "$D/corpus/"
  printf 'schema_version: 1\npaths: {transcripts: corpus, artifacts: art}\n' >"$D/params.yaml"
  DML=$D/art/logs/ingestion_metrics.jsonl; DLOG=$D/art/logs/ingest.jsonl; DM=$D/art/checkpoints/latest.json
  "$ING" --config "$D/params.yaml" -q
  # end a file 20 bytes short of a page: a line appended next needs a page
  # more, which a full disk has only when it was reserved beforehand
  pad_page() {
    local s pad; s=$(stat -c %s "$1"); pad=$((4096 - s % 4096 - 20)); [ $pad -lt 16 ] && pad=$((pad + 4096))
    python3 -c "import sys; sys.stdout.write('{\"pad\":\"' + 'x' * ($pad - 11) + '\"}\n')" >>"$1"
  }
  # 2a. the disk is full before the run starts
  pad_page "$DML"; pad_page "$DLOG"
  dd if=/dev/zero of="$D/filler" bs=4096 2>/dev/null
  l0=$(stat -c %s "$DLOG"); cp "$DM" "$TMP/latest.before"
  echo "Eve: one more line." >>"$D/corpus/t1.txt" 2>/dev/null || true
  "$ING" --config "$D/params.yaml" -q --full 2>"$TMP/full.err"; rc=$?
  is "$rc" 1 "disk full before the run: the run fails"
  like "$(cat "$TMP/full.err")" "failed after .*: No space left on device" "disk full before the run: it says why"
  is "$(metric_of "$DML" .status)/$(metric_of "$DML" .published)/$(metric_of "$DML" .failure | grep -c 'No space left')" "failed/false/1" \
    "disk full before the run: its failed line is the metrics file's last (in the room the line before left)"
  is "$(stat -c %s "$DLOG")" "$l0" "disk full: no part of a log line is left behind"
  check "disk full before the run: latest.json is byte-identical" cmp -s "$DM" "$TMP/latest.before"
  # 2b. no room can be reserved for the run's line (the room left behind is
  # used up, one page is free — the lock file takes it): the run fails at once
  rm -f "$D/filler"
  python3 -c "import sys; sys.stdout.write('{\"pad\":\"' + 'x' * 40000 + '\"}\n')" >>"$DML"
  pad_page "$DML"
  dd if=/dev/zero of="$D/filler" bs=4096 2>/dev/null; truncate -s -4096 "$D/filler"
  m0=$(stat -c %s "$DML")
  "$ING" --config "$D/params.yaml" -q --full 2>"$TMP/full3.err"; rc=$?
  is "$rc" 1 "no room for the metrics line: the run fails"
  like "$(cat "$TMP/full3.err")" "ingestion_metrics.jsonl: cannot reserve room for this run's metrics line \([0-9]+ bytes\): No space left on device" \
    "no room for the metrics line: it fails at once, naming the metrics file and the reason"
  like "$(cat "$TMP/full3.err")" "ingestion_metrics.jsonl: cannot append \(line not written\): No space left on device" \
    "and says (even with -q) that the line could not be written"
  is "$(stat -c %s "$DML")" "$m0" "no room for the metrics line: no part of it is left behind"
  check "no room for the metrics line: latest.json is byte-identical" cmp -s "$DM" "$TMP/latest.before"
  rm -f "$D/filler"
  # 2c. the disk fills up during the run (while it publishes); the run's own
  # files are linked aside first, so removing them frees nothing — as when
  # something else filled the disk
  pad_page "$DML"
  cp "$DM" "$TMP/latest.before"
  lines=$(wc -l <"$DLOG")
  RAG_INGEST_TEST_PUBLISH_DELAY_MS=3000 "$ING" --config "$D/params.yaml" -q --full 2>"$TMP/full2.err" &
  P=$!
  published() { tail -n +$((lines + 1)) "$DLOG" | jqe -s 'any(.event == "published")'; }
  if wait_for 60 published; then
    mkdir -p "$D/held"
    for f in "$D"/art/index/*; do ln "$f" "$D/held/" 2>/dev/null; done
    dd if=/dev/zero of="$D/filler" bs=4096 2>/dev/null
  fi
  wait $P; rc=$?
  rid=$(tail -n +$((lines + 1)) "$DLOG" | jq -r 'select(.event == "run_started") | .run_id')
  is "$rc" 1 "disk filled during the run: the run fails"
  is "$(metric_of "$DML" .run_id)/$(metric_of "$DML" .status)/$(metric_of "$DML" .published)/$(metric_of "$DML" .generation)" \
    "$rid/failed/false/null" "disk filled during the run: the metrics file's last line is that failed run's"
  check "disk filled during the run: latest.json is byte-identical" cmp -s "$DM" "$TMP/latest.before"
  rm -rf "$D/filler" "$D/held"
  "$ING" --config "$D/params.yaml" -q --full; rc=$?
  is "$rc/$(metric_of "$DML" .status)" "0/published" "with room again the next run publishes"
  check "every metrics line is whole JSON" jqe -c . "$DML"
  check "every log line is whole JSON" jqe -c . "$DLOG"
else
  for t in "full before: the run fails" "full before: says why" "full before: failed line last" "full before: no partial log line" \
           "full before: latest.json identical" "no room: the run fails" "no room: says why" "no room: line lost is said" \
           "no room: no partial line" "no room: latest.json identical" "filled during: the run fails" "filled during: failed line last" \
           "filled during: latest.json identical" "next run publishes" "metrics lines whole" "log lines whole"; do
    skip "$t" "cannot mount a tmpfs here: $(head -n 1 "$TMP/mount.err")"
  done
fi

# 2d. a file-size limit (ulimit -f; no mount needed): the write past it fails
# like a full disk (SIGXFSZ ignored), so the run fails with its line written,
# instead of being killed by the signal with nothing said
F=$TMP/fsize
mkdir -p "$F/corpus"
cp "$W"/corpus/t*.txt "$F/corpus/"
printf 'schema_version: 1\npaths: {transcripts: corpus, artifacts: art}\n' >"$F/params.yaml"
"$ING" --config "$F/params.yaml" -q
cp "$F/art/checkpoints/latest.json" "$TMP/latest.fsize"
(ulimit -f 64; exec "$ING" --config "$F/params.yaml" -q --full) 2>"$TMP/fsize.err"; rc=$?
is "$rc/$(metric_of "$F/art/logs/ingestion_metrics.jsonl" .status)/$(metric_of "$F/art/logs/ingestion_metrics.jsonl" .published)" "1/failed/false" \
  "a 64 KiB file-size limit: the run fails (exit 1, not killed by SIGXFSZ) and its failed line is the metrics file's last"
like "$(metric_of "$F/art/logs/ingestion_metrics.jsonl" .failure)" "\\.sqlite\\.tmp: disk I/O error \\(File too large\\)" \
  "a file-size limit: the failure names the file and the system's reason, not only SQLite's 'disk I/O error'"
check "a file-size limit: latest.json is byte-identical" cmp -s "$F/art/checkpoints/latest.json" "$TMP/latest.fsize"
finish
