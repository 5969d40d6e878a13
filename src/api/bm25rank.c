/* bm25rank.c — the rag_bm25 FTS5 ranking function (see bm25rank.h). */
#include "bm25rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"

#define BM25_K1 1.2
#define BM25_B 0.75
#define MAX_PHRASES 64

double api_bm25_idf(int64_t n, int64_t df)
{
    double idf = log(((double)n - (double)df + 0.5) / ((double)df + 0.5));
    return idf <= 0.0 ? 1e-6 : idf; /* as FTS5: a term in most rows still counts a little */
}

/* The slot of rowid's length in a->lengths, or NULL when it has none. */
static const uint32_t *length_slot(const api_bm25_args *a, int64_t rowid)
{
    if (a->n == 0) return NULL;
    size_t at;
    const int64_t first = a->rowids[0];
    if (a->rowids[a->n - 1] - first == (int64_t)a->n - 1) {
        /* Dense ids (first..first+n-1, the usual case): the row's slot is
         * its offset, one load instead of a cache-missing binary search. */
        if (rowid < first || rowid - first >= (int64_t)a->n) return NULL;
        at = (size_t)(rowid - first);
    } else {
        const ptrdiff_t i = rag_find_sorted_i64(a->rowids, a->n, rowid);
        if (i < 0) return NULL;
        at = (size_t)i;
    }
    return &a->lengths[at];
}

double api_bm25_score(const double *idf, const int *freq, int n, int64_t len, double avg_length)
{
    const double norm = BM25_K1 * (1.0 - BM25_B + BM25_B * (double)len / (avg_length > 0 ? avg_length : 1.0));
    double score = 0.0;
    for (int i = 0; i < n; i++)
        score += idf[i] * (freq[i] * (BM25_K1 + 1.0)) / (freq[i] + norm);
    return score;
}

/* The current row's length and each phrase's number of hits in it. The
 * lengths array is read at random (a row per match; 4 MB at 1M chunks), so
 * its load is started first and used last: the cache miss overlaps counting
 * the hits instead of stalling the row (it was a fifth of a bm25 query's
 * CPU at 1M chunks). */
static int row_stats(const Fts5ExtensionApi *api, Fts5Context *fts, const api_bm25_args *a, int n_phrase, int64_t *len,
                     int *freq)
{
    const uint32_t *slot = length_slot(a, api->xRowid(fts));
    if (slot) __builtin_prefetch(slot);
    /* Each phrase's occurrences in the row, phrase by phrase: cheaper than
     * xInstCount/xInst, which first merge every phrase's positions into
     * one sorted instance list. */
    for (int i = 0; i < n_phrase; i++) {
        Fts5PhraseIter it;
        int col = -1, off = -1;
        freq[i] = 0;
        int rc = api->xPhraseFirst(fts, i, &it, &col, &off);
        if (rc != SQLITE_OK) return rc;
        for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) freq[i]++;
    }
    *len = slot && *slot != API_BM25_NO_LENGTH ? (int64_t)*slot : -1;
    if (*len < 0) {
        int n = 0; /* a chunk without a loaded length: the generation is inconsistent; ask FTS5 */
        int rc = api->xColumnSize(fts, 0, &n);
        if (rc != SQLITE_OK) return rc;
        *len = n;
    }
    return SQLITE_OK;
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const api_bm25_args *a = argc == 1 ? sqlite3_value_pointer(argv[0], API_BM25_PTR) : NULL;
    int n_phrase = api->xPhraseCount(fts);
    if (!a || n_phrase != a->n_idf || n_phrase > MAX_PHRASES) {
        sqlite3_result_error(ctx, "rag_bm25: arguments do not match the query", -1);
        return;
    }
    int freq[MAX_PHRASES];
    int64_t len;
    int rc = row_stats(api, fts, a, n_phrase, &len, freq);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    sqlite3_result_double(ctx, -api_bm25_score(a->idf, freq, n_phrase, len, a->avg_length)); /* FTS5's convention: lower is better */
}

static void rows_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    api_bm25_rows *r = argc == 1 ? sqlite3_value_pointer(argv[0], API_BM25_ROWS_PTR) : NULL;
    int n_phrase = api->xPhraseCount(fts);
    if (!r || !r->args || n_phrase != r->n_phrase || n_phrase > MAX_PHRASES) {
        sqlite3_result_error(ctx, "rag_bm25_rows: arguments do not match the query", -1);
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        int64_t *rowid = realloc(r->rowid, cap * sizeof *rowid);
        if (rowid) r->rowid = rowid;
        int64_t *len = realloc(r->len, cap * sizeof *len);
        if (len) r->len = len;
        int *freq = realloc(r->freq, cap * (size_t)n_phrase * sizeof *freq);
        if (freq) r->freq = freq;
        if (!rowid || !len || !freq) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        r->cap = cap;
    }
    int rc = row_stats(api, fts, r->args, n_phrase, &r->len[r->n], &r->freq[r->n * (size_t)n_phrase]);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    r->rowid[r->n++] = api->xRowid(fts);
    sqlite3_result_null(ctx);
}

static void top_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    api_bm25_top *t = argc == 1 ? sqlite3_value_pointer(argv[0], API_BM25_TOP_PTR) : NULL;
    int n_phrase = api->xPhraseCount(fts);
    if (!t || !t->args || !t->top.hit || t->top.cap == 0 || n_phrase != t->args->n_idf || n_phrase > MAX_PHRASES) {
        sqlite3_result_error(ctx, "rag_bm25_top: arguments do not match the query", -1);
        return;
    }
    int freq[MAX_PHRASES];
    int64_t len;
    int rc = row_stats(api, fts, t->args, n_phrase, &len, freq);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    api_top_offer(&t->top, api->xRowid(fts), api_bm25_score(t->args->idf, freq, n_phrase, len, t->args->avg_length));
    sqlite3_result_null(ctx);
}

void api_bm25_rows_free(api_bm25_rows *r)
{
    free(r->rowid);
    free(r->len);
    free(r->freq);
    memset(r, 0, sizeof *r);
}

int api_bm25_register(sqlite3 *db)
{
    fts5_api *fts = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return RAG_ERR;
    sqlite3_bind_pointer(st, 1, (void *)&fts, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (!fts || fts->iVersion < 2) return RAG_ERR;
    return fts->xCreateFunction(fts, "rag_bm25", NULL, rank_fn, NULL) == SQLITE_OK &&
                   fts->xCreateFunction(fts, "rag_bm25_rows", NULL, rows_fn, NULL) == SQLITE_OK &&
                   fts->xCreateFunction(fts, "rag_bm25_top", NULL, top_fn, NULL) == SQLITE_OK
               ? RAG_OK
               : RAG_ERR;
}
