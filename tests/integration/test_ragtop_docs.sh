#!/usr/bin/env bash
# test_ragtop_docs.sh — ragtop(1) stays true to the program: its KEYS section
# is what the key table generates, every option of `ragtop --help` is in it,
# and man renders it without warnings.
source "$(dirname "$0")/lib.sh"
plan 3
check "docs/ragtop.1 KEYS section matches the key table" bash scripts/man-keys.sh --check "$BIN/ragtop" docs/ragtop.1
missing=""
for opt in $("$BIN/ragtop" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  grep -qF -- "${opt//-/\\-}" docs/ragtop.1 || missing="$missing $opt"
done
is "$missing" "" "every option of ragtop --help is documented in ragtop(1)"
warn=$(MANWIDTH=80 man --warnings -l docs/ragtop.1 2>&1 >/dev/null)
is "$warn" "" "man renders ragtop(1) without warnings"
done_testing
