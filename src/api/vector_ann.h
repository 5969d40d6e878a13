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
 * most similar to query among the best n_top of each indexed segment's graph
 * search (breadth api.ann_ef_search, by int8 score), rescored exactly, and
 * every chunk of the other segments, best first, dot product > 0 only.
 * Only n_top are rescored: each rescoring reads a float32 vector through
 * SQLite (~3-10 us), and the int8 score is within ~1e-3 of the exact one,
 * so a wider rescoring changed no top 10 (recall@10 0.998 at 1M chunks
 * either way, bench/api/vectors.sh) and cost ~0.45 ms a query at 1M.
 * -1 with err on a storage error. */
int api_vector_ann_topn(const api_generation *g, api_lease *l, const float *query, api_hit *out, size_t n_top,
                        rag_error *err);

#endif
