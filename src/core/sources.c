/* sources.c — the transcripts folder scan and its glob matcher (rules in
 * rag/sources.h), the one implementation rag-ingest and ragtop share. Folders
 * are opened relative to their parent's descriptor with O_NOFOLLOW, so a
 * folder swapped for a symlink during the walk cannot lead outside the root.
 * A large folder's entries are stat'ed on several threads (stat_all). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rag/sources.h"

/* Globs ignore the case of ASCII letters (transcripts.md, "Which files"). */
static char fold(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool same_folded(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

static bool class_match(const char **pp, char c)
{
    const char *p = *pp + 1;
    bool neg = false, ok = false;
    if (*p == '!' || *p == '^') { neg = true; p++; }
    bool first = true;
    while (*p && (*p != ']' || first)) {
        first = false;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            /* [A-Z] takes "a" and [a-z] takes "A": either case in the range */
            const char lo = fold(c), up = lo >= 'a' && lo <= 'z' ? (char)(lo - 'a' + 'A') : lo;
            if ((lo >= p[0] && lo <= p[2]) || (up >= p[0] && up <= p[2])) ok = true;
            p += 3;
        } else {
            if (fold(c) == fold(*p)) ok = true;
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
        if (fold(*p) != fold(*s))
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
    while (k > 0 && pattern[k - 1] != '*' && pattern[k - 1] != '?' && pattern[k - 1] != '[' && pattern[k - 1] != ']')
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
    if (t_len > s_len || !same_folded(path + s_len - t_len, tail, t_len))
        return false;
    /* the default includes, "**", "/", "*", then a tail without "/": the
     * "**" and "/" take every folder, the "*" the rest of the name */
    if (p_len == t_len + 4 && memcmp(pattern, "**/*", 4) == 0 && !memchr(tail, '/', t_len))
        return true;
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
    int stat_threads; /* at most this many threads stat a folder's entries */
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

/* ------------------------------------------------ stat'ing a folder's entries
 * The fstatat per entry (a path lookup and an inode read in the kernel) is
 * most of a scan: a large folder's entries are stat'ed by helper threads
 * as well, STAT_CHUNK at a time; the results are then used in the order
 * readdir gave, exactly as if stat'ed one by one. */
#define STAT_CHUNK 64
#define STAT_MAX_THREADS 4

typedef struct dir_entry {
    size_t name;    /* offset in the folder's name buffer */
    bool ok;        /* fstatat succeeded (else the entry vanished) */
    struct stat st;
} dir_entry;

typedef struct stat_job {
    int dfd;
    const char *names;
    dir_entry *v;
    size_t n;
    atomic_size_t next; /* first entry no thread has taken yet */
} stat_job;

static void *stat_entries(void *arg)
{
    stat_job *j = arg;
    for (;;) {
        size_t from = atomic_fetch_add(&j->next, STAT_CHUNK);
        if (from >= j->n)
            return NULL;
        size_t to = from + STAT_CHUNK < j->n ? from + STAT_CHUNK : j->n;
        for (size_t i = from; i < to; i++)
            j->v[i].ok = fstatat(j->dfd, j->names + j->v[i].name, &j->v[i].st, AT_SYMLINK_NOFOLLOW) == 0;
    }
}

static void stat_all(int dfd, const char *names, dir_entry *v, size_t n, int threads)
{
    stat_job j = { dfd, names, v, n, 0 };
    int want = (int)(n / (2 * STAT_CHUNK)); /* a thread is worth two chunks at least */
    if (want > threads) want = threads;
    pthread_t tid[STAT_MAX_THREADS];
    int helpers = 0;
    while (helpers + 1 < want && pthread_create(&tid[helpers], NULL, stat_entries, &j) == 0)
        helpers++;
    stat_entries(&j);
    while (helpers > 0)
        pthread_join(tid[--helpers], NULL);
}

/* Byte-wise order of the paths the entries stand for: "<name>/..." for a
 * folder, "<name>" for anything else. */
static int cmp_entry(const void *a, const void *b, void *names)
{
    const dir_entry *x = a, *y = b;
    const unsigned char *p = (const unsigned char *)names + x->name, *q = (const unsigned char *)names + y->name;
    while (*p && *p == *q) {
        p++;
        q++;
    }
    unsigned cp = *p ? *p : (x->ok && S_ISDIR(x->st.st_mode)) ? '/' : 0;
    unsigned cq = *q ? *q : (y->ok && S_ISDIR(y->st.st_mode)) ? '/' : 0;
    return (cp > cq) - (cp < cq);
}

/* An entry the scan cannot list (counted in *counter; the first few named
 * with the reason). */
static void skip_named(rag_sources *out, size_t *counter, const char *rel, const char *why)
{
    (*counter)++;
    if (out->n_skipped_named < RAG_SOURCES_NAMED)
        out->skipped_named[out->n_skipped_named++] = rag_xasprintf("%s: %s", rel, why);
}

/* List the folder dfd (closed here) whose path relative to the root is the
 * first prefix_len bytes of w->rel: read its entries, stat them, then
 * handle each in readdir order. */
static int walk_dir(walk *w, int dfd, size_t prefix_len)
{
    if (w->depth > 64) {
        close(dfd);
        return rag_error_set(w->err, RAG_ERR, "%s/%.*s: folders nested too deep", w->root_real, (int)prefix_len, w->rel);
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return rag_error_set(w->err, RAG_ERR, "%s/%.*s: cannot list folder: %s", w->root_real, (int)prefix_len, w->rel,
                             strerror(errno));
    }
    char *names = NULL;
    size_t names_len = 0, names_cap = 0, n = 0, cap = 0;
    dir_entry *v = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (name[0] == '.') {
            w->out->skipped_hidden++;
            continue;
        }
        size_t len = strlen(name) + 1;
        if (names_len + len > names_cap) {
            names_cap = (names_len + len) * 2 + 4096;
            names = rag_xrealloc(names, names_cap);
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = rag_xrealloc(v, cap * sizeof *v);
        }
        memcpy(names + names_len, name, len);
        v[n++].name = names_len;
        names_len += len;
    }
    stat_all(dirfd(d), names, v, n, w->stat_threads);
    /* in path order (a folder sorts as its name + "/", as its files' paths
     * do): the whole list then comes out sorted, with no sort at the end */
    qsort_r(v, n, sizeof *v, cmp_entry, names);
    int rc = RAG_OK;
    for (size_t i = 0; rc == RAG_OK && i < n; i++) {
        const char *name = names + v[i].name;
        const struct stat *st = &v[i].st;
        rel_set(w, prefix_len, name);
        const char *rel = w->rel;
        if (!v[i].ok) { /* vanished while listing, or no permission to stat it */
            skip_named(w->out, &w->out->skipped_unreadable, rel, "cannot be read (vanished or no permission)");
            continue;
        }
        if (S_ISDIR(st->st_mode)) {
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                w->depth++;
                rc = walk_dir(w, sub, prefix_len + (prefix_len ? 1 : 0) + strlen(name));
                w->depth--;
            } else {
                char why[160];
                snprintf(why, sizeof why, "folder cannot be opened: %s", strerror(errno));
                skip_named(w->out, &w->out->skipped_unreadable, rel, why);
            }
        } else if (S_ISLNK(st->st_mode)) {
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
        } else if (S_ISREG(st->st_mode)) {
            if (any_match(w->inc, w->n_inc, rel) && !any_match(w->exc, w->n_exc, rel))
                add_file(w->out, rel, st);
            else
                w->out->skipped_excluded++;
        } else {
            skip_named(w->out, &w->out->skipped_special, rel,
                       S_ISFIFO(st->st_mode) ? "a FIFO, not a file" : S_ISSOCK(st->st_mode) ? "a socket, not a file"
                                                                          : "a device, not a file");
        }
    }
    free(v);
    free(names);
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
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    walk w = { real, strlen(real), include, n_include, exclude, n_exclude, out, err, 0, rag_xcalloc(1, 256), 256,
               cpus < 1 ? 1 : cpus > STAT_MAX_THREADS ? STAT_MAX_THREADS : (int)cpus };
    if (w.root_len == 1) /* root is "/" */
        w.root_len = 0;
    int rc = walk_dir(&w, fd, 0);
    free(w.rel);
    free(real);
    if (rc != RAG_OK) {
        rag_sources_free(out);
        return rc;
    }
    /* sorted by the walk already (cmp_entry); sorted here only when it is
     * not (a name the byte order of the walk and of strcmp disagree on) */
    for (size_t i = 1; i < out->n; i++)
        if (strcmp(out->files[i - 1].rel, out->files[i].rel) > 0) {
            qsort(out->files, out->n, sizeof(rag_source), cmp_rel);
            break;
        }
    return RAG_OK;
}

void rag_sources_free(rag_sources *r)
{
    for (size_t i = 0; i < r->n_skipped_named; i++)
        free(r->skipped_named[i]);
    for (size_t i = 0; i < r->n; i++)
        free(r->files[i].rel);
    free(r->files);
    memset(r, 0, sizeof *r);
}
