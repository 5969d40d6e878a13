#!/usr/bin/env bash
# test_manifest_crash.sh — crash safety of the manifest writer, with real
# processes: a helper rewrites latest.json in a loop (alternating two valid
# manifests A and B) and is SIGKILLed at random moments of its rewrites
# (0-24 ms after its first write), RAG_CRASH_TRIALS
# times (default 250). After every kill a separate reader process must load
# A or B, whole and valid; each kill may leave at most one temp file (the
# one being written at that instant), and rag_atomic_cleanup removes those.
# Also: a reader polling while the writer runs only ever sees A or B.
source "$(dirname "$0")/lib.sh"
TRIALS=${RAG_CRASH_TRIALS:-250}
plan 6

dir=$TMP/artifacts/checkpoints
mkdir -p "$dir"
M=$dir/latest.json
churn=$HELPERS/manifest_churn
reader=$HELPERS/manifest_read

"$churn" "$M" 1 >/dev/null && A=$("$reader" "$M")
"$churn" "$M" 2 >/dev/null && B=$("$reader" "$M")
if [ -n "$A" ] && [ -n "$B" ] && [ "$A" != "$B" ]; then
  ok "helpers write and read two distinct valid manifests"
else
  not_ok "helpers write and read two distinct valid manifests" "A=$A"$'\n'"B=$B"
  done_testing
fi
diag "A: $A" "B: $B"

n_a=0; n_b=0; bad=0; first_bad=""; stray=0; left=0; prev_temps=0
t0=$SECONDS
for ((i = 1; i <= TRIALS; i++)); do
  : >"$TMP/churn.out"
  "$churn" "$M" >"$TMP/churn.out" 2>/dev/null &
  pid=$!
  # its first write done ("ready"; up to 10 s: a sanitizer build on a
  # loaded machine can take longer to start than the whole kill window),
  # then 0-24 ms into its rewrites
  for ((w = 0; w < 1000; w++)); do
    [ -s "$TMP/churn.out" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  sleep "0.0$(printf '%02d' $((RANDOM % 25)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  out=$("$reader" "$M" 2>&1); rc=$?
  if [ $rc -eq 0 ] && [ "$out" = "$A" ]; then n_a=$((n_a + 1))
  elif [ $rc -eq 0 ] && [ "$out" = "$B" ]; then n_b=$((n_b + 1))
  else
    bad=$((bad + 1)); [ -n "$first_bad" ] || first_bad="trial $i: exit $rc: $out"
  fi
  temps=$(find "$dir" -name 'latest.json.tmp.*' | wc -l)
  new=$((temps - prev_temps))
  [ $new -gt 1 ] && stray=$((stray + 1))
  [ $new -eq 1 ] && left=$((left + 1))
  prev_temps=$temps
done
diag "$TRIALS kills in $((SECONDS - t0))s: read A $n_a times, B $n_b times, invalid $bad;" \
     "$left kills landed mid-write (left a temp file)"

if [ $bad -eq 0 ] && [ $((n_a + n_b)) -eq "$TRIALS" ]; then
  ok "after $TRIALS SIGKILLs every read yields manifest A or B, whole and valid"
else
  not_ok "after $TRIALS SIGKILLs every read yields manifest A or B, whole and valid" "$bad invalid; first: $first_bad"
fi
if [ $n_a -gt 0 ] && [ $n_b -gt 0 ]; then
  ok "kills landed at different moments (both manifests observed)"
else
  not_ok "kills landed at different moments (both manifests observed)" "A=$n_a B=$n_b"
fi
if [ $stray -eq 0 ]; then
  ok "each kill leaves at most the one temp file being written"
else
  not_ok "each kill leaves at most the one temp file being written" "$stray kills left more than one"
fi

temps=$(find "$dir" -name 'latest.json.tmp.*' | wc -l)
# an age limit longer than the kill loop has run: every leftover is younger
young=$("$reader" --cleanup "$M" $(((SECONDS - t0 + 60) * 1000)))
removed=$("$reader" --cleanup "$M" 0)
after=$(find "$dir" -name 'latest.json.tmp.*' | wc -l)
out=$("$reader" "$M" 2>&1)
if [ "$young" = 0 ] && [ "$removed" = "$temps" ] && [ "$after" = 0 ] && { [ "$out" = "$A" ] || [ "$out" = "$B" ]; }; then
  ok "rag_atomic_cleanup removes the $temps leftover temp files (none younger than the age limit) and keeps the manifest"
else
  not_ok "rag_atomic_cleanup removes leftover temp files and keeps the manifest" \
    "temps=$temps young-removed=$young removed=$removed after=$after read=$out"
fi

"$churn" "$M" >/dev/null 2>&1 &
pid=$!
"$reader" "$M" 3000 >"$TMP/reads" 2>&1; rc=$?
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
others=$(grep -vxF -e "$A" -e "$B" "$TMP/reads" | head -3)
total=$(wc -l <"$TMP/reads")
if [ $rc -eq 0 ] && [ -z "$others" ] && [ "$total" -eq 3000 ]; then
  ok "a reader polling during 3000 loads of continuous rewrites only sees A or B"
  diag "concurrent reads: A $(grep -cxF "$A" "$TMP/reads"), B $(grep -cxF "$B" "$TMP/reads")"
else
  not_ok "a reader polling during continuous rewrites only sees A or B" "exit $rc, $total reads; unexpected: $others"
fi
done_testing
