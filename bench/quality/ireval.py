#!/usr/bin/env python3
"""bench/quality/ireval.py — retrieval metrics with trec_eval's definitions,
for the quality benchmark:

  nDCG@10   gain = 5 - grade for Cranfield grades 1..4 (1 = most relevant),
            discount log2(rank + 1), ideal from all judged-relevant docs
  MAP@100   average precision over the first 100 results, divided by the
            number of relevant docs (trec_eval's map_cut_100)
  R@100     relevant docs in the first 100 / all relevant docs

A run is {qid: [doc, doc, ...]} in rank order (duplicates are dropped, the
first occurrence counts: chunk results are grouped by document); qrels are
{qid: {doc: grade}}. Queries with no relevant documents are left out of the
means, as trec_eval does."""
import math


def gain(grade):
    return 5 - grade


def dedupe(docs):
    seen, out = set(), []
    for d in docs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def ndcg_at(ranked, judged, k=10):
    dcg = sum(gain(judged[d]) / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in judged)
    ideal = sorted((gain(g) for g in judged.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def ap_at(ranked, judged, k=100):
    hits, total = 0, 0.0
    for i, d in enumerate(ranked[:k]):
        if d in judged:
            hits += 1
            total += hits / (i + 1)
    return total / len(judged) if judged else 0.0


def recall_at(ranked, judged, k=100):
    return sum(1 for d in ranked[:k] if d in judged) / len(judged) if judged else 0.0


def evaluate(run, qrels):
    """Mean nDCG@10, MAP@100, R@100 over the judged queries, and per query nDCG@10."""
    per_query = {}
    sums = [0.0, 0.0, 0.0]
    for qid, judged in qrels.items():
        ranked = dedupe(run.get(qid, []))
        n, a, r = ndcg_at(ranked, judged), ap_at(ranked, judged), recall_at(ranked, judged)
        per_query[qid] = n
        sums[0] += n
        sums[1] += a
        sums[2] += r
    count = max(1, len(qrels))
    return {"ndcg@10": sums[0] / count, "map@100": sums[1] / count, "r@100": sums[2] / count}, per_query
