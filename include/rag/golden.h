/* golden.h — the golden-queries file (docs/specs/quality.md): queries with
 * the transcripts that answer them, graded. rag-ingest evaluates every
 * candidate generation against it before publishing. Loading is strict:
 * every problem is "file:line:col: key: what is wrong", all of them listed. */
#ifndef RAG_GOLDEN_H
#define RAG_GOLDEN_H

#include <stddef.h>

#include "rag/common.h"

#define RAG_GOLDEN_VERSION 1
#define RAG_GOLDEN_MAX_QUERIES 1000
#define RAG_GOLDEN_MAX_RELEVANT 100
#define RAG_GOLDEN_MAX_GRADE 3
#define RAG_GOLDEN_MAX_QUERY_BYTES 4096 /* rag-api's API_QUERY_MAX_TEXT */
#define RAG_GOLDEN_MAX_FILE_BYTES (4 * 1024 * 1024)

typedef struct rag_golden_judgment {
    char *source; /* path relative to paths.transcripts, as /query's results[].source */
    int grade;    /* 1..RAG_GOLDEN_MAX_GRADE (1 = relevant) */
} rag_golden_judgment;

typedef struct rag_golden_query {
    char *id;
    char *query;
    rag_golden_judgment *relevant;
    size_t n_relevant;
} rag_golden_query;

typedef struct rag_golden {
    rag_golden_query *queries;
    size_t n;
    char sha256[65]; /* of the file's bytes */
} rag_golden;

/* Load and validate path. RAG_OK; RAG_ENOENT when the file does not exist
 * (one problem appended); RAG_ECORRUPT with every problem appended when it
 * is invalid; RAG_ERR when it cannot be read. g is empty on failure. */
int rag_golden_load(const char *path, rag_golden *g, rag_problems *problems, rag_error *err);
/* The same for a buffer; name is used in messages. */
int rag_golden_load_buffer(const char *name, const char *buf, size_t len, rag_golden *g, rag_problems *problems,
                           rag_error *err);
void rag_golden_free(rag_golden *g);

/* How a generation's measured quality stands against quality.min_ndcg and
 * quality.warn_ndcg (0 = off) and its publish gate — the one rule /healthz,
 * ragtop (console, --once, watch) judge by (healthz.md, "quality"). */
typedef enum {
    RAG_QUALITY_OK = 0,
    RAG_QUALITY_FORCED,     /* published with --force past the gate: warn */
    RAG_QUALITY_BELOW_WARN, /* nDCG@10 < warn_ndcg: warn */
    RAG_QUALITY_BELOW_MIN,  /* nDCG@10 < min_ndcg: fail */
} rag_quality_verdict;

rag_quality_verdict rag_quality_judge(double ndcg_at_10, const char *gate, double min_ndcg, double warn_ndcg);

#endif
