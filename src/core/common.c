/* common.c — error reporting, problem lists and allocation helpers shared by
 * every module of librag. Allocation failure is not recoverable in these
 * programs, so the x* helpers print a message and abort instead of returning
 * NULL into code that would have to test it everywhere. */
#include "rag/common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rag_error_set(rag_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void rag_problems_add(rag_problems *p, const char *file, size_t line, size_t col,
                      const char *key, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);

    char where[512] = "";
    if (file && line && col)
        snprintf(where, sizeof where, "%s:%zu:%zu: ", file, line, col);
    else if (file && line)
        snprintf(where, sizeof where, "%s:%zu: ", file, line);
    else if (file)
        snprintf(where, sizeof where, "%s: ", file);

    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->items = rag_xrealloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->count++] = key ? rag_xasprintf("%s%s: %s", where, key, what)
                               : rag_xasprintf("%s%s", where, what);
}

void rag_problems_free(rag_problems *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = p->cap = 0;
}

static void *oom(size_t n)
{
    fprintf(stderr, "out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *rag_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    return p ? p : oom(n);
}

void *rag_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : oom(n * size);
}

void *rag_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom(n);
}

char *rag_xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    return p ? p : oom(strlen(s) + 1);
}

char *rag_xmemdup(const void *p, size_t len)
{
    char *copy = rag_xmalloc(len + 1);
    if (len)
        memcpy(copy, p, len);
    copy[len] = '\0';
    return copy;
}

char *rag_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? oom(0) : s;
}

void rag_signals_catch(void (*handler)(int), bool hup)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t rag_clamp_i64(double d, int64_t lo, int64_t hi)
{
    if (!(d > (double)lo)) return lo; /* NaN as well */
    /* (double)hi may round up past hi, but no double lies between the two */
    if (d >= (double)hi) return hi;
    return (int64_t)d;
}

void rag_sort_i64(int64_t *v, size_t n)
{
    if (n > RAG_SORT_SMALL) {
        qsort(v, n, sizeof *v, cmp_i64);
        return;
    }
    /* the short lists of a query (candidate rowids, rows already taken):
     * insertion in place, no comparator calls and no merge buffer */
    for (size_t i = 1; i < n; i++) {
        const int64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
        v[j] = x;
    }
}

ptrdiff_t rag_find_sorted_i64(const int64_t *v, size_t n, int64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == key ? (ptrdiff_t)lo : -1;
}
