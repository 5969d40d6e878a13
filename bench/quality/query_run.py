#!/usr/bin/env python3
"""bench/quality/query_run.py — run every Cranfield query through a live
rag-api /query and score the answers, beside the textbook BM25 reference.

  query_run.py DATASET API_URL REFERENCE_RUN.jsonl MODE...

MODE is bm25 | vector | hybrid | default (no "mode" field: what a client
that says nothing gets). Each query asks for k=100 chunks; chunks are mapped
to their document (cran-NNNN.txt) and grouped (first occurrence counts).
Latency is measured at the client, one request at a time. Prints one table
row per mode plus the reference, and per mode how many queries are better /
worse than rag-api's bm25 mode on nDCG@10; then the acceptance checks: the
default mode's nDCG@10 against the textbook reference, and the modes the
docs recommend for the embedder (env RECOMMENDED, EMBEDDER; set by run.sh)
against bm25."""
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cranfield  # noqa: E402
import ireval  # noqa: E402

DOC = re.compile(r"cran-(\d+)\.txt$")


def ask(url, q, mode):
    body = {"q": q, "k": 100}
    if mode != "default":
        body["mode"] = mode
    req = urllib.request.Request(url + "/query", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = json.load(resp)
    took = (time.perf_counter() - t0) * 1000.0
    docs = [int(m.group(1)) for m in (DOC.search(r["source"]) for r in answer["results"]) if m]
    return docs, took, answer["mode"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main(dataset, url, reference, modes):
    qrels = {}
    for qid, doc, grade in cranfield.qrels(dataset):
        qrels.setdefault(qid, {})[doc] = grade
    queries = list(cranfield.queries(dataset))
    rows = []
    per_query = {}
    for mode in modes:
        run, lat, served = {}, [], mode
        for qid, q in queries:
            run[qid], took, served = ask(url, q, mode)
            lat.append(took)
        means, per_query[mode] = ireval.evaluate(run, qrels)
        label = mode if mode != "default" else "default (%s)" % served
        rows.append((label, means, percentile(lat, 50), percentile(lat, 95)))
    ref = {}
    with open(reference) as f:
        for line in f:
            o = json.loads(line)
            ref[o["qid"]] = o["docs"]
    ref_means, _ = ireval.evaluate(ref, qrels)

    print("%-26s %8s %8s %8s %9s %9s" % ("mode", "nDCG@10", "MAP@100", "R@100", "p50 ms", "p95 ms"))
    for label, m, p50, p95 in rows:
        print("%-26s %8.3f %8.3f %8.3f %9.1f %9.1f" % (label, m["ndcg@10"], m["map@100"], m["r@100"], p50, p95))
    print("%-26s %8.3f %8.3f %8.3f %9s %9s" % ("reference: Okapi BM25", ref_means["ndcg@10"],
                                               ref_means["map@100"], ref_means["r@100"], "-", "-"))
    if "bm25" in per_query:
        base = per_query["bm25"]
        for mode in modes:
            if mode == "bm25":
                continue
            better = sum(1 for q in base if per_query[mode][q] > base[q] + 1e-9)
            worse = sum(1 for q in base if per_query[mode][q] < base[q] - 1e-9)
            print("%s vs bm25 (nDCG@10 per query): better on %d, worse on %d of %d" % (mode, better, worse, len(base)))
    by_mode = {}
    for (label, m, _, _), mode in zip(rows, modes):
        by_mode[mode] = m["ndcg@10"]
        if label.startswith("default"):
            print("default mode %s: nDCG@10 %.3f vs textbook BM25 %.3f = %.2fx: %s" %
                  (label[len("default "):], m["ndcg@10"], ref_means["ndcg@10"], m["ndcg@10"] / ref_means["ndcg@10"],
                   "ok" if m["ndcg@10"] >= ref_means["ndcg@10"] - 1e-9 else "MISSED"))
    recommended = os.environ.get("RECOMMENDED", "").split()
    if recommended and "bm25" in by_mode:
        worse = [r for r in recommended if r in by_mode and by_mode[r] < by_mode["bm25"] - 1e-9]
        print("mode the docs recommend for the %s embedder: %s; worse than bm25 (%.3f): %s" %
              (os.environ.get("EMBEDDER", "?"), ", ".join(recommended), by_mode["bm25"],
               ", ".join(worse) + ": MISSED" if worse else "none: ok"))


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
