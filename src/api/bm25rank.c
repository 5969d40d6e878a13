/* bm25rank.c — the rag_bm25 FTS5 ranking function (see bm25rank.h). */
#include "bm25rank.h"

#include <math.h>
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

static int64_t length_of(const api_bm25_args *a, int64_t rowid)
{
    if (a->n == 0) return -1;
    size_t at;
    const int64_t first = a->rowids[0];
    if (a->rowids[a->n - 1] - first == (int64_t)a->n - 1) {
        /* Dense ids (first..first+n-1, the usual case): the row's slot is
         * its offset, one load instead of a cache-missing binary search. */
        if (rowid < first || rowid - first >= (int64_t)a->n) return -1;
        at = (size_t)(rowid - first);
    } else {
        size_t lo = 0, hi = a->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (a->rowids[mid] < rowid) lo = mid + 1;
            else hi = mid;
        }
        if (lo >= a->n || a->rowids[lo] != rowid) return -1;
        at = lo;
    }
    return a->lengths[at] != API_BM25_NO_LENGTH ? (int64_t)a->lengths[at] : -1;
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const api_bm25_args *a = argc == 1 ? sqlite3_value_pointer(argv[0], API_BM25_PTR) : NULL;
    int n_phrase = api->xPhraseCount(fts);
    if (!a || n_phrase != a->n_idf || n_phrase > MAX_PHRASES) {
        sqlite3_result_error(ctx, "rag_bm25: arguments do not match the query", -1);
        return;
    }
    int64_t len = length_of(a, api->xRowid(fts));
    if (len < 0) {
        int n = 0; /* a chunk without a vector: the generation is inconsistent; ask FTS5 */
        if (api->xColumnSize(fts, 0, &n) != SQLITE_OK) {
            sqlite3_result_error(ctx, "rag_bm25: no length for the row", -1);
            return;
        }
        len = n;
    }
    /* Each phrase's occurrences in the row, phrase by phrase: cheaper than
     * xInstCount/xInst, which first merge every phrase's positions into
     * one sorted instance list. */
    const double norm = BM25_K1 * (1.0 - BM25_B + BM25_B * (double)len / (a->avg_length > 0 ? a->avg_length : 1.0));
    double score = 0.0;
    for (int i = 0; i < n_phrase; i++) {
        Fts5PhraseIter it;
        int col = -1, off = -1, freq = 0;
        int rc = api->xPhraseFirst(fts, i, &it, &col, &off);
        if (rc != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) freq++;
        score += a->idf[i] * (freq * (BM25_K1 + 1.0)) / (freq + norm);
    }
    sqlite3_result_double(ctx, -score); /* FTS5's convention: lower is better */
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
    return fts->xCreateFunction(fts, "rag_bm25", NULL, rank_fn, NULL) == SQLITE_OK ? RAG_OK : RAG_ERR;
}
