#!/usr/bin/env bash
# test_compose_runtime.sh — the RUNTIME=docker side of the Makefile
# (scripts/compose.sh) against a stand-in `docker compose` that records every
# call (there is no Docker engine in the test environment): each target runs
# the documented compose command, validation runs first, and a broken config
# stops `make ingest` and `make api` before anything is started.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 11
tmp=$TMP

# Stand-ins: compose logs its argv; validation fails when FAKE_INVALID=1, the
# way ragtop validate does (message naming file:line:col, exit 78).
cat >"$tmp/fake-compose" <<'SH'
#!/usr/bin/env bash
echo "compose $*" >>"$FAKE_LOG"
printf '[%s]' "$@" >>"$FAKE_LOG.argv"; echo >>"$FAKE_LOG.argv"
case " $* " in
  *" ragtop validate "*)
    if [ "${FAKE_INVALID:-0}" = 1 ]; then
      echo "/etc/ragtop/params.yaml:12:3: chunking.target_tokens: must be between 16 and 8192" >&2; exit 78
    fi
    echo "/etc/ragtop/params.yaml: ok" ;;
esac
exit 0
SH
mkdir -p "$tmp/bin"
cat >"$tmp/bin/docker" <<'SH'
#!/usr/bin/env bash
echo "docker $*" >>"$FAKE_LOG"
[ "$1" = inspect ] && echo healthy
exit 0
SH
chmod +x "$tmp/fake-compose" "$tmp/bin/docker"
export FAKE_LOG=$tmp/log COMPOSE="$tmp/fake-compose" PATH="$tmp/bin:$PATH"
run() { : >"$FAKE_LOG"; make --no-print-directory -s "$@" RUNTIME=docker >"$tmp/out" 2>&1; }

run ingest
if [ $? = 0 ] && [ "$(grep -c . "$FAKE_LOG")" = 2 ] && sed -n 1p "$FAKE_LOG" | grep -q 'run --rm --no-deps -T rag_ingest ragtop validate' \
   && sed -n 2p "$FAKE_LOG" | grep -qx 'compose run --rm rag_ingest'; then
  ok "make ingest RUNTIME=docker validates in the image, then runs: compose run --rm rag_ingest"
else not_ok "make ingest RUNTIME=docker validates in the image, then runs: compose run --rm rag_ingest" "$(cat "$FAKE_LOG" "$tmp/out")"; fi

run api
if [ $? = 0 ] && grep -qx 'compose up -d rag_api' "$FAKE_LOG" && grep -q '^docker inspect .* rag_api$' "$FAKE_LOG" \
   && [ "$(grep -n 'ragtop validate' "$FAKE_LOG" | cut -d: -f1)" = 1 ]; then
  ok "make api RUNTIME=docker validates, runs compose up -d rag_api, waits for the healthcheck"
else not_ok "make api RUNTIME=docker validates, runs compose up -d rag_api, waits for the healthcheck" "$(cat "$FAKE_LOG" "$tmp/out")"; fi

run stop
if [ $? = 0 ] && grep -qx 'compose --profile cron --profile n8n down --remove-orphans' "$FAKE_LOG"; then
  ok "make stop RUNTIME=docker takes every service down, optional profiles included"
else not_ok "make stop RUNTIME=docker takes every service down, optional profiles included" "$(cat "$FAKE_LOG" "$tmp/out")"; fi

run logs
if [ $? = 0 ] && grep -q 'compose run --rm --no-deps -T rag_ingest tail -q -n 20 -F /data/artifacts/logs/ingest.jsonl' "$FAKE_LOG"; then
  ok "make logs RUNTIME=docker follows the JSON logs in the artifacts volume"
else not_ok "make logs RUNTIME=docker follows the JSON logs in the artifacts volume" "$(cat "$FAKE_LOG" "$tmp/out")"; fi

export FAKE_INVALID=1
for t in ingest api; do
  run "$t"; rc=$?
  if [ $rc != 0 ] && [ "$(grep -c . "$FAKE_LOG")" = 1 ] && grep -q 'chunking.target_tokens: must be between' "$tmp/out"; then
    ok "a broken config stops make $t RUNTIME=docker before anything starts, with the validation message"
  else not_ok "a broken config stops make $t RUNTIME=docker before anything starts, with the validation message" "rc=$rc; $(cat "$FAKE_LOG" "$tmp/out")"; fi
done
unset FAKE_INVALID

# RUN_ID is one argument of rag-ingest --rollback in the container, never shell code
rid="r 1;touch $tmp/PWNED;#"
: >"$FAKE_LOG.argv"; run rollback RUN_ID="$rid"; rc=$?
if [ $rc = 0 ] && [ ! -e "$tmp/PWNED" ] && tail -n 1 "$FAKE_LOG.argv" | grep -qxF "[run][--rm][rag_ingest][rag-ingest][--config][/etc/ragtop/params.yaml][--rollback][--][$rid]"; then
  ok "make rollback RUN_ID=<spaces, ;> RUNTIME=docker: the run id is one argument after --, never run"
else not_ok "make rollback RUN_ID=... RUNTIME=docker passes the run id as one argument" "rc=$rc pwned=$([ -e "$tmp/PWNED" ] && echo yes)" "$(cat "$FAKE_LOG.argv" "$tmp/out")"; fi

# CONFIG / SERVICES naming another file than the mounted ones: refused, not ignored
for v in "CONFIG=$tmp/other.yaml" "SERVICES=$tmp/other-services.yml"; do
  : >"$FAKE_LOG"; run ingest "$v"; rc=$?
  if [ $rc != 0 ] && [ ! -s "$FAKE_LOG" ] && grep -q "is not used there: edit deploy/docker/" "$tmp/out"; then
    ok "make ingest RUNTIME=docker ${v%%=*}=<another file>: refused before compose runs, naming the mounted file"
  else not_ok "make ingest RUNTIME=docker ${v%%=*}=<another file> is refused" "rc=$rc" "$(cat "$FAKE_LOG" "$tmp/out")"; fi
done
: >"$FAKE_LOG"; run ingest CONFIG="$PWD/config/params.yaml"; rc=$?
is "$rc/$(grep -c . "$FAKE_LOG")" "0/2" "make ingest RUNTIME=docker with CONFIG naming the default file (as the console passes it): runs"

if make --no-print-directory -s ingest RUNTIME=podman >"$tmp/out" 2>&1; then
  not_ok "an unknown RUNTIME is refused" "$(cat "$tmp/out")"
else
  if grep -q "RUNTIME must be local or docker" "$tmp/out"; then ok "an unknown RUNTIME is refused"; else not_ok "an unknown RUNTIME is refused" "$(cat "$tmp/out")"; fi
fi
done_testing
