#!/usr/bin/env bash
# test_pidfile_identity.sh — the Makefile's stop targets signal only their
# own stack's processes (docs/specs/services.md "pidfile", scripts/pidlib.sh):
# a stale pidfile naming another stack's rag-api or `rag-ingest --watch`, a
# pidfile with a bare pid (an unrelated process, or 0 = make's own process
# group), are stale; `make stop CONFIG=<named config that does not load>`
# stops that config's stack (paths.artifacts read leniently) or refuses,
# never the default stack; a paths.artifacts with a space or a `$(...)` is a
# folder name, never shell code. CONFIG itself with a space, `$(...)`, `;`,
# quotes, from the command line or the environment, is one argument, never
# code (make's nor the shell's). A pid file in daemon.sh's format before the
# upgrade (pid, program) is honoured only while that pid runs that program
# with this stack's config. Two private stacks (a, b) on free ports.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
plan 17

out=$TMP/out
mkstack() { # NAME ARTIFACTS — a private config: own transcripts copy, free ports
  local d=$TMP/$1
  mkdir -p "$d/tr"
  cp "$ROOT"/data/transcripts/talks/* "$d/tr/"
  sed -e "s#^  transcripts: .*#  transcripts: $d/tr#" \
      -e "s#^  artifacts: .*#  artifacts: \"$2\"#" \
      -e "s#^  listen: .*#  listen: 127.0.0.1:$(free_port)#" \
      -e "s#^  admin_listen: .*#  admin_listen: 127.0.0.1:$(free_port)#" \
      "$ROOT/config/params.yaml" >"$d/params.yaml"
}
M() { make --no-print-directory -C "$ROOT" "$@"; }
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
pid_of() { head -n 1 "$1" 2>/dev/null | tr -cd '0-9'; }

for s in a b; do
  mkstack "$s" "$TMP/$s/art"
  on_exit "make --no-print-directory -C '$ROOT' CONFIG='$TMP/$s/params.yaml' stop >/dev/null 2>&1"
done
CA=$TMP/a/params.yaml CB=$TMP/b/params.yaml
RA=$TMP/a/art/run RB=$TMP/b/art/run

# --- A: another stack's rag-api behind a stale pidfile -----------------------
M CONFIG="$CA" api >"$out" 2>&1 && M CONFIG="$CB" api >>"$out" 2>&1
pa=$(pid_of "$RA/rag-api.pid") pb=$(pid_of "$RB/rag-api.pid")
for p in $pa $pb; do track_pid "$p"; done
if [ -n "$pa" ] && [ -n "$pb" ] && alive "$pa" && alive "$pb"; then ok "two stacks' rag-api run (pids $pa, $pb)"
else not_ok "two stacks' rag-api run" "$(cat "$out")"; fi
kill -KILL "$pa" 2>/dev/null; wait_for 20 gone "$pa"
echo "$pb" >"$RA/rag-api.pid"
M CONFIG="$CA" stop-api >"$out" 2>&1; rc=$?
if [ $rc = 0 ] && alive "$pb" && grep -q "rag-api is not running" "$out" && [ ! -e "$RA/rag-api.pid" ]; then
  ok "make stop-api: a stale pidfile naming stack b's rag-api is removed, b's rag-api keeps running"
else not_ok "make stop-api: a stale pidfile naming stack b's rag-api leaves it running" "rc=$rc" "$(cat "$out")"; fi

# --- A: another stack's rag-ingest --watch behind a stale pidfile ------------
M CONFIG="$CA" ingest-cron >"$out" 2>&1 && M CONFIG="$CB" ingest-cron >>"$out" 2>&1
ca=$(pid_of "$RA/rag-ingest-cron.pid") cb=$(pid_of "$RB/rag-ingest-cron.pid")
for p in $ca $cb; do track_pid "$p"; done
if [ -n "$ca" ] && [ -n "$cb" ] && alive "$ca" && alive "$cb"; then ok "two stacks' rag-ingest --watch run (pids $ca, $cb)"
else not_ok "two stacks' rag-ingest --watch run" "$(cat "$out")"; fi
if M CONFIG="$CA" stop-ingest-cron >"$out" 2>&1 && wait_for 20 gone "$ca" && alive "$cb"; then
  ok "make stop-ingest-cron stops its own stack's rag-ingest --watch, not the other's"
else not_ok "make stop-ingest-cron stops its own stack's rag-ingest --watch" "$(cat "$out")"; fi
# the pidfile a's daemon.sh wrote, its pid now b's (a reused pid)
M CONFIG="$CA" ingest-cron >"$out" 2>&1; ca=$(pid_of "$RA/rag-ingest-cron.pid")
[ -z "$ca" ] || track_pid "$ca"
kill -KILL "$ca" 2>/dev/null; wait_for 20 gone "$ca"
sed -i "1s/.*/$cb/" "$RA/rag-ingest-cron.pid"
M CONFIG="$CA" stop-ingest-cron >"$out" 2>&1; rc=$?
if [ $rc = 0 ] && alive "$cb" && grep -q "not running" "$out"; then
  ok "make stop-ingest-cron: a's pidfile with b's pid (same program, b's config) does not stop b"
else not_ok "make stop-ingest-cron: a's pidfile with b's pid does not stop b" "rc=$rc" "$(cat "$out")"; fi
echo "$cb" >"$RA/rag-ingest-cron.pid"
M CONFIG="$CA" stop-ingest-cron >"$out" 2>&1; rc=$?
if [ $rc = 0 ] && alive "$cb"; then ok "make stop-ingest-cron: a bare pid of b's rag-ingest --watch does not stop it"
else not_ok "make stop-ingest-cron: a bare pid of b's rag-ingest --watch does not stop it" "rc=$rc" "$(cat "$out")"; fi

# --- B: a bare pid, pid 0 ----------------------------------------------------
sleep 300 & other=$!
echo "$other" >"$RA/ragtop-watch.pid"
M CONFIG="$CA" stop-watch >"$out" 2>&1; rc=$?
if [ $rc = 0 ] && alive "$other" && grep -q "not running" "$out"; then ok "make stop-watch: a pidfile with a bare pid of an unrelated process does not signal it"
else not_ok "make stop-watch: a bare pid of an unrelated process is not signalled" "rc=$rc" "$(cat "$out")"; fi
kill "$other" 2>/dev/null
echo 0 >"$RA/ragtop-watch.pid"
setsid bash -c 'make --no-print-directory -C "$1" CONFIG="$2" stop-watch' _ "$ROOT" "$CA" >"$out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "not running" "$out"; then ok "make stop-watch: pid 0 in the pidfile is stale, make is not killed (exit 0)"
else not_ok "make stop-watch: pid 0 in the pidfile is stale, make is not killed" "rc=$rc" "$(cat "$out")"; fi

# --- C: a named config that does not load ------------------------------------
mkstack c "$TMP/c/art"; CC=$TMP/c/params.yaml
on_exit "make --no-print-directory -C '$ROOT' CONFIG='$CC' stop >/dev/null 2>&1"
M CONFIG="$CC" api >"$out" 2>&1; pc=$(pid_of "$TMP/c/art/run/rag-api.pid")
[ -z "$pc" ] || track_pid "$pc"
sed -i 's/^  target_tokens: 256/  target_tokens: 2/' "$CC"
M CONFIG="$CC" stop >"$out" 2>&1; rc=$?
if [ -n "$pc" ] && [ $rc = 0 ] && wait_for 20 gone "$pc" && alive "$pb" && ! grep -q "$ROOT/artifacts" "$out"; then
  ok "make stop with a named broken config stops that config's stack (its paths.artifacts), not another"
else not_ok "make stop with a named broken config stops that config's stack" "rc=$rc pc=$pc" "$(cat "$out")"; fi
sed -i 's/^  artifacts: .*/  artifacts: [not, a, path]/' "$CC"
M CONFIG="$CC" stop >"$out" 2>&1; rc=$?
if [ $rc != 0 ] && grep -q "cannot be read" "$out" && ! grep -q "$ROOT/artifacts" "$out"; then
  ok "make stop with a named config whose paths.artifacts cannot be read refuses (exit $rc)"
else not_ok "make stop with an unreadable named config refuses" "rc=$rc" "$(cat "$out")"; fi
M CONFIG="$TMP/no-such.yaml" stop >"$out" 2>&1; rc=$?
if [ $rc != 0 ] && grep -q "cannot be read" "$out"; then ok "make stop with a named config that does not exist refuses (exit $rc)"
else not_ok "make stop with a named config that does not exist refuses" "rc=$rc" "$(cat "$out")"; fi

# --- D: paths.artifacts with a space, with $(...) -----------------------------
mkstack d "$TMP/d/art sp"; CD=$TMP/d/params.yaml
on_exit "make --no-print-directory -C '$ROOT' CONFIG='$CD' stop >/dev/null 2>&1"
M CONFIG="$CD" api >"$out" 2>&1 && M CONFIG="$CD" ingest-cron >>"$out" 2>&1; rc=$?
pd=$(pid_of "$TMP/d/art sp/run/rag-api.pid") cd_=$(pid_of "$TMP/d/art sp/run/rag-ingest-cron.pid")
for p in $pd $cd_; do track_pid "$p"; done
M CONFIG="$CD" stop >>"$out" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && [ -n "$pd" ] && [ -n "$cd_" ] && wait_for 20 gone "$pd" && wait_for 20 gone "$cd_"; then
  ok "paths.artifacts with a space: make api, ingest-cron and stop work"
else not_ok "paths.artifacts with a space: make api, ingest-cron and stop work" "rc=$rc rc2=$rc2" "$(cat "$out")"; fi
# shellcheck disable=SC2016 # literally $(...): a folder name, never run
mkstack e "$TMP/e/a\$(touch\${IFS}$TMP/PWNED)"; CE=$TMP/e/params.yaml
on_exit "make --no-print-directory -C '$ROOT' CONFIG='$CE' stop >/dev/null 2>&1"
M CONFIG="$CE" api >"$out" 2>&1; rc=$?
pe=$(pid_of "$TMP/e/a\$(touch\${IFS}$TMP/PWNED)/run/rag-api.pid"); [ -z "$pe" ] || track_pid "$pe"
M CONFIG="$CE" stop >>"$out" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && [ ! -e "$TMP/PWNED" ] && grep -q "rag-api stopped" "$out"; then
  ok "paths.artifacts holding \$(...): make api and stop treat it as a folder name, never run it"
else not_ok "paths.artifacts holding \$(...) is never run" "rc=$rc rc2=$rc2 pwned=$([ -e "$TMP/PWNED" ] && echo yes)" "$(cat "$out")"; fi
# --- F: CONFIG with a space, $(...), ;, quotes: one argument, never run -------
mkstack "s p" "$TMP/s p/art"; CS="$TMP/s p/params.yaml"; RS="$TMP/s p/art/run"
on_exit "make --no-print-directory -C '$ROOT' CONFIG='$CS' stop >/dev/null 2>&1"
M CONFIG="$CS" validate >"$out" 2>&1 && M CONFIG="$CS" ingest-cron >>"$out" 2>&1 &&
  M CONFIG="$CS" watch-start >>"$out" 2>&1; rc=$?
cs=$(pid_of "$RS/rag-ingest-cron.pid") ws=$(pid_of "$RS/ragtop-watch.pid")
for p in $cs $ws; do track_pid "$p"; done
M CONFIG="$CS" stop >>"$out" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -qF "$CS: ok" "$out" && [ -n "$cs" ] && [ -n "$ws" ] &&
   wait_for 20 gone "$cs" && wait_for 20 gone "$ws"; then
  ok "CONFIG with a space: make validate, ingest-cron, watch-start and stop work on that file"
else not_ok "CONFIG with a space: make validate, ingest-cron, watch-start and stop work on that file" "rc=$rc rc2=$rc2 cs=$cs ws=$ws" "$(cat "$out")"; fi
# shellcheck disable=SC2016 # literally $(...), `...`: a file name, never run
# ($$ is how a `$(...)` reached the shell through make before: make made it $)
V1="$TMP/in a\$(touch $TMP/PWNED-1)" V2="$TMP/in b;touch $TMP/PWNED-2;#" V3="\$(shell touch $TMP/PWNED-3)" \
  V4="$TMP/in \`touch $TMP/PWNED-4\`'\"q" V5="$TMP/in c\$\$(touch $TMP/PWNED-5)"
bad=""
try() { # VIA(arg|env) VALUE TARGET — make fails, its output names VALUE whole
  local rc=0
  if [ "$1" = env ]; then CONFIG=$2 M "$3" >"$out" 2>&1 || rc=$?
  else M CONFIG="$2" "$3" >"$out" 2>&1 || rc=$?; fi
  if [ $rc = 0 ] || ! grep -qF -- "$2" "$out"; then bad+="make $3 CONFIG=<$2> ($1): rc=$rc: $(head -c 300 "$out")"$'\n'; fi
}
for v in "$V1" "$V2" "$V3" "$V4" "$V5"; do try arg "$v" ingest; try arg "$v" stop; done
for t in rollback eval ingest-cron watch-start stop-watch status; do try arg "$V1" "$t"; done
try env "$V3" ingest; try env "$V5" stop-ingest-cron
rid="r 1;touch $TMP/PWNED-6;#"   # RUN_ID too: one argument of rag-ingest --rollback
M CONFIG="$CA" RUN_ID="$rid" rollback >"$out" 2>&1; rc=$?
if [ $rc = 0 ] || ! grep -qF -- "\"$rid\" is not a run id" "$out"; then bad+="make rollback RUN_ID=<$rid>: rc=$rc: $(cat "$out")"$'\n'; fi
pwned=$(ls "$TMP"/PWNED-* 2>/dev/null)
if [ -z "$bad" ] && [ -z "$pwned" ]; then
  ok "CONFIG (command line or environment), RUN_ID holding \$(...), \$(shell ...), ;, \`...\`, quotes: every target fails naming it, nothing runs"
else not_ok "CONFIG holding shell or make code is one argument, never run" "ran: ${pwned:-nothing}" "$bad"; fi

# --- G: pid files written by daemon.sh before the upgrade: pid, program -------
# started as the old daemon.sh did (setsid PROGRAM ARGS &; the pid file: the
# pid, then the program alone), from a copy of the programs that is then
# rebuilt (replaced): /proc/PID/exe reads "... (deleted)"
ob=$TMP/oldbin rel=""; mkdir -p "$ob"; cp "$BIN/rag-ingest" "$BIN/ragtop" "$ob/"
argv0() { [ "$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n 1)" = "$2" ]; }
setsid "$ob/rag-ingest" --watch --config "$CA" </dev/null >>"$TMP/old.out" 2>&1 & oi=$!
rel=$(realpath -m --relative-to="$ROOT" "$ob/ragtop")   # the older Makefile's build/bin/... form
(cd "$ROOT" && exec setsid "$rel" watch --config "$CA" --services services.yml </dev/null >>"$TMP/old.out" 2>&1) & ow=$!
wait_for 10 argv0 "$oi" "$ob/rag-ingest"; wait_for 10 argv0 "$ow" "$rel"
for f in rag-ingest ragtop; do rm -f "$ob/$f"; cp "$BIN/$f" "$ob/"; done
printf '%s\n%s\n' "$oi" "$ob/rag-ingest" >"$RA/rag-ingest-cron.pid"
printf '%s\n%s\n' "$ow" "$rel" >"$RA/ragtop-watch.pid"
M CONFIG="$CA" ingest-cron >"$out" 2>&1; rc0=$?   # no second scheduler next to it
grep -q "rag-ingest-cron: already running (pid $oi; legacy pid file" "$out" && [ "$(pid_of "$RA/rag-ingest-cron.pid")" = "$oi" ] || rc0="$rc0, $(cat "$out")"
M CONFIG="$CA" stop >"$out" 2>&1; rc=$?
if [ "$rc0" = 0 ] && [ $rc = 0 ] && wait_for 20 gone "$oi" && wait_for 20 gone "$ow" && alive "$cb" &&
   [ "$(grep -c 'legacy pid file (pid and program only, written before the upgrade) honoured' "$out")" = 2 ] &&
   [ ! -e "$RA/rag-ingest-cron.pid" ] && [ ! -e "$RA/ragtop-watch.pid" ]; then
  ok "pid files from before the upgrade (pid, program): make ingest-cron says already running; make stop stops that rag-ingest --watch and ragtop watch, and says so"
else not_ok "pid files from before the upgrade: already running, then stopped" "ingest-cron: $rc0" "rc=$rc alive: $(alive "$oi" && echo "$oi") $(alive "$ow" && echo "$ow")" "$(cat "$out")"; fi
# the same format naming a live process that is not that program with a's config
sleep 300 & s1=$!
(exec -a "$ob/rag-ingest" sleep 300) & s2=$!   # argv[0] alone is not the program
wait_for 10 argv0 "$s2" "$ob/rag-ingest"
bad=""
for p in "$s1:$ob/rag-ingest" "$s2:$ob/rag-ingest" "$cb:$(tr '\0' '\n' <"/proc/$cb/cmdline" | head -n 1)"; do
  printf '%s\n%s\n' "${p%%:*}" "${p#*:}" >"$RA/rag-ingest-cron.pid"
  M CONFIG="$CA" stop-ingest-cron >"$out" 2>&1; rc=$?
  if [ $rc != 0 ] || ! alive "${p%%:*}" || ! grep -q "not running (stale pid file: pid ${p%%:*} is not the process it was written for, left alone" "$out"; then
    bad+="pid ${p%%:*} (${p#*:}): rc=$rc $(cat "$out")"$'\n'; fi
done
if [ -z "$bad" ]; then
  ok "make stop-ingest-cron: an old-format pid file naming another program, a fake argv[0], or stack b's rag-ingest --watch is stale, left alone, said so"
else not_ok "an old-format pid file naming another process is stale and left alone" "$bad"; fi
kill "$s1" "$s2" 2>/dev/null
done_testing
