# shellcheck shell=bash
# pidlib.sh — sourced by apictl.sh and daemon.sh: which process a pidfile
# names (service_pid; legacy_service_pid for daemon.sh's pid files from
# before the upgrade), and the stack folders a config names. src/ragtop/probe.c
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

# legacy_service_pid PIDFILE [CONFIG] — the pid file format daemon.sh wrote
# before it recorded the whole command: exactly two lines, the pid and the
# program as it was started (`/abs/build/bin/rag-ingest`; earlier a relative
# `build/bin/rag-ingest`). A process started so outlives an upgrade, and
# service_pid cannot prove it is ours, so this weaker rule is applied to
# such a file only (scripts/daemon.sh): print the pid (status 0) when it is
# a pid > 1 of a live process
#  - whose argv[0] is the recorded program, and
#  - whose executable (/proc/PID/exe; " (deleted)" after a rebuild) is that
#    file (a relative program taken from the process's folder), and
#  - with CONFIG: whose `--config PATH` (or --config=PATH) names that very
#    file (relative to the process's folder), so another stack's process of
#    the same program behind a reused pid is not taken for ours;
# else status 1. A script's (interpreter first) is not recognised.
legacy_service_pid() {
  local pidfile=$1 config=${2:-} pid="" exe want path="" i
  local -a rec=() args=()
  [ -f "$pidfile" ] || return 1
  { IFS= read -r pid; mapfile -t rec; } <"$pidfile" 2>/dev/null || true
  [ ${#rec[@]} -eq 1 ] && [ -n "${rec[0]}" ] || return 1
  case $pid in ''|0*|*[!0-9]*) return 1 ;; esac
  [ ${#pid} -le 9 ] && [ "$pid" -gt 1 ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  [ ${#args[@]} -gt 0 ] && [ "${args[0]}" = "${rec[0]}" ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  case ${rec[0]} in
    /*) want=${rec[0]} ;;
    *) want=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
       want=$want/${rec[0]} ;;
  esac
  want=$(realpath -m -- "$want" 2>/dev/null) || return 1
  [ -n "$exe" ] && [ "$exe" = "$want" ] || return 1
  if [ -n "$config" ]; then
    for ((i = 0; i < ${#args[@]}; i++)); do
      case ${args[i]} in
        --config) [ $((i + 1)) -lt ${#args[@]} ] && path=${args[i + 1]} ;;
        --config=*) path=${args[i]#--config=} ;;
      esac
    done
    [ -n "$path" ] || return 1
    case $path in /*) ;; *) path=/proc/$pid/cwd/$path ;; esac
    [ "$path" -ef "$config" ] || return 1
  fi
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
