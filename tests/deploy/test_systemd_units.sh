#!/usr/bin/env bash
# test_systemd_units.sh — deploy/systemd: `systemd-analyze verify` accepts
# every unit (programs replaced by stand-ins, since verify checks that
# ExecStart exists), the timer is Persistent and starts rag-ingest.service,
# and each unit runs the program `make install` puts in /usr/local/bin.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 6
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
done_testing
