/* vector_ann.c — see vector_ann.h. The rescoring reads each candidate's
 * vector through the lease's own connection (SQLite page cache, the
 * segment's embeddings table), so rag-api keeps only the int8 graphs in
 * memory for indexed segments, not their float32 vectors. */
#include "vector_ann.h"

#include <stdlib.h>
#include <string.h>

static int by_score(const void *a, const void *b) /* best first; ties: lower rowid first, as exact search */
{
    const api_hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->rowid > y->rowid) - (x->rowid < y->rowid);
}

/* Segment k's graph candidates, live only, rescored exactly, appended to
 * cand (*n of them so far). RAG_OK or the storage error. */
static int segment_candidates(const api_generation *g, api_lease *l, size_t k, const float *query, size_t want,
                              int64_t *ids, float *approx, api_hit *cand, size_t *n, rag_error *err)
{
    /* tombstoned vectors still sit in the graph: ask for that many more */
    size_t ask = want + g->ann_dead[k];
    if (ask > g->ann_n[k]) ask = g->ann_n[k];
    long found = rag_ann_search(g->ann[k], query, ask, ids, approx);
    if (found < 0) return rag_error_set(err, RAG_ERR, "approximate vector search failed");
    const size_t want_bytes = (size_t)g->dims * sizeof(float);
    sqlite3_stmt *vs = l->vec[k];
    size_t kept = 0;
    for (long i = 0; i < found && kept < want; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= g->ann_n[k]) continue; /* checked at load; never trust blindly */
        const int64_t rowid = g->ann_rowids[k][ids[i]];
        if (api_generation_is_dead(g, rowid)) continue;
        sqlite3_reset(vs);
        sqlite3_bind_int64(vs, 1, rowid);
        int step = sqlite3_step(vs);
        const unsigned char *b = step == SQLITE_ROW ? sqlite3_column_blob(vs, 0) : NULL;
        if (!b || (size_t)sqlite3_column_bytes(vs, 0) != want_bytes) {
            const int e = sqlite3_errcode(l->db) & 0xff; /* damaged or unreadable file: /healthz fails at once */
            const bool damaged = e == SQLITE_CORRUPT || e == SQLITE_IOERR || e == SQLITE_NOTADB || e == SQLITE_FORMAT;
            int code = step == SQLITE_ROW || step == SQLITE_DONE || damaged ? RAG_ECORRUPT : RAG_ERR;
            rag_error_set(err, code, "%s: vector of chunk %lld: %s", g->gs.segs[k].path, (long long)rowid,
                          step == SQLITE_ROW ? "wrong size" : step == SQLITE_DONE ? "missing" : sqlite3_errmsg(l->db));
            sqlite3_reset(vs);
            return code;
        }
        float sc = 0.0f;
        for (int j = 0; j < g->dims; j++) {
            if (query[j] == 0.0f) continue; /* the same sum, in the same order, as exact search */
            float f;
            memcpy(&f, b + (size_t)j * sizeof f, sizeof f);
            sc += query[j] * f;
        }
        kept++;
        if (sc > 0.0f) /* orthogonal or opposite chunks are not "similar" at all */
            cand[(*n)++] = (api_hit){.rowid = rowid, .score = sc};
    }
    sqlite3_reset(vs);
    return RAG_OK;
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
    int rc = -1;
    if (!ids || !approx || !cand) {
        rag_error_set(err, RAG_ERR, "out of memory");
        goto out;
    }
    size_t n = api_vector_topn(g, query, l->scores, cand, n_top); /* the segments without a graph */
    for (size_t k = 0; k < g->gs.n; k++)
        if (g->ann[k] && segment_candidates(g, l, k, query, want, ids, approx, cand, &n, err) != RAG_OK) goto out;
    qsort(cand, n, sizeof *cand, by_score);
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
    return rc;
}
