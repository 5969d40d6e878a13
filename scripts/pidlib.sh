# shellcheck shell=bash
# pidlib.sh — sourced by apictl.sh and daemon.sh: which process a pidfile
# names, and the stack folders a config names. src/ragtop/probe.c
# (probe_pidfile) applies the same pidfile rule; docs/specs/services.md.

# service_pid PIDFILE — print the pid (status 0) when PIDFILE names a live
# process that is this pidfile's service, else status 1. The rule:
#  - line 1 is a pid, digits only, greater than 1 (0 would be our own process
#    group, 1 is init);
#  - the process's /proc/PID/cmdline names this very pidfile (`--pidfile PATH`
#    or `--pidfile=PATH`, PATH the same file, relative to the process's
#    folder: how rag-api is started), or ends with, item for item, the
#    command recorded on the lines after the pid (how daemon.sh writes it:
#    the program and each argument, --config with an absolute path among
#    them; an interpreter, for a script, may come first).
# A pid alone proves nothing: a reused pid, or another stack's process, is
# not the service.
service_pid() {
  local pidfile=$1 pid="" i a path
  local -a rec=() args=()
  [ -f "$pidfile" ] || return 1
  { IFS= read -r pid; mapfile -t rec; } <"$pidfile" 2>/dev/null || true
  case $pid in ''|0*|*[!0-9]*) return 1 ;; esac
  [ ${#pid} -le 9 ] && [ "$pid" -gt 1 ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  [ ${#args[@]} -gt 0 ] || return 1
  for ((i = 0; i < ${#args[@]}; i++)); do
    a=${args[i]} path=""
    case $a in
      --pidfile) [ $((i + 1)) -lt ${#args[@]} ] && path=${args[i + 1]} ;;
      --pidfile=*) path=${a#--pidfile=} ;;
    esac
    [ -n "$path" ] || continue
    case $path in /*) ;; *) path=/proc/$pid/cwd/$path ;; esac
    if [ "$path" -ef "$pidfile" ]; then echo "$pid"; return 0; fi
  done
  # the recorded command, item for item, at the end of the command line (a
  # script's interpreter may come first)
  local off=$((${#args[@]} - ${#rec[@]}))
  [ ${#rec[@]} -gt 0 ] && [ $off -ge 0 ] || return 1
  for ((i = 0; i < ${#rec[@]}; i++)); do
    [ "${rec[i]}" = "${args[off + i]}" ] || return 1
  done
  echo "$pid"
}

# config_artifacts CONFIG — print paths.artifacts of CONFIG (absolute),
# read leniently (no validation: for stopping a stack whose config no longer
# loads). Understands a block `paths:` with `artifacts: VALUE` (plain,
# "double" or 'single' quoted, a trailing # comment); relative values resolve
# against the config's folder, as the programs do. Status 1 when not found.
config_artifacts() {
  local config=$1 value dir
  [ -r "$config" ] || return 1
  value=$(awk -v q="'" '
    /^[^[:space:]#]/ { inpaths = ($0 ~ /^paths:[[:space:]]*(#.*)?$/); next }
    inpaths && /^[[:space:]]+artifacts:/ {
      v = $0; sub(/^[[:space:]]+artifacts:[[:space:]]*/, "", v)
      if (v ~ /^([][{}&*!|>%@`#]|$)/) exit 1   # not a plain or quoted string
      if (v ~ /^"/) { if (match(v, /^"[^"\\]*"/)) v = substr(v, 2, RLENGTH - 2); else exit 1 }
      else if (substr(v, 1, 1) == q) { v = substr(v, 2); if (index(v, q)) v = substr(v, 1, index(v, q) - 1); else exit 1 }
      else { sub(/[[:space:]]+#.*$/, "", v); sub(/[[:space:]]+$/, "", v) }
      print v; found = 1; exit 0
    }
    END { exit !found }' "$config") || return 1
  [ -n "$value" ] || return 1
  case $value in
    /*) printf '%s\n' "$value" ;;
    *) dir=$(cd "$(dirname "$config")" && pwd) || return 1
       printf '%s/%s\n' "$dir" "$value" ;;
  esac
}

# is_default_config ROOT CONFIG — is CONFIG the repository's default config
# (config/params.yaml, the same file)? Only then may a stop fall back to
# ROOT/artifacts when the config can be read neither strictly nor leniently.
is_default_config() {
  [ -e "$2" ] && [ "$2" -ef "$1/config/params.yaml" ] && return 0
  [ ! -e "$2" ] && [ "$2" = "config/params.yaml" ] && [ "$PWD" -ef "$1" ]
}
