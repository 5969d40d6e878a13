#!/usr/bin/env bash
# test_systemd_units.sh — deploy/systemd: `systemd-analyze verify` accepts
# every unit (programs replaced by stand-ins, since verify checks that
# ExecStart exists), the timer is Persistent and starts rag-ingest.service,
# and each unit runs the program `make install` puts in /usr/local/bin; the
# exit-status rules (ingest: 75 = lock held is success; watcher and API: no
# restart loop on an invalid config 78 or bad usage 64); an ingest when the
# timer starts; `systemd-analyze security --offline` rates every service OK
# (exposure <= 4.0), with the scores printed.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 12
S=deploy/systemd
tmp=$TMP

mkdir -p "$tmp/bin" "$tmp/units"
for p in rag-api rag-ingest ragtop; do printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/$p"; chmod +x "$tmp/bin/$p"; done
for u in "$S"/*.service "$S"/*.timer; do
  sed "s#/usr/local/bin/#$tmp/bin/#g" "$u" >"$tmp/units/$(basename "$u")"
done
if command -v systemd-analyze >/dev/null; then
  check "systemd-analyze verify accepts rag-api, rag-ingest (+timer) and ragtop-watch units" \
    bash -c "cd '$tmp/units' && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service ./*.timer 2>&1 | { ! grep .; }"
else
  not_ok "systemd-analyze verify accepts the units" "systemd-analyze is not installed"
fi

files_ok=1; for f in rag-api.service rag-ingest.service rag-ingest.timer ragtop-watch.service; do [ -f "$S/$f" ] || files_ok=0; done
if [ $files_ok = 1 ]; then ok "the four units exist"; else not_ok "the four units exist" "$(ls "$S")"; fi

check "rag-ingest.timer: Persistent=true, OnCalendar set, starts rag-ingest.service" bash -c "
  grep -qx 'Persistent=true' '$S/rag-ingest.timer' &&
  grep -qE '^OnCalendar=.+' '$S/rag-ingest.timer' &&
  grep -qx 'Unit=rag-ingest.service' '$S/rag-ingest.timer' &&
  grep -qx 'WantedBy=timers.target' '$S/rag-ingest.timer'"

check "each unit runs the installed program with the system config" bash -c "
  grep -qx 'ExecStart=/usr/local/bin/rag-api --config /etc/ragtop/params.yaml' '$S/rag-api.service' &&
  grep -qx 'ExecStart=/usr/local/bin/rag-ingest --config /etc/ragtop/params.yaml' '$S/rag-ingest.service' &&
  grep -qE '^ExecStart=/usr/local/bin/ragtop watch --config /etc/ragtop/params.yaml --services /etc/ragtop/services.yml$' '$S/ragtop-watch.service' &&
  grep -qx 'Type=oneshot' '$S/rag-ingest.service'"

check "services run as the ragtop user, restart only long-running ones, keep secrets in an env file" bash -c "
  for u in rag-api rag-ingest ragtop-watch; do
    grep -qx 'User=ragtop' '$S/'\$u.service && grep -qx 'EnvironmentFile=-/etc/ragtop/secrets.env' '$S/'\$u.service || exit 1
  done
  grep -qE '^Restart=' '$S/rag-api.service' && grep -qE '^Restart=' '$S/ragtop-watch.service' &&
  ! grep -qE '^Restart=' '$S/rag-ingest.service'"
check "ragtop validate accepts deploy/systemd/params.yaml and services.yml (data under /var/lib/ragtop)" bash -c "
  '$BIN/ragtop' validate --config '$S/params.yaml' --services '$S/services.yml' &&
  grep -qE '^  artifacts: /var/lib/ragtop/artifacts ' '$S/params.yaml'"
check "rag-ingest.service: exit 75 (another run holds the lock) is a success, not a failed unit" \
  grep -qx 'SuccessExitStatus=75' "$S/rag-ingest.service"
check "rag-ingest.service: exit 65 (quality gate refused) is a failure: only 75 counts as success" bash -c "
  grep -qE 'RAG_EXIT_QUALITY *= 65' include/rag/common.h &&
  [ \"\$(grep -E '^SuccessExitStatus=' '$S/rag-ingest.service')\" = SuccessExitStatus=75 ]"
check "rag-api and ragtop-watch: no restart loop on an invalid config (78) or bad usage (64)" bash -c "
  grep -qx 'RestartPreventExitStatus=64 78' '$S/ragtop-watch.service' &&
  grep -qx 'RestartPreventExitStatus=64 78' '$S/rag-api.service'"
check "rag-ingest.timer: one run right after the timer starts (enable --now, boot), not only at the next :00/:30" \
  grep -qE '^OnActiveSec=[0-9]+s?$' "$S/rag-ingest.timer"
# The exit statuses the units name are the ones the programs use.
check "the programs' exit codes match the units: 75 lock held, 78 invalid config" bash -c "
  grep -qE 'RAG_EXIT_TEMPFAIL *= 75' include/rag/common.h && grep -qE 'RAG_EXIT_CONFIG *= 78' include/rag/common.h &&
  grep -qE 'RT_EXIT_USAGE 64' src/ragtop/options.h"

# systemd-analyze security: offline on the unit files (systemd >= 250).
if command -v systemd-analyze >/dev/null && systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  worst=ok; scores=""
  for u in rag-api rag-ingest ragtop-watch; do
    line=$(systemd-analyze security --offline=true --no-pager "$PWD/$S/$u.service" 2>&1 | grep -E 'Overall exposure level')
    score=$(printf '%s' "$line" | grep -oE '[0-9]+\.[0-9]+' | head -n 1)
    echo "# systemd-analyze security $u.service: ${score:-?} ($(printf '%s' "$line" | grep -oE '(OK|MEDIUM|EXPOSED|UNSAFE)'))"
    scores="$scores $u=${score:-?}"
    awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 <= 4.0) }' || worst=bad
  done
  if [ $worst = ok ]; then ok "systemd-analyze security rates every service <= 4.0 (OK):$scores"
  else not_ok "systemd-analyze security rates every service <= 4.0 (OK)" "$scores"; fi
else
  not_ok "systemd-analyze security rates every service <= 4.0 (OK)" "systemd-analyze without --offline (needs systemd >= 250)"
fi
done_testing
