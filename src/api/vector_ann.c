/* vector_ann.c — see vector_ann.h. The rescoring reads each candidate's
 * vector through the lease's own connection (SQLite page cache), so rag-api
 * keeps only the int8 graph in memory, not the float32 vectors. */
#include "vector_ann.h"

#include <stdlib.h>
#include <string.h>

static int by_score(const void *a, const void *b) /* best first; ties: lower rowid first, as exact search */
{
    const api_hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->rowid > y->rowid) - (x->rowid < y->rowid);
}

int api_vector_ann_topn(const api_generation *g, api_lease *l, const float *query, api_hit *out, size_t n_top,
                        rag_error *err)
{
    if (!g->ann || n_top == 0) return 0;
    bool any = false;
    for (int j = 0; j < g->dims && !any; j++) any = query[j] != 0.0f;
    if (!any) return 0; /* nothing to compare: no vector results (as exact search) */
    size_t want = n_top > (size_t)g->ann_ef ? n_top : (size_t)g->ann_ef;
    if (want > API_ANN_MAX_CANDIDATES) want = API_ANN_MAX_CANDIDATES;
    int64_t *ids = malloc(want * sizeof *ids);
    float *approx = malloc(want * sizeof *approx);
    api_hit *cand = malloc(want * sizeof *cand);
    int rc = -1;
    if (!ids || !approx || !cand) {
        rag_error_set(err, RAG_ERR, "out of memory");
        goto out;
    }
    long found = rag_ann_search(g->ann, query, want, ids, approx);
    if (found < 0) {
        rag_error_set(err, RAG_ERR, "approximate vector search failed");
        goto out;
    }
    size_t n = 0;
    const size_t want_bytes = (size_t)g->dims * sizeof(float);
    for (long i = 0; i < found; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= g->n) continue; /* checked at load; never trust blindly */
        const int64_t rowid = g->rowids[ids[i]];
        sqlite3_reset(l->vec);
        sqlite3_bind_int64(l->vec, 1, rowid);
        int step = sqlite3_step(l->vec);
        const unsigned char *b = step == SQLITE_ROW ? sqlite3_column_blob(l->vec, 0) : NULL;
        if (!b || (size_t)sqlite3_column_bytes(l->vec, 0) != want_bytes) {
            const int e = sqlite3_errcode(l->db) & 0xff; /* damaged or unreadable file: /healthz fails at once */
            const bool damaged = e == SQLITE_CORRUPT || e == SQLITE_IOERR || e == SQLITE_NOTADB || e == SQLITE_FORMAT;
            int code = step == SQLITE_ROW || step == SQLITE_DONE || damaged ? RAG_ECORRUPT : RAG_ERR;
            rag_error_set(err, code, "vector of chunk %lld: %s", (long long)rowid,
                          step == SQLITE_ROW ? "wrong size" : step == SQLITE_DONE ? "missing" : sqlite3_errmsg(l->db));
            sqlite3_reset(l->vec);
            goto out;
        }
        float sc = 0.0f;
        for (int j = 0; j < g->dims; j++) {
            if (query[j] == 0.0f) continue; /* the same sum, in the same order, as exact search */
            float f;
            memcpy(&f, b + (size_t)j * sizeof f, sizeof f);
            sc += query[j] * f;
        }
        if (sc > 0.0f) /* orthogonal or opposite chunks are not "similar" at all */
            cand[n++] = (api_hit){.rowid = rowid, .score = sc};
    }
    sqlite3_reset(l->vec);
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
