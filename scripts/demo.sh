#!/usr/bin/env bash
# demo.sh — `make demo`: from a fresh clone to a running stack in one command.
#   1. install missing dependencies (scripts/deps.sh; nothing when all present)
#   2. build the programs
#   3. ingest the sample corpus (data/transcripts)
#   4. start the API in the background
#   5. open the console when stdin and stdout are a terminal, else print the
#      one-shot status (`ragtop --once`) and exit with its status
# Every step is a Makefile target, so rerunning the demo needs no cleanup;
# `make stop` ends what it started. RUNTIME=docker runs steps 3-4 in compose.
set -euo pipefail
cd "$(dirname "$0")/.."
make_cmd=${MAKE:-make}
runtime=${RUNTIME:-local}

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
if bash scripts/deps.sh --check >/dev/null 2>&1; then
  echo "all dependencies present"
else
  bash scripts/deps.sh
fi

step "build"
"$make_cmd" --no-print-directory all

step "ingest the sample corpus (RUNTIME=$runtime)"
"$make_cmd" --no-print-directory ingest RUNTIME="$runtime"

step "start the API (RUNTIME=$runtime)"
"$make_cmd" --no-print-directory api RUNTIME="$runtime"

if [ -t 0 ] && [ -t 1 ]; then
  step "console (q quits; the API keeps running until 'make stop')"
  exec "$make_cmd" --no-print-directory console
fi
step "status (no terminal, so the one-shot view; 'make console' opens the full console)"
exec "$make_cmd" --no-print-directory status RUNTIME="$runtime"
