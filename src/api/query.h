/* query.h — answering a /query against one generation: BM25 top-N from FTS5
 * (sanitised MATCH inside a CTE), brute-force cosine top-N over the in-memory
 * normalised vectors, weighted Reciprocal Rank Fusion of the two for
 * "hybrid", the default mode per embedder, and grouping by document.
 * The result is rendered as the JSON response body. */
#ifndef API_QUERY_H
#define API_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "index_store.h"
#include "query_body.h"
#include "sanitise.h"

/* RRF constant (Cormack et al.): score = sum over lists of 1 / (K + rank). */
#define API_RRF_K 60
/* Candidates taken from each list before fusion (at least k). */
#define API_CANDIDATES 50

typedef struct api_hit {
    int64_t rowid;
    int64_t doc_id;  /* the chunk's document; filled only for grouping */
    double score;
    int bm25_rank;   /* 1-based, 0 = not in that list */
    int vector_rank;
} api_hit;

/* qsort order of api_hit: higher score first, ties to the lower rowid (the
 * order of exact search and of the SQL ranking). */
int api_hit_best_first(const void *a, const void *b);
/* Sort hits[0..n) in that order: a short list (up to RAG_SORT_SMALL, the
 * candidate lists of a query) by insertion in place, a longer one with
 * qsort. */
void api_sort_hits(api_hit *hits, size_t n);

/* Fuse two ranked lists (best first) by weighted RRF into out (capacity
 * cap): score = 1 / (K + bm25 rank) + vector_weight / (K + vector rank),
 * a term only for the lists a chunk is in. Returns the number written, best
 * first; ties broken by smaller rowid. */
size_t api_rrf_fuse(const api_hit *bm25, size_t n_bm25, const api_hit *vec, size_t n_vec, double vector_weight,
                    api_hit *out, size_t cap);

/* Keep the first (best-ranked) hit of each doc_id, in order, until k are
 * kept; compacts hits in place and returns how many were kept. */
size_t api_group_documents(api_hit *hits, size_t n, size_t k);

/* The mode a query runs in: the requested one; when the request names none
 * (API_MODE_AUTO), the configured default; when that is auto too, bm25 for
 * the hashing embedder's vectors (provider as recorded in the generation)
 * and hybrid for a real embedding model's. */
api_mode api_mode_resolve(api_mode requested, api_mode configured, const char *provider);

/* The mode a query that names none runs in under cfg, for a generation
 * embedded with cfg's provider (api_mode_resolve of the configured
 * default). rag-ingest evaluates golden queries in this mode
 * (docs/specs/quality.md). */
api_mode api_default_mode(const rag_config *cfg);

/* Copy the settings a query runs with (api.default_mode,
 * api.hybrid_vector_weight) from cfg into req. */
void api_query_req_settings(api_query_req *req, const rag_config *cfg);

/* The n_top highest dot products of query (dims) against g's vectors held
 * in memory (the live chunks of segments without an approximate index),
 * best first; chunks with a dot product <= 0 are not similar and never
 * listed. scratch holds g->n_exact floats. Returns the count written. */
size_t api_vector_topn(const api_generation *g, const float *query, float *scratch, api_hit *out, size_t n_top);

/* A term in more than max(this, 2% of the chunks) chunks is "common". */
#define API_BM25_COMMON_MIN 1000

/* BM25 top-N of text through lease l of g; fills out best first (scores are
 * -bm25, higher is better; equal scores by rowid). Pass 1 ranks the chunks
 * that contain every term; when that gives fewer than `want`, pass 2 appends
 * the chunks that contain any of the query's non-common terms. Returns the
 * count, or -1 with err. A query with no searchable terms gives 0. */
int api_bm25_topn(api_generation *g, api_lease *l, const char *text, size_t want, api_hit *out, size_t n_top,
                  rag_error *err);

/* The two ways api_bm25_topn computes the same list (exposed for tests).
 * Passes: each term's count (cached), then one FTS5 statement per pass,
 * scored by rag_bm25 — cheap on large generations, where a pass-1 AND stops
 * most queries before the OR. One statement: a single OR collects every
 * matching row with its term counts (rag_bm25_rows) and both passes rank it
 * in memory — on a small generation the match set is tiny and FTS5's cost
 * per term lookup (some 30k instructions each) is what a query pays, so
 * looking each term up once instead of up to three times wins. */
int api_bm25_topn_passes(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, size_t want,
                         api_hit *out, size_t n_top, rag_error *err);
int api_bm25_topn_one_statement(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, size_t want,
                                api_hit *out, size_t n_top, rag_error *err);
/* Pass 1 of a query with common and rarer terms looks the common ones up
 * by rowid in the rarer terms' matches when those are at most the common
 * terms' list entries / (API_BM25_PROBE_ENTRIES x their number), and at
 * most API_BM25_PROBE_MAX. */
#define API_BM25_PROBE_ENTRIES 8192
#define API_BM25_PROBE_MAX 256
/* Generations of at most this many chunks use the one-statement way. */
#define API_BM25_ONE_STATEMENT_MAX 256

/* Rank req on g with lease index `lease` as /query does: *hits (malloc'd,
 * the caller frees) gets the results best first, at most req->k, *n their
 * count, *mode the mode it ran in (may be NULL). RAG_OK or an error code. */
int api_query_rank(api_generation *g, int lease, const api_query_req *req, api_hit **hits, size_t *n,
                   api_mode *mode, rag_error *err);
/* Compute the vector list a hybrid req will fuse (its first round) now,
 * into req->vec_hits, for api_query_rank to use: a query worker holding
 * several hybrid queries runs their vector sides one after the other, then
 * their lexical sides, so each side finds its own data still in the CPU's
 * caches instead of the other's. Nothing for other modes or a req without
 * its embedding. RAG_OK or an error code (req unchanged: ranking then
 * computes the list itself). */
int api_query_vector_ahead(api_generation *g, int lease, api_query_req *req, rag_error *err);
/* The source path of chunk rowid (malloc'd), through lease `lease`. */
int api_chunk_source(api_generation *g, int lease, int64_t rowid, char **source, rag_error *err);

/* Run req on g with lease index `lease`; *body gets the JSON response
 * (malloc'd). started_us (monotonic, µs) is when the request arrived, for
 * took_ms. run_id is the run that published the generation. */
int api_query_run(api_generation *g, int lease, const api_query_req *req, const char *run_id,
                  int64_t started_us, char **body, rag_error *err);

#endif
