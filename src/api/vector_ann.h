/* vector_ann.h — vector candidates from a generation's approximate index
 * (rag/vector_index.h): the graph proposes candidates, each is rescored
 * exactly from the generation's float32 vector, so scores and order are
 * those exact search would give for the chunks found. */
#ifndef API_VECTOR_ANN_H
#define API_VECTOR_ANN_H

#include <stddef.h>

#include "index_store.h"
#include "query.h"

/* Most candidates one approximate search returns (document grouping's
 * widening stops here; exact search has no such cap). */
#define API_ANN_MAX_CANDIDATES 2000

/* Like api_vector_topn, for a generation with g->ann: the n_top chunks most
 * similar to query among max(n_top, api.ann_ef_search) graph candidates,
 * best first, dot product > 0 only. -1 with err on a storage error. */
int api_vector_ann_topn(const api_generation *g, api_lease *l, const float *query, api_hit *out, size_t n_top,
                        rag_error *err);

#endif
