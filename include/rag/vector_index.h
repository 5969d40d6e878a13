/* vector_index.h — the approximate vector index stored in a segment file
 * (or a v1 generation file): built by rag-ingest once a segment's embeddings
 * are written (index_writer.c's segment_index_rows), loaded by rag-api with the
 * segment's other rows. Layout in
 * docs/specs/index.md (tables vector_index, vector_index_parts); the graph
 * itself is ann.h's. Files below the size threshold, or written before the
 * index existed, have no such tables: rag-api searches them exactly. */
#ifndef RAG_VECTOR_INDEX_H
#define RAG_VECTOR_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "rag/ann.h"
#include "rag/common.h"

#define RAG_VINDEX_KIND "hnsw-int8"
#define RAG_VINDEX_M 16               /* links per node (HNSW M) */
#define RAG_VINDEX_EF_CONSTRUCTION 128 /* candidate list while building */
#define RAG_VINDEX_PART_BYTES (16u << 20) /* the graph is stored in parts of this size */

typedef struct rag_vindex_settings {
    int64_t min_chunks; /* build only for files with at least this many vectors; 0 = never */
    int threads;        /* build threads (>= 1) */
    bool sparse_queries; /* the embedder's query vectors are sparse (hashing): no graph, see below */
    /* may be NULL: once *interrupt is non-zero the build stops (within one
     * vector per thread) and fails (RAG_ERR, "interrupted by a signal"), the file unchanged */
    const volatile int *interrupt;
    /* may be NULL: called when the graph build starts (added = 0) and after
     * each batch of vectors added, on the calling thread */
    void (*progress)(void *ud, int64_t added, int64_t total);
    void *progress_ud;
} rag_vindex_settings;

typedef struct rag_vindex_info {
    bool built;       /* false: below the threshold (or off), exact search */
    int64_t vectors;
    int64_t bytes;    /* stored size of the graph */
    int64_t build_ms;
} rag_vindex_info;

/* The finish hook: on db (a generation or segment file open read-write,
 * its embeddings complete), replace any vector index with one built from
 * the embeddings when there are at least s->min_chunks of them. Not for an
 * embedder whose query vectors are sparse (the hashing one: a query of a
 * few words has a handful of non-zero components, far from every chunk, and
 * a graph search from the entry point does not find its neighbours —
 * measured recall@10 0.17 at 100k chunks — while the exact scan costs only
 * those components' columns). One transaction; on failure nothing is left
 * half-written. */
int rag_vindex_build(sqlite3 *db, const char *path, const rag_vindex_settings *s, rag_vindex_info *info,
                     rag_error *err);
/* The same for the file at path (opened and closed here). */
int rag_vindex_build_file(const char *path, const rag_vindex_settings *s, rag_vindex_info *info, rag_error *err);

/* Does the file attached to db as schema (NULL: "main") have a vector index? */
bool rag_vindex_exists(sqlite3 *db, const char *schema);
/* Load the vector index of the file attached to db as schema (NULL:
 * "main"; path names it in errors), expecting dims dimensions and n vectors
 * (ids = positions of the file's embeddings in chunk_rowid order). *out =
 * NULL and RAG_OK when the file has none; RAG_ECORRUPT when it does not
 * match. */
int rag_vindex_open(sqlite3 *db, const char *schema, const char *path, int dims, size_t n, rag_ann **out,
                    rag_error *err);

#endif
