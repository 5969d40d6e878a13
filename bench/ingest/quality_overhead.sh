#!/usr/bin/env bash
# bench/ingest/quality_overhead.sh — what the golden-query evaluation adds to
# a full ingest of the sample corpus (data/transcripts with config/golden.yaml,
# docs/specs/quality.md). Each run is a first ingest into an empty artifacts
# folder (scan, parse, chunk, embed, write, evaluate the candidate, publish),
# timed as a whole process; runs with and without the golden file alternate,
# so load on the machine hits both alike. Prints the medians and their ratio.
# Target: ratio <= 1.10 (evaluation adds at most 10%).
# Usage: bench/ingest/quality_overhead.sh [RUNS]   (default 21; needs `make` first)
#   TRANSCRIPTS=DIR measures on another folder (e.g. one made by scripts/gen-corpus):
#   the golden queries then find other documents, but cost the same work.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-21}
SRC=${TRANSCRIPTS:-$ROOT/data/transcripts}
ING=$ROOT/build/bin/rag-ingest
[ -x "$ING" ] || { echo "build first: make" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ragtop-bench-quality.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for arm in with without; do
  golden=$([ $arm = with ] && echo "$ROOT/config/golden.yaml" || echo '""')
  sed -e "s#^  transcripts: .*#  transcripts: $SRC#" \
      -e "s#^  artifacts: .*#  artifacts: $WORK/art-$arm#" \
      -e "s#^  golden: .*#  golden: $golden#" \
      -e 's#^  admin_listen: .*#  admin_listen: ""#' "$ROOT/config/params.yaml" >"$WORK/$arm.yaml"
done
one() { # arm -> milliseconds of one full ingest into empty artifacts
  rm -rf "$WORK/art-$1"
  local t0 t1
  t0=$(date +%s%N)
  timeout 600 "$ING" --config "$WORK/$1.yaml" --quiet
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: >"$WORK/with.us"; : >"$WORK/without.us"
one with >/dev/null; one without >/dev/null # warm the page cache
for _ in $(seq "$RUNS"); do
  one without >>"$WORK/without.us"
  one with >>"$WORK/with.us"
done
jq -e '.quality.queries > 0' "$WORK/art-with/checkpoints/latest.json" >/dev/null \
  || { echo "the run with the golden file did not evaluate" >&2; exit 1; }
eval_ms=$(jq -r 'select(.event=="quality_evaluated") | .payload.elapsed_ms' "$WORK/art-with/logs/ingest.jsonl" | tail -n 1)
files=$(find "$SRC" -type f | wc -l)
queries=$(jq -r .quality.queries "$WORK/art-with/checkpoints/latest.json")
w=$(median <"$WORK/with.us"); wo=$(median <"$WORK/without.us")
echo "corpus: $files files ($SRC), $queries golden queries, $RUNS runs per arm, $(nproc) cores"
printf 'full ingest, no golden file (baseline): median %8.2f ms\n' "$(awk -v v="$wo" 'BEGIN { print v / 1000 }')"
printf 'full ingest + evaluation:               median %8.2f ms  (evaluation itself: %s ms in the last run)\n' \
  "$(awk -v v="$w" 'BEGIN { print v / 1000 }')" "$eval_ms"
awk -v a="$w" -v b="$wo" 'BEGIN { r = a / b; printf "ratio with/without (medians): %.3f (target <= 1.10): %s\n", r, (r <= 1.10 ? "MET" : "NOT MET") }'
# the fastest run of each arm: least disturbed by other load on the machine
wmin=$(sort -n "$WORK/with.us" | head -n 1); womin=$(sort -n "$WORK/without.us" | head -n 1)
awk -v a="$wmin" -v b="$womin" 'BEGIN { printf "fastest runs: %.2f ms vs %.2f ms, ratio %.3f\n", a / 1000, b / 1000, a / b }'
