/* scan.c — the transcripts folder walk (see scan.h). Folders are opened
 * relative to their parent's descriptor with O_NOFOLLOW, so a folder swapped
 * for a symlink during the walk cannot lead outside the root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan.h"

#include "rag/glob.h"

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
    scan_result *out;
    rag_error *err;
    int depth;
} walk;

static void add_file(scan_result *r, const char *rel, const struct stat *st)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->files = rag_xrealloc(r->files, r->cap * sizeof(scan_file));
    }
    r->files[r->n++] = (scan_file){ rag_xstrdup(rel), (int64_t)st->st_size,
                                    (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec };
    r->bytes += st->st_size;
}

static int walk_dir(walk *w, int dfd, const char *prefix)
{
    if (w->depth > 64)
        return rag_error_set(w->err, RAG_ERR, "%s/%s: folders nested too deep", w->root_real, prefix);
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return rag_error_set(w->err, RAG_ERR, "%s/%s: cannot list folder: %s", w->root_real, prefix, strerror(errno));
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
        char *rel = *prefix ? rag_xasprintf("%s/%s", prefix, name) : rag_xstrdup(name);
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            free(rel); /* vanished while listing */
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                w->depth++;
                rc = walk_dir(w, sub, rel);
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
        free(rel);
        if (rc != RAG_OK)
            break;
    }
    closedir(d);
    return rc;
}

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const scan_file *)a)->rel, ((const scan_file *)b)->rel);
}

int scan_folder(const char *root, char *const *include, size_t n_include, char *const *exclude, size_t n_exclude,
                scan_result *out, rag_error *err)
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
    walk w = { real, strlen(real), include, n_include, exclude, n_exclude, out, err, 0 };
    if (w.root_len == 1) /* root is "/" */
        w.root_len = 0;
    int rc = walk_dir(&w, fd, "");
    free(real);
    if (rc != RAG_OK) {
        scan_free(out);
        return rc;
    }
    qsort(out->files, out->n, sizeof(scan_file), cmp_rel);
    return RAG_OK;
}

void scan_free(scan_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->files[i].rel);
    free(r->files);
    memset(r, 0, sizeof *r);
}
