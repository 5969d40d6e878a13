/* ann.h — the approximate nearest-neighbour graph behind vector search: a
 * small C interface over hnswlib (src/core/ann.cpp, the only C++ in ragtop).
 * Similarity is the inner product (ragtop's vectors are L2-normalised, so
 * it is the cosine). The graph stores each vector quantised to int8 with one
 * float scale per vector (dims + 4 bytes instead of 4 * dims), so scores it
 * returns are approximate: callers rescore candidates exactly. Ids are the
 * vectors' positions in the order added. It is saved and loaded through
 * byte callbacks so vector_index.c can keep it in the generation file. */
#ifndef RAG_ANN_H
#define RAG_ANN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rag_ann rag_ann;

/* Byte sink / source: return the number of bytes written / read (fewer =
 * error / end of data). */
typedef size_t (*rag_ann_write_fn)(void *ud, const void *buf, size_t n);
typedef size_t (*rag_ann_read_fn)(void *ud, void *buf, size_t n);

/* An empty graph for up to capacity vectors of dims floats; m = links per
 * node (HNSW M), ef_construction = candidate list length while building. */
rag_ann *rag_ann_new(int dims, size_t capacity, int m, int ef_construction, char *msg, size_t msgsz);
/* Add n vectors (row-major, dims floats each) with ids first_id.. on up to
 * threads threads. stop (may be NULL) is read before each vector: once it is
 * non-zero the threads add nothing more and 1 is returned (the graph then
 * holds only some of the vectors: discard it). 0 = all added, -1 = error. */
int rag_ann_add(rag_ann *a, size_t n, const float *x, size_t first_id, int threads, const volatile int *stop,
                char *msg, size_t msgsz);
size_t rag_ann_count(const rag_ann *a);
int rag_ann_dims(const rag_ann *a);
/* Bytes the graph holds in memory (vectors, links, locks), approximately. */
size_t rag_ann_memory(const rag_ann *a);
/* Candidate list length of a search (HNSW ef); at least k is used. */
void rag_ann_set_ef(rag_ann *a, int ef);
int rag_ann_save(const rag_ann *a, rag_ann_write_fn fn, void *ud, char *msg, size_t msgsz);
/* Load a saved graph of expect_count vectors of dims dimensions; NULL with
 * msg on any failure. The bytes are checked completely before use (header,
 * every link list), so damaged data is refused, never searched. */
rag_ann *rag_ann_load(int dims, size_t expect_count, rag_ann_read_fn fn, void *ud, char *msg, size_t msgsz);
/* The k most similar to q (dims floats), best first: ids and approximate
 * inner products. Returns how many (<= k), -1 on error. Thread-safe. */
long rag_ann_search(const rag_ann *a, const float *q, size_t k, int64_t *ids, float *scores);
/* The same search done by hnswlib's own searchKnn, without the prefetching
 * rag_ann_search adds: the reference its answers are checked against. */
long rag_ann_search_hnswlib(const rag_ann *a, const float *q, size_t k, int64_t *ids, float *scores);
void rag_ann_free(rag_ann *a);

#ifdef __cplusplus
}
#endif
#endif
