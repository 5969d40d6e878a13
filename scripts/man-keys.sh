#!/usr/bin/env bash
# man-keys.sh — the KEYS section of docs/ragtop.1 is generated from the key
# table (src/ragtop/keys.c) by `ragtop --keys-man`. Usage:
#   man-keys.sh RAGTOP MANPAGE          rewrite the section in place
#   man-keys.sh --check RAGTOP MANPAGE  exit 1 (with a diff) when it drifted
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
ragtop=$1; man=$2
new=$(mktemp); trap 'rm -f "$new"' EXIT
# Plain string matches and the section through the environment: awk -v and
# regular expressions would interpret the backslashes of roff (mawk matched
# nothing, which left the file as it was and the check always passing).
GEN=$("$ragtop" --keys-man) awk '
  index($0, ".\\\" KEYS: generated") == 1 { print ENVIRON["GEN"]; skip = 1; found++; next }
  skip && index($0, ".\\\" end of generated KEYS") == 1 { skip = 0; next }
  !skip { print }
  END { if (found != 1 || skip) exit 3 }' "$man" >"$new" || {
  echo "man-keys: $man has no (or a broken) generated KEYS section" >&2; exit 1; }
if [ $check = 1 ]; then
  if ! diff -u "$man" "$new"; then echo "man-keys: $man's KEYS section differs from the key table; run make man-keys" >&2; exit 1; fi
  exit 0
fi
cat "$new" >"$man"
