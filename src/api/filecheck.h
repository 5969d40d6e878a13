/* filecheck.h — "has this file changed?" for rag-api's cached views of a
 * file (config hash, last ingest run): stat() at most once a second, and
 * report a change only when the file appeared, vanished, or its inode, size
 * or mtime differ from the last look. */
#ifndef API_FILECHECK_H
#define API_FILECHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct api_filecheck {
    int64_t last_check_ms; /* INT64_MIN: never checked */
    bool have_stat;
    struct stat st;
} api_filecheck;

typedef enum {
    API_FILE_SAME,    /* not due yet, or nothing changed: keep the cache */
    API_FILE_CHANGED, /* exists and is new or different: re-read it */
    API_FILE_GONE,    /* cannot be stat()ed, first time since it existed (or first look) */
} api_file_state;

void api_filecheck_init(api_filecheck *c);
api_file_state api_filecheck_poll(api_filecheck *c, const char *path, int64_t now_mono_ms);

#endif
