/* collect_sources.c — "3 transcripts not yet ingested": lists the transcripts
 * folder with the scan rag-ingest uses (rag/sources.h) and compares each
 * file's size and mtime with the documents and failures tables of the
 * generation the manifest names (opened read-only), by the rule rag-ingest
 * applies: a file is pending unless a row with its path, size and mtime_ns
 * exists. Without a readable generation it falls back to files modified after
 * the manifest's checked_at. */
#include "collect.h"

#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "rag/genset.h"

#include "rag/sources.h"

typedef struct rec { char *path; int64_t size, mtime_ns; bool seen; } rec;
typedef struct recs { rec *v; size_t n, cap; } recs;

static int rec_cmp(const void *a, const void *b)
{
    return strcmp(((const rec *)a)->path, ((const rec *)b)->path);
}

/* Rows (path, size, mtime_ns) of sql, sorted by path; false when the query
 * cannot be prepared (no such table). */
static bool load_rows(sqlite3 *db, const char *sql, recs *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->v = rag_xrealloc(out->v, out->cap * sizeof *out->v);
        }
        const unsigned char *p = sqlite3_column_text(st, 0);
        out->v[out->n++] = (rec){
            .path = rag_xstrdup(p ? (const char *)p : ""),
            .size = sqlite3_column_int64(st, 1),
            .mtime_ns = sqlite3_column_int64(st, 2),
        };
    }
    sqlite3_finalize(st);
    if (out->n) qsort(out->v, out->n, sizeof *out->v, rec_cmp);
    return true;
}

/* The generation's documents and failures; false when it cannot be read.
 * A generation without a failures table has no failures (as for rag-ingest). */
static bool load_generation(const char *db_path, recs *docs, recs *fails)
{
    rag_genset gs;
    if (rag_genset_load(db_path, &gs, NULL) != RAG_OK) return false;
    sqlite3 *db = NULL;
    bool ok = rag_genset_open_db(&gs, &db, NULL) == RAG_OK &&
              load_rows(db, "SELECT path, size, mtime_ns FROM documents", docs);
    if (ok) load_rows(db, "SELECT path, size, mtime_ns FROM failures", fails);
    sqlite3_close(db);
    rag_genset_free(&gs);
    return ok;
}

static rec *find(recs *r, const char *path)
{
    rec key = {.path = (char *)path};
    return r->n ? bsearch(&key, r->v, r->n, sizeof *r->v, rec_cmp) : NULL;
}

static size_t recs_free(recs *r)
{
    size_t unseen = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->v[i].seen) unseen++;
        free(r->v[i].path);
    }
    free(r->v);
    return unseen;
}

void collect_sources(rt_sources *out, const rt_config_info *cfg, const rt_manifest_info *man)
{
    memset(out, 0, sizeof *out);
    if (cfg->rc != RAG_OK) {
        out->rc = RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "config not loaded");
        return;
    }
    recs docs = {0}, fails = {0};
    int64_t since_ms = 0;
    bool exact = true; /* no index: every file is new */
    if (man->rc == RAG_OK && man->m.generation[0]) {
        char *db = rag_xasprintf("%s/%s", cfg->index_dir, man->m.generation);
        exact = load_generation(db, &docs, &fails);
        free(db);
        since_ms = man->m.checked_at_ms ? man->m.checked_at_ms : man->m.generated_at_ms;
    }
    const rag_config *c = &cfg->cfg;
    rag_sources sr;
    rag_error err = {0};
    if (rag_sources_scan(c->paths.transcripts, c->ingest.include, c->ingest.n_include, c->ingest.exclude,
                         c->ingest.n_exclude, &sr, &err) != RAG_OK) {
        out->rc = RAG_ERR;
        rt_fmt(out->error, sizeof out->error, "%s", err.msg);
    } else {
        out->rc = RAG_OK;
        out->unreadable = (int64_t)(sr.skipped_unreadable + sr.skipped_special);
        if (sr.n_skipped_named) rt_fmt(out->first_unreadable, sizeof out->first_unreadable, "%s", sr.skipped_named[0]);
        for (size_t i = 0; i < sr.n; i++) {
            const rag_source *f = &sr.files[i];
            out->total++;
            if (!exact) {
                if (f->mtime_ns / 1000000000LL * 1000 > since_ms) out->changed++;
                continue;
            }
            rec *hit = find(&docs, f->rel);
            if (!hit) hit = find(&fails, f->rel); /* failed before: retried only once changed */
            if (!hit) {
                out->added++;
                continue;
            }
            hit->seen = true;
            if (hit->size != f->size || hit->mtime_ns != f->mtime_ns) out->changed++;
        }
        rag_sources_free(&sr);
    }
    out->exact = exact;
    /* a vanished failure also makes rag-ingest publish a new generation */
    size_t gone = recs_free(&docs) + recs_free(&fails);
    if (out->rc == RAG_OK) out->removed = (int64_t)gone;
}
