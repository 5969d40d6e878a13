/* tophits.h — the n best (rowid, score) pairs of a stream: a bounded
 * min-heap (the worst kept at the root), higher score first, ties to the
 * lower rowid — the order of "ORDER BY score DESC, rowid LIMIT n". Used by
 * the exact vector scan (query.c) and rag_bm25_top (bm25rank.c). */
#ifndef API_TOPHITS_H
#define API_TOPHITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct api_scored {
    int64_t rowid;
    double score;
} api_scored;

typedef struct api_top {
    api_scored *hit; /* room for cap; a heap until api_top_sort */
    size_t n, cap;
} api_top;

/* Whether a row scoring `score` could be kept (a cheap test before building
 * it: true may still be refused on the rowid tie). */
static inline bool api_top_may_keep(const api_top *t, double score)
{
    return t->n < t->cap || (t->cap > 0 && score >= t->hit[0].score);
}

/* Keep (rowid, score) if it is among the cap best so far. */
void api_top_offer(api_top *t, int64_t rowid, double score);

/* Order the kept pairs best first (the heap is gone after). */
void api_top_sort(api_top *t);

#endif
