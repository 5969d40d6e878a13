/* vector_ann.h — vector candidates of a generation some of whose segments
 * have an approximate index (rag/vector_index.h): each such segment's graph
 * proposes candidates (its tombstoned chunks skipped), each is rescored
 * exactly from the segment's float32 vector, and they are merged with the
 * exact scan of the other segments' vectors, so scores and order are those
 * exact search would give for the chunks found. */
#ifndef API_VECTOR_ANN_H
#define API_VECTOR_ANN_H

#include <stddef.h>

#include "index_store.h"
#include "query.h"

/* Most candidates one approximate search of one segment returns (document
 * grouping's widening stops here; exact search has no such cap). */
#define API_ANN_MAX_CANDIDATES 2000
/* Of the graph's candidates (best first by their int8 score), how many
 * per wanted chunk are rescored exactly: each rescoring reads a float32
 * vector through SQLite (~5-10 us, most of a query's vector cost at ef 200),
 * and the int8 score is within ~1e-3 of the exact one, far less than the
 * gap between the n_top-th and the 2*n_top-th chunk of a real query. */
#define API_ANN_RESCORE_FACTOR 2

/* Like api_vector_topn, for a generation with g->n_ann > 0: the n_top chunks
 * most similar to query among the best API_ANN_RESCORE_FACTOR * n_top of
 * each indexed segment's graph search (breadth api.ann_ef_search), rescored
 * exactly, and every chunk of the other segments, best first, dot product >
 * 0 only. -1 with err on a storage error. */
int api_vector_ann_topn(const api_generation *g, api_lease *l, const float *query, api_hit *out, size_t n_top,
                        rag_error *err);

#endif
