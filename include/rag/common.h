/* common.h — error reporting, return codes and exit statuses shared by every
 * ragtop program. Functions in librag return RAG_OK (0) or a negative RAG_E*
 * code and fill a rag_error with a human message (path/line where known);
 * each program's main() decides the exit status and the wording. */
#ifndef RAG_COMMON_H
#define RAG_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define RAG_VERSION "0.1.0"

/* Return codes of librag functions. */
enum {
    RAG_OK       = 0,
    RAG_ERR      = -1, /* generic failure, see rag_error.msg */
    RAG_ENOENT   = -2, /* file does not exist */
    RAG_ECORRUPT = -3, /* file exists but is empty, truncated or not valid */
    RAG_EVERSION = -4, /* file is of a newer schema version than we support */
    RAG_ELOCKED  = -5, /* lock held by another process */
    RAG_EINVAL   = -6, /* invalid argument / value */
    RAG_EGATE    = -7, /* refused by a quality gate (docs/specs/quality.md) */
    RAG_EREFUSED = -8, /* a server refused the request itself (HTTP 4xx other than 429): sent again unchanged it fails again */
};

/* Exit statuses shared by the programs (sysexits.h where one fits). */
enum {
    RAG_EXIT_OK       = 0,
    RAG_EXIT_FAIL     = 1,
    RAG_EXIT_USAGE    = 2,
    RAG_EXIT_QUALITY  = 65, /* EX_DATAERR: rag-ingest's quality gate refused the new index
                               (or --eval found it below quality.min_ndcg) */
    RAG_EXIT_TEMPFAIL = 75, /* EX_TEMPFAIL: another run holds the lock */
    RAG_EXIT_CONFIG   = 78, /* EX_CONFIG: invalid configuration */
};

typedef struct rag_error {
    int code;        /* one of RAG_E* */
    char msg[1024];  /* "path:line: what is wrong" */
} rag_error;

/* Set err (if not NULL) to code and a printf-formatted message; returns code. */
int rag_error_set(rag_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A list of validation problems, each already formatted as
 * "path:line:col: key: what is wrong" (line/col omitted when unknown). */
typedef struct rag_problems {
    char **items;
    size_t count;
    size_t cap;
} rag_problems;

/* Append a problem. line/col of 0 mean unknown; key may be NULL. */
void rag_problems_add(rag_problems *p, const char *file, size_t line, size_t col,
                      const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void rag_problems_free(rag_problems *p);

/* Allocation helpers that abort with a message on out-of-memory. */
void *rag_xmalloc(size_t n);
void *rag_xcalloc(size_t n, size_t size);
void *rag_xrealloc(void *p, size_t n);
/* Sort v[0..n) ascending (up to RAG_SORT_SMALL values by insertion in
 * place, more with qsort); the index of key in such an array (binary
 * search), or -1. */
#define RAG_SORT_SMALL 64
void rag_sort_i64(int64_t *v, size_t n);
ptrdiff_t rag_find_sorted_i64(const int64_t *v, size_t n, int64_t key);
/* d (a JSON number read from outside: any double) as a whole number in
 * [lo, hi]: truncated toward zero, clamped to the range, NaN gives lo.
 * Casting a double outside the integer type's range is undefined
 * behaviour, so every such read goes through here. RAG_EXACT_INT is the
 * largest magnitude a double holds exactly (2^53): a range of counts or
 * milliseconds within +-RAG_EXACT_INT keeps their sums and differences
 * inside int64_t. */
#define RAG_EXACT_INT ((int64_t)1 << 53)
int64_t rag_clamp_i64(double d, int64_t lo, int64_t hi);
char *rag_xstrdup(const char *s);
/* The len bytes at p, NULs included (strndup would stop at one), plus a
 * terminating NUL. */
char *rag_xmemdup(const void *p, size_t len);
char *rag_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Program start-up: run handler on SIGINT and SIGTERM (and SIGHUP when hup),
 * no flags, nothing blocked while it runs; ignore SIGPIPE and SIGXFSZ (a
 * write past a file-size limit then fails with EFBIG, reported like a full
 * disk, instead of killing the program before it can say so). */
void rag_signals_catch(void (*handler)(int), bool hup);

#endif
