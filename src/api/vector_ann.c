/* vector_ann.c — see vector_ann.h. The rescoring reads each candidate's
 * vector through the lease's own connection (SQLite page cache, the
 * segment's embeddings table), so rag-api keeps only the int8 graphs in
 * memory for indexed segments, not their float32 vectors. */
#include "vector_ann.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

/* Candidates rescored together: each lane's sum runs over j in the same
 * order as exact search's (so the score is bit for bit the same), the
 * lanes' independent sums keep the multiply-adds from waiting on each
 * other (one candidate at a time, the dependent chain of 384 float adds
 * was ~12% of what the vector side adds to a hybrid query). */
#define RESCORE_LANES 8
_Static_assert(RESCORE_LANES == 8, "rescore_sums's SSE2 path scores two groups of four lanes");

/* Each lane's sum over the query's non-zero components, in ascending j. */
static void rescore_sums(const float *query, const int *nz, int n_nz, const float *vecs, size_t dims,
                         float acc[RESCORE_LANES])
{
#if defined(__SSE2__)
    if ((size_t)n_nz == dims && dims % 4 == 0) {
        /* every component: lanes 0-3 and 4-7 side by side, four j at a time
         * (a 4 x 4 transpose of the lanes' values), each lane's sum still
         * one multiply and one add per j in ascending order, as the loop
         * below (and exact search) does */
        __m128 sum[2] = {_mm_setzero_ps(), _mm_setzero_ps()};
        for (size_t j = 0; j < dims; j += 4)
            for (int half = 0; half < 2; half++) {
                const float *v = vecs + (size_t)half * 4 * dims + j;
                __m128 r0 = _mm_loadu_ps(v), r1 = _mm_loadu_ps(v + dims), r2 = _mm_loadu_ps(v + 2 * dims),
                       r3 = _mm_loadu_ps(v + 3 * dims);
                _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
                sum[half] = _mm_add_ps(sum[half], _mm_mul_ps(_mm_set1_ps(query[j]), r0));
                sum[half] = _mm_add_ps(sum[half], _mm_mul_ps(_mm_set1_ps(query[j + 1]), r1));
                sum[half] = _mm_add_ps(sum[half], _mm_mul_ps(_mm_set1_ps(query[j + 2]), r2));
                sum[half] = _mm_add_ps(sum[half], _mm_mul_ps(_mm_set1_ps(query[j + 3]), r3));
            }
        _mm_storeu_ps(acc, sum[0]);
        _mm_storeu_ps(acc + 4, sum[1]);
        return;
    }
#endif
    for (size_t c = 0; c < RESCORE_LANES; c++) acc[c] = 0.0f;
    for (int t = 0; t < n_nz; t++) {
        const size_t j = (size_t)nz[t];
        const float q = query[j];
        for (size_t c = 0; c < RESCORE_LANES; c++) acc[c] += q * vecs[c * dims + j];
    }
}

/* Score the lanes vectors in vecs (dims apart; chunk rowids[c]) with
 * query's non-zero components (nz, n_nz of them, ascending) and append the
 * similar ones to cand (*n of them so far). */
static void rescore(const float *query, const int *nz, int n_nz, const float *vecs, size_t dims,
                    const int64_t *rowids, size_t lanes, api_hit *cand, size_t *n)
{
    float acc[RESCORE_LANES];
    rescore_sums(query, nz, n_nz, vecs, dims, acc);
    for (size_t c = 0; c < lanes; c++)
        if (acc[c] > 0.0f) /* orthogonal or opposite chunks are not "similar" at all */
            cand[(*n)++] = (api_hit){.rowid = rowids[c], .score = acc[c]};
}

/* Segment k's graph candidates, live only, rescored exactly, appended to
 * cand (*n of them so far). The float32 vectors are read through the
 * lease's blob handle for the segment, moved from row to row
 * (sqlite3_blob_reopen): a seek each, without a statement's run, reset and
 * read transaction per row (those were ~2 us a row, 50 rows a query); the
 * handle stays open between queries (opening it cost ~2% of a hybrid
 * query), and is closed after any error. vecs holds RESCORE_LANES vectors.
 * RAG_OK or the storage error. */
static int segment_candidates(const api_generation *g, api_lease *l, size_t k, const float *query, const int *nz,
                              int n_nz, size_t want, int64_t *ids, float *approx, float *vecs, api_hit *cand,
                              size_t *n, rag_error *err)
{
    /* tombstoned vectors still sit in the graph: ask for that many more */
    size_t ask = want + g->ann_dead[k];
    if (ask > g->ann_n[k]) ask = g->ann_n[k];
    long found = rag_ann_search(g->ann[k], query, ask, ids, approx);
    if (found < 0) return rag_error_set(err, RAG_ERR, "approximate vector search failed");
    const size_t dims = (size_t)g->dims;
    const int want_bytes = g->dims * (int)sizeof(float);
    char sch[16];
    api_segment_schema(g, k, sch);
    /* the best `want` live candidates, then read in rowid order: a
     * transcript's chunks are neighbours in rowid and often candidates
     * together, and the next row after the last read is a step along the
     * B-tree's leaf (or the same page) rather than a seek from its root */
    size_t kept = 0;
    for (long i = 0; i < found && kept < want; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= g->ann_n[k]) continue; /* checked at load; never trust blindly */
        const int64_t rowid = g->ann_rowids[k][ids[i]];
        if (!api_generation_is_dead(g, rowid)) ids[kept++] = rowid;
    }
    rag_sort_i64(ids, kept);
    sqlite3_blob *blob = l->vec_blob[k];
    int rc = RAG_OK;
    size_t lanes = 0;
    int64_t rowids[RESCORE_LANES];
    for (size_t i = 0; i < kept; i++) {
        const int64_t rowid = ids[i];
        int step = blob ? sqlite3_blob_reopen(blob, rowid)
                        : sqlite3_blob_open(l->db, sch, "embeddings", "vector", rowid, 0, &blob);
        const int size = step == SQLITE_OK ? sqlite3_blob_bytes(blob) : -1;
        if (step == SQLITE_OK && size == want_bytes) step = sqlite3_blob_read(blob, vecs + lanes * dims, want_bytes, 0);
        if (step != SQLITE_OK || size != want_bytes) {
            /* "no such rowid" is SQLITE_ERROR; damaged or unreadable file: /healthz fails at once */
            const int e = step & 0xff;
            const bool missing = step == SQLITE_ERROR, damaged = e == SQLITE_CORRUPT || e == SQLITE_IOERR ||
                                                                 e == SQLITE_NOTADB || e == SQLITE_FORMAT;
            rc = rag_error_set(err, step == SQLITE_OK || missing || damaged ? RAG_ECORRUPT : RAG_ERR,
                               "%s: vector of chunk %lld: %s", g->gs.segs[k].path, (long long)rowid,
                               step == SQLITE_OK ? "wrong size" : missing ? "missing" : sqlite3_errstr(step));
            sqlite3_blob_close(blob); /* a failed reopen leaves it unusable */
            blob = NULL;
            break;
        }
        rowids[lanes++] = rowid;
        if (lanes == RESCORE_LANES) {
            rescore(query, nz, n_nz, vecs, dims, rowids, lanes, cand, n);
            lanes = 0;
        }
    }
    if (rc == RAG_OK && lanes > 0) rescore(query, nz, n_nz, vecs, dims, rowids, lanes, cand, n);
    l->vec_blob[k] = blob;
    return rc;
}

int api_vector_ann_topn(const api_generation *g, api_lease *l, const float *query, api_hit *out, size_t n_top,
                        rag_error *err)
{
    if (!g->n_ann || n_top == 0) return 0;
    bool any = false;
    for (int j = 0; j < g->dims && !any; j++) any = query[j] != 0.0f;
    if (!any) return 0; /* nothing to compare: no vector results (as exact search) */
    /* the graph searches api.ann_ef_search wide (set at load); the best
     * of what it found are rescored */
    size_t want = n_top;
    if (want > API_ANN_MAX_CANDIDATES) want = API_ANN_MAX_CANDIDATES;
    size_t most = 0; /* the largest graph search */
    for (size_t k = 0; k < g->gs.n; k++)
        if (g->ann[k]) {
            size_t ask = want + g->ann_dead[k] < g->ann_n[k] ? want + g->ann_dead[k] : g->ann_n[k];
            if (ask > most) most = ask;
        }
    /* every indexed segment's candidates plus the exact scan's top n_top */
    const size_t cap = want * (size_t)g->n_ann + n_top;
    int64_t *ids = malloc((most ? most : 1) * sizeof *ids);
    float *approx = malloc((most ? most : 1) * sizeof *approx);
    api_hit *cand = malloc(cap * sizeof *cand);
    float *vecs = calloc(RESCORE_LANES * (size_t)g->dims, sizeof *vecs);
    int *nz = malloc((size_t)g->dims * sizeof *nz); /* the query's non-zero components, ascending */
    int rc = -1, n_nz = 0;
    if (!ids || !approx || !cand || !vecs || !nz) {
        rag_error_set(err, RAG_ERR, "out of memory");
        goto out;
    }
    for (int j = 0; j < g->dims; j++)
        if (query[j] != 0.0f) nz[n_nz++] = j; /* the same sum, in the same order, as exact search */
    size_t n = api_vector_topn(g, query, l->scores, cand, n_top); /* the segments without a graph */
    for (size_t k = 0; k < g->gs.n; k++)
        if (g->ann[k] && segment_candidates(g, l, k, query, nz, n_nz, want, ids, approx, vecs, cand, &n, err) != RAG_OK)
            goto out;
    api_sort_hits(cand, n);
    if (n > n_top) n = n_top;
    for (size_t i = 0; i < n; i++) {
        out[i] = cand[i];
        out[i].vector_rank = (int)i + 1;
        out[i].bm25_rank = 0;
    }
    rc = (int)n;
out:
    free(ids);
    free(approx);
    free(cand);
    free(vecs);
    free(nz);
    return rc;
}
