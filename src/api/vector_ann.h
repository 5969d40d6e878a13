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

/* Like api_vector_topn, for a generation with g->n_ann > 0: the n_top chunks
 * most similar to query among max(n_top, api.ann_ef_search) graph
 * candidates of each indexed segment and every chunk of the others, best
 * first, dot product > 0 only. -1 with err on a storage error. */
int api_vector_ann_topn(const api_generation *g, api_lease *l, const float *query, api_hit *out, size_t n_top,
                        rag_error *err);

#endif
