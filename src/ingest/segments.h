/* segments.h — the generation descriptor (docs/specs/index.md, v2) and the
 * merge policy. A run's new segment joins the previous generation's
 * segments; the previous documents it replaces or deletes become
 * tombstones; then, Lucene-style, the newest segments are merged when they
 * are of similar size (tiered, factor 4) or when there are more than
 * RAG_GENSET_MAX_SEGMENTS, and a segment whose chunks are more than 30%
 * tombstoned is rewritten without them. Merges write new segment files
 * (never modify one) before the descriptor names them, so a run killed
 * during a merge leaves the last published generation intact. */
#ifndef INGEST_SEGMENTS_H
#define INGEST_SEGMENTS_H

#include <stdbool.h>
#include <sqlite3.h>

#include "index_writer.h"
#include "rag/genset.h"

typedef struct segments_gen {
    const char *desc_tmp;      /* the descriptor to write */
    const char *dir;           /* the index folder */
    const char *run_id;
    const rag_genset *prev;    /* the previous generation; NULL for a full build */
    sqlite3 *prev_db;          /* rag_genset_open_db(prev) */
    bool dropped;              /* prev_db has temp.gone: the live document ids not carried over
                                  (false: every previous live document is dropped) */
    const char *new_seg;       /* this run's segment, in place */
    iw_segment_stats new_stats;
    const volatile int *interrupt;
    const vector_stage *vs;    /* merged segments' vector index; NULL: none */
    /* out */
    int64_t documents, chunks, tokens; /* the generation's live totals */
    int merges;                /* merged segments written */
} segments_gen;

/* "<run_id>" of ".../gen-<run_id>.sqlite.tmp" (allocated). */
char *segments_run_id_of(const char *desc_tmp);
/* "<dir>/seg-<run_id>[-<merge_no>].sqlite[.tmp]" (merge_no 0: the run's own). */
char *segments_file_path(const char *dir, const char *run_id, int merge_no, bool tmp);
/* Is name a segment file ("seg-*.sqlite")? */
bool segments_is_segment(const char *name);
/* Delete the segment files run run_id wrote (its own and its merges), for
 * a run that failed before a manifest named its generation. Returns the
 * number deleted. */
int segments_remove_run(const char *dir, const char *run_id);
/* Merge as the policy says and write the descriptor (not fsynced). */
int segments_write_generation(segments_gen *g, rag_error *err);

#endif
