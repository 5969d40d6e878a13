#!/usr/bin/env bash
# bench/quality/run.sh — retrieval quality of rag-api on the Cranfield
# collection (../shared/datasets/cranfield: 1398 abstracts, 225 queries,
# graded judgments), with a textbook Okapi BM25 computed in the same run as
# the baseline. Builds transcripts from the dataset (one file per document,
# under build/bench/quality, nothing committed), ingests them with
# rag-ingest, starts rag-api on a free 127.0.0.1 port (api.max_k raised to
# 100 so recall@100 is measurable), runs every query in each mode and prints
# nDCG@10, MAP@100, R@100 and client-side p50/p95 latency per mode.
# Env: DATASET (default ../shared/datasets/cranfield beside the repository),
# MODES (default "default bm25 vector hybrid"), HYBRID_VECTOR_WEIGHT
# (api.hybrid_vector_weight; default: config/params.yaml's). Takes about a
# minute.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/bench/quality"
cd "$ROOT"
if [ -z "${DATASET:-}" ]; then # beside the repository (or beside a worktree's parent folder)
  DATASET=$ROOT/../shared/datasets/cranfield
  [ -f "$DATASET/cran.all.1400" ] || [ ! -f "$ROOT/../../shared/datasets/cranfield/cran.all.1400" ] ||
    DATASET=$ROOT/../../shared/datasets/cranfield
fi
MODES=${MODES:-default bm25 vector hybrid}
[ -f "$DATASET/cran.all.1400" ] || { echo "bench/quality: no Cranfield collection at $DATASET (set DATASET=)" >&2; exit 1; }
for c in curl python3; do
  command -v "$c" >/dev/null 2>&1 || { echo "bench/quality: $c is missing (make deps)" >&2; exit 1; }
done
make -s all >/dev/null

W="$ROOT/build/bench/quality"
rm -rf "$W"
mkdir -p "$W/config"
API_PID=
cleanup() { [ -z "$API_PID" ] || kill "$API_PID" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

python3 "$HERE/cranfield.py" transcripts "$DATASET" "$W/transcripts"
PORT=$(free_port)
ADMIN_PORT=$(free_port)
sed -e "s|^  transcripts: .*|  transcripts: ../transcripts|" \
    -e "s|^  artifacts: .*|  artifacts: ../artifacts|" \
    -e "s|^  listen: .*|  listen: 127.0.0.1:$PORT|" \
    -e "s|^  admin_listen: .*|  admin_listen: 127.0.0.1:$ADMIN_PORT|" \
    -e "s|^  max_k: .*|  max_k: 100|" \
    ${HYBRID_VECTOR_WEIGHT:+-e "s|^  hybrid_vector_weight: .*|  hybrid_vector_weight: $HYBRID_VECTOR_WEIGHT|"} \
    config/params.yaml >"$W/config/params.yaml"

t0=$(date +%s.%N)
build/bin/rag-ingest --config "$W/config/params.yaml" --full --quiet
t1=$(date +%s.%N)
echo "ingested $(ls "$W/transcripts" | wc -l) documents in $(echo "$t1 - $t0" | bc) s"

URL="http://127.0.0.1:$PORT"
build/bin/rag-api --config "$W/config/params.yaml" 2>"$W/api.stderr" &
API_PID=$!
for _ in $(seq 1 100); do
  curl -s --max-time 1 -o /dev/null "$URL/healthz" && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$W/api.stderr" >&2; exit 1; }
  sleep 0.1
done

python3 "$HERE/okapi_bm25.py" "$DATASET" >"$W/reference.jsonl"
# the mode the docs recommend for this embedder is the one auto picks (the default)
RECOMMENDED=$(build/bin/rag-api --config "$W/config/params.yaml" --print-settings | sed -n 's/^default_mode=//p')
EMBEDDER=$(sed -n 's/^  provider: *\([a-z]*\).*/\1/p' "$W/config/params.yaml")
export RECOMMENDED EMBEDDER
# shellcheck disable=SC2086  # MODES is a word list
python3 "$HERE/query_run.py" "$DATASET" "$URL" "$W/reference.jsonl" $MODES
