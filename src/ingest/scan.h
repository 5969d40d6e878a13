/* scan.h — lists the transcripts folder: recursive, stable (byte-wise path
 * order), include/exclude globs on the path relative to the folder ("*" and
 * "?" stay within a folder, "**" crosses folders, "**\/" may match none),
 * hidden files and folders skipped, symbolic links followed only when they
 * resolve to a regular file inside the folder (never to folders). */
#ifndef INGEST_SCAN_H
#define INGEST_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rag/common.h"

typedef struct scan_file {
    char *rel;        /* path relative to the folder */
    int64_t size;
    int64_t mtime_ns;
} scan_file;

typedef struct scan_result {
    scan_file *files;
    size_t n, cap;
    int64_t bytes;            /* sum of sizes */
    size_t skipped_hidden;
    size_t skipped_links;     /* links leaving the folder, dangling, or to folders */
    size_t skipped_excluded;  /* not matching include, or matching exclude */
} scan_result;

int scan_folder(const char *root, char *const *include, size_t n_include, char *const *exclude, size_t n_exclude,
                scan_result *out, rag_error *err);
void scan_free(scan_result *r);

#endif
