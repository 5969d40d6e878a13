#!/usr/bin/env bash
# test_ingest_quality.sh — the golden queries in rag-ingest's runs
# (docs/specs/quality.md), with real processes and files: no golden file
# skips the evaluation with a log line; a broken golden file is a config
# error naming file:line:col; a published generation carries its figures in
# the manifest and the metrics line; a config change that really ruins
# ranking (tiny chunks on reviews whose answers need the whole document) is
# refused with exit 65, run_failed names the regressed queries, the failure
# webhook reaches a local receiver, the served generation and latest.json
# stay byte for byte; --force publishes it; a changed golden file re-evaluates
# the served generation on a no-change run; rag-ingest --eval / make eval
# print the figures and exit 65 below quality.min_ndcg.
. "$(dirname "$0")/lib.sh"
plan 36

ING=$BIN/rag-ingest
W=$TMP/w
mkdir -p "$W"
M=$W/art/checkpoints/latest.json
LOG=$W/art/logs/ingest.jsonl
metric() { tail -n 1 "$W/art/logs/ingestion_metrics.jsonl" | jq -r "$@"; }
gen() { jq -r .generation "$M"; }

# Three vendor reviews: each names the vendor at the start, a plan in the
# middle and terms at the end, with unrelated minutes in between; short notes
# repeat one of those words each. With whole-document chunks a query naming
# all three finds its review first; with 16-token chunks no chunk holds all
# three, and the dense notes outrank the review's scattered mentions.
mk_corpus() {
  local d=$1 filler filler2 a b c
  mkdir -p "$d/reviews" "$d/notes"
  filler="The meeting started late because the projector did not work, and everyone waited while facilities found a spare cable. Coffee was served, the minutes from last week were approved without changes, and two new colleagues introduced themselves to the group before the agenda began."
  filler2="After a short break the group went through the open action items one by one. Most were done, two were moved to next month, and one was dropped because nobody could remember who had asked for it in the first place."
  for v in kestrel:renewal:penalty osprey:migration:latency heron:invoice:discount; do
    IFS=: read -r a b c <<<"$v"
    printf '%s\n\n%s\n\n%s\n\n%s\n\n%s\n' \
      "Quarterly vendor review. First topic: ${a^}, our largest supplier this year." \
      "$filler" "The second topic was the ${b} plan that the supplier proposed for the coming quarter." \
      "$filler2" "Finally the group agreed on the ${c} terms and asked legal to draft them before Friday." \
      >"$d/reviews/review-$a.txt"
    printf '%s\n' "${a^} ${a} ${a}: ${a} notes, ${a} contacts, ${a} office hours." >"$d/notes/$a-notes.txt"
    printf '%s\n' "${b^} ${b} ${b}: ${b} checklist, ${b} owners, ${b} dates." >"$d/notes/$b-notes.txt"
    printf '%s\n' "${c^} ${c} ${c}: ${c} rules, ${c} examples, ${c} history." >"$d/notes/$c-notes.txt"
  done
}
mk_golden() {
  cat >"$W/golden.yaml" <<'YAML'
version: 1
queries:
  - id: kestrel-renewal-penalty
    query: kestrel renewal penalty
    relevant: [reviews/review-kestrel.txt]
  - id: osprey-migration-latency
    query: osprey migration latency
    relevant: [reviews/review-osprey.txt]
  - id: heron-invoice-discount
    query: heron invoice discount
    relevant: [reviews/review-heron.txt]
YAML
}
HOOK_PORT=0
conf() { # target_tokens [min_ndcg]
  cat >"$W/params.yaml" <<YAML
schema_version: 1
paths: {transcripts: corpus, artifacts: art}
api: {admin_listen: ""}
chunking: {target_tokens: $1, overlap_tokens: 0}
quality: {golden: golden.yaml, min_ndcg: ${2:-0}}
watch:
  receivers: [{name: hook, format: json, url_env: RAG_TEST_HOOK_URL}]
YAML
}
run() { "$ING" --config "$W/params.yaml" "$@"; }
mk_corpus "$W/corpus"
conf 256

# --- 1. no golden file: evaluation skipped, one log line, no quality in the manifest
out=$(run 2>&1); rc=$?
is "$rc" 0 "no golden file: the run publishes (exit 0)"
is "$(jq -c 'select(.event=="quality_skipped") | .payload.reason' "$LOG")" '"no golden file"' \
  "no golden file: one quality_skipped log line saying why"
is "$(jq -r 'has("quality")' "$M")" false "no golden file: the manifest has no quality object"
is "$(metric -c '[.quality_gate, .quality_ndcg_at_10, .quality_failed]')" '["skipped",null,null]' \
  "no golden file: metrics line quality_gate skipped, no figures"

# --- 2. a broken golden file is a configuration error, found before any work
printf 'version: 1\nqueries:\n  - id: a\n    query: kestrel\n    relevant: [/etc/passwd]\n' >"$W/golden.yaml"
lines_before=$(wc -l <"$LOG")
out=$(run 2>&1); rc=$?
is "$rc" 78 "golden parse error: exit 78 (invalid configuration)"
like "$out" "$W/golden.yaml:5:16: queries\[0\]\.relevant\[0\]: must be relative to paths.transcripts" \
  "golden parse error: the message names file:line:col, key and what is wrong"
is "$(wc -l <"$LOG")" "$lines_before" "golden parse error: no run was started (nothing logged)"
out=$(run --eval 2>&1); rc=$?
is "$rc" 78 "golden parse error: --eval exits 78 too"

# --- 3. with the golden file: the publish carries the figures
mk_golden
touch "$W/corpus/reviews/review-kestrel.txt" # a change, so the run builds a candidate
out=$(run --full 2>&1); rc=$?
is "$rc" 0 "golden set on whole-document chunks: published"
check "manifest quality: golden sha, 3 queries, bm25, nDCG@10 1, recall 1, MRR 1, none failed, gate passed" \
  jqe --arg sha "$(sha256sum "$W/golden.yaml" | cut -d' ' -f1)" \
  '.quality | .golden_sha256==$sha and .queries==3 and .k==10 and .mode=="bm25" and .ndcg_at_10==1 and .recall_at_k==1 and .mrr==1 and .failed==0 and .failed_queries==[] and .gate=="passed" and (.evaluated_at|type)=="string"' "$M"
is "$(metric '[.quality_ndcg_at_10, .quality_recall_at_k, .quality_mrr, .quality_failed, .quality_gate] | @tsv')" \
  "$(printf '1\t1\t1\t0\tpassed')" "metrics line carries quality_ndcg_at_10, _recall_at_k, _mrr, _failed, _gate"
is "$(jq -c 'select(.event=="quality_evaluated") | [.payload.subject, .payload.queries]' "$LOG" | tr -d '\n')" \
  '["candidate",3]["served",3]' "log: quality_evaluated for the candidate, then the served generation (no figures yet) as the baseline"
out=$(run --eval 2>&1); rc=$?
is "$rc" 0 "--eval on a good generation exits 0"
like "$out" "nDCG@10 1\.000   recall@10 1\.000   MRR 1\.000   failed 0 of 3" "--eval prints the figures"

# --- 4. the gate: tiny chunks ruin these queries -> refused, nothing changes
python3 "$ROOT/tests/integration/webhook_receiver.py" --port 0 --port-file "$W/hook.port" --log "$W/hook.jsonl" &
track_pid $!
wait_for 10 test -s "$W/hook.port" || not_ok "webhook receiver starts"
export RAG_TEST_HOOK_URL="http://127.0.0.1:$(cat "$W/hook.port")/hook"
G1=$(gen)
cp "$M" "$W/latest.before"
sha_gen_before=$(sha256sum "$W/art/index/$G1" | cut -d' ' -f1)
ls "$W/art/index" >"$W/index.before"
conf 16
out=$(run 2>&1); rc=$?
is "$rc" 65 "ruinous config change (target_tokens 16): the quality gate refuses, exit 65"
like "$out" "quality gate: nDCG@10 0\.431 of the new generation is 57% below the served generation's 1\.000" \
  "the summary says by how much it got worse"
check "latest.json is unchanged, byte for byte" cmp -s "$M" "$W/latest.before"
is "$(sha256sum "$W/art/index/$G1" | cut -d' ' -f1)" "$sha_gen_before" "the served generation file is unchanged"
is "$(ls "$W/art/index")" "$(cat "$W/index.before")" "the refused candidate was removed (no new generation, no temporary)"
failed=$(jq -c 'select(.event=="run_failed")' "$LOG" | tail -n 1)
is "$(jq -c '[.payload.regressed_queries[] | [.id, .served_ndcg_at_10, (.candidate_ndcg_at_10*1000|round)]]' <<<"$failed")" \
  '[["kestrel-renewal-penalty",1,431],["osprey-migration-latency",1,431],["heron-invoice-discount",1,431]]' \
  "run_failed names every regressed query, served vs candidate nDCG@10"
like "$(jq -r .msg <<<"$failed")" "regressed: kestrel-renewal-penalty 1\.00 -> 0\.43" "run_failed's message names them too"
is "$(metric '[.status, .quality_gate, .published] | @tsv')" "$(printf 'failed\trefused\tfalse')" \
  "metrics line: status failed, quality_gate refused"
wait_for 10 test -s "$W/hook.jsonl"
is "$(jq -c 'select(.body.source=="ingest") | [.body.check, .body.details.quality_gate, (.body.details.regressed_queries|length)]' "$W/hook.jsonl" 2>/dev/null | tail -n 1)" \
  '["last_run","refused",3]' "the failure webhook fires with the regressed queries"

# --- 5. --force publishes it anyway, marked forced
out=$(run --force 2>&1); rc=$?
is "$rc" 0 "--force: published despite the gate (exit 0)"
is "$(jq -r '[.quality.gate, (.quality.ndcg_at_10*1000|round)] | @tsv' "$M")" "$(printf 'forced\t431')" \
  "--force: the manifest records gate forced and the real figure"
is "$(jq -c 'select(.event=="quality_gate_forced") | .level' "$LOG" | tail -n 1)" '"warn"' "--force: logged as quality_gate_forced (warn)"

# --- 6. --eval / make eval on the bad generation, below min_ndcg
conf 16 0.5
out=$(run --eval 2>&1); rc=$?
is "$rc" 65 "--eval below quality.min_ndcg exits 65"
like "$out" "kestrel-renewal-penalty +0\.431 +4 +kestrel renewal penalty" "--eval lists the weak queries with the rank of their first relevant source"
out=$(make --no-print-directory -C "$ROOT" eval CONFIG="$W/params.yaml" 2>&1); rc=$?
[ "$rc" -ne 0 ] && grep -q "BELOW quality.min_ndcg 0.500" <<<"$out" && ok "make eval fails (non-zero) below min_ndcg and says so" \
  || not_ok "make eval fails (non-zero) below min_ndcg and says so" "exit $rc" "$out"
cp "$M" "$W/latest.evalcheck"
run --eval >/dev/null 2>&1
check "--eval is read-only (latest.json untouched)" cmp -s "$M" "$W/latest.evalcheck"

# --- 7. min_ndcg alone refuses too (nothing served to compare with does not matter)
conf 256 0.99
out=$(run 2>&1); rc=$?
is "$rc" 0 "back to whole-document chunks: passes min_ndcg 0.99 and max_drop (exit 0)"
is "$(jq -r .quality.gate "$M")" passed "the good generation's gate: passed"

# --- 8. a no-change run re-evaluates the served generation when the golden file changed
G2=$(gen)
sed -i 's/relevant: \[reviews\/review-heron.txt\]/relevant: [notes\/heron-notes.txt]/' "$W/golden.yaml"
out=$(run 2>&1); rc=$?
is "$rc/$(gen)" "0/$G2" "golden file changed, transcripts not: unchanged run, same generation"
check "the served generation's figures were re-measured with the new golden file (gate kept)" \
  jqe --arg sha "$(sha256sum "$W/golden.yaml" | cut -d' ' -f1)" \
  '.quality.golden_sha256==$sha and .quality.ndcg_at_10 < 1 and .quality.gate=="passed"' "$M"

# --- 9. --rollback serves the previous generation with the figures it was published with
out=$(run --rollback 2>&1); rc=$?
is "$rc" 0 "--rollback of a generation whose manifest carries quality figures (exit 0)"
is "$(jq -r '[.quality.gate, (.quality.ndcg_at_10*1000|round), (.quality.failed_queries|type)] | @tsv' "$M")" \
  "$(printf 'forced\t431\tarray')" "the rolled-back manifest has that generation's quality object, intact"
done_testing
