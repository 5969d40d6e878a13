#!/usr/bin/env bash
# test_once_disk.sh — the `disk` check (`ragtop --once`, the console's
# Freshness pane, `ragtop watch`): on a real small file system (a tmpfs;
# skipped where mount is not permitted) holding the artifacts, filled by
# hand: OK with room, WARN once less is free than the served generation
# takes (a full rebuild would fail), CRIT under 16 MiB, OK again when the
# room comes back; --json's disk object gives the same figures as statvfs
# and the index folder; a folder that cannot be read is UNKNOWN, not OK.
source "$(dirname "$0")/lib.sh"
plan 13

ING=$BIN/rag-ingest
D=$TMP/fs
mkdir -p "$D" "$TMP/corpus"
if ! mount -t tmpfs -o size=64m tmpfs "$D" 2>"$TMP/mount.err"; then
  for i in $(seq 1 13); do skip "disk check $i" "cannot mount a tmpfs here: $(head -n 1 "$TMP/mount.err")"; done
  exit 0
fi
on_exit "umount -l '$D'"
python3 "$ROOT/scripts/gen-corpus" --out "$TMP/corpus" --files 60 --mb 10 >/dev/null
printf 'schema_version: 1\npaths: {transcripts: %s, artifacts: %s}\n' "$TMP/corpus" "$D/art" >"$TMP/params.yaml"
printf 'version: 1\nservices:\n  ingest: {kind: job}\n' >"$TMP/services.yml"
once() { "$BIN/ragtop" --once --json --config "$TMP/params.yaml" --services "$TMP/services.yml" 2>/dev/null; }
disk() { jq -r --arg f "$1" '.checks[] | select(.name == "disk") | .[$f]' <<<"$json"; }

json=$(once)
is "$(disk status)/$(jq -r '.disk.path' <<<"$json")" "OK/$D" \
  "before the first ingest: the file system the artifacts folder will be made on is asked (the nearest folder that exists), OK"
"$ING" --config "$TMP/params.yaml" -q || echo "ingest failed"
json=$(once)
gen_bytes=$(jq -r '.disk.generation_bytes' <<<"$json")
is "$gen_bytes" "$(find "$D/art/index" -type f -name '*.sqlite' -printf '%s\n' | awk '{s += $1} END {print s}')" \
  "--json disk.generation_bytes is the served generation's file and segments"
read -r blocks bsize < <(stat -f -c '%a %S' "$D/art/index")
is "$(jq -r '.disk.avail_bytes' <<<"$json")/$(jq -r '.disk.path' <<<"$json")" "$(( blocks * bsize ))/$D/art/index" \
  "--json disk.avail_bytes is statvfs's f_bavail of the index folder (df's Avail)"
if [ "$gen_bytes" -gt $(( 20 << 20 )) ]; then ok "the generation is larger than the 16 MiB floor ($gen_bytes bytes)"
else not_ok "the generation is larger than the 16 MiB floor" "$gen_bytes bytes: the WARN case below needs more"; fi
is "$(disk status)" "OK" "with room for a full rebuild: OK"
like "$(disk summary)" "free of 64.0 MiB" "and says how much is free"

# fill until 1 MiB less than the generation is free
avail=$(jq -r '.disk.avail_bytes' <<<"$json")
fallocate -l $(( avail - gen_bytes + (1 << 20) )) "$D/filler1"
json=$(once)
is "$(disk status)" "WARN" "less free than the served generation: WARN"
like "$(disk summary)" "free, less than the served generation's .*: a full rebuild \\(a config change, --full\\) would fail" "... saying why"
like "$(jq -r '.checks[] | select(.name == "disk") | .details | join("|")' <<<"$json")" \
  "^file system of $D/art/index: .* free of 64.0 MiB\\|the served generation takes .*\\|free space there" "... its details name the folder, the generation's size and what to do"
# fill until under 16 MiB are free
avail=$(jq -r '.disk.avail_bytes' <<<"$json")
fallocate -l $(( avail - (8 << 20) )) "$D/filler2"
json=$(once); rc=$?
is "$(disk status)/$rc" "CRIT/2" "under 16 MiB free: CRIT (exit 2)"
like "$(disk summary)" "disk almost full: .* free \\(under 16.0 MiB\\): ingest runs are likely to fail" "... saying why"
rm -f "$D/filler1" "$D/filler2"
json=$(once)
is "$(disk status)" "OK" "room again: OK"
# the index folder cannot be read (a file where the folder was): UNKNOWN, not OK
mv "$D/art" "$D/art.keep"
printf 'x' >"$D/art"
json=$(once)
is "$(disk status)" "UNKNOWN" "the artifacts folder is not a folder: UNKNOWN"
