#!/usr/bin/env bash
# bench/ingest/bench.sh — rag-ingest throughput, rerun latency and memory on a
# generated corpus (scripts/gen-corpus; default 20000 files / 200 MB, kept in
# /tmp between runs), side by side with two baselines measured in the same
# run: `cat` of the corpus (read ceiling) and the sqlite3 shell bulk-loading
# the same files into an FTS5 table in one transaction (storage ceiling).
# Targets: >= 10 MB/s and >= 0.9x the sqlite3 baseline (issue 16) for a full ingest with
# the hashing embedder; no-change rerun <= 1 s; peak RSS <= 256 MB whatever
# the corpus size (also measured on a 10x smaller corpus); one-file-changed
# rerun <= 0.5 s and <= 10 MB written (the kernel's write_bytes for the run,
# /proc/PID/io), beside the baseline of index v1, which wrote a complete new
# generation per change: a `cp` of the whole index, measured in the same run.
# Every rerun must stat every file (size and mtime decide what changed), so
# the reruns are also shown beside that floor: `find -printf '%s %T@'` of the
# corpus, and with their CPU time (user+sys), which a busy machine inflates
# less than the wall time.
# Usage: bench/ingest/bench.sh [FILES] [MB]     (needs `make` first)
#        SCALE=5 bench/ingest/bench.sh         (100k files / 1 GB; takes minutes)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCALE=${SCALE:-1}
FILES=${1:-$((20000 * SCALE))}
MB=${2:-$((200 * SCALE))}
ING=$ROOT/build/bin/rag-ingest
[ -x "$ING" ] || { echo "build first: make" >&2; exit 1; }
LIMIT=${BENCH_STEP_TIMEOUT:-900}   # seconds per step, so the bench is bounded
CORPUS=/tmp/ragtop-bench-corpus-$FILES-$MB
SMALL=/tmp/ragtop-bench-corpus-$((FILES / 10))-$((MB / 10))
WORK=$(mktemp -d /tmp/ragtop-bench-ingest.XXXXXX)
one=
# a bench that stops half way puts back the corpus file it changes
trap '[ -n "$one" ] && [ -f "$WORK/one.bak" ] && cp "$WORK/one.bak" "$one"; rm -rf "$WORK"' EXIT

gen() { # dir files mb
  if [ ! -f "$1/.complete" ]; then
    rm -rf "$1"
    timeout "$LIMIT" python3 "$ROOT/scripts/gen-corpus" --out "$1" --files "$2" --mb "$3" --seed 2026
    touch "$1/.complete"
  fi
}
gen "$CORPUS" "$FILES" "$MB"
gen "$SMALL" $((FILES / 10)) $((MB / 10))
bytes=$(find "$CORPUS" -type f ! -name .complete -printf '%s\n' | awk '{s+=$1} END {print s}')
nfiles=$(find "$CORPUS" -type f ! -name .complete | wc -l)
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
echo "corpus: $nfiles files, $mb MB ($CORPUS)"
echo "machine: $(nproc) cores, $(uname -r); sqlite $(sqlite3 --version | cut -d' ' -f1)"

# seconds, peak RSS (KB) and CPU seconds (user+sys) of a command: prints "secs kb cpu"
measure() {
  local out=$WORK/time.out
  /usr/bin/time -f '%e %M %U %S' -o "$out" timeout "$LIMIT" "$@" >/dev/null 2>"$WORK/err" || {
    echo "command failed: $*" >&2; cat "$WORK/err" >&2; exit 1; }
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$out"
}
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
# bytes a command caused to be written to storage: a shell reaps it, and the
# kernel adds a reaped child's I/O counters to its parent's /proc/PID/io
write_bytes() {
  sh -c '"$@" >/dev/null 2>&1 || exit 1; grep "^write_bytes" /proc/$$/io | cut -d" " -f2' _ "$@"
}

conf() { # corpus artifacts -> config path
  cat >"$WORK/$2.yaml" <<YAML
schema_version: 1
paths: {transcripts: "$1", artifacts: "$WORK/$2"}
ingest: {max_file_size: 64MiB}
YAML
  echo "$WORK/$2.yaml"
}

# warm the page cache so every contender reads from memory
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null

# baseline 1: cat (median of 3)
c=(); for _ in 1 2 3; do c+=("$(measure sh -c "find '$CORPUS' -type f -print0 | xargs -0 cat" | cut -d' ' -f1)"); done
cat_s=$(median3 "${c[@]}")
# baseline: the stat floor of a rerun, find printing every file's size and mtime (median of 3)
f=(); fc=(); for _ in 1 2 3; do read -r s _ u < <(measure find "$CORPUS" -type f -printf '%s %T@\n'); f+=("$s"); fc+=("$u"); done
find_s=$(median3 "${f[@]}"); find_cpu=$(median3 "${fc[@]}")

# baseline 2: sqlite3 shell, FTS5 (porter unicode61), one transaction
find "$CORPUS" -type f ! -name .complete | sort >"$WORK/paths.txt"
cat >"$WORK/load.sql" <<SQL
CREATE TABLE paths(p TEXT);
.import $WORK/paths.txt paths
CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61');
BEGIN;
INSERT INTO t(text) SELECT readfile(p) FROM paths;
COMMIT;
SQL
# rag-ingest: full ingest (3 rounds alternated with the sqlite3 baseline, so a
# noisy neighbour hits both alike; the ratio is the median of the rounds' own
# ratios, the times are medians, the RSS the highest), no-change rerun
# (median of 3), one file changed
cfg=$(conf "$CORPUS" art)
sq=(); fu=(); ra=(); sql_kb=0; full_kb=0
for _ in 1 2 3; do
  read -r s kb _ < <(measure sqlite3 "$WORK/fts.db" ".read $WORK/load.sql")
  rm -f "$WORK/fts.db"; sq+=("$s"); [ "$kb" -gt "$sql_kb" ] && sql_kb=$kb
  rm -rf "$WORK/art"
  read -r f kb _ < <(measure "$ING" --config "$cfg" -q)
  fu+=("$f"); [ "$kb" -gt "$full_kb" ] && full_kb=$kb
  ra+=("$(awk -v a="$s" -v b="$f" 'BEGIN {printf "%.3f", a / b}')")
done
sql_s=$(median3 "${sq[@]}"); full_s=$(median3 "${fu[@]}"); ratio=$(median3 "${ra[@]}")
gen_bytes=$(du -cb "$WORK"/art/index/*.sqlite | tail -n 1 | awk '{print $1}')
chunks=$(jq .chunks "$WORK/art/checkpoints/latest.json")
r=(); rc=(); for _ in 1 2 3; do read -r s _ u < <(measure "$ING" --config "$cfg" -q); r+=("$s"); rc+=("$u"); done
nochange_s=$(median3 "${r[@]}"); nochange_cpu=$(median3 "${rc[@]}")
[ "$(tail -n 1 "$WORK/art/logs/ingestion_metrics.jsonl" | jq -r .status)" = unchanged ] || { echo "rerun was not 'unchanged'" >&2; exit 1; }
one=$(find "$CORPUS" -name '*.txt' | sort | sed -n 1p)
cp "$one" "$WORK/one.bak"
# one file changed, three times (each run publishes a generation; median of 3)
o=(); oc=(); one_kb=0
for i in 1 2 3; do
  echo "Bench: one more line ($i)." >>"$one"
  sync
  read -r s kb u < <(measure "$ING" --config "$cfg" -q)
  o+=("$s"); oc+=("$u"); [ "$kb" -gt "$one_kb" ] && one_kb=$kb
  processed=$(tail -n 1 "$WORK/art/logs/ingestion_metrics.jsonl" | jq -r .transcripts_processed)
  [ "$processed" = 1 ] || { echo "one-file-changed run processed $processed files" >&2; exit 1; }
done
one_s=$(median3 "${o[@]}"); one_cpu=$(median3 "${oc[@]}")
# the same change again (restored file), counting the bytes the run wrote
cp "$WORK/one.bak" "$one"; sync; touch "$WORK/mark"
one_wb=$(write_bytes "$ING" --config "$cfg" -q)
new_files=$(find "$WORK/art/index" -newer "$WORK/mark" -name '*.sqlite' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
rm -f "$CORPUS/.complete"; touch "$CORPUS/.complete"
segments=$(find "$WORK/art/index" -name 'seg-*.sqlite' | wc -l)
# baseline: what index v1 wrote per change, a complete copy of the index
sync
read -r copy_s _ < <(measure cp -r "$WORK/art/index" "$WORK/index-copy")
copy_wb=$(write_bytes cp -r "$WORK/art/index" "$WORK/index-copy2")
rm -rf "$WORK/art" "$WORK/index-copy" "$WORK/index-copy2"

# the same full ingest on a 10x smaller corpus: RSS should not grow with size
small_mb=$(find "$SMALL" -type f ! -name .complete -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s / 1e6}')
cfg2=$(conf "$SMALL" small)
read -r small_s small_kb _ < <(measure "$ING" --config "$cfg2" -q)

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.1f", (s > 0 ? b / 1e6 / s : 0)}'; }
verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo FAIL; fi; }
full_rate=$(rate "$full_s"); sql_rate=$(rate "$sql_s"); cat_rate=$(rate "$cat_s")
echo
printf '%-44s %10s %10s %10s\n' "measurement" "seconds" "MB/s" "peak RSS"
printf '%-44s %10s %10s %10s\n' "baseline: cat of the corpus (median of 3)" "$cat_s" "$cat_rate" "-"
printf '%-44s %10s %10s %10s\n' "baseline: find -printf size mtime (stat floor)" "$find_s" "-" "-"
printf '%-44s %10s %10s %9dM\n' "baseline: sqlite3 shell, FTS5, 1 txn (median 3)" "$sql_s" "$sql_rate" $((sql_kb / 1024))
printf '%-44s %10s %10s %9dM\n' "rag-ingest full ingest (hashing, median of 3)" "$full_s" "$full_rate" $((full_kb / 1024))
printf '%-44s %10s %10s %10s\n' "rag-ingest no-change rerun (median of 3)" "$nochange_s" "-" "-"
printf '%-44s %10s %10s %9dM\n' "rag-ingest one-file-changed (median of 3)" "$one_s" "-" $((one_kb / 1024))
printf '%-44s %10s %10s %10s\n' "baseline: cp of the whole index (v1 per change)" "$copy_s" "-" "-"
printf '%-44s %10s %10s %9dM\n' "rag-ingest full ingest, $small_mb MB corpus" "$small_s" "-" $((small_kb / 1024))
echo
echo "generation: $chunks chunks, $((gen_bytes / 1000000)) MB; one-file rerun processed $processed file(s)"
echo "full ingest: $full_rate MB/s (target >= 10)                     $(verdict "$full_rate >= 10")"
echo "full ingest vs sqlite3 FTS5 baseline: ${ratio}x (median of rounds ${ra[*]}; target >= 0.9)  $(verdict "$ratio >= 0.9")"
echo "no-change rerun over $nfiles files: ${nochange_s}s (target <= 1)   $(verdict "$nochange_s <= 1")"
echo "  beside the stat floor (find -printf): ${find_s}s; CPU (user+sys): rerun ${nochange_cpu}s, find ${find_cpu}s"
mbw() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1e6}'; }
echo "one-file-changed rerun over $nfiles files: ${one_s}s (target <= 0.5)   $(verdict "$one_s <= 0.5")"
echo "  beside the stat floor (find -printf): ${find_s}s; CPU (user+sys): ${one_cpu}s; machine load (1 min): $(cut -d' ' -f1 /proc/loadavg)"
echo "one-file-changed rerun wrote $(mbw "$one_wb") MB (write_bytes; new index files $(mbw "$new_files") MB; target <= 10)  $(verdict "$one_wb <= 10000000")"
echo "  baseline v1 (a whole new generation per change): cp of the index ${copy_s}s, $(mbw "$copy_wb") MB written; index has $segments segment file(s)"
echo "peak RSS: $((full_kb / 1024)) MB at $mb MB, $((small_kb / 1024)) MB at $small_mb MB (target <= 256)  $(verdict "$full_kb <= 262144 && $one_kb <= 262144")"
