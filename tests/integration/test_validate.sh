#!/usr/bin/env bash
# test_validate.sh — `ragtop validate` as a user runs it: real files, the real
# process, its stdout/stderr and exit status (78 = EX_CONFIG on any problem).
source "$(dirname "$0")/lib.sh"
plan 39

RAGTOP="$BIN/ragtop"
T=$TEST_TMP
mkdir -p "$T/config"
cp "$ROOT/services.yml" "$T/services.yml"

run() { # run ragtop; sets OUT, ERR, RC
  "$RAGTOP" "$@" >"$T/out" 2>"$T/err"; RC=$?
  OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}

# 1. the committed files are valid
( cd "$ROOT" && "$RAGTOP" validate >"$T/out" 2>"$T/err" ); RC=$?
OUT=$(cat "$T/out")
is "$RC" 0 "committed config/params.yaml and services.yml validate (exit 0)"
like "$OUT" '^config/params\.yaml: ok \(config hash [0-9a-f]{64}\)$' "prints the config hash"
like "$OUT" '^services\.yml: ok \(4 services\)$' "prints the number of services"

# 2. semantic problems: typo'd key and bad duration, each with line:col
cat >"$T/config/params.yaml" <<'YAML'
schema_version: 1
chunking:
  target_tokns: 300
freshness:
  warn_after: 5x
YAML
run validate --config "$T/config/params.yaml" --services "$T/services.yml"
is "$RC" 78 "typo and bad duration exit 78"
like "$ERR" "params\.yaml:3:3: chunking\.target_tokns: unknown key \(did you mean target_tokens\?\)" "typo'd key reported at 3:3 with did-you-mean"
like "$ERR" 'params\.yaml:5:15: freshness\.warn_after: invalid duration "5x"' "bad duration reported at 5:15"
like "$OUT" 'services\.yml: ok' "services file still checked when the config fails"

# 3. YAML syntax error (parsing stops at the first one)
printf 'schema_version: 1\nchunking:\n  target_tokens: 3\n   overlap: 2\n' >"$T/syntax.yaml"
run validate --config "$T/syntax.yaml" --services "$T/services.yml"
is "$RC" 78 "syntax error exits 78"
like "$ERR" 'syntax\.yaml:4:11: syntax error: mapping values are not allowed' "syntax error reported at 4:11"

# 4. a good config elsewhere: ok + hash, relative paths do not need to exist
cat >"$T/config/good.yaml" <<'YAML'
schema_version: 1
paths: {transcripts: ../data, artifacts: ../artifacts}
chunking: {target_tokens: 300, overlap_tokens: 30}
YAML
run validate --config "$T/config/good.yaml" --services "$T/services.yml"
is "$RC" 0 "a good config exits 0"
like "$OUT" 'good\.yaml: ok \(config hash [0-9a-f]{64}\)' "a good config prints its hash"
h1=$(grep -oE '[0-9a-f]{64}' "$T/out")
# comments, order and API settings do not change the hash; chunking does
cat >"$T/config/good2.yaml" <<'YAML'
# reordered, commented, block style, different API port
chunking:
  overlap_tokens: 30   # overlap
  target_tokens: 300
api: {listen: "127.0.0.1:9999"}
schema_version: 1
YAML
run validate --config "$T/config/good2.yaml" --services "$T/services.yml"
h2=$(grep -oE '[0-9a-f]{64}' "$T/out")
is "$h2" "$h1" "comments, key order, style and api settings keep the hash"
sed -i 's/target_tokens: 300/target_tokens: 301/' "$T/config/good2.yaml"
run validate --config "$T/config/good2.yaml" --services "$T/services.yml"
h3=$(grep -oE '[0-9a-f]{64}' "$T/out")
check "changing chunking.target_tokens changes the hash" test -n "$h3" -a "$h3" != "$h1"

# 5. missing files
run validate --config "$T/nope.yaml" --services "$T/services.yml"
is "$RC" 78 "missing config exits 78"
like "$ERR" "nope\.yaml: no such file" "missing config is named"
run validate --config "$T/config/good.yaml" --services "$T/missing.yml"
is "$RC" 78 "missing services.yml exits 78"

# 5b. services.yml problems: a shell string instead of argv, a typo'd kind
cat >"$T/bad-services.yml" <<'YAML'
version: 1
services:
  rag_api:
    kind: sever
    actions:
      start: {argv: make api}
YAML
run validate --config "$T/config/good.yaml" --services "$T/bad-services.yml"
is "$RC" 78 "bad services.yml exits 78"
like "$ERR" 'bad-services\.yml:4:11: services\.rag_api\.kind: must be server or job \(did you mean server\?\)' "services kind typo at 4:11"
like "$ERR" 'bad-services\.yml:6:21: services\.rag_api\.actions\.start\.argv: must be a list of arguments' "argv string rejected at 6:21"

# 6. RAG_CONFIG is the default config path
RAG_CONFIG="$T/config/good.yaml" "$RAGTOP" validate --services "$T/services.yml" >"$T/out" 2>&1; RC=$?
is "$RC" 0 "RAG_CONFIG names the default config"

# 7. usage and version
run --version
like "$OUT" '^ragtop [0-9]+\.[0-9]+\.[0-9]+' "--version prints the version"
run --help
like "$OUT" 'validate' "--help lists the validate command"
run validate --bogus
is "$RC" 64 "unknown validate option exits 64 (EX_USAGE)"
run validate --config
is "$RC" 64 "--config without a value exits 64 (EX_USAGE)"
run --frobnicate
is "$RC" 64 "unknown option exits 64 (EX_USAGE)"
like "$ERR" 'usage: ragtop' "unknown option prints usage"
run watch --bogus
is "$RC" 64 "unknown watch option exits 64 (EX_USAGE)"
run nosuchcommand
is "$RC" 64 "unknown command exits 64 (EX_USAGE)"
# --once is a Nagios-style check: bad usage is UNKNOWN (3), never CRITICAL (2),
# wherever --once stands on the line
run --once --bogus
is "$RC" 3 "ragtop --once --bogus exits 3 (UNKNOWN)"
run --bogus --once
is "$RC" 3 "ragtop --bogus --once exits 3 (UNKNOWN)"
run --once --interval nope
is "$RC" 3 "ragtop --once --interval nope exits 3 (UNKNOWN)"
run --once stray
is "$RC" 3 "ragtop --once with a stray argument exits 3 (UNKNOWN)"

# $RAG_SERVICES names the services file for validate, the console, --once
# and watch alike (one variable, one search order: collect.h), and the
# config next to it is the one they read. From a folder with neither file:
mkdir -p "$T/stack/config" "$T/nowhere"
cp "$ROOT/services.yml" "$T/stack/services.yml"
cp "$ROOT/config/params.yaml" "$T/stack/config/params.yaml"
( cd "$T/nowhere" && env -u RAG_CONFIG RAG_SERVICES="$T/stack/services.yml" XDG_CONFIG_HOME="$T/nowhere" \
    "$RAGTOP" validate >"$T/out" 2>"$T/err" ); RC=$?
is "$RC" 0 "validate finds \$RAG_SERVICES's file and the config beside it (exit 0)"
like "$(cat "$T/out")" "^$T/stack/config/params\.yaml: ok " "validate checked the config next to the services file"
like "$(cat "$T/out")" "^$T/stack/services\.yml: ok \(4 services\)\$" "validate checked \$RAG_SERVICES's file"
( cd "$T/nowhere" && env -u RAG_CONFIG RAG_SERVICES="$T/stack/services.yml" XDG_CONFIG_HOME="$T/nowhere" \
    "$RAGTOP" --once --json >"$T/out" 2>"$T/err" )
like "$(jq -r '.checks[] | select(.name == "services_file") | .summary' "$T/out")" "^4 services in $T/stack/services\\.yml$" \
  "--once reads the same services file"
is "$(jq -r '.config.path' "$T/out")" "$T/stack/config/params.yaml" "--once reads the same config"
# a named file that is missing is reported as missing, never swapped for another
cp "$ROOT/services.yml" "$T/nowhere/services.yml"
( cd "$T/nowhere" && env -u RAG_CONFIG RAG_SERVICES="$T/missing.yml" "$RAGTOP" validate >"$T/out" 2>"$T/err" ); RC=$?
is "$RC" 78 "validate with \$RAG_SERVICES naming a missing file exits 78"
( cd "$T/nowhere" && env -u RAG_CONFIG RAG_SERVICES="$T/missing.yml" "$RAGTOP" --once >"$T/out" 2>&1 )
like "$(cat "$T/out")" "UNKNOWN +services_file +.*$T/missing\.yml" "--once names \$RAG_SERVICES's missing file, not ./services.yml"

finish
