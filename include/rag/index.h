/* index.h — names shared by the writer (rag-ingest) and the reader (rag-api)
 * of an index generation: the SQLite schema version and table layout.
 * The full schema is in docs/specs/index.md. */
#ifndef RAG_INDEX_H
#define RAG_INDEX_H

/* 2: a generation is a descriptor naming immutable segment files
 * (rag/genset.h); 1: one self-contained file (still read, never written). */
#define RAG_INDEX_SCHEMA_VERSION 2
#define RAG_INDEX_SCHEMA_OLDEST 1

/* Generation files live in <artifacts>/index/ and are named
 * "gen-<run_id>.sqlite", their segments "seg-<run_id>[-N].sqlite";
 * temporaries end in ".tmp". */
#define RAG_INDEX_PREFIX "gen-"
#define RAG_INDEX_SUFFIX ".sqlite"

#endif
