#!/usr/bin/env bash
# man-keys.sh — the KEYS section of docs/ragtop.1 is generated from the key
# table (src/ragtop/keys.c) by `ragtop --keys-man`. Usage:
#   man-keys.sh RAGTOP MANPAGE          rewrite the section in place
#   man-keys.sh --check RAGTOP MANPAGE  exit 1 (with a diff) when it drifted
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
ragtop=$1; man=$2
# Fixed strings through the environment: awk -v would turn the roff
# backslashes (\" \- \e) into escape sequences, and a regex would not match them.
export MK_BEGIN='.\" KEYS: generated' MK_END='.\" end of generated KEYS'
MK_GEN=$("$ragtop" --keys-man); export MK_GEN
new=$(mktemp); trap 'rm -f "$new"' EXIT
awk 'index($0, ENVIRON["MK_BEGIN"]) == 1 { print ENVIRON["MK_GEN"]; skip = 1; found = 1; next }
  skip && index($0, ENVIRON["MK_END"]) == 1 { skip = 0; next }
  !skip { print }
  END { if (!found) { print "man-keys: no generated KEYS section in the page" > "/dev/stderr"; exit 1 } }' "$man" >"$new"
if [ $check = 1 ]; then
  if ! diff -u "$man" "$new"; then echo "man-keys: $man's KEYS section differs from the key table; run make man-keys" >&2; exit 1; fi
  exit 0
fi
cat "$new" >"$man"
