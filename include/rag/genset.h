/* genset.h — reading an index generation as its set of segments
 * (docs/specs/index.md, schema v2). A v2 generation file ("gen-<run_id>.sqlite")
 * is a small descriptor: meta, the ordered list of immutable segment files
 * ("seg-*.sqlite" in the same folder, each with the v1 tables and its own
 * chunks_fts), the tombstones (document ids of older segments that were
 * deleted or replaced) and the generation's failures. A v1 generation file is
 * read as a generation of one segment without tombstones. Document and chunk
 * row ids are unique across the segments of a generation, and each segment's
 * ids lie above those of the segments before it. Shared by rag-ingest,
 * rag-api and ragtop. */
#ifndef RAG_GENSET_H
#define RAG_GENSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "rag/common.h"

/* SQLite allows 10 attached databases; a generation has at most this many
 * segments so every segment can be attached to one connection. */
#define RAG_GENSET_MAX_SEGMENTS 8

typedef struct rag_segment_ref {
    char *file;            /* name in the index folder */
    char *path;            /* full path */
    int64_t documents;     /* document rows in the file (tombstoned ones included) */
    int64_t chunks;        /* chunk rows in the file */
    int64_t tokens;        /* sum of chunks.token_count in the file */
    int64_t live_documents, live_chunks, live_tokens; /* the same without tombstoned documents */
    int64_t max_doc_id;    /* ids of the file are <= these (and above the previous segment's) */
    int64_t max_chunk_id;
} rag_segment_ref;

typedef struct rag_genset {
    int version;            /* index schema version of the generation file: 1 or 2 */
    char *path;             /* the generation file */
    size_t n;
    rag_segment_ref *segs;  /* oldest first */
    int64_t *tombstones;    /* deleted document ids, ascending */
    size_t n_tombstones;
} rag_genset;

/* Read the generation file at path (v1: one segment, the file itself; v2:
 * its descriptor tables). Every segment file must exist. RAG_OK, or
 * RAG_ECORRUPT / RAG_EVERSION / RAG_ERR with err naming the file. */
int rag_genset_load(const char *path, rag_genset *gs, rag_error *err);
void rag_genset_free(rag_genset *gs);
/* Bytes the generation takes on disk: its file and, for v2, its segment
 * files (what a full rebuild writes anew); -1 when one cannot be stat'ed. */
int64_t rag_genset_bytes(const rag_genset *gs);
/* Is document id deleted by a tombstone? */
bool rag_genset_deleted(const rag_genset *gs, int64_t doc_id);
/* One read-only connection over the whole generation: the generation file is
 * "main" and each segment i is attached as "s<i>"; for v2, TEMP views
 * documents, chunks and embeddings hold the live rows of every segment
 * (tombstoned documents left out) and failures is the descriptor's table.
 * For v1 the tables are the file's own. */
int rag_genset_open_db(const rag_genset *gs, sqlite3 **db, rag_error *err);
/* The same without the views, for readers that address the segments'
 * tables themselves (s<i>.chunks, ...): creating the views costs more than
 * attaching (rag-api's leases, the previous generation's embedding readers). */
int rag_genset_attach(const rag_genset *gs, sqlite3 **db, rag_error *err);
/* "file:<path>?immutable=1" with the path's URI-special bytes escaped. */
char *rag_sqlite_ro_uri(const char *path);
/* Open an immutable SQLite file read-only (rag_sqlite_ro_uri); RAG_ERR with
 * err naming the file. */
int rag_sqlite_open_ro(const char *path, sqlite3 **db, rag_error *err);

/* SQLite's message for db's last error, with the system's reason when it
 * was an I/O error ("disk I/O error (File too large)": SQLite's own text
 * names no cause). In a per-thread buffer, valid until the next call. */
const char *rag_sqlite_errmsg(sqlite3 *db);

#endif
