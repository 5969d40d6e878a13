/* bm25rank.h — "rag_bm25", an FTS5 ranking function registered on every
 * query connection: Okapi BM25 with FTS5's own formula and constants (k1 1.2,
 * b 0.75, idf = ln((N - df + 0.5) / (df + 0.5)), at least 1e-6), but fed
 * from memory — each term's df from the generation's term-count cache and
 * each chunk's length from the array loaded with the generation — instead of
 * FTS5's bm25(), which scans every query term's whole posting list for its
 * idf and looks each matching row's length up in the docsize table. Same
 * scores, a fraction of the cost on OR queries with thousands of matches. */
#ifndef API_BM25RANK_H
#define API_BM25RANK_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "tophits.h"

/* Per query: bound as a pointer (type API_BM25_PTR) to the function's
 * second argument, rag_bm25(chunks_fts, ?). idf[i] is for the MATCH
 * expression's phrase i. */
typedef struct api_bm25_args {
    const double *idf;
    int n_idf;
    const int64_t *rowids; /* strictly ascending (chunk ids: unique) */
    const uint32_t *lengths; /* tokens of rowids[i] as FTS5 counted them */
    size_t n;
    double avg_length;
} api_bm25_args;

#define API_BM25_PTR "rag_bm25_args"
/* lengths[i] when the docsize table has no row for the chunk (FTS5 is asked). */
#define API_BM25_NO_LENGTH UINT32_MAX

/* rag_bm25_rows(chunks_fts, ?): bound as a pointer (type API_BM25_ROWS_PTR);
 * appends every matching row's rowid, length (from args, else FTS5's) and
 * per-phrase hit counts, so one statement gives a small generation's whole
 * match set (query.c ranks it in memory). */
typedef struct api_bm25_rows {
    const api_bm25_args *args; /* lengths (idf unused) */
    int n_phrase;
    size_t n, cap;
    int64_t *rowid;
    int64_t *len;
    int *freq; /* freq[row * n_phrase + phrase] */
} api_bm25_rows;

#define API_BM25_ROWS_PTR "rag_bm25_rows"

void api_bm25_rows_free(api_bm25_rows *r);

/* rag_bm25_top(chunks_fts, ?): bound as a pointer (type API_BM25_TOP_PTR);
 * keeps the cap best matching rows by rag_bm25's score (higher first, ties:
 * lower rowid first) — what "ORDER BY rag_bm25(...), rowid LIMIT cap" gives,
 * without SQLite's sorter, which cost each match a record, a comparison and
 * a second call of the ranking function for the rows entering the top. */
typedef struct api_bm25_top {
    const api_bm25_args *args;
    api_top top; /* cap at least 1; api_top_sort after the statement ran */
} api_bm25_top;

#define API_BM25_TOP_PTR "rag_bm25_top"

/* Okapi BM25 of a row of len tokens with freq[i] hits of term i (idf[i]):
 * the formula rag_bm25 ranks by (higher is better). */
double api_bm25_score(const double *idf, const int *freq, int n, int64_t len, double avg_length);

/* FTS5's idf for a term in df of n chunks. */
double api_bm25_idf(int64_t n, int64_t df);

/* Register rag_bm25, rag_bm25_rows and rag_bm25_top on db. RAG_OK or RAG_ERR. */
int api_bm25_register(sqlite3 *db);

#endif
