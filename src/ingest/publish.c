/* publish.c — publication, clean-up and retention of generations (see
 * publish.h). Retention goes by what the manifests name (latest.json, then
 * the per-run copies, newest written first), not by file times: a generation no
 * manifest names is an orphan of a failed or killed run and never takes a
 * slot an earlier good generation (a rollback target) needs. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "publish.h"
#include "rag/fsutil.h"
#include "rag/genset.h"
#include "rag/index.h"
#include "rag/manifest.h"

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
            if ((strncmp(n, RAG_INDEX_PREFIX, strlen(RAG_INDEX_PREFIX)) == 0 || strncmp(n, "seg-", 4) == 0) &&
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

static void names_add(names *ns, const char *name)
{
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 16;
        ns->v = rag_xrealloc(ns->v, ns->cap * sizeof(char *));
    }
    ns->v[ns->n++] = rag_xstrdup(name);
}

static bool names_has(const names *ns, const char *name)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], name) == 0)
            return true;
    return false;
}

static void names_free(names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

/* File names in dir that match pred (regular files only). */
static void list_files(const char *dir, bool (*pred)(const char *), names *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (!pred(de->d_name) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        names_add(out, de->d_name);
    }
    closedir(d);
}

static bool is_generation(const char *n)
{
    return strncmp(n, RAG_INDEX_PREFIX, strlen(RAG_INDEX_PREFIX)) == 0 && has_suffix(n, RAG_INDEX_SUFFIX);
}

static bool is_segment(const char *n)
{
    return strncmp(n, "seg-", 4) == 0 && has_suffix(n, RAG_INDEX_SUFFIX);
}

/* Add the segment files kept generation gen names to segs; false when its
 * descriptor cannot be read (then no segment may be deleted). */
static bool segments_of(const char *index_dir, const char *gen, names *segs)
{
    char *p = rag_path_join(index_dir, gen);
    rag_genset gs;
    rag_error e = { 0 };
    int rc = rag_genset_load(p, &gs, &e);
    free(p);
    if (rc != RAG_OK)
        return false;
    for (size_t i = 0; i < gs.n; i++)
        if (!names_has(segs, gs.segs[i].file))
            names_add(segs, gs.segs[i].file);
    rag_genset_free(&gs);
    return true;
}

void publish_named_generations(const char *ckpt_dir, names_cb cb, void *ud)
{
    char *latest = rag_path_join(ckpt_dir, "latest.json");
    rag_manifest m;
    if (rag_manifest_load(latest, &m, NULL) == RAG_OK) {
        cb(&m, ud);
        rag_manifest_free(&m);
    }
    free(latest);
    size_t n = 0;
    char **copies = rag_manifest_run_copies(ckpt_dir, &n); /* newest first */
    for (size_t i = 0; i < n; i++) {
        char *p = rag_path_join(ckpt_dir, copies[i]);
        if (rag_manifest_load(p, &m, NULL) == RAG_OK) {
            cb(&m, ud);
            rag_manifest_free(&m);
        }
        free(p);
        free(copies[i]);
    }
    free(copies);
}

typedef struct keep_ctx {
    const names *gens; /* generation files on disk */
    names kept;
    int keep;
} keep_ctx;

static void keep_named(const rag_manifest *m, void *ud)
{
    keep_ctx *k = ud;
    if ((int)k->kept.n < k->keep && names_has(k->gens, m->generation) && !names_has(&k->kept, m->generation))
        names_add(&k->kept, m->generation);
}

int publish_prune_generations(const char *index_dir, const char *ckpt_dir, int keep, const char *served, int *deleted,
                              rag_error *err)
{
    names gens = { 0 };
    list_files(index_dir, is_generation, &gens);
    keep_ctx k = { &gens, { 0 }, keep < 1 ? 1 : keep };
    if (served && served[0])
        names_add(&k.kept, served);
    publish_named_generations(ckpt_dir, keep_named, &k);
    int rc = RAG_OK;
    *deleted = 0;
    /* everything not kept goes: orphans (named by no manifest) and named
     * generations beyond keep alike */
    for (size_t i = 0; i < gens.n; i++) {
        if (names_has(&k.kept, gens.v[i]))
            continue;
        char *p = rag_path_join(index_dir, gens.v[i]);
        if (unlink(p) == 0)
            (*deleted)++;
        else if (errno != ENOENT && rc == RAG_OK)
            rc = rag_error_set(err, RAG_ERR, "%s: cannot delete old generation: %s", p, strerror(errno));
        free(p);
    }
    /* segment files: kept while a kept generation names one; the others
     * (replaced by merges, or orphans of failed and killed runs) go */
    names segs = { 0 }, keep_segs = { 0 };
    bool all_read = true;
    for (size_t i = 0; i < k.kept.n; i++)
        all_read = segments_of(index_dir, k.kept.v[i], &keep_segs) && all_read;
    list_files(index_dir, is_segment, &segs);
    for (size_t i = 0; all_read && i < segs.n; i++) {
        if (names_has(&keep_segs, segs.v[i]))
            continue;
        char *p = rag_path_join(index_dir, segs.v[i]);
        if (unlink(p) != 0 && errno != ENOENT && rc == RAG_OK)
            rc = rag_error_set(err, RAG_ERR, "%s: cannot delete unused segment: %s", p, strerror(errno));
        free(p);
    }
    if (!all_read && rc == RAG_OK)
        rc = rag_error_set(err, RAG_ERR, "%s: a kept generation cannot be read; no segment file was deleted", index_dir);
    names_free(&segs);
    names_free(&keep_segs);
    names_free(&gens);
    names_free(&k.kept);
    return rc;
}
