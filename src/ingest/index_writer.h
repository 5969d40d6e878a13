/* index_writer.h — builds one index generation (docs/specs/index.md) in a
 * temporary SQLite file: documents, chunks, external-content FTS5, float32
 * embeddings, and a failures table. Unchanged documents are copied from the
 * previous generation with INSERT ... SELECT (never through C memory); their
 * row ids are kept, so the previous full-text index can be copied as it is
 * and only the rows of changed or deleted documents removed from it. */
#ifndef INGEST_INDEX_WRITER_H
#define INGEST_INDEX_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include "chunk.h"
#include "rag/common.h"

typedef struct index_writer index_writer;

typedef struct iw_doc {
    const char *path;   /* relative to the transcripts folder */
    const char *title;  /* may be NULL */
    const char *format; /* txt | md | vtt | srt | json */
    int64_t size;
    int64_t mtime_ns;
    const char *sha256; /* hex */
} iw_doc;

/* Create tmp_path (removed first if it exists) with the schema; when
 * prev_path is not NULL attach it read-only as "prev". */
index_writer *iw_open(const char *tmp_path, const char *prev_path, int dimensions, rag_error *err);
/* Interrupt long statements when *flag becomes non-zero. */
void iw_set_interrupt(index_writer *w, const volatile int *flag);
int iw_begin(index_writer *w, rag_error *err);
int iw_commit(index_writer *w, rag_error *err);
/* Copy documents (by previous row id) with their chunks and embeddings. Must
 * run before any iw_add_document. */
int iw_copy_docs(index_writer *w, const int64_t *prev_ids, size_t n, rag_error *err);
int iw_add_document(index_writer *w, const iw_doc *d, int64_t *doc_id, rag_error *err);
int iw_set_chunk_count(index_writer *w, int64_t doc_id, int64_t n, rag_error *err);
int iw_add_chunk(index_writer *w, int64_t doc_id, const char *chunk_id, const chunk *c, const float *vec,
                 rag_error *err);
/* Read-only lookups of embeddings in the previous generation, by chunk id.
 * A reader has a connection of its own, so each worker thread opens one
 * (the writer's connection stays on the writer's thread). */
typedef struct iw_prev_reader iw_prev_reader;
iw_prev_reader *iw_prev_reader_open(const char *prev_path, int dimensions, rag_error *err);
/* 1 = found (out filled), 0 = not there. */
int iw_prev_embedding(iw_prev_reader *r, const char *chunk_id, float *out);
void iw_prev_reader_close(iw_prev_reader *r);
/* A source that could not be indexed: cls is "content" (skipped until its
 * content changes; sha256 is its content hash, NULL when it was not read)
 * or "transient" (retried on every run). */
typedef struct iw_failure {
    const char *path;
    int64_t size, mtime_ns;
    const char *reason;
    const char *cls;
    const char *sha256;
} iw_failure;
int iw_add_failure(index_writer *w, const iw_failure *f, rag_error *err);
int iw_set_meta(index_writer *w, const char *key, const char *value, rag_error *err);
/* Rebuild and optimise FTS, fill meta counts, switch to journal_mode=DELETE,
 * close and fsync the file (unless fsync is false: the caller then calls
 * iw_fsync_file before publishing it, e.g. while it evaluates the file).
 * Counts of the finished index are returned. */
int iw_finish(index_writer *w, bool fsync, int64_t *documents, int64_t *chunks, int64_t *tokens, rag_error *err);
/* fsync a finished generation file. */
int iw_fsync_file(const char *path, rag_error *err);
/* Close without finishing and delete the temporary file. */
void iw_abort(index_writer *w);

#endif
