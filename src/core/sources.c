/* sources.c — the transcripts folder scan and its glob matcher (rules in
 * rag/sources.h), the one implementation rag-ingest and ragtop share. Folders
 * are opened relative to their parent's descriptor with O_NOFOLLOW, so a
 * folder swapped for a symlink during the walk cannot lead outside the root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rag/sources.h"

static bool class_match(const char **pp, char c)
{
    const char *p = *pp + 1;
    bool neg = false, ok = false;
    if (*p == '!' || *p == '^') { neg = true; p++; }
    bool first = true;
    while (*p && (*p != ']' || first)) {
        first = false;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if (c >= p[0] && c <= p[2]) ok = true;
            p += 3;
        } else {
            if (c == *p) ok = true;
            p++;
        }
    }
    if (*p != ']')
        return false; /* unterminated class matches nothing */
    *pp = p + 1;
    return ok != neg;
}

/* Every "*" retries the rest of the pattern at each later position, which is
 * exponential in the number of stars ("*a*a*a*a*b" against a long name)
 * unless each (pattern position, path position) that failed is remembered:
 * with the memo a match costs at most pattern length x path length retries. */
typedef struct glob_memo {
    const char *p0, *s0;
    size_t s_len;
    unsigned char *failed; /* one bit per (pattern offset, path offset) */
} glob_memo;

static bool glob_from(glob_memo *g, const char *p, const char *s);

static bool glob_at(glob_memo *g, const char *p, const char *s)
{
    size_t bit = (size_t)(p - g->p0) * (g->s_len + 1) + (size_t)(s - g->s0);
    if (g->failed[bit / 8] & (1u << (bit % 8)))
        return false;
    if (glob_from(g, p, s))
        return true;
    g->failed[bit / 8] |= (unsigned char)(1u << (bit % 8));
    return false;
}

static bool glob_from(glob_memo *g, const char *p, const char *s)
{
    while (*p) {
        if (p[0] == '*' && p[1] == '*') {
            const char *rest = p + 2;
            if (*rest == '/') {
                rest++;
                for (const char *t = s;;) {
                    if (glob_at(g, rest, t))
                        return true;
                    t = strchr(t, '/');
                    if (!t)
                        return false;
                    t++;
                }
            }
            for (const char *t = s;; t++) {
                if (glob_at(g, rest, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (*p == '*') {
            p++;
            for (const char *t = s;; t++) {
                if (glob_at(g, p, t))
                    return true;
                if (!*t || *t == '/')
                    return false;
            }
        }
        if (!*s)
            return false;
        if (*p == '?') {
            if (*s == '/')
                return false;
            p++;
            s++;
            continue;
        }
        if (*p == '[') {
            if (*s == '/' || !class_match(&p, *s))
                return false;
            s++;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

/* The pattern's literal tail: what follows its last wildcard, which every
 * matching path must end with (".txt" for the default "*.txt" include). A "/" right
 * after "**" may match nothing, so it is not part of the tail. */
static const char *literal_tail(const char *pattern, size_t p_len)
{
    size_t k = p_len;
    while (k > 0 && !strchr("*?[]", pattern[k - 1]))
        k--;
    if (k >= 2 && pattern[k - 1] == '*' && pattern[k - 2] == '*' && pattern[k] == '/')
        k++;
    return pattern + k;
}

bool rag_glob_match(const char *pattern, const char *path)
{
    size_t p_len = strlen(pattern), s_len = strlen(path);
    /* most paths of a scan fail on the extension: no memo, no backtracking */
    const char *tail = literal_tail(pattern, p_len);
    size_t t_len = p_len - (size_t)(tail - pattern);
    if (t_len > s_len || memcmp(path + s_len - t_len, tail, t_len) != 0)
        return false;
    if (!strchr(pattern, '*'))
        return glob_from(NULL, pattern, path); /* no star: no retries, no memo */
    glob_memo g = { pattern, path, s_len, rag_xcalloc((p_len + 1) * (s_len + 1) / 8 + 1, 1) };
    bool ok = glob_from(&g, pattern, path);
    free(g.failed);
    return ok;
}

static bool any_match(char *const *pats, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (rag_glob_match(pats[i], path))
            return true;
    return false;
}

typedef struct walk {
    const char *root_real;
    size_t root_len;
    char *const *inc; size_t n_inc;
    char *const *exc; size_t n_exc;
    rag_sources *out;
    rag_error *err;
    int depth;
    char *rel;        /* the current path relative to the root, one buffer for the walk */
    size_t rel_cap;
} walk;

static void add_file(rag_sources *r, const char *rel, const struct stat *st)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->files = rag_xrealloc(r->files, r->cap * sizeof(rag_source));
    }
    r->files[r->n++] = (rag_source){ rag_xstrdup(rel), (int64_t)st->st_size,
                                     (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec };
    r->bytes += st->st_size;
}

/* w->rel = its first len bytes + "/" (unless len is 0) + name */
static void rel_set(walk *w, size_t len, const char *name)
{
    size_t n = strlen(name), need = len + n + 2;
    if (need > w->rel_cap) {
        w->rel_cap = need * 2;
        w->rel = rag_xrealloc(w->rel, w->rel_cap);
    }
    if (len)
        w->rel[len++] = '/';
    memcpy(w->rel + len, name, n + 1);
}

/* List the folder dfd (closed here) whose path relative to the root is the
 * first prefix_len bytes of w->rel. */
static int walk_dir(walk *w, int dfd, size_t prefix_len)
{
    if (w->depth > 64)
        return rag_error_set(w->err, RAG_ERR, "%s/%.*s: folders nested too deep", w->root_real, (int)prefix_len, w->rel);
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return rag_error_set(w->err, RAG_ERR, "%s/%.*s: cannot list folder: %s", w->root_real, (int)prefix_len, w->rel,
                             strerror(errno));
    }
    int rc = RAG_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (name[0] == '.') {
            w->out->skipped_hidden++;
            continue;
        }
        rel_set(w, prefix_len, name);
        const char *rel = w->rel;
        size_t rel_len = prefix_len + (prefix_len ? 1 : 0) + strlen(name);
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* vanished while listing */
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                w->depth++;
                rc = walk_dir(w, sub, rel_len);
                w->depth--;
            }
        } else if (S_ISLNK(st.st_mode)) {
            char *full = rag_xasprintf("%s/%s", w->root_real, rel);
            char *real = realpath(full, NULL);
            struct stat tst;
            if (real && strncmp(real, w->root_real, w->root_len) == 0 && real[w->root_len] == '/' &&
                stat(real, &tst) == 0 && S_ISREG(tst.st_mode)) {
                if (any_match(w->inc, w->n_inc, rel) && !any_match(w->exc, w->n_exc, rel))
                    add_file(w->out, rel, &tst);
                else
                    w->out->skipped_excluded++;
            } else {
                w->out->skipped_links++;
            }
            free(real);
            free(full);
        } else if (S_ISREG(st.st_mode)) {
            if (any_match(w->inc, w->n_inc, rel) && !any_match(w->exc, w->n_exc, rel))
                add_file(w->out, rel, &st);
            else
                w->out->skipped_excluded++;
        }
        if (rc != RAG_OK)
            break;
    }
    closedir(d);
    return rc;
}

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const rag_source *)a)->rel, ((const rag_source *)b)->rel);
}

int rag_sources_scan(const char *root, char *const *include, size_t n_include, char *const *exclude,
                     size_t n_exclude, rag_sources *out, rag_error *err)
{
    memset(out, 0, sizeof *out);
    char *real = realpath(root, NULL);
    if (!real)
        return rag_error_set(err, errno == ENOENT ? RAG_ENOENT : RAG_ERR, "%s: cannot open transcripts folder: %s",
                             root, strerror(errno));
    int fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int rc = rag_error_set(err, RAG_ERR, "%s: cannot open transcripts folder: %s", root, strerror(errno));
        free(real);
        return rc;
    }
    walk w = { real, strlen(real), include, n_include, exclude, n_exclude, out, err, 0, rag_xcalloc(1, 256), 256 };
    if (w.root_len == 1) /* root is "/" */
        w.root_len = 0;
    int rc = walk_dir(&w, fd, 0);
    free(w.rel);
    free(real);
    if (rc != RAG_OK) {
        rag_sources_free(out);
        return rc;
    }
    qsort(out->files, out->n, sizeof(rag_source), cmp_rel);
    return RAG_OK;
}

void rag_sources_free(rag_sources *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->files[i].rel);
    free(r->files);
    memset(r, 0, sizeof *r);
}
