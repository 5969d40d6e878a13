#!/usr/bin/env bash
# test_install.sh — `make install` / `make uninstall` with PREFIX and DESTDIR:
# programs, man page and themes land where documented, a second install
# changes nothing and succeeds, the installed ragtop runs, uninstall removes
# every file it installed (twice in a row without error) and nothing else.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
plan 6
tmp=$TMP
D=$tmp/stage; P=/opt/ragtop-test
mk() { make --no-print-directory -s "$@" DESTDIR="$D" PREFIX="$P" >"$tmp/out" 2>&1; }

if mk install; then ok "make install DESTDIR=… PREFIX=… succeeds"
else not_ok "make install DESTDIR=… PREFIX=… succeeds" "$(tail -n 20 "$tmp/out")"; fi

missing=""
for f in bin/rag-ingest bin/rag-api bin/ragtop share/man/man1/ragtop.1; do
  [ -f "$D$P/$f" ] || missing="$missing $f"
done
for f in bin/rag-ingest bin/rag-api bin/ragtop; do [ -x "$D$P/$f" ] || missing="$missing $f(not executable)"; done
n_themes=$(ls themes/*.theme 2>/dev/null | wc -l)
n_inst=$(ls "$D$P"/share/ragtop/themes/*.theme 2>/dev/null | wc -l)
if [ -z "$missing" ] && [ "$n_themes" -gt 0 ] && [ "$n_themes" = "$n_inst" ]; then
  ok "programs in bin/, man page in share/man/man1, all $n_themes themes in share/ragtop/themes"
else not_ok "programs in bin/, man page in share/man/man1, all themes in share/ragtop/themes" "missing:$missing; themes $n_inst of $n_themes"; fi

before=$(cd "$D" && find . -type f -printf '%p %s\n' | sort)
if mk install && [ "$(cd "$D" && find . -type f -printf '%p %s\n' | sort)" = "$before" ]; then
  ok "a second install succeeds and leaves the same files"
else not_ok "a second install succeeds and leaves the same files" "$(tail -n 20 "$tmp/out")"; fi

if "$D$P/bin/ragtop" validate --config config/params.yaml --services services.yml >"$tmp/run" 2>&1; then
  ok "the installed ragtop runs (validate)"
else not_ok "the installed ragtop runs (validate)" "$(cat "$tmp/run")"; fi

mkdir -p "$D$P/bin"; echo keep >"$D$P/bin/other-tool"
if mk uninstall && mk uninstall; then
  left=$(cd "$D" && find . -type f ! -path "./opt/ragtop-test/bin/other-tool")
  if [ -z "$left" ] && [ -f "$D$P/bin/other-tool" ]; then ok "uninstall (run twice) removes every installed file and nothing else"
  else not_ok "uninstall (run twice) removes every installed file and nothing else" "left: $left"; fi
else
  not_ok "uninstall (run twice) removes every installed file and nothing else" "$(tail -n 20 "$tmp/out")"
fi

if [ ! -d "$D$P/share/ragtop" ]; then ok "uninstall removes the emptied share/ragtop folder"
else not_ok "uninstall removes the emptied share/ragtop folder" "$(find "$D$P/share/ragtop")"; fi
done_testing
