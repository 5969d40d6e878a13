#!/usr/bin/env bash
# test_index_segments.sh — segment correctness (docs/specs/index.md v2):
# a seeded random sequence of add / modify / delete steps is ingested
# incrementally (new segments, tombstones, merges forced early with a cap
# of 3 segments) and, after every step, rebuilt in full into a second
# artifacts folder; the same queries through the code /query runs
# (api_query helper) must give the same results — chunk ids, sources,
# texts and scores (BM25 from global statistics; exact vector scores).
# Chunks with equal scores may come in either order (their row ids
# differ), so ties are compared as sets, and a tie cut by k by count.
# Two chunk sizes: 48 tokens (a few hundred chunks: rag-api ranks in one
# statement) and 16 tokens (over 256 chunks: the two FTS5 passes with cached
# term counts). Then the migration: a v1 generation (one file) is still served, and the
# next run rebuilds it as segments and logs why.
. "$(dirname "$0")/lib.sh"
STEPS=8
plan $((STEPS * 6 + 7))

W=$TMP/w
mkdir -p "$W/corpus"
for s in inc full inc16 full16; do
  case $s in *16) tt=16 ov=2 ;; *) tt=48 ov=8 ;; esac
  cat >"$W/$s.yaml" <<YAML
schema_version: 1
paths:
  transcripts: corpus
  artifacts: art-$s
ingest:
  keep_generations: 3
chunking:
  target_tokens: $tt
  overlap_tokens: $ov
YAML
done
mutate() { # step: seeded random adds, edits and deletions of .txt files
  python3 - "$W/corpus" "$1" <<'PY'
import os, random, sys
d, step = sys.argv[1], int(sys.argv[2])
rng = random.Random(1000 + step)
vocab = [f"w{i}" for i in range(120)] + ["apple", "river", "stone", "cloud", "ember", "frost", "maple", "quartz"]
def text():
    paras = []
    for _ in range(rng.randint(1, 6)):
        paras.append(" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 60))) + ".")
    return "\n\n".join(paras) + "\n"
files = sorted(f for f in os.listdir(d))
if step == 0:
    adds, edits, dels = 40, 0, 0
else:
    adds, edits, dels = rng.randint(0, 4), rng.randint(0, 3), rng.randint(0, 3)
for f in rng.sample(files, min(dels, len(files))):
    os.remove(os.path.join(d, f)); files.remove(f)
for f in rng.sample(files, min(edits, len(files))):
    p = os.path.join(d, f)
    with open(p, "w") as fh: fh.write(text())
    st = os.stat(p); os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
n = len(os.listdir(d))
for i in range(adds):
    with open(os.path.join(d, f"s{step:02d}-{i}.txt"), "w") as fh: fh.write(text())
PY
}
QUERIES=(apple river "stone cloud" "ember frost maple" quartz w7 "w3 w5" "w11 apple" "river w20 w21" maple "cloud quartz" w99)
compare() { # mode [variant]: the same results on both artifacts folders
  local a b
  a=$("$HELPERS/api_query" --config "$W/inc${2:-}.yaml" --mode "$1" --k 8 "${QUERIES[@]}" 2>&1) || { echo "inc: $a"; return 1; }
  b=$("$HELPERS/api_query" --config "$W/full${2:-}.yaml" --mode "$1" --k 8 "${QUERIES[@]}" 2>&1) || { echo "full: $b"; return 1; }
  python3 - "$a" "$b" <<'PY'
import json, sys
A, B = [json.loads(l) for l in sys.argv[1].splitlines()], [json.loads(l) for l in sys.argv[2].splitlines()]
assert len(A) == len(B), (len(A), len(B))
def groups(res):
    out = []
    for r in res:
        key = round(r["score"], 9)
        if out and out[-1][0] == key: out[-1][1].add((r["chunk_id"], r["source"], r["text"]))
        else: out.append((key, {(r["chunk_id"], r["source"], r["text"])}))
    return out
for qi, (a, b) in enumerate(zip(A, B)):
    if len(a) != len(b): sys.exit(f"query {qi}: {len(a)} results vs {len(b)} in the full rebuild")
    ga, gb = groups(a), groups(b)
    if [g[0] for g in ga] != [g[0] for g in gb]: sys.exit(f"query {qi}: scores {[g[0] for g in ga]} vs {[g[0] for g in gb]}")
    for i, (x, y) in enumerate(zip(ga, gb)):
        if i < len(ga) - 1 and x[1] != y[1]: sys.exit(f"query {qi}: results with score {x[0]} differ")
        if len(x[1]) != len(y[1]): sys.exit(f"query {qi}: tie sizes differ")
if not any(A): sys.exit("no query matched anything: the comparison would prove nothing")
PY
}
max_segs=0; tomb_seen=0; merged_seen=0
for step in $(seq 0 $((STEPS - 1))); do
  mutate "$step"
  RAG_INGEST_TEST_MAX_SEGMENTS=3 "$BIN/rag-ingest" --config "$W/inc.yaml" --quiet; rc1=$?
  RAG_INGEST_TEST_MAX_SEGMENTS=3 "$BIN/rag-ingest" --config "$W/inc16.yaml" --quiet; rc3=$?
  rm -rf "$W/art-full" "$W/art-full16"
  "$BIN/rag-ingest" --config "$W/full.yaml" --quiet; rc2=$?
  "$BIN/rag-ingest" --config "$W/full16.yaml" --quiet; rc4=$?
  n48=$(jq .chunks "$W/art-inc/checkpoints/latest.json"); n16=$(jq .chunks "$W/art-inc16/checkpoints/latest.json")
  is "$rc1/$rc2/$rc3/$rc4/$((n48 <= 256))/$((n16 > 256))" 0/0/0/0/1/1 \
    "step $step: incremental and full runs succeed ($n48 and $n16 chunks: one side of rag-api's 256-chunk switch each)"
  G=$W/art-inc/index/$(jq -r .generation "$W/art-inc/checkpoints/latest.json")
  nseg=$(gen_segments "$G" | wc -l)
  check "step $step: at most 3 segments ($nseg)" test "$nseg" -le 3
  [ "$nseg" -gt "$max_segs" ] && max_segs=$nseg
  [ "$(sqlite3 "$G" 'select count(*) from tombstones')" -gt 0 ] && tomb_seen=1
  ls "$W/art-inc/index" | grep -qE '^seg-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}-[0-9]+\.sqlite$' && merged_seen=1
  out=$(compare bm25 2>&1); check "step $step: bm25 results equal the full rebuild's${out:+ ($out)}" test -z "$out"
  out=$(compare vector 2>&1); check "step $step: vector results equal the full rebuild's${out:+ ($out)}" test -z "$out"
  out=$(compare bm25 16 2>&1); check "step $step: 16-token chunks: bm25 results equal the full rebuild's${out:+ ($out)}" test -z "$out"
  out=$(compare vector 16 2>&1); check "step $step: 16-token chunks: vector results equal the full rebuild's${out:+ ($out)}" test -z "$out"
done
check "the sequence used several segments at once (max $max_segs)" test "$max_segs" -ge 2
is "$tomb_seen/$merged_seen" 1/1 "the sequence used tombstones and merges"
named=$(for g in "$W"/art-inc/index/gen-*; do gen_segments "$g"; done | xargs -n1 basename | sort -u | tr '\n' ' ')
is "$(ls "$W/art-inc/index" | grep '^seg-' | sort | tr '\n' ' ')" "$named" "only segments a kept generation names are on disk"

# migration: a v1 generation (one self-contained file, written by the
# api_mkindex fixture) is read as it is, then rebuilt as segments
V=$TMP/v1
mkdir -p "$V" && cp -r "$W/corpus" "$V/corpus"
sed -e "s|art-inc|art|" "$W/inc.yaml" >"$V/p.yaml"
"$HELPERS/api_mkindex" --config "$V/p.yaml" --from "$V/corpus" >/dev/null 2>&1
G1=$V/art/index/$(jq -r .generation "$V/art/checkpoints/latest.json")
is "$(sqlite3 "$G1" "select value from meta where key='index_schema_version'")/$("$HELPERS/api_query" --config "$V/p.yaml" --k 8 apple | jq length)" "1/8" \
  "a v1 generation is served as it is (8 results)"
"$BIN/rag-ingest" --config "$V/p.yaml" --quiet; rc=$?
is "$rc/$(tail -n 1 "$V/art/logs/ingestion_metrics.jsonl" | jq -r '.full_reason | startswith("index schema migration")')" "0/true" \
  "the next run rebuilds it in full: full_reason says index schema migration"
check "and logs an index_migration event" grep -q '"event":"index_migration"' "$V/art/logs/ingest.jsonl"
G2=$V/art/index/$(jq -r .generation "$V/art/checkpoints/latest.json")
is "$(sqlite3 "$G2" "select value from meta where key='index_schema_version'")/$(gen_segments "$G2" | wc -l)/$(jq .index_schema_version "$V/art/checkpoints/latest.json")" "2/1/2" \
  "the new generation is v2 with one segment"
done_testing
