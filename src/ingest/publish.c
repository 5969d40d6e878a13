/* publish.c — publication, clean-up and retention of generations (see
 * publish.h). Retention orders generations by modification time (the
 * moment they were published), newest first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

typedef struct entry {
    char *name;
    int64_t mtime_ns;
} entry;

typedef struct names {
    entry *v;
    size_t n, cap;
} names;

/* newest first: by modification time (run ids of one second would sort by
 * their random suffix), then by name */
static int cmp_desc(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? 1 : -1;
    return strcmp(y->name, x->name);
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
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 16;
            out->v = rag_xrealloc(out->v, out->cap * sizeof(entry));
        }
        out->v[out->n++] = (entry){ rag_xstrdup(de->d_name),
                                    (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec };
    }
    closedir(d);
    qsort(out->v, out->n, sizeof(entry), cmp_desc);
}

static int prune(const char *dir, names *ns, int keep, const char *keep_name)
{
    int deleted = 0;
    for (size_t i = 0; i < ns->n; i++) {
        if ((int)i >= keep && !(keep_name && strcmp(ns->v[i].name, keep_name) == 0)) {
            char *p = rag_path_join(dir, ns->v[i].name);
            deleted += unlink(p) == 0;
            free(p);
        }
        free(ns->v[i].name);
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
