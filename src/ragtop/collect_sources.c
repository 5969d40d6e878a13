/* collect_sources.c — "3 transcripts not yet ingested": walks the transcripts
 * folder (the config's include/exclude globs) and compares each file's size
 * and mtime with the documents table of the generation the manifest names
 * (opened read-only). Without a readable generation it falls back to files
 * modified after the manifest's checked_at. */
#include "collect.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "rag/glob.h"

typedef struct doc { char *path; int64_t size, mtime_ns; bool seen; } doc;

typedef struct walk {
    const rag_config *cfg;
    doc *docs; size_t n_docs;
    bool exact;
    int64_t since_ms;
    rt_sources *out;
    int depth;
} walk;

static bool selected(const rag_config *cfg, const char *rel)
{
    bool inc = cfg->ingest.n_include == 0;
    for (size_t i = 0; !inc && i < cfg->ingest.n_include; i++) inc = rag_glob_match(cfg->ingest.include[i], rel);
    if (!inc) return false;
    for (size_t i = 0; i < cfg->ingest.n_exclude; i++)
        if (rag_glob_match(cfg->ingest.exclude[i], rel)) return false;
    return true;
}

static int doc_cmp(const void *a, const void *b)
{
    return strcmp(((const doc *)a)->path, ((const doc *)b)->path);
}

/* Same time, at whatever precision the index stored (s, ms or ns). */
static bool same_mtime(int64_t stored, const struct stat *st)
{
    int64_t ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    if (stored % 1000000000LL == 0) return stored / 1000000000LL == (int64_t)st->st_mtim.tv_sec;
    if (stored % 1000000LL == 0) return stored / 1000000LL == ns / 1000000LL;
    return stored == ns;
}

static void visit(walk *w, const char *abs, const char *rel)
{
    DIR *d = opendir(abs);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *a = rag_xasprintf("%s/%s", abs, de->d_name);
        char *r = *rel ? rag_xasprintf("%s/%s", rel, de->d_name) : rag_xstrdup(de->d_name);
        struct stat st;
        if (stat(a, &st) == 0) {
            if (S_ISDIR(st.st_mode) && w->depth < 32) {
                w->depth++;
                visit(w, a, r);
                w->depth--;
            } else if (S_ISREG(st.st_mode) && selected(w->cfg, r)) {
                w->out->total++;
                if (w->exact) {
                    doc key = {.path = r};
                    doc *hit = bsearch(&key, w->docs, w->n_docs, sizeof *w->docs, doc_cmp);
                    if (!hit) w->out->added++;
                    else {
                        hit->seen = true;
                        bool same = hit->mtime_ns == 0 /* not recorded: compare with the run */
                                        ? (int64_t)st.st_mtim.tv_sec * 1000 <= w->since_ms
                                        : same_mtime(hit->mtime_ns, &st);
                        if (hit->size != (int64_t)st.st_size || !same) w->out->changed++;
                    }
                } else if ((int64_t)st.st_mtim.tv_sec * 1000 > w->since_ms) {
                    w->out->changed++;
                }
            }
        }
        free(a);
        free(r);
    }
    closedir(d);
}

static bool load_docs(const char *db_path, walk *w)
{
    sqlite3 *db = NULL;
    char *uri = rag_xasprintf("file:%s?mode=ro&immutable=1", db_path);
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return false;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT path, size, mtime_ns FROM documents", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return false;
    }
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (w->n_docs == cap) {
            cap = cap ? cap * 2 : 64;
            w->docs = rag_xrealloc(w->docs, cap * sizeof *w->docs);
        }
        const unsigned char *p = sqlite3_column_text(st, 0);
        w->docs[w->n_docs++] = (doc){
            .path = rag_xstrdup(p ? (const char *)p : ""),
            .size = sqlite3_column_int64(st, 1),
            .mtime_ns = sqlite3_column_int64(st, 2),
        };
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    qsort(w->docs, w->n_docs, sizeof *w->docs, doc_cmp);
    return true;
}

void collect_sources(rt_sources *out, const rt_config_info *cfg, const rt_manifest_info *man)
{
    memset(out, 0, sizeof *out);
    if (cfg->rc != RAG_OK) {
        out->rc = RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "config not loaded");
        return;
    }
    walk w = {.cfg = &cfg->cfg, .out = out};
    if (man->rc == RAG_OK && man->m.generation[0]) {
        char *db = rag_xasprintf("%s/%s", cfg->index_dir, man->m.generation);
        w.exact = load_docs(db, &w);
        free(db);
        w.since_ms = man->m.checked_at_ms ? man->m.checked_at_ms : man->m.generated_at_ms;
    } else {
        w.exact = true; /* no index: every file is new */
    }
    struct stat st;
    if (stat(cfg->cfg.paths.transcripts, &st) != 0 || !S_ISDIR(st.st_mode)) {
        out->rc = RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "%s: not a readable folder", cfg->cfg.paths.transcripts);
    } else {
        visit(&w, cfg->cfg.paths.transcripts, "");
        out->rc = RAG_OK;
    }
    out->exact = w.exact;
    for (size_t i = 0; i < w.n_docs; i++) {
        if (!w.docs[i].seen && out->rc == RAG_OK) out->removed++;
        free(w.docs[i].path);
    }
    free(w.docs);
}
