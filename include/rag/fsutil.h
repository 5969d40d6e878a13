/* fsutil.h — file-system helpers with crash-safe semantics: atomic replace
 * (temp file in the same folder, fsync, rename, fsync folder), mkdir -p,
 * bounded whole-file reads, reads of a file's last lines, and an advisory lock file (flock) that records
 * its holder's pid and start time so a second taker can name it. */
#ifndef RAG_FSUTIL_H
#define RAG_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "rag/common.h"

/* mkdir -p with mode (e.g. 0755). */
int rag_mkdir_p(const char *path, mode_t mode, rag_error *err);
/* fsync a directory so a rename/create inside it is durable. */
int rag_fsync_dir(const char *dir, rag_error *err);
/* Replace path with data atomically: write "<path>.tmp.<pid>.<n>" (unique per
 * call), fsync, rename over path, fsync the folder. Readers see the old or the
 * new file, whole. The temp file is removed on any failure; only a process
 * killed mid-write leaves one behind (see rag_atomic_cleanup). */
int rag_atomic_write(const char *path, const void *data, size_t len, rag_error *err);
/* Append data to fd (opened O_APPEND) all or nothing: under an flock(2) on
 * fd (so appenders using this function never interleave or undo each
 * other), write every byte; on a short write or an error (disk full, file
 * size limit, I/O error) truncate the file back to its size before the
 * call, so no partial line is left for the next append to glue onto.
 * Returns 0, or -1 with errno set (the file unchanged). */
int rag_append_whole(int fd, const void *data, size_t len);
/* Remove temp files "<path>.tmp.*" left by killed writers whose mtime is at
 * least older_than_ms old (use 60000: no live writer takes that long).
 * Returns how many were removed, or a negative RAG_E* code. */
int rag_atomic_cleanup(const char *path, int64_t older_than_ms, rag_error *err);
/* Read a whole regular file (at most max bytes; larger is an error). *out
 * is NUL-terminated and must be freed. RAG_ENOENT when missing. A folder,
 * FIFO, socket or device is an error at once, never a read that waits for a
 * writer (a FIFO swapped in for a transcript hung a run; for the manifest or
 * the config, ragtop --once and rag-api's checks). */
int rag_read_file(const char *path, size_t max, char **out, size_t *len, rag_error *err);
/* The last complete lines of a file, read from its end without reading the
 * whole file. A line is complete when it ends in '\n'; an unterminated last
 * line (still being appended) is ignored, and so are whitespace-only lines.
 * Reads a window of first_window bytes from the end, doubling it (up to
 * max_window) until max_lines lines lie wholly inside it; the first line of
 * a window that does not reach the file's start counts as partial. Lines
 * (oldest first, without '\n') point into t->buf; free with rag_tail_free.
 * A missing file is RAG_ENOENT; an empty file gives count 0. */
typedef struct rag_tail_line {
    const char *s;
    size_t len;
} rag_tail_line;
typedef struct rag_tail {
    char *buf;
    rag_tail_line *lines;
    size_t count;
} rag_tail;
int rag_tail_lines(const char *path, size_t max_lines, size_t first_window, size_t max_window,
                   rag_tail *t, rag_error *err);
void rag_tail_free(rag_tail *t);
/* Directory part of path (malloc'd), "." when none. */
char *rag_dirname(const char *path);
/* Join dir and name ("a" + "b" -> "a/b"); absolute name returned as is. */
char *rag_path_join(const char *dir, const char *name);

typedef struct rag_lock {
    int fd;
    char *path;
} rag_lock;

typedef struct rag_lock_holder {
    long pid;
    int64_t started_ms; /* when the holder took the lock, 0 if unknown */
} rag_lock_holder;

/* Take an exclusive non-blocking lock on path (created if needed) and record
 * our pid and start time in it. RAG_OK when taken; RAG_ELOCKED when another
 * process holds it (holder filled if not NULL, err says who). */
int rag_lock_acquire(const char *path, rag_lock *lock, rag_lock_holder *holder, rag_error *err);
/* Release and close (the file is left in place; its content is cleared). */
void rag_lock_release(rag_lock *lock);
/* Is the lock at path held (by a live process, in any pid namespace)?
 * Looks with an instant shared lock, which a holder-to-be retries past
 * (rag_lock_acquire): never makes it fail. holder: its pid and start as
 * it recorded them (pid 0 when not recorded yet). */
bool rag_lock_peek(const char *path, rag_lock_holder *holder);

#endif
