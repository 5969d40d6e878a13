/* common.c — the error and problem-list helpers every librag module uses, and
 * allocation wrappers that abort with a message on out-of-memory (there is no
 * sensible recovery from a failed small allocation in these programs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"

int rag_error_set(rag_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void rag_problems_add(rag_problems *p, const char *file, size_t line, size_t col,
                      const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = NULL;
    if (vasprintf(&what, fmt, ap) < 0) {
        fputs("out of memory\n", stderr);
        abort();
    }
    va_end(ap);

    char where[64] = "";
    if (line > 0 && col > 0)
        snprintf(where, sizeof where, ":%zu:%zu", line, col);
    else if (line > 0)
        snprintf(where, sizeof where, ":%zu", line);
    char *item = rag_xasprintf("%s%s: %s%s%s", file ? file : "(input)", where,
                               key ? key : "", key ? ": " : "", what);
    free(what);

    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->items = rag_xrealloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->count++] = item;
}

void rag_problems_free(rag_problems *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = p->cap = 0;
}

static void *oom_check(void *p)
{
    if (!p) {
        fputs("ragtop: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *rag_xmalloc(size_t n) { return oom_check(malloc(n ? n : 1)); }
void *rag_xcalloc(size_t n, size_t size) { return oom_check(calloc(n ? n : 1, size ? size : 1)); }
void *rag_xrealloc(void *p, size_t n) { return oom_check(realloc(p, n ? n : 1)); }
char *rag_xstrdup(const char *s) { return oom_check(strdup(s)); }

char *rag_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        oom_check(NULL);
    return s;
}
