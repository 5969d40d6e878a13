/* sources.h — the transcripts folder scan, shared by rag-ingest (what it
 * indexes) and ragtop (what it reports as not yet ingested), so both always
 * select the same files. Rules: recursive, stable (byte-wise path order),
 * include/exclude globs on the path relative to the folder ("*" and "?" stay
 * within a folder, "**" crosses folders, "**\/" may match none, "[a-z]" /
 * "[!a]" classes), hidden files and folders skipped, symbolic links followed
 * only when they resolve to a regular file inside the folder (never to
 * folders). No size cap here: a file over ingest.max_file_size is listed and
 * fails when ingested (recorded in the generation's failures table). */
#ifndef RAG_SOURCES_H
#define RAG_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rag/common.h"

typedef struct rag_source {
    char *rel;        /* path relative to the folder */
    int64_t size;
    int64_t mtime_ns;
} rag_source;

#define RAG_SOURCES_NAMED 20

typedef struct rag_sources {
    rag_source *files;        /* sorted by rel (strcmp) */
    size_t n, cap;
    int64_t bytes;            /* sum of sizes */
    size_t skipped_hidden;
    size_t skipped_links;     /* links leaving the folder, dangling, or to folders */
    size_t skipped_excluded;  /* not matching include, or matching exclude */
    size_t skipped_unreadable; /* folders that could not be opened, entries that could not be stat'ed */
    size_t skipped_special;   /* FIFOs, sockets, devices */
    /* the first RAG_SOURCES_NAMED unreadable or special entries, each
     * "path: why" (the rest are only counted) */
    char *skipped_named[RAG_SOURCES_NAMED];
    size_t n_skipped_named;
} rag_sources;

/* Does path (relative, "/"-separated) match the glob pattern? The case of
 * ASCII letters is ignored (a "*.srt" glob takes "Talk.SRT"). An unterminated
 * "[" class matches nothing. */
bool rag_glob_match(const char *pattern, const char *path);

/* List the sources under root: files matching one include glob (none when
 * n_include is 0) and no exclude glob. A subfolder that cannot be opened
 * (no permission, vanished), an entry that cannot be stat'ed and a FIFO,
 * socket or device are skipped, counted and named (skipped_named): none is
 * left out silently. RAG_ENOENT when root does not exist,
 * RAG_ERR when it cannot be listed or folders nest deeper than 64; out is
 * then empty. Free with rag_sources_free. */
int rag_sources_scan(const char *root, char *const *include, size_t n_include, char *const *exclude,
                     size_t n_exclude, rag_sources *out, rag_error *err);
void rag_sources_free(rag_sources *r);

#endif
