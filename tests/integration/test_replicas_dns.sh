#!/usr/bin/env bash
# test_replicas_dns.sh — services.yml `health.dns: true`: every A/AAAA record
# of the health URL's host is one instance (a Kubernetes headless Service),
# resolved again on every probe.
#
# How the records are made without touching the machine's files: three real
# rag-api instances listen on the same admin port on 127.0.0.2, 127.0.0.3
# and 127.0.0.4 (all loopback on Linux), and a hosts-format fixture names
# all three as rag-api-headless.test. ragtop runs in a private mount
# namespace (`unshare -m`, root only) where the fixture is bind-mounted over
# /etc/hosts, so glibc's getaddrinfo (files before dns in nsswitch.conf)
# returns the three addresses; /etc/hosts itself is never changed and the
# namespace ends with the command. The fixture is then rewritten in place
# (same inode, so the bind mount shows it) with one record less, and the
# next probe sees two instances.
set -uo pipefail
source "$(dirname "$0")/api_lib.sh"
plan 5

if [ "$(id -u)" -ne 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
  for i in 1 2 3 4 5; do skip "dns case $i" "needs root and unshare -m (a private mount namespace)"; done
  done_testing
fi

api_stack_new
api_ingest || { fail "ingest"; done_testing; }
GEN=$(jq -r .generation "$MANIFEST"); SHORT=${GEN%.sqlite}
ADMIN=$(free_port)
for n in 2 3 4; do
  sed -e "s|^  listen: .*|  listen: 127.0.0.$n:$PORT|" -e "s|^  admin_listen: .*|  admin_listen: 127.0.0.$n:$ADMIN|" \
    "$CONFIG" >"$STACK/config/api$n.yaml"
  api_launch "$STACK/config/api$n.yaml" "http://127.0.0.$n:$ADMIN" "$STACK/api$n.log" ||
    { fail "rag-api on 127.0.0.$n" "$(cat "$STACK/api$n.log")"; done_testing; }
done

HOSTS="$STACK/hosts"
printf '127.0.0.1 localhost\n127.0.0.2 rag-api-headless.test\n127.0.0.3 rag-api-headless.test\n127.0.0.4 rag-api-headless.test\n' >"$HOSTS"
cat >"$STACK/services.yml" <<YAML
version: 1
services:
  rag_api:
    kind: server
    health:
      url: http://rag-api-headless.test:$ADMIN/healthz
      dns: true
      interval: 1s
      timeout: 1s
YAML

# ragtop --once --json with the fixture as /etc/hosts (private mount namespace)
once_ns() {
  unshare -m --propagation private sh -c 'mount --bind "$1" /etc/hosts && exec "$2" --once --json --config "$3" --services "$4"' \
    sh "$HOSTS" "$BIN/ragtop" "$CONFIG" "$STACK/services.yml"
}

out=$(once_ns)
is "$(jq -r '[.services[0].instances[].name] | join(" ")' <<<"$out")" \
  "127.0.0.2:$ADMIN 127.0.0.3:$ADMIN 127.0.0.4:$ADMIN" "every A record of the name is an instance (address:port, sorted)"
like "$(jq -r '.checks[] | select(.name == "service:rag_api") | "\(.status) \(.summary)"' <<<"$out")" \
  "^OK rag_api 3/3 up" "service:rag_api reads 3/3 up"
is "$(jq -r '.checks[] | select(.name == "rollout:rag_api") | "\(.status) \(.summary)"' <<<"$out")" \
  "OK rag_api: 3/3 serve $SHORT" "rollout: 3/3 serve the generation"
if grep -q rag-api-headless /etc/hosts; then fail "/etc/hosts is untouched"; else pass "/etc/hosts is untouched"; fi

# one record less: the next probe resolves again and sees two instances
printf '127.0.0.1 localhost\n127.0.0.2 rag-api-headless.test\n127.0.0.4 rag-api-headless.test\n' >"$HOSTS.new"
cat "$HOSTS.new" >"$HOSTS"   # in place: the bind mount follows the inode
out=$(once_ns)
is "$(jq -r '"\([.services[0].instances[].name] | join(" ")) \(.checks[] | select(.name == "service:rag_api") | .summary | split(",")[0])"' <<<"$out")" \
  "127.0.0.2:$ADMIN 127.0.0.4:$ADMIN rag_api 2/2 up" "resolved again: a record removed is an instance gone (2/2 up)"
done_testing
