/* segments.c — the generation descriptor and the merge policy (see
 * segments.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "publish.h"
#include "rag/fsutil.h"
#include "rag/genset.h"
#include "rag/index.h"
#include "run.h"
#include "segments.h"

#define SEG_PREFIX "seg-"
#define MERGE_FACTOR 4        /* tail segments within 4x of each other are merged */
#define DEAD_PERCENT 30       /* a segment with more tombstoned chunks is rewritten */

/* One segment of the generation being written. */
typedef struct seg_ent {
    char *file;
    int64_t documents, chunks, tokens, live_documents, live_chunks, live_tokens, max_doc_id, max_chunk_id;
    bool merged; /* written by a merge of this run: holds no tombstoned rows */
} seg_ent;

typedef struct seg_list {
    seg_ent *v;
    size_t n;
    int64_t *tomb; /* ascending */
    size_t n_tomb;
} seg_list;

char *segments_run_id_of(const char *desc_tmp)
{
    const char *b = strrchr(desc_tmp, '/');
    b = b ? b + 1 : desc_tmp;
    size_t plen = strlen(RAG_INDEX_PREFIX), n = strlen(b);
    const char *suf = RAG_INDEX_SUFFIX ".tmp";
    size_t slen = strlen(suf);
    if (strncmp(b, RAG_INDEX_PREFIX, plen) == 0 && n > plen + slen && strcmp(b + n - slen, suf) == 0)
        return rag_xasprintf("%.*s", (int)(n - plen - slen), b + plen);
    return rag_xstrdup(b);
}

char *segments_file_path(const char *dir, const char *run_id, int merge_no, bool tmp)
{
    if (merge_no > 0)
        return rag_xasprintf("%s/" SEG_PREFIX "%s-%d%s%s", dir, run_id, merge_no, RAG_INDEX_SUFFIX, tmp ? ".tmp" : "");
    return rag_xasprintf("%s/" SEG_PREFIX "%s%s%s", dir, run_id, RAG_INDEX_SUFFIX, tmp ? ".tmp" : "");
}

bool segments_is_segment(const char *name)
{
    size_t n = strlen(name), s = strlen(RAG_INDEX_SUFFIX);
    return strncmp(name, SEG_PREFIX, strlen(SEG_PREFIX)) == 0 && n > s && strcmp(name + n - s, RAG_INDEX_SUFFIX) == 0;
}

int segments_remove_run(const char *dir, const char *run_id)
{
    char *prefix = rag_xasprintf(SEG_PREFIX "%s", run_id);
    size_t plen = strlen(prefix);
    int removed = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) /* seg-<run_id>.sqlite, seg-<run_id>-N.sqlite (and .tmp) */
        if (strncmp(de->d_name, prefix, plen) == 0 && (de->d_name[plen] == '.' || de->d_name[plen] == '-'))
            removed += unlinkat(dirfd(d), de->d_name, 0) == 0;
    if (d)
        closedir(d);
    free(prefix);
    return removed;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t *b)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        if (b)
            *b = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return v;
}

static void list_free(seg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].file);
    free(l->v);
    free(l->tomb);
    memset(l, 0, sizeof *l);
}

static seg_ent *list_push(seg_list *l)
{
    l->v = rag_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    seg_ent *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* The previous segments with this run's deletions subtracted; the
 * tombstones: the previous ones plus every previous live document not
 * carried over (temp.gone). */
static int start_from_prev(segments_gen *g, seg_list *l, rag_error *err)
{
    const rag_genset *p = g->prev;
    sqlite3 *db = g->prev_db;
    char *msg = NULL;
    if (!g->dropped && sqlite3_exec(db, "CREATE TEMP TABLE gone AS SELECT id FROM documents", NULL, NULL, &msg) != SQLITE_OK) {
        int rc = rag_error_set(err, RAG_ERR, "%s: tombstones: %s", p->path, rag_sqlite_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    int64_t n_gone = scalar(db, "SELECT count(*) FROM temp.gone", NULL);
    l->tomb = rag_xmalloc(((size_t)(n_gone > 0 ? n_gone : 0) + p->n_tombstones + 1) * sizeof *l->tomb);
    memcpy(l->tomb, p->tombstones, p->n_tombstones * sizeof *l->tomb);
    l->n_tomb = p->n_tombstones;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM temp.gone", -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW && l->n_tomb < p->n_tombstones + (size_t)n_gone)
            l->tomb[l->n_tomb++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    rag_sort_i64(l->tomb, l->n_tomb);
    for (size_t k = 0; k < p->n; k++) {
        const rag_segment_ref *s = &p->segs[k];
        seg_ent *e = list_push(l);
        e->file = rag_xstrdup(s->file);
        e->documents = s->documents;
        e->chunks = s->chunks;
        e->tokens = s->tokens;
        e->max_doc_id = s->max_doc_id;
        e->max_chunk_id = s->max_chunk_id;
        char sql[256];
        int64_t gone_chunks = 0;
        snprintf(sql, sizeof sql, "SELECT count(*), coalesce(sum(chunk_count),0) FROM s%zu.documents"
                                  " WHERE id IN (SELECT id FROM temp.gone)", k);
        int64_t gone_docs = scalar(db, sql, &gone_chunks);
        snprintf(sql, sizeof sql, "SELECT coalesce(sum(token_count),0) FROM s%zu.chunks"
                                  " WHERE doc_id IN (SELECT id FROM temp.gone)", k);
        int64_t gone_tokens = scalar(db, sql, NULL);
        if (gone_docs < 0 || gone_tokens < 0)
            return rag_error_set(err, RAG_ERR, "%s: counting tombstoned rows: %s", s->path, rag_sqlite_errmsg(db));
        e->live_documents = s->live_documents - gone_docs;
        e->live_chunks = s->live_chunks - gone_chunks;
        e->live_tokens = s->live_tokens - gone_tokens;
    }
    return RAG_OK;
}

static int max_segments(void)
{
    /* test hook: a smaller cap makes merges happen on a small corpus */
    const char *v = getenv("RAG_INGEST_TEST_MAX_SEGMENTS");
    long n = v ? strtol(v, NULL, 10) : 0;
    return n >= 2 && n <= RAG_GENSET_MAX_SEGMENTS ? (int)n : RAG_GENSET_MAX_SEGMENTS;
}

/* Tombstones of rows in segments [from, to): the ones a merge leaves out. */
static void tomb_range(const seg_list *l, size_t from, size_t to, size_t *a, size_t *b)
{
    int64_t lo = from ? l->v[from - 1].max_doc_id : 0, hi = l->v[to - 1].max_doc_id;
    size_t i = 0;
    while (i < l->n_tomb && l->tomb[i] <= lo) i++;
    *a = i;
    while (i < l->n_tomb && l->tomb[i] <= hi) i++;
    *b = i;
}

/* Replace segments [from, to) by one merged segment without their
 * tombstoned rows (and drop those tombstones). */
static int merge_range(segments_gen *g, seg_list *l, size_t from, size_t to, rag_error *err)
{
    size_t n = to - from, ta, tb;
    tomb_range(l, from, to, &ta, &tb);
    const char **paths = rag_xcalloc(n, sizeof *paths);
    for (size_t i = 0; i < n; i++)
        paths[i] = rag_path_join(g->dir, l->v[from + i].file);
    int no = ++g->merges;
    char *tmp = segments_file_path(g->dir, g->run_id, no, true);
    char *fin = segments_file_path(g->dir, g->run_id, no, false);
    iw_segment_stats out = { 0 };
    int rc = iw_merge_segments(tmp, paths, n, l->tomb + ta, tb - ta, g->interrupt, g->vs, &out, err);
    ingest_test_pause("RAG_INGEST_TEST_MERGE_DELAY_MS");
    if (rc == RAG_OK)
        rc = publish_rename(tmp, fin, g->dir, err);
    for (size_t i = 0; i < n; i++)
        free((char *)paths[i]);
    free(paths);
    free(tmp);
    if (rc != RAG_OK) {
        free(fin);
        return rc;
    }
    seg_ent m = { rag_xstrdup(base_name(fin)), out.documents, out.chunks, out.tokens, out.documents, out.chunks,
                  out.tokens, l->v[to - 1].max_doc_id, l->v[to - 1].max_chunk_id, true };
    free(fin);
    for (size_t i = from; i < to; i++)
        free(l->v[i].file);
    l->v[from] = m;
    memmove(&l->v[from + 1], &l->v[to], (l->n - to) * sizeof *l->v);
    l->n -= n - 1;
    memmove(&l->tomb[ta], &l->tomb[tb], (l->n_tomb - tb) * sizeof *l->tomb);
    l->n_tomb -= tb - ta;
    return RAG_OK;
}

/* Drop segments with no live document left (and their tombstones). */
static void drop_dead(seg_list *l)
{
    for (size_t i = 0; i < l->n && l->n > 1;) {
        if (l->v[i].live_documents > 0) {
            i++;
            continue;
        }
        size_t ta, tb;
        tomb_range(l, i, i + 1, &ta, &tb);
        memmove(&l->tomb[ta], &l->tomb[tb], (l->n_tomb - tb) * sizeof *l->tomb);
        l->n_tomb -= tb - ta;
        free(l->v[i].file);
        int64_t keep_doc = l->v[i].max_doc_id, keep_chunk = l->v[i].max_chunk_id;
        memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
        l->n--;
        if (i == l->n) { /* the newest was dropped: the one before keeps the id high-water mark */
            if (l->v[i - 1].max_doc_id < keep_doc) l->v[i - 1].max_doc_id = keep_doc;
            if (l->v[i - 1].max_chunk_id < keep_chunk) l->v[i - 1].max_chunk_id = keep_chunk;
        }
    }
}

/* The merge policy (segments.h). */
static int apply_policy(segments_gen *g, seg_list *l, rag_error *err)
{
    drop_dead(l);
    const size_t cap = (size_t)max_segments();
    /* tiered: the newest segments merge while the group is within
     * MERGE_FACTOR of the next older one, or while there are too many */
    size_t j = l->n - 1;
    int64_t acc = l->v[j].live_chunks;
    while (j > 0 && (acc * MERGE_FACTOR >= l->v[j - 1].live_chunks || j + 1 > cap)) {
        j--;
        acc += l->v[j].live_chunks;
    }
    int rc = RAG_OK;
    if (l->n - j >= 2)
        rc = merge_range(g, l, j, l->n, err);
    /* deletions: a segment mostly tombstoned is rewritten without them */
    for (size_t i = 0; rc == RAG_OK && i < l->n; i++)
        if (!l->v[i].merged && l->v[i].chunks > 0 &&
            (l->v[i].chunks - l->v[i].live_chunks) * 100 > l->v[i].chunks * DEAD_PERCENT)
            rc = merge_range(g, l, i, i + 1, err);
    return rc;
}

static const char *DESC_SCHEMA =
    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE segments(ord INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, documents INTEGER NOT NULL,"
    " chunks INTEGER NOT NULL, tokens INTEGER NOT NULL, live_documents INTEGER NOT NULL, live_chunks INTEGER NOT NULL,"
    " live_tokens INTEGER NOT NULL, max_doc_id INTEGER NOT NULL, max_chunk_id INTEGER NOT NULL);"
    "CREATE TABLE tombstones(doc_id INTEGER PRIMARY KEY);"
    "CREATE TABLE failures(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " reason TEXT NOT NULL, class TEXT NOT NULL DEFAULT 'content', sha256 TEXT);";

static int write_descriptor(segments_gen *g, const seg_list *l, rag_error *err)
{
    unlink(g->desc_tmp);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(g->desc_tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        int rc = rag_error_set(err, RAG_ERR, "%s: cannot create: %s", g->desc_tmp, db ? rag_sqlite_errmsg(db) : "?");
        sqlite3_close(db);
        return rc;
    }
    g->documents = g->chunks = g->tokens = 0;
    for (size_t i = 0; i < l->n; i++) {
        g->documents += l->v[i].live_documents;
        g->chunks += l->v[i].live_chunks;
        g->tokens += l->v[i].live_tokens;
    }
    char *uri = rag_sqlite_ro_uri(g->new_seg);
    char *sql = sqlite3_mprintf(
        "%s ATTACH DATABASE %Q AS n; BEGIN;"
        "INSERT INTO meta SELECT * FROM n.meta WHERE key <> 'segment';"
        "INSERT OR REPLACE INTO meta(key,value) VALUES('index_schema_version','%d'),('documents','%lld'),"
        "('chunks','%lld'),('tokens','%lld'),('segments','%d');"
        "INSERT INTO failures SELECT * FROM n.failures;",
        DESC_SCHEMA, uri, RAG_INDEX_SCHEMA_VERSION, (long long)g->documents, (long long)g->chunks, (long long)g->tokens,
        (int)l->n);
    free(uri);
    char *msg = NULL;
    int rc = RAG_OK;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        rc = rag_error_set(err, RAG_ERR, "%s: %s", g->desc_tmp, rag_sqlite_errmsg(db));
    sqlite3_free(sql);
    sqlite3_free(msg);
    sqlite3_stmt *st = NULL;
    if (rc == RAG_OK && sqlite3_prepare_v2(db, "INSERT INTO segments VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) == SQLITE_OK) {
        for (size_t i = 0; rc == RAG_OK && i < l->n; i++) {
            const seg_ent *e = &l->v[i];
            sqlite3_bind_int64(st, 1, (int64_t)i);
            sqlite3_bind_text(st, 2, e->file, -1, SQLITE_STATIC);
            int64_t v[] = { e->documents, e->chunks, e->tokens, e->live_documents, e->live_chunks, e->live_tokens,
                            e->max_doc_id, e->max_chunk_id };
            for (int k = 0; k < 8; k++)
                sqlite3_bind_int64(st, 3 + k, v[k]);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = rag_error_set(err, RAG_ERR, "%s: %s", g->desc_tmp, rag_sqlite_errmsg(db));
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == RAG_OK && sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO tombstones VALUES(?)", -1, &st, NULL) == SQLITE_OK) {
        for (size_t i = 0; rc == RAG_OK && i < l->n_tomb; i++) {
            sqlite3_bind_int64(st, 1, l->tomb[i]);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = rag_error_set(err, RAG_ERR, "%s: %s", g->desc_tmp, rag_sqlite_errmsg(db));
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    if (rc == RAG_OK && sqlite3_exec(db, "COMMIT; DETACH DATABASE n; PRAGMA journal_mode=DELETE;", NULL, NULL, &msg) != SQLITE_OK) {
        rc = rag_error_set(err, RAG_ERR, "%s: %s", g->desc_tmp, rag_sqlite_errmsg(db));
        sqlite3_free(msg);
    }
    if (sqlite3_close(db) != SQLITE_OK && rc == RAG_OK)
        rc = rag_error_set(err, RAG_ERR, "%s: close failed", g->desc_tmp);
    return rc;
}

int segments_write_generation(segments_gen *g, rag_error *err)
{
    seg_list l = { 0 };
    int rc = g->prev ? start_from_prev(g, &l, err) : RAG_OK;
    if (rc == RAG_OK) {
        seg_ent *e = list_push(&l);
        e->file = rag_xstrdup(base_name(g->new_seg));
        e->documents = e->live_documents = g->new_stats.documents;
        e->chunks = e->live_chunks = g->new_stats.chunks;
        e->tokens = e->live_tokens = g->new_stats.tokens;
        e->max_doc_id = g->new_stats.max_doc_id;
        e->max_chunk_id = g->new_stats.max_chunk_id;
        /* an empty new segment keeps the id high-water mark */
        if (l.n > 1 && e->max_doc_id < l.v[l.n - 2].max_doc_id) e->max_doc_id = l.v[l.n - 2].max_doc_id;
        if (l.n > 1 && e->max_chunk_id < l.v[l.n - 2].max_chunk_id) e->max_chunk_id = l.v[l.n - 2].max_chunk_id;
        rc = apply_policy(g, &l, err);
    }
    if (rc == RAG_OK)
        rc = write_descriptor(g, &l, err);
    list_free(&l);
    return rc;
}
