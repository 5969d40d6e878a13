/* index_writer.h — builds one index generation (docs/specs/index.md, v2):
 * the run's new segment (a SQLite file: documents, chunks, external-content
 * FTS5, float32 embeddings, failures) holding only the new and changed
 * documents, then the generation descriptor naming the previous
 * generation's segments plus the new one, with tombstones for the previous
 * documents that were not carried over (segments.c, which also merges
 * segments). Unchanged documents are never copied: they stay in the
 * segments that hold them. Row ids are unique across a generation's
 * segments (a new segment's ids start above every previous one). */
#ifndef INGEST_INDEX_WRITER_H
#define INGEST_INDEX_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include "chunk.h"
#include "rag/common.h"
#include "vector_stage.h"

typedef struct index_writer index_writer;

typedef struct iw_doc {
    const char *path;   /* relative to the transcripts folder */
    const char *title;  /* may be NULL */
    const char *format; /* txt | md | vtt | srt | json */
    int64_t size;
    int64_t mtime_ns;
    const char *sha256; /* hex */
} iw_doc;

/* Start the generation whose descriptor will be tmp_path
 * ("<dir>/gen-<run_id>.sqlite.tmp"); the segment is built as
 * "<dir>/seg-<run_id>.sqlite.tmp". When prev_path is not NULL it is the
 * previous generation (schema v2), extended by this one. */
index_writer *iw_open(const char *tmp_path, const char *prev_path, int dimensions, rag_error *err);
/* Interrupt long statements when *flag becomes non-zero. */
void iw_set_interrupt(index_writer *w, const volatile int *flag);
/* Build each segment's approximate vector index as it is finished (the run's
 * and every merged one); vs must outlive w. Without it, no index is built. */
void iw_set_vector_stage(index_writer *w, const vector_stage *vs);
int iw_begin(index_writer *w, rag_error *err);
int iw_commit(index_writer *w, rag_error *err);
/* The previous generation's live documents (by row id) this run does not
 * carry over — deleted, changed, failing now: they are tombstoned; every
 * other live document stays in its segment (nothing is copied). Only the
 * dropped ids are handed over, so the cost follows the change, not the
 * corpus. Without this call an incremental build drops every previous
 * document. */
int iw_drop_prev_docs(index_writer *w, const int64_t *prev_ids, size_t n, rag_error *err);
/* Take prev_id back off that list: the previous version of a changed file
 * that could not be read this time stays searchable (a transient failure
 * must not make the last good version disappear). */
int iw_keep_prev_doc(index_writer *w, int64_t prev_id, rag_error *err);
int iw_add_document(index_writer *w, const iw_doc *d, int64_t *doc_id, rag_error *err);
int iw_set_chunk_count(index_writer *w, int64_t doc_id, int64_t n, rag_error *err);
int iw_add_chunk(index_writer *w, int64_t doc_id, const char *chunk_id, const chunk *c, const float *vec,
                 rag_error *err);
/* Read-only lookups of embeddings in the previous generation's segments
 * (tombstoned rows included), by chunk id.
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
/* Finish the segment (vector index, optimise FTS, meta counts, journal_mode=DELETE, close,
 * fsync), link it into place as "seg-<run_id>.sqlite", merge segments as the
 * policy says (segments.c) and write the descriptor at tmp_path, fsynced
 * unless fsync is false (the caller then calls iw_fsync_file before
 * publishing it, e.g. while it evaluates the generation). The generation's
 * live counts are returned. */
int iw_finish(index_writer *w, bool fsync, int64_t *documents, int64_t *chunks, int64_t *tokens, rag_error *err);
/* What a finished segment file holds. */
typedef struct iw_segment_stats {
    int64_t documents, chunks, tokens, max_doc_id, max_chunk_id;
} iw_segment_stats;
/* Write tmp_path as one segment with the live rows of the segment files
 * paths[0..n) (oldest first) — rows of documents in tombstones left out —
 * and finish it like a run's segment (vs: its vector index, may be NULL). */
int iw_merge_segments(const char *tmp_path, const char *const *paths, size_t n, const int64_t *tombstones,
                      size_t n_tombstones, const volatile int *interrupt, const vector_stage *vs,
                      iw_segment_stats *out, rag_error *err);
/* fsync a finished generation file. */
int iw_fsync_file(const char *path, rag_error *err);
/* Close without finishing and delete the temporary files. */
void iw_abort(index_writer *w);

#endif
