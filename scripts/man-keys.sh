#!/usr/bin/env bash
# man-keys.sh — the KEYS section of docs/ragtop.1 is generated from the key
# table (src/ragtop/keys.c) by `ragtop --keys-man`. Usage:
#   man-keys.sh RAGTOP MANPAGE          rewrite the section in place
#   man-keys.sh --check RAGTOP MANPAGE  exit 1 (with a diff) when it drifted
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
ragtop=$1; man=$2
begin='^\.\\" KEYS: generated'
end='^\.\\" end of generated KEYS'
new=$(mktemp); trap 'rm -f "$new"' EXIT
awk -v gen="$("$ragtop" --keys-man)" -v b="$begin" -v e="$end" '
  $0 ~ b { print gen; skip = 1; next }
  skip && $0 ~ e { skip = 0; next }
  !skip { print }' "$man" >"$new"
if [ $check = 1 ]; then
  if ! diff -u "$man" "$new"; then echo "man-keys: $man's KEYS section differs from the key table; run make man-keys" >&2; exit 1; fi
  exit 0
fi
cat "$new" >"$man"
