/* vector_stage.h — rag-ingest's "finish" step for a generation (or, later,
 * a segment) file: build its approximate vector index (rag/vector_index.h)
 * once its embeddings are written, and log what was built. */
#ifndef INGEST_VECTOR_STAGE_H
#define INGEST_VECTOR_STAGE_H

#include "rag/common.h"
#include "rag/config.h"
#include "rag/jsonlog.h"

/* Build path's vector index when it holds at least embedding.ann_min_chunks
 * chunks (on every online core), logging a "vector_index" event; log may be
 * NULL. RAG_OK or the error, with the file's vector tables unchanged. */
int vector_stage(const rag_config *cfg, rag_log *log, const char *path, rag_error *err);

#endif
