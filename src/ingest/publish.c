/* publish.c — publication, clean-up and retention of generations (see
 * publish.h). Names sort by time because run ids start with a UTC
 * timestamp, so retention needs no clock and no stat. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "publish.h"
#include "rag/fsutil.h"
#include "rag/index.h"

int publish_rename(const char *tmp, const char *final_path, const char *dir, rag_error *err)
{
    /* link(2) fails when the target exists: a published file is never replaced */
    if (link(tmp, final_path) != 0)
        return rag_error_set(err, RAG_ERR, "%s: cannot publish %s: %s", final_path, tmp, strerror(errno));
    if (unlink(tmp) != 0)
        return rag_error_set(err, RAG_ERR, "%s: cannot remove after publishing: %s", tmp, strerror(errno));
    return rag_fsync_dir(dir, err);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int publish_remove_temporaries(const char *index_dir, const char *checkpoints_dir)
{
    int removed = 0;
    DIR *d = opendir(index_dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            const char *n = de->d_name;
            if (strncmp(n, RAG_INDEX_PREFIX, strlen(RAG_INDEX_PREFIX)) == 0 &&
                (has_suffix(n, RAG_INDEX_SUFFIX ".tmp") || has_suffix(n, RAG_INDEX_SUFFIX ".tmp-journal") ||
                 has_suffix(n, RAG_INDEX_SUFFIX "-journal")))
                removed += unlinkat(dirfd(d), n, 0) == 0;
        }
        closedir(d);
    }
    d = opendir(checkpoints_dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strstr(de->d_name, ".json.tmp."))
                removed += unlinkat(dirfd(d), de->d_name, 0) == 0;
        closedir(d);
    }
    return removed;
}

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

static void list(const char *dir, const char *prefix, const char *suffix, names *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || !has_suffix(de->d_name, suffix))
            continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 16;
            out->v = rag_xrealloc(out->v, out->cap * sizeof(char *));
        }
        out->v[out->n++] = rag_xstrdup(de->d_name);
    }
    closedir(d);
    qsort(out->v, out->n, sizeof(char *), cmp_desc);
}

static int prune(const char *dir, names *ns, int keep, const char *keep_name)
{
    int deleted = 0;
    for (size_t i = 0; i < ns->n; i++) {
        if ((int)i >= keep && !(keep_name && strcmp(ns->v[i], keep_name) == 0)) {
            char *p = rag_path_join(dir, ns->v[i]);
            deleted += unlink(p) == 0;
            free(p);
        }
        free(ns->v[i]);
    }
    free(ns->v);
    return deleted;
}

int publish_prune_generations(const char *index_dir, int keep, const char *keep_name)
{
    names ns = { 0 };
    list(index_dir, RAG_INDEX_PREFIX, RAG_INDEX_SUFFIX, &ns);
    return prune(index_dir, &ns, keep < 1 ? 1 : keep, keep_name);
}
