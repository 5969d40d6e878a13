/* vector_stage.h — rag-ingest's finish hook for a segment file: build its
 * approximate vector index (rag/vector_index.h) once its embeddings are
 * written, and log what was built. index_writer.c's segment_index_rows calls it
 * for every segment it finishes — a run's new segment and every merged one
 * — so each segment carries its own index (or none, below the threshold). */
#ifndef INGEST_VECTOR_STAGE_H
#define INGEST_VECTOR_STAGE_H

#include <sqlite3.h>

#include "rag/common.h"
#include "rag/config.h"
#include "rag/jsonlog.h"
#include "rag/vector_index.h"

typedef struct vector_stage {
    rag_vindex_settings s;
    rag_log *log; /* may be NULL */
} vector_stage;

/* The settings of cfg: embedding.ann_min_chunks per segment, every online
 * core, no graph for the hashing embedder's sparse query vectors; the build
 * stops once *stop (may be NULL) is non-zero (rag-ingest's SIGTERM/SIGINT
 * flag): the segment, and so the run, then fails and nothing is published. */
void vector_stage_init(vector_stage *vs, const rag_config *cfg, rag_log *log, const volatile int *stop);

/* Build the vector index of the segment open as db (at path) when it holds
 * at least vs->s.min_chunks chunks, logging a "vector_index" event. vs NULL:
 * nothing to do. RAG_OK or the error, with the file's vector tables
 * unchanged. */
int vector_stage_build(const vector_stage *vs, sqlite3 *db, const char *path, rag_error *err);

#endif
