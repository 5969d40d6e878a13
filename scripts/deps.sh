#!/usr/bin/env bash
# deps.sh — install the Debian/Ubuntu packages ragtop's build, tests,
# benchmarks and demo need. `deps.sh --check` only reports (exit 1 when
# something is missing). Installs with apt-get as root, or through sudo;
# when neither is possible it prints the command to run and exits 1.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config clang
  libncurses-dev libcurl4-openssl-dev libcjson-dev libyaml-dev
  libmicrohttpd-dev libsqlite3-dev sqlite3 libssl-dev libcmocka-dev libhnswlib-dev
  tmux jq curl python3 python3-yaml valgrind procps psmisc iproute2 systemd
  prometheus prometheus-alertmanager docker-compose
  wrk nginx-light nodejs
  htop librsvg2-bin
)
PKGCONFIG_LIBS=(ncursesw libcurl libcjson yaml-0.1 libmicrohttpd sqlite3 libcrypto cmocka)
COMMANDS=(cc make clang tmux jq curl python3 sqlite3 valgrind promtool prometheus-alertmanager amtool docker-compose wrk nginx node pkill systemd-analyze setsid ss fuser flock)

missing() {
  local m=()
  command -v pkg-config >/dev/null 2>&1 || m+=(pkg-config)
  if command -v pkg-config >/dev/null 2>&1; then
    for l in "${PKGCONFIG_LIBS[@]}"; do pkg-config --exists "$l" || m+=("lib:$l"); done
  fi
  for c in "${COMMANDS[@]}"; do
    command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || m+=("cmd:$c")
  done
  # hnswlib is header-only (no pkg-config file); C++ for src/core/ann.cpp
  [ -f /usr/include/hnswlib/hnswlib.h ] || m+=(hdr:hnswlib)
  command -v g++ >/dev/null 2>&1 || m+=(cmd:g++)
  # deploy tests parse YAML with python3's yaml module (python3-yaml).
  # Debian's package file is looked for first: every make runs this check,
  # and starting python3 to import the module took half a second of it
  [ -f /usr/lib/python3/dist-packages/yaml/__init__.py ] || python3 -c 'import yaml' >/dev/null 2>&1 || m+=(py:yaml)
  printf '%s\n' "${m[@]}"
}

if [ "${1:-}" = "--check" ]; then
  m=$(missing)
  if [ -n "$m" ]; then echo "missing: $(echo $m)"; exit 1; fi
  echo "all dependencies present"; exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "deps.sh: need root to install packages, and sudo is not available without a password." >&2
  echo "Run this as root (or with sudo), then run make again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${PACKAGES[*]}" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: apt-get not found; install these packages with your package manager: ${PACKAGES[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps.sh: installing ${PACKAGES[*]}" >&2
"${SUDO[@]}" apt-get update -q >&2
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >&2
# Packages like nginx or prometheus may start a system service on install;
# ragtop's benchmarks start their own instances on other ports.
echo "deps.sh: done" >&2
