#!/usr/bin/env bash
# bench/console/run.sh — ragtop console benchmarks, each beside a named
# baseline measured in the same run, against a real sample stack (rag-ingest
# + rag-api on a free port, everything under a private temp folder):
#   1. `ragtop --once` vs a shell script doing the same checks
#      (curl /healthz | jq, sha256sum of the config, jq of the manifest, tail
#      of the logs): median wall time of RUNS runs each; target <= 0.5x
#   2. the console idle for IDLE s under tmux at 1 s refresh vs htop (1 s
#      delay) in the same tmux: CPU share of one core and max RSS;
#      target <= 1% and <= 16 MB
#   3. logs appended at RATE lines/s for FLOOD s: lines counted by the
#      console ("N read") vs lines written (none lost) and its CPU share, vs
#      `tail -F` on the same file; target <= 50% of a core
#   4. a 1 GiB log: time to the first frame showing log lines vs
#      `tail -n 200` on the same file; target <= 100 ms
#   5. key press to updated screen (w toggles "wrap" in the Logs title)
#      while RATE lines/s stream in, vs the same with no stream: p95 of KEYS
#      presses each, measured twice: end to end (tmux send-keys, then
#      capture-pane until the title changed; includes tmux and the polling)
#      and inside ragtop (key read to refresh() done, RAGTOP_BENCH_KEYLOG);
#      target <= 50 ms
# Env: RUNS (20), IDLE (60), RATE (20000), FLOOD (10), BIG_MB (1024), KEYS (40).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-20}; IDLE=${IDLE:-60}; RATE=${RATE:-20000}; FLOOD=${FLOOD:-10}; BIG_MB=${BIG_MB:-1024}; KEYS=${KEYS:-40}
for c in tmux curl jq python3 htop sha256sum; do
  command -v "$c" >/dev/null || { echo "bench/console: $c is missing (make deps; apt-get install htop)" >&2; exit 1; }
done
make -s all >/dev/null
BIN=$ROOT/build/bin
HELPERS=$ROOT/build/tests/helpers
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ragtop-bench-console.XXXXXX")
export XDG_CONFIG_HOME=$TMP/xdg # the console's settings.yaml: private to the run
SOCKBASE="ragtop-bench-$$"; SOCK=$SOCKBASE
cleanup() {
  local s
  for s in idle flood keys big1 big2 big3 big4 big5; do tmux -L "$SOCKBASE-$s" kill-server 2>/dev/null || true; done
  (cd "$TMP/stack" 2>/dev/null && BIN=$BIN bash "$ROOT/tests/tui/stackctl.sh" stop >/dev/null 2>&1) || true
  local j; for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
on_exit() { :; }
source "$ROOT/tests/tui/stack.sh"
calc() { awk "BEGIN { print $* }"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now_ns() { date +%s%N; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; } # utime+stime of a process
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

STACK_FILES=50 stack_init
cd "$STACK"
export BIN HELPERS
stack_ingest >/dev/null 2>&1
stack_api_start >/dev/null
sleep 0.5
echo "ragtop console benchmarks ($(nproc) cores, $(date -u +%FT%TZ))"

# ---- 1. --once vs the shell script
cat >"$TMP/checks.sh" <<SH
#!/usr/bin/env bash
# the same checks by hand: health, config hash, manifest, last runs, log tail
curl -s --max-time 2 http://127.0.0.1:$STACK_PORT/healthz | jq -r '.status, .index.generation, .index.config_hash'
sha256sum config/params.yaml
jq -r '.generation, .config_hash, .checked_at' artifacts/checkpoints/latest.json
tail -n 5 artifacts/logs/ingestion_metrics.jsonl | jq -r .status
tail -n 20 artifacts/logs/api.jsonl artifacts/logs/ingest.jsonl >/dev/null
SH
for i in $(seq "$RUNS"); do
  t=$(now_ns); "$BIN/ragtop" --once >/dev/null || true; echo $(( ($(now_ns) - t) / 1000 ))
done | median >"$TMP/once.us"
for i in $(seq "$RUNS"); do
  t=$(now_ns); bash "$TMP/checks.sh" >/dev/null; echo $(( ($(now_ns) - t) / 1000 ))
done | median >"$TMP/sh.us"
once_us=$(cat "$TMP/once.us"); sh_us=$(cat "$TMP/sh.us")
printf '1. snapshot      ragtop --once %6.1f ms   shell script (curl|jq, sha256sum, tail) %6.1f ms   ratio %.2fx (target <= 0.5x)\n' \
  "$(calc "$once_us/1000")" "$(calc "$sh_us/1000")" "$(calc "$once_us/$sh_us")"

# ---- 2. idle console vs htop
SOCK="$SOCKBASE-idle"
tmux -L "$SOCK" -f /dev/null new-session -d -s c -x 100 -y 30 "exec $BIN/ragtop --interval 1s"
tmux -L "$SOCK" new-session -d -s h -x 100 -y 30 "exec htop -d 10"
sleep 3
rp=$(tmux -L "$SOCK" display -p -t c '#{pane_pid}'); hp=$(tmux -L "$SOCK" display -p -t h '#{pane_pid}')
r0=$(ticks "$rp"); h0=$(ticks "$hp"); rmax=0; hmax=0
for _ in $(seq "$IDLE"); do
  sleep 1
  r=$(rss_kb "$rp"); [ "$r" -gt "$rmax" ] && rmax=$r
  h=$(rss_kb "$hp"); [ "$h" -gt "$hmax" ] && hmax=$h
done
r1=$(ticks "$rp"); h1=$(ticks "$hp")
printf '2. idle %ss@1s   ragtop %5.2f%% of a core, max RSS %5.1f MB   htop %5.2f%%, %5.1f MB   (target <= 1%%, <= 16 MB)\n' "$IDLE" \
  "$(calc "($r1-$r0)*100/$HZ/$IDLE")" "$(calc "$rmax/1024")" \
  "$(calc "($h1-$h0)*100/$HZ/$IDLE")" "$(calc "$hmax/1024")"
tmux -L "$SOCK" kill-server 2>/dev/null || true

# ---- 3. log flood
SOCK="$SOCKBASE-flood"
cat >"$TMP/flood.yml" <<YAML
version: 1
services:
  flood: {kind: job, logs: [$TMP/flood.log]}
YAML
: >"$TMP/flood.log"
tmux -L "$SOCK" -f /dev/null new-session -d -s c -x 120 -y 30 "exec $BIN/ragtop --interval 1s --services $TMP/flood.yml"
sleep 2
rp=$(tmux -L "$SOCK" display -p -t c '#{pane_pid}')
tail -F "$TMP/flood.log" >/dev/null 2>&1 & tp=$!
sleep 0.5
r0=$(ticks "$rp"); t0=$(ticks "$tp")
written=$(python3 "$ROOT/bench/console/logwriter.py" "$TMP/flood.log" "$RATE" "$FLOOD")
sleep 1
r1=$(ticks "$rp"); t1=$(ticks "$tp")
seen=0
for _ in $(seq 50); do
  seen=$(tmux -L "$SOCK" capture-pane -p -t c | grep -oE '[0-9,]+ read' | head -1 | cut -d' ' -f1 | tr -d ,)
  [ "${seen:-0}" -ge "$written" ] && break; sleep 0.2
done
window=$(calc "$FLOOD + 1.5")
printf '3. flood %d/s    %d written, %d counted by ragtop (%d lost); ragtop %5.1f%% of a core   tail -F %5.1f%%   (target: 0 lost, <= 50%%)\n' \
  "$RATE" "$written" "${seen:-0}" $((written - ${seen:-0})) \
  "$(calc "($r1-$r0)*100/$HZ/$window")" "$(calc "($t1-$t0)*100/$HZ/$window")"
kill "$tp" 2>/dev/null || true
tmux -L "$SOCK" kill-server 2>/dev/null || true

# ---- 4. a 1 GiB log
python3 - "$TMP/big.log" "$BIG_MB" <<'PY'
import sys
line = b'{"ts":"2026-11-28T12:00:00.000Z","level":"info","component":"bench","event":"old","msg":"an old line of a big log"}\n'
block = line * (1048576 // len(line) + 1)
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])):
        f.write(block[:1048576 - 1048576 % len(line)])
PY
cat >"$TMP/big.yml" <<YAML
version: 1
services:
  big: {kind: job, logs: [$TMP/big.log]}
YAML
cat "$TMP/big.log" >/dev/null # same page-cache state for both
firsts=(); tails=()
for i in 1 2 3 4 5; do
  SOCK="$SOCKBASE-big$i"
  rm -f "$TMP/first"
  t=$(date +%s%3N)
  tmux -L "$SOCK" -f /dev/null new-session -d -s c -x 100 -y 30 "RAGTOP_BENCH_FIRST_FRAME=$TMP/first exec $BIN/ragtop --services $TMP/big.yml"
  for _ in $(seq 100); do [ -s "$TMP/first" ] && break; sleep 0.05; done
  firsts+=($(( $(cat "$TMP/first") - t )))
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  t=$(now_ns); tail -n 200 "$TMP/big.log" >/dev/null; tails+=($(( ($(now_ns) - t) / 1000 )))
done
f=$(printf '%s\n' "${firsts[@]}" | median); tl=$(printf '%s\n' "${tails[@]}" | median)
printf '4. 1 GiB log     ragtop first frame with log lines %d ms (median of 5, incl. tmux start)   tail -n 200 %.1f ms   (target <= 100 ms)\n' \
  "$f" "$(calc "$tl/1000")"

# ---- 5. key press to updated screen, with and without a log stream
SOCK="$SOCKBASE-keys"
: >"$TMP/keys.log"
cat >"$TMP/keys.yml" <<YAML
version: 1
services:
  flood: {kind: job, logs: [$TMP/keys.log]}
YAML
tmux -L "$SOCK" -f /dev/null new-session -d -s c -x 120 -y 30 "RAGTOP_BENCH_KEYLOG=$TMP/keys.in exec $BIN/ragtop --interval 1s --services $TMP/keys.yml"
for _ in $(seq 50); do tmux -L "$SOCK" capture-pane -p -t c | grep -q "Logs  " && break; sleep 0.1; done
key_latencies() { # N: press w N times; one line per press: ms until the title changed
  local i t want got
  for i in $(seq "$1"); do
    if tmux -L "$SOCK" capture-pane -p -t c | grep -q "Logs  [a-z]*  wrap"; then want=0; else want=1; fi
    t=$(now_ns)
    tmux -L "$SOCK" send-keys -t c w
    while :; do
      got=0; tmux -L "$SOCK" capture-pane -p -t c | grep -q "Logs  [a-z]*  wrap" && got=1
      [ "$got" = "$want" ] && break
      [ $(( $(now_ns) - t )) -gt 2000000000 ] && break
    done
    echo $(( ($(now_ns) - t) / 1000 ))
    sleep 0.05
  done
}
p95() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i<1) i=1; print a[i]}'; }
key_latencies "$KEYS" >"$TMP/keys.quiet"
sleep 0.2; cp "$TMP/keys.in" "$TMP/keys.in.quiet"; nq=$(wc -l <"$TMP/keys.in")
python3 "$ROOT/bench/console/logwriter.py" "$TMP/keys.log" "$RATE" "$(calc "$KEYS * 0.2 + 4")" >/dev/null & wp=$!
sleep 1
key_latencies "$KEYS" >"$TMP/keys.flood"
wait "$wp" 2>/dev/null || true
ms() { calc "$(cat)/1000"; }
printf '5. key latency   key press to updated screen p95 %.1f ms (median %.1f) while %d lines/s stream in   same with no stream p95 %.1f ms (median %.1f)   (tmux end to end; target <= 50 ms)\n' \
  "$(p95 <"$TMP/keys.flood" | ms)" "$(median <"$TMP/keys.flood" | ms)" "$RATE" \
  "$(p95 <"$TMP/keys.quiet" | ms)" "$(median <"$TMP/keys.quiet" | ms)"
printf '                 inside ragtop (key read to refresh done) p95 %.1f ms while streaming   %.1f ms with no stream\n' \
  "$(tail -n +$((nq + 1)) "$TMP/keys.in" | p95 | ms)" "$(p95 <"$TMP/keys.in.quiet" | ms)"
tmux -L "$SOCK" kill-server 2>/dev/null || true
