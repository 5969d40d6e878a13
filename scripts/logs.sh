#!/usr/bin/env bash
# logs.sh — follow every JSON-lines log of the stack (artifacts/logs/*.jsonl)
# and print one human-readable line per event:
#   2026-11-28T13:45:00.123Z INFO  ingest  batch_done  run=… msg…  key=value …
# Malformed lines are shown raw (prefixed "RAW"), never dropped; control
# characters in log text are shown escaped so they cannot drive the terminal.
# Usage: logs.sh [--dir DIR] [--lines N] [--no-follow] | logs.sh --stdin
#   DIR defaults to $RAG_LOG_DIR, else artifacts/logs; N (default 20) lines of
#   history per file; --no-follow prints the history and exits; --stdin
#   formats lines read from standard input (used with docker compose).
set -euo pipefail

dir=${RAG_LOG_DIR:-artifacts/logs}
lines=20
follow=1
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --lines|-n) lines=${2:?--lines needs a number}; shift 2 ;;
    --no-follow) follow=0; shift ;;
    --stdin) follow=stdin; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "logs.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case $lines in ''|*[!0-9]*) echo "logs.sh: --lines wants a number, got '$lines'" >&2; exit 2 ;; esac
command -v jq >/dev/null || { echo "logs.sh: jq is required (make deps)" >&2; exit 1; }

if [ "$follow" != stdin ]; then
  mkdir -p "$dir"
  # The known logs are followed even before they exist (tail -F waits for them);
  # any other *.jsonl already present is followed too.
  files=()
  for name in ingest api watch ingestion_metrics; do files+=("$dir/$name.jsonl"); done
  shopt -s nullglob
  for f in "$dir"/*.jsonl; do
    case " ${files[*]} " in *" $f "*) ;; *) files+=("$f") ;; esac
  done
  shopt -u nullglob
fi

# One jq program formats both logs and metrics lines. inert() escapes control
# characters (ESC, CR, ...) as \uXXXX.
read -r -d '' FORMAT <<'JQ' || true
def inert: tostring | gsub("(?<c>[\u0000-\u001f\u007f-\u009f])"; (.c | tojson | .[1:-1]));
def short: if type == "string" then inert elif type == "object" or type == "array" then tojson | inert else tostring end;
. as $raw
| (try fromjson catch null) as $o
| if ($o | type) != "object" then "RAW " + ($raw | inert)
  else
    ($o.ts // $o.finished_at // $o.finished // $o.started_at // "-") as $ts
    | (($o.level // (if $o.status == "failed" then "error" else "info" end)) | ascii_upcase) as $lvl
    | ($o.component // (if $o.run_id and $o.status then "metrics" else "-" end)) as $comp
    | ($o.event // (if $o.status then "run_" + ($o.status | tostring) else "-" end)) as $ev
    | [ ($ts | inert), ($lvl | inert | (. + "     ")[0:5]), ($comp | inert), ($ev | inert) ]
      + (if $o.run_id then ["run=" + ($o.run_id | inert)] else [] end)
      + (if $o.msg then [$o.msg | inert] else [] end)
      + ($o | del(.ts, .level, .component, .event, .run_id, .msg, .payload)
            | to_entries | map(.key + "=" + (.value | short)))
      + (if ($o.payload | type) == "object"
         then $o.payload | to_entries | map(.key + "=" + (.value | short))
         elif $o.payload != null then ["payload=" + ($o.payload | short)] else [] end)
    | join("  ")
  end
JQ

if [ "$follow" = stdin ]; then
  exec jq -R -r --unbuffered "$FORMAT"
elif [ "$follow" = 1 ]; then
  # The pipeline runs in the background so a signal reaches the trap at once;
  # on exit, its two processes (children of this shell) are ended too.
  trap 'pkill -TERM -P $$ 2>/dev/null; wait 2>/dev/null || true' EXIT
  trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
  tail -q -n "$lines" -F -- "${files[@]}" 2>/dev/null | jq -R -r --unbuffered "$FORMAT" &
  wait $!
else
  for f in "${files[@]}"; do
    if [ -f "$f" ]; then tail -n "$lines" -- "$f"; fi
  done | jq -R -r "$FORMAT"
fi
