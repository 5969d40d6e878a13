/* evaluate.h — retrieval quality of one index generation on the golden
 * queries (docs/specs/quality.md): every query is run through rag-api's own
 * code (index_store + api_query_run, the JSON body a client would get), the
 * results are reduced to documents (first occurrence of a source is the
 * document's rank) and scored with the trec_eval definitions of nDCG@10,
 * recall@k and reciprocal rank. */
#ifndef INGEST_EVALUATE_H
#define INGEST_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rag/config.h"
#include "rag/golden.h"
#include "rag/manifest.h"

/* nDCG's cutoff: fixed, so figures compare across configs. */
#define EVAL_NDCG_CUTOFF 10

typedef struct eval_query {
    double ndcg_at_10;
    double recall_at_k;
    double rr;        /* 1 / rank of the first relevant document, 0 when none was retrieved */
    int first_rank;   /* that rank, 0 = none */
    bool failed;      /* none of its relevant sources in the top k */
} eval_query;

typedef struct eval_result {
    char mode[16];    /* retrieval mode evaluated */
    int k;
    size_t n;         /* queries */
    eval_query *q;    /* n, in the golden file's order */
    double ndcg_at_10, recall_at_k, mrr; /* means over the queries */
    int64_t failed;
    int64_t elapsed_ms;
} eval_result;

/* Score one query: ranked = the distinct sources retrieved, best first. */
void eval_score_query(const char *const *ranked, size_t n_ranked, const rag_golden_query *q, int k, eval_query *out);

/* nDCG at cutoff (trec_eval's ndcg_cut): gains = the grades of the ranked
 * documents (0 = not relevant), ideal = every judgment's grade. */
double eval_ndcg(const int *gains, size_t n_gains, const int *ideal, size_t n_ideal, int cutoff);

/* Means and failed count from res->q. */
void eval_summarise(eval_result *res);

/* Evaluate the generation file path (named by manifest m: its generation,
 * chunk count and config hash are checked as rag-api checks them) in
 * rag-api's default mode for cfg. RAG_OK or an error (the file cannot be
 * opened, a query failed). Free res with eval_result_free. */
int eval_generation(const rag_config *cfg, const char *path, const rag_manifest *m, const rag_golden *g,
                    eval_result *res, rag_error *err);
void eval_result_free(eval_result *res);

/* Fill m->quality from res (failed_queries: at most 50, in file order). */
void eval_to_manifest(const eval_result *res, const rag_golden *g, const char *gate, int64_t now_ms,
                      rag_manifest *m);

#endif
