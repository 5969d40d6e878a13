#!/usr/bin/env bash
# fuzz-smoke.sh — run every libFuzzer harness for a few seconds over a copy of
# its seed corpus (tests/fuzz/corpus/<name>/); any crash or sanitizer report
# fails the run. Usage: fuzz-smoke.sh FUZZ_BUILD_DIR SECONDS
set -euo pipefail
dir=$1; secs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0; n=0
for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f"); name=${name#fuzz_}
  mkdir -p "$work/$name"
  seeds="$root/tests/fuzz/corpus/$name"
  [ -d "$seeds" ] || seeds=""
  if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -artifact_prefix="$work/$name-" -print_final_stats=1 \
       "$work/$name" $seeds >"$work/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/$name.log" | awk '{print $2}') runs)"
    n=$((n + 1))
  else
    echo "fuzz $name: FAILED"; tail -n 40 "$work/$name.log"; status=1
  fi
done
echo "fuzz smoke: $n harnesses clean"
exit $status
