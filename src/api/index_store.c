/* index_store.c — opening an index generation for serving and swapping it in.
 * The generation's descriptor and segments (docs/specs/index.md, v2; a v1
 * file is one segment) are opened with SQLite's immutable=1 URI flag: they
 * are never modified once published, so readers need no locks and no
 * journal checks. A segment's rows are read once and shared by every open
 * generation that names it, so a reload reads only new segments. Vectors are stored transposed (one column per
 * dimension) so a query vector with few non-zero components — the hashing
 * embedder's case — costs only those columns, while a dense one is an
 * ordinary full scan. A segment with an approximate vector index
 * (rag/vector_index.h) loads that instead: only its chunks' rowids and
 * documents are read from its embeddings table, and its float32 vectors
 * stay on disk for rescoring (vector_ann.c). */
#include "index_store.h"
#include "bm25rank.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "rag/index.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"
#include "rag/vector_index.h"

/* ------------------------------------------------------------ generation */

/* meta value for key into out; -1 when absent. */
static int meta_get(sqlite3 *db, const char *key, char *out, size_t outsz)
{
    sqlite3_stmt *st = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, "SELECT value FROM main.meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, outsz, "%s", v ? (const char *)v : "");
        found = 0;
    }
    sqlite3_finalize(st);
    return found;
}

static int meta_int(sqlite3 *db, const char *path, const char *key, int64_t *out, rag_error *err)
{
    char buf[64];
    if (meta_get(db, key, buf, sizeof buf) < 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: meta.%s is missing (%s)", path, key, sqlite3_errmsg(db));
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || *end != '\0')
        return rag_error_set(err, RAG_ECORRUPT, "%s: meta.%s is not an integer: \"%s\"", path, key, buf);
    *out = v;
    return RAG_OK;
}

void api_segment_schema(const api_generation *g, size_t k, char out[16])
{
    if (g->gs.version == 1) snprintf(out, 16, "main");
    else snprintf(out, 16, "s%d", (int)(k % RAG_GENSET_MAX_SEGMENTS));
}

bool api_generation_is_dead(const api_generation *g, int64_t rowid)
{
    return rag_find_sorted_i64(g->dead, g->n_dead, rowid) >= 0;
}

/* The chunk rowids of tombstoned documents (segments hold ascending id
 * ranges, so the list comes out sorted). */
static int load_dead(api_generation *g, sqlite3 *db, rag_error *err)
{
    if (g->gs.n_tombstones == 0) return RAG_OK;
    size_t cap = 1024;
    g->dead = rag_xmalloc(cap * sizeof *g->dead);
    for (size_t k = 0; k < g->gs.n; k++) {
        char sch[16];
        api_segment_schema(g, k, sch);
        char *sql = sqlite3_mprintf("SELECT id FROM %s.chunks WHERE doc_id IN (SELECT doc_id FROM main.tombstones) ORDER BY id", sch);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read tombstoned chunks: %s", g->gs.segs[k].path, sqlite3_errmsg(db));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (g->n_dead == cap) g->dead = rag_xrealloc(g->dead, (cap *= 2) * sizeof *g->dead);
            g->dead[g->n_dead++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return rag_error_set(err, RAG_ECORRUPT, "%s: reading tombstoned chunks: %s", g->gs.segs[k].path, sqlite3_errmsg(db));
    }
    return RAG_OK;
}

struct api_segdata {
    api_segdata *next;
    int refs;              /* generations holding it; under seg_lock */
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    bool vectors;
    int dims;
    int ann_ef;            /* the graph's search breadth (part of what makes it shareable) */
    size_t n_len;          /* FTS5 docsize rows: ids and lengths, ascending */
    int64_t *len_ids;
    uint32_t *lens;
    size_t n;              /* embedding rows, ascending chunk ids */
    int64_t *rowids, *doc_ids;
    float *cols;           /* dims columns of stride rows (row i of column j at [j * stride + i]); NULL with ann */
    size_t stride;
    rag_ann *ann;          /* the segment's approximate vector index (ids = positions in rowids), or NULL */
};

static pthread_mutex_t seg_lock = PTHREAD_MUTEX_INITIALIZER;
static api_segdata *seg_cache;

static void segdata_free(api_segdata *d)
{
    if (!d) return;
    free(d->len_ids);
    free(d->lens);
    free(d->rowids);
    free(d->doc_ids);
    free(d->cols);
    rag_ann_free(d->ann);
    free(d);
}

static void segdata_release(api_segdata *d)
{
    if (!d) return;
    pthread_mutex_lock(&seg_lock);
    bool last = --d->refs == 0;
    if (last)
        for (api_segdata **p = &seg_cache; *p; p = &(*p)->next)
            if (*p == d) {
                *p = d->next;
                break;
            }
    pthread_mutex_unlock(&seg_lock);
    if (last) segdata_free(d);
}

/* Read segment k's docsize lengths and (with vectors) its embeddings. */
static int segdata_read(const api_generation *g, size_t k, sqlite3 *db, api_segdata *d, rag_error *err)
{
    const char *path = g->gs.segs[k].path;
    char sch[16];
    api_segment_schema(g, k, sch);
    char *sql = sqlite3_mprintf("SELECT id, sz FROM %s.chunks_fts_docsize ORDER BY id", sch);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read chunks_fts_docsize: %s", path, sqlite3_errmsg(db));
    size_t cap = 1024;
    d->len_ids = rag_xmalloc(cap * sizeof *d->len_ids);
    d->lens = rag_xmalloc(cap * sizeof *d->lens);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(st, 1);
        const int nb = sqlite3_column_bytes(st, 1);
        uint64_t v = 0;
        for (int q = 0; b && q < nb && q < 9; q++) { /* SQLite varint, big-endian 7-bit groups */
            v = (v << 7) | (b[q] & 0x7f);
            if (!(b[q] & 0x80)) break;
        }
        if (d->n_len == cap) {
            cap *= 2;
            d->len_ids = rag_xrealloc(d->len_ids, cap * sizeof *d->len_ids);
            d->lens = rag_xrealloc(d->lens, cap * sizeof *d->lens);
        }
        d->len_ids[d->n_len] = sqlite3_column_int64(st, 0);
        d->lens[d->n_len++] = v < API_BM25_NO_LENGTH ? (uint32_t)v : API_BM25_NO_LENGTH - 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rag_error_set(err, RAG_ECORRUPT, "%s: reading chunks_fts_docsize: %s", path, sqlite3_errmsg(db));
    /* the chunks (BM25 lengths and grouping need them), with their vectors
     * unless opened without or the segment has an approximate index (then
     * only each vector's size is checked, the graph is loaded below) */
    const bool ann = d->vectors && rag_vindex_exists(db, sch);
    sql = ann ? sqlite3_mprintf("SELECT e.chunk_rowid, length(e.vector), c.doc_id FROM %s.embeddings e"
                                " JOIN %s.chunks c ON c.id = e.chunk_rowid ORDER BY e.chunk_rowid", sch, sch)
        : d->vectors ? sqlite3_mprintf("SELECT e.chunk_rowid, e.vector, c.doc_id FROM %s.embeddings e"
                                       " JOIN %s.chunks c ON c.id = e.chunk_rowid ORDER BY e.chunk_rowid", sch, sch)
                     : sqlite3_mprintf("SELECT id, NULL, doc_id FROM %s.chunks ORDER BY id", sch);
    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read embeddings: %s", path, sqlite3_errmsg(db));
    const size_t want = d->vectors ? (size_t)d->dims * sizeof(float) : 0;
    const size_t dims = (size_t)d->dims;
    cap = d->n_len > 0 ? d->n_len : 1024; /* one embedding per chunk: usually exact */
    d->rowids = rag_xmalloc(cap * sizeof *d->rowids);
    d->doc_ids = rag_xmalloc(cap * sizeof *d->doc_ids);
    /* column-major as it is read, what the exact scan wants (query.c) */
    d->cols = d->vectors && !ann ? rag_xmalloc(cap * want) : NULL;
    d->stride = cap;
    int out = RAG_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const int64_t rowid = sqlite3_column_int64(st, 0);
        const void *blob = ann ? NULL : sqlite3_column_blob(st, 1);
        size_t len = ann ? (size_t)sqlite3_column_int64(st, 1) : (size_t)sqlite3_column_bytes(st, 1);
        if (d->vectors && (len != want || (!blob && !ann))) {
            out = rag_error_set(err, RAG_ECORRUPT, "%s: embedding of chunk %lld has %zu bytes, expected %zu (%d float32)",
                                path, (long long)rowid, len, want, d->dims);
            break;
        }
        if (d->n == cap) {
            const size_t ncap = cap * 2;
            d->rowids = rag_xrealloc(d->rowids, ncap * sizeof *d->rowids);
            d->doc_ids = rag_xrealloc(d->doc_ids, ncap * sizeof *d->doc_ids);
            if (d->cols) {
                float *wider = rag_xmalloc(ncap * want);
                for (size_t j = 0; j < dims; j++) memcpy(wider + j * ncap, d->cols + j * cap, cap * sizeof(float));
                free(d->cols);
                d->cols = wider;
                d->stride = ncap;
            }
            cap = ncap;
        }
        d->rowids[d->n] = rowid;
        d->doc_ids[d->n] = sqlite3_column_int64(st, 2);
        for (size_t j = 0; d->cols && j < dims; j++) /* little-endian hosts only (x86, arm64) */
            memcpy(&d->cols[j * d->stride + d->n], (const unsigned char *)blob + j * sizeof(float), sizeof(float));
        d->n++;
    }
    if (out == RAG_OK && rc != SQLITE_DONE)
        out = rag_error_set(err, RAG_ECORRUPT, "%s: reading embeddings: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    if (out == RAG_OK && ann && rag_vindex_open(db, sch, path, d->dims, d->n, &d->ann, err) != RAG_OK) out = err->code;
    if (d->ann) rag_ann_set_ef(d->ann, d->ann_ef);
    return out;
}

/* Segment k's rows: shared with an open generation naming the same file
 * (same device, inode, size and mtime) when there is one, else read. */
static int segdata_get(api_generation *g, size_t k, sqlite3 *db, bool vectors, int ann_ef, rag_error *err)
{
    struct stat sb;
    if (stat(g->gs.segs[k].path, &sb) != 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: %s", g->gs.segs[k].path, strerror(errno));
    const int64_t mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    pthread_mutex_lock(&seg_lock);
    for (api_segdata *d = seg_cache; d; d = d->next)
        if (d->dev == sb.st_dev && d->ino == sb.st_ino && d->size == sb.st_size && d->mtime_ns == mtime_ns &&
            d->vectors == vectors && d->dims == g->dims && d->ann_ef == ann_ef) {
            d->refs++;
            g->segdata[k] = d;
            break;
        }
    pthread_mutex_unlock(&seg_lock);
    if (g->segdata[k]) return RAG_OK;
    api_segdata *d = rag_xcalloc(1, sizeof *d);
    d->dev = sb.st_dev;
    d->ino = sb.st_ino;
    d->size = sb.st_size;
    d->mtime_ns = mtime_ns;
    d->vectors = vectors;
    d->dims = g->dims;
    d->ann_ef = ann_ef;
    d->refs = 1;
    if (segdata_read(g, k, db, d, err) != RAG_OK) {
        segdata_free(d);
        return RAG_ERR;
    }
    g->segments_read++;
    g->segdata[k] = d;
    pthread_mutex_lock(&seg_lock);
    d->next = seg_cache;
    seg_cache = d;
    pthread_mutex_unlock(&seg_lock);
    return RAG_OK;
}

/* The generation's arrays from its segments' rows, tombstoned chunks left
 * out: their lengths, and avgdl over every live chunk of every segment —
 * what FTS5 itself would compute over a single-file build of the same
 * chunks; pointers to each segment's vectors (column-major, for the exact
 * scan) or graph, which stay in the shared segment data. */
static int assemble(api_generation *g, bool vectors, rag_error *err)
{
    size_t n = 0, known = 0, n_exact = 0;
    double total = 0;
    for (size_t k = 0; k < g->gs.n; k++) {
        const api_segdata *d = g->segdata[k];
        for (size_t i = 0; i < d->n_len; i++)
            if (!api_generation_is_dead(g, d->len_ids[i])) {
                total += (double)d->lens[i];
                known++;
            }
        size_t live = 0;
        for (size_t i = 0; i < d->n; i++) live += !api_generation_is_dead(g, d->rowids[i]);
        n += live;
        if (d->ann) {
            g->ann[k] = d->ann;
            g->ann_rowids[k] = d->rowids;
            g->ann_n[k] = d->n;
            g->ann_dead[k] = d->n - live;
            g->ann_ef = d->ann_ef;
            g->n_ann++;
        } else if (d->cols) {
            g->exact_cols[k] = d->cols;
            g->exact_stride[k] = d->stride;
            g->exact_n[k] = d->n;
            g->exact_rowids[k] = d->rowids;
            if (d->n > g->exact_max) g->exact_max = d->n;
            n_exact += live;
        }
    }
    g->avg_length = known ? total / (double)known : 1.0;
    if ((int64_t)n != g->chunk_count)
        return rag_error_set(err, RAG_ECORRUPT, "%s: %zu %s for %lld chunks", g->path, n,
                             vectors ? "embeddings" : "chunk rows", (long long)g->chunk_count);
    g->n = n;
    g->n_exact = n_exact;
    g->rowids = rag_xcalloc(n ? n : 1, sizeof *g->rowids);
    g->doc_ids = rag_xcalloc(n ? n : 1, sizeof *g->doc_ids);
    g->lengths = rag_xcalloc(n ? n : 1, sizeof *g->lengths);
    size_t r = 0;
    for (size_t k = 0; k < g->gs.n; k++) {
        const api_segdata *d = g->segdata[k];
        size_t li = 0;
        for (size_t i = 0; i < d->n; i++) {
            const int64_t id = d->rowids[i];
            if (api_generation_is_dead(g, id)) continue;
            while (li < d->n_len && d->len_ids[li] < id) li++;
            g->rowids[r] = id;
            g->doc_ids[r] = d->doc_ids[i];
            g->lengths[r] = li < d->n_len && d->len_ids[li] == id ? d->lens[li] : API_BM25_NO_LENGTH;
            r++;
        }
    }
    return RAG_OK;
}

static const char *const SQL_BM25 = "SELECT rag_bm25_top(chunks_fts, ?2) FROM %s.chunks_fts WHERE chunks_fts MATCH ?1%s";
static const char *const SQL_ROWS = "SELECT rag_bm25_rows(chunks_fts, ?2) FROM %s.chunks_fts WHERE chunks_fts MATCH ?1%s";
static const char *const SQL_ROWS_FIRST =
    "SELECT rag_bm25_rows(chunks_fts, ?2) FROM %s.chunks_fts WHERE chunks_fts MATCH ?1%s LIMIT ?3";
static const char *const SQL_ROWS_AT =
    "SELECT rag_bm25_rows(chunks_fts, ?2) FROM %s.chunks_fts WHERE chunks_fts MATCH ?1 AND rowid = ?3%s";
static const char *const SQL_COUNT = "SELECT count(*) FROM %s.chunks_fts WHERE chunks_fts MATCH ?1%s";
/* only checked at open: queries read the vectors through a blob handle (vector_ann.c) */
static const char *const SQL_VECTOR = "SELECT vector FROM %s.embeddings WHERE chunk_rowid = ?1%s";
static const char *const SQL_FETCH =
    "SELECT c.chunk_id, c.text, c.start_ms, c.end_ms, c.speaker, d.path, d.title"
    " FROM %s.chunks c JOIN %s.documents d ON d.id = c.doc_id WHERE c.id = ?1";
/* rows of tombstoned documents are left out of ranking and counts */
static const char *const LIVE_ONLY = " AND rowid NOT IN (SELECT id FROM temp.dead)";

static int prepare_fmt(sqlite3 *db, sqlite3_stmt **st, const char *fmt, const char *a, const char *b)
{
    char *sql = sqlite3_mprintf(fmt, a, b);
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    sqlite3_free(sql);
    return rc;
}

/* Does segment sch have the float32 vectors a graph's candidates are
 * rescored with? (sqlite3_errmsg says why not.) */
static bool vectors_readable(sqlite3 *db, const char *sch)
{
    sqlite3_stmt *st = NULL;
    const int rc = prepare_fmt(db, &st, SQL_VECTOR, sch, "");
    sqlite3_finalize(st);
    return rc == SQLITE_OK;
}

/* temp.dead on the lease's connection: the tombstoned chunk rowids. */
static int fill_dead(api_generation *g, sqlite3 *db, rag_error *err)
{
    if (g->n_dead == 0) return RAG_OK;
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec(db, "CREATE TEMP TABLE dead(id INTEGER PRIMARY KEY); BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.dead VALUES(?1)", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot list tombstoned chunks: %s", g->path, sqlite3_errmsg(db));
    for (size_t i = 0; i < g->n_dead; i++) {
        sqlite3_bind_int64(st, 1, g->dead[i]);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot list tombstoned chunks: %s", g->path, sqlite3_errmsg(db));
    return RAG_OK;
}

/* db: an open connection to hand to the lease, or NULL to open one. */
/* db: an open connection over the generation (rag_genset_attach) to hand
 * to the lease, or NULL to open one. */
/* A query embedder for g's vectors: provider, model and dimensions from
 * the generation, the transport settings from cfg. */
static int new_embedder(const api_generation *g, const rag_config *cfg, rag_embedder **out, rag_error *err)
{
    rag_embed_settings es = {
        .provider = g->provider,
        .dimensions = g->dims,
        .model = g->model,
        .url = cfg ? cfg->embedding.url : NULL,
        .api_key_env = cfg ? cfg->embedding.api_key_env : NULL,
        .batch_size = cfg ? cfg->embedding.batch_size : 1,
        .timeout_ms = cfg ? cfg->embedding.timeout_ms : 10000,
        .max_retries = cfg ? cfg->embedding.max_retries : 0,
        .encoding_format = cfg ? cfg->embedding.encoding_format : NULL,
    };
    rag_error eerr = {0};
    *out = rag_embedder_new(&es, &eerr);
    if (!*out)
        return rag_error_set(err, RAG_ERR, "%s: cannot create the query embedder (%s): %s", g->path, g->provider, eerr.msg);
    if (rag_embedder_dimensions(*out) != g->dims)
        return rag_error_set(err, RAG_ECORRUPT, "%s: embedder gives %d dimensions, generation has %d",
                             g->path, rag_embedder_dimensions(*out), g->dims);
    return RAG_OK;
}

static int open_lease(api_generation *g, api_lease *l, sqlite3 *db, rag_error *err)
{
    l->db = db;
    if (!db && rag_genset_attach(&g->gs, &l->db, err)) return RAG_ERR;
    if (api_bm25_register(l->db) != RAG_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot register the rag_bm25 ranking function (SQLite without FTS5?)", g->path);
    if (fill_dead(g, l->db, err) != RAG_OK) return RAG_ERR;
    for (size_t k = 0; k < g->gs.n; k++) {
        char sch[16];
        api_segment_schema(g, k, sch);
        /* A page cache big enough that the five result rows' text pages
         * fetched per query do not push the FTS5 index pages out (SQLite's
         * default, 2 MiB, made every query re-read them: ~12% of a bm25
         * query's CPU); each attached segment has a cache of its own. */
        char *pragma = sqlite3_mprintf("PRAGMA \"%w\".cache_size=-%s", sch, API_LEASE_CACHE_KIB);
        sqlite3_exec(l->db, pragma, NULL, NULL, NULL);
        sqlite3_free(pragma);
        const char *live = g->n_dead ? LIVE_ONLY : "";
        if (prepare_fmt(l->db, &l->bm25[k], SQL_BM25, sch, live) != SQLITE_OK ||
            prepare_fmt(l->db, &l->fetch[k], SQL_FETCH, sch, sch) != SQLITE_OK ||
            prepare_fmt(l->db, &l->count[k], SQL_COUNT, sch, live) != SQLITE_OK ||
            prepare_fmt(l->db, &l->rows[k], SQL_ROWS, sch, live) != SQLITE_OK ||
            prepare_fmt(l->db, &l->rows_first[k], SQL_ROWS_FIRST, sch, live) != SQLITE_OK ||
            prepare_fmt(l->db, &l->rows_at[k], SQL_ROWS_AT, sch, live) != SQLITE_OK ||
            (g->ann[k] && !vectors_readable(l->db, sch)))
            return rag_error_set(err, RAG_ECORRUPT, "%s: schema does not match docs/specs/index.md: %s",
                                 g->gs.segs[k].path, sqlite3_errmsg(l->db));
    }
    l->qvec = rag_xcalloc((size_t)g->dims, sizeof *l->qvec);
    l->scores = rag_xcalloc(g->exact_max ? g->exact_max : 1, sizeof *l->scores);
    return RAG_OK;
}

static void generation_free(api_generation *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_leases; i++) {
        api_lease *l = &g->leases[i];
        for (size_t k = 0; k < RAG_GENSET_MAX_SEGMENTS; k++) {
            sqlite3_finalize(l->bm25[k]);
            sqlite3_finalize(l->fetch[k]);
            sqlite3_finalize(l->count[k]);
            sqlite3_finalize(l->rows[k]);
            sqlite3_finalize(l->rows_first[k]);
            sqlite3_finalize(l->rows_at[k]);
            sqlite3_blob_close(l->vec_blob[k]);
        }
        sqlite3_close(l->db);
        free(l->qvec);
        free(l->scores);
    }
    free(g->leases);
    if (g->embedder) rag_embedder_free(g->embedder);
    if (g->df) {
        pthread_mutex_destroy(&g->df->lock);
        free(g->df);
    }
    free(g->rowids);
    free(g->doc_ids);
    free(g->lengths);
    free(g->dead);
    for (size_t k = 0; k < RAG_GENSET_MAX_SEGMENTS; k++) segdata_release(g->segdata[k]);
    rag_genset_free(&g->gs);
    cJSON_Delete(g->config);
    free(g->path);
    free(g);
}

api_generation *api_generation_open(const char *path, const rag_manifest *m, const rag_config *cfg,
                                    int n_leases, rag_error *err)
{
    return api_generation_open_ex(path, m, cfg, n_leases, true, err);
}

api_generation *api_generation_open_ex(const char *path, const rag_manifest *m, const rag_config *cfg,
                                       int n_leases, bool vectors, rag_error *err)
{
    api_generation *g = rag_xcalloc(1, sizeof *g);
    atomic_init(&g->refs, 1);
    g->path = rag_xstrdup(path);
    snprintf(g->generation, sizeof g->generation, "%s", m->generation);
    snprintf(g->config_hash, sizeof g->config_hash, "%s", m->config_hash);
    g->generated_at_ms = m->generated_at_ms;
    g->documents = m->documents;
    g->config = m->config ? cJSON_Duplicate(m->config, 1) : NULL;
    g->loaded_at_ms = rag_now_ms();
    g->df = rag_xcalloc(1, sizeof *g->df);
    pthread_mutex_init(&g->df->lock, NULL);
    sqlite3 *db = NULL;
    if (rag_sqlite_open_ro(path, &db, err)) goto fail;

    int64_t v = 0;
    if (meta_int(db, path, "index_schema_version", &v, err)) goto fail;
    if (v < RAG_INDEX_SCHEMA_OLDEST || v > RAG_INDEX_SCHEMA_VERSION) {
        rag_error_set(err, RAG_EVERSION, "%s: index schema version %lld is not supported (this rag-api reads versions %d to %d)",
                      path, (long long)v, RAG_INDEX_SCHEMA_OLDEST, RAG_INDEX_SCHEMA_VERSION);
        goto fail;
    }
    g->schema_version = (int)v;
    if (meta_int(db, path, "chunks", &g->chunk_count, err)) goto fail;
    if (g->chunk_count != m->chunks) {
        rag_error_set(err, RAG_ECORRUPT, "%s: holds %lld chunks but the manifest says %lld",
                      path, (long long)g->chunk_count, (long long)m->chunks);
        goto fail;
    }
    char hash[80];
    if (meta_get(db, "config_hash", hash, sizeof hash) == 0 && m->config_hash[0] && strcmp(hash, m->config_hash) != 0) {
        rag_error_set(err, RAG_ECORRUPT, "%s: built from config %.12s but the manifest says %.12s", path, hash, m->config_hash);
        goto fail;
    }
    if (meta_int(db, path, "embedding_dimensions", &v, err)) goto fail;
    if (v < 1 || v > 65536) {
        rag_error_set(err, RAG_ECORRUPT, "%s: meta.embedding_dimensions %lld is out of range", path, (long long)v);
        goto fail;
    }
    g->dims = (int)v;
    if (meta_get(db, "embedding_provider", g->provider, sizeof g->provider) < 0) {
        rag_error_set(err, RAG_ECORRUPT, "%s: meta.embedding_provider is missing", path);
        goto fail;
    }
    if (meta_get(db, "embedding_model", g->model, sizeof g->model) < 0) g->model[0] = '\0';
    sqlite3_close(db);
    db = NULL;
    if (rag_genset_load(path, &g->gs, err) != RAG_OK || rag_genset_attach(&g->gs, &db, err) != RAG_OK) goto fail;
    if (load_dead(g, db, err)) goto fail;
    for (size_t k = 0; k < g->gs.n; k++)
        if (segdata_get(g, k, db, vectors, cfg ? cfg->api.ann_ef_search : RAG_ANN_EF_SEARCH_DEFAULT, err)) goto fail;
    if (assemble(g, vectors, err)) goto fail;

    if (new_embedder(g, cfg, &g->embedder, err)) goto fail;
    g->n_leases = n_leases > 0 ? n_leases : 1;
    g->leases = rag_xcalloc((size_t)g->n_leases, sizeof *g->leases);
    for (int i = 0; i < g->n_leases; i++) {
        sqlite3 *mine = i == 0 ? db : NULL; /* the first lease keeps the connection that read the segments */
        db = NULL;
        if (open_lease(g, &g->leases[i], mine, err)) goto fail;
    }
    return g;
fail:
    sqlite3_close(db);
    generation_free(g);
    return NULL;
}

size_t api_generation_segment_of(const api_generation *g, int64_t rowid)
{
    size_t k = 0;
    while (k + 1 < g->gs.n && rowid > g->gs.segs[k].max_chunk_id) k++;
    return k;
}

void api_generation_release(api_generation *g)
{
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1) generation_free(g);
}

/* ------------------------------------------------------------ term counts */

static uint64_t term_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int64_t api_generation_doc_of(const api_generation *g, int64_t rowid)
{
    const ptrdiff_t i = rag_find_sorted_i64(g->rowids, g->n, rowid);
    return i >= 0 ? g->doc_ids[i] : -1;
}

int64_t api_generation_df(api_generation *g, api_lease *l, const char *term)
{
    struct api_df_cache *c = g->df;
    const size_t len = strlen(term);
    if (len >= sizeof c->slots[0].term) return -1;
    const uint64_t h = term_hash(term);
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < API_DF_SLOTS; i++) {
        const struct api_df_slot *s = &c->slots[(h + i) % API_DF_SLOTS];
        if (!s->used) break;
        if (strcmp(s->term, term) == 0) {
            int64_t df = s->df;
            pthread_mutex_unlock(&c->lock);
            return df;
        }
    }
    pthread_mutex_unlock(&c->lock);

    char expr[sizeof c->slots[0].term * 2 + 3];
    size_t w = 0;
    expr[w++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (term[i] == '"') expr[w++] = '"';
        expr[w++] = term[i];
    }
    expr[w++] = '"';
    expr[w] = '\0';
    int64_t df = 0;
    for (size_t k = 0; k < g->gs.n && df >= 0; k++) { /* live rows of every segment */
        sqlite3_stmt *st = l->count[k];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
        df = sqlite3_step(st) == SQLITE_ROW ? df + sqlite3_column_int64(st, 0) : -1;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    if (df < 0) return -1;

    pthread_mutex_lock(&c->lock);
    if (c->used < API_DF_SLOTS * 3 / 4) { /* full: keep counting, stop caching */
        for (size_t i = 0; i < API_DF_SLOTS; i++) {
            struct api_df_slot *s = &c->slots[(h + i) % API_DF_SLOTS];
            if (s->used && strcmp(s->term, term) == 0) break;
            if (!s->used) {
                s->used = true;
                memcpy(s->term, term, len + 1);
                s->df = df;
                c->used++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    return df;
}

/* ------------------------------------------------------------ store */

struct api_store {
    pthread_mutex_t lock;
    api_generation *current;
    api_served_info info;
};

api_store *api_store_new(void)
{
    api_store *s = rag_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void api_store_free(api_store *s)
{
    if (!s) return;
    api_generation_release(s->current);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

api_generation *api_store_acquire(api_store *s)
{
    pthread_mutex_lock(&s->lock);
    api_generation *g = s->current;
    if (g) atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
    return g;
}

static void quality_from_manifest(api_served_info *i, const rag_manifest *m)
{
    memset(&i->quality, 0, sizeof i->quality);
    if (!m->quality.present) return;
    i->quality.present = true;
    i->quality.queries = m->quality.queries;
    i->quality.failed = m->quality.failed;
    i->quality.k = m->quality.k;
    snprintf(i->quality.mode, sizeof i->quality.mode, "%s", m->quality.mode);
    snprintf(i->quality.gate, sizeof i->quality.gate, "%s", m->quality.gate);
    i->quality.ndcg_at_10 = m->quality.ndcg_at_10;
    i->quality.recall_at_k = m->quality.recall_at_k;
    i->quality.mrr = m->quality.mrr;
    i->quality.evaluated_at_ms = m->quality.evaluated_at_ms;
    const cJSON *q;
    cJSON_ArrayForEach(q, m->quality.failed_queries) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(q, "id");
        if (!cJSON_IsString(id) || i->quality.n_failed_ids == (int)(sizeof i->quality.failed_ids / sizeof *i->quality.failed_ids))
            continue;
        /* whole UTF-8 characters only, so /healthz stays valid UTF-8 */
        char *dst = i->quality.failed_ids[i->quality.n_failed_ids++];
        const unsigned char *src = (const unsigned char *)id->valuestring;
        size_t len = strlen(id->valuestring), at = 0;
        while (at < len) {
            size_t n = rag_utf8_seq(src + at, len - at);
            if (n == 0 || at + n >= sizeof i->quality.failed_ids[0]) break;
            at += n;
        }
        memcpy(dst, src, at);
        dst[at] = '\0';
    }
}

static void info_from_manifest(api_served_info *i, const rag_manifest *m)
{
    snprintf(i->run_id, sizeof i->run_id, "%s", m->run_id);
    snprintf(i->rollback_from, sizeof i->rollback_from, "%s", m->rollback_from);
    i->checked_at_ms = m->checked_at_ms ? m->checked_at_ms : m->generated_at_ms;
    quality_from_manifest(i, m);
}

/* How g's vectors are searched, for /metrics. */
static void vector_info(api_served_info *i, const api_generation *g)
{
    i->vector_segments_graph = i->vector_segments_exact = 0;
    i->vector_chunks_graph = i->vector_chunks_exact = i->vector_graph_tombstoned = i->vector_graph_bytes = 0;
    for (size_t k = 0; k < g->gs.n; k++) { /* neither: opened without vectors */
        if (g->ann[k]) {
            i->vector_segments_graph++;
            i->vector_chunks_graph += (int64_t)(g->ann_n[k] - g->ann_dead[k]);
            i->vector_graph_tombstoned += (int64_t)g->ann_dead[k];
            i->vector_graph_bytes += (int64_t)rag_ann_memory(g->ann[k]);
        } else if (g->exact_cols[k]) {
            i->vector_segments_exact++;
        }
    }
    i->vector_chunks_exact = (int64_t)g->n_exact;
}

void api_store_publish(api_store *s, api_generation *g, const rag_manifest *m, int64_t now_ms)
{
    const int64_t bytes = rag_genset_bytes(&g->gs); /* stat()s: before the lock */
    pthread_mutex_lock(&s->lock);
    api_generation *old = s->current;
    s->current = g;
    api_served_info *i = &s->info;
    i->present = 1;
    info_from_manifest(i, m);
    snprintf(i->generation, sizeof i->generation, "%s", g->generation);
    i->generated_at_ms = g->generated_at_ms;
    snprintf(i->config_hash, sizeof i->config_hash, "%s", g->config_hash);
    i->chunk_count = g->chunk_count;
    i->documents = g->documents;
    i->bytes = bytes;
    i->schema_version = g->schema_version;
    vector_info(i, g);
    i->loaded_at_ms = now_ms;
    i->reloads++;
    i->last_error[0] = '\0';
    i->failed_generation[0] = '\0';
    i->broken_error[0] = '\0';
    i->broken_ms = 0;
    i->version++;
    pthread_mutex_unlock(&s->lock);
    api_generation_release(old);
}

void api_store_touch(api_store *s, const rag_manifest *m)
{
    pthread_mutex_lock(&s->lock);
    info_from_manifest(&s->info, m);
    s->info.last_error[0] = '\0';
    s->info.failed_generation[0] = '\0';
    s->info.version++;
    pthread_mutex_unlock(&s->lock);
}

void api_store_fail(api_store *s, const char *generation, const char *msg, int64_t now_ms)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->info.failed_generation, sizeof s->info.failed_generation, "%s", generation ? generation : "");
    snprintf(s->info.last_error, sizeof s->info.last_error, "%s", msg ? msg : "unknown error");
    s->info.reload_failures++;
    s->info.last_failure_ms = now_ms;
    s->info.version++;
    pthread_mutex_unlock(&s->lock);
}

void api_store_info(api_store *s, api_served_info *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->info;
    pthread_mutex_unlock(&s->lock);
}

void api_store_manifest(api_store *s, api_manifest_state state, const char *msg, int64_t now_ms)
{
    pthread_mutex_lock(&s->lock);
    const char *m = state == API_MANIFEST_OK ? "" : msg ? msg : "";
    if (s->info.manifest_state != state || strcmp(s->info.manifest_error, m) != 0) {
        /* since: when it went missing/unreadable, or (at start) first seen so */
        if (s->info.manifest_state != state || (state != API_MANIFEST_OK && !s->info.manifest_since_ms))
            s->info.manifest_since_ms = now_ms;
        s->info.manifest_state = state;
        snprintf(s->info.manifest_error, sizeof s->info.manifest_error, "%s", m);
        s->info.version++;
    }
    pthread_mutex_unlock(&s->lock);
}

void api_store_broken(api_store *s, const api_generation *g, const char *msg, int64_t now_ms)
{
    pthread_mutex_lock(&s->lock);
    if (g && s->current == g && !s->info.broken_error[0]) {
        snprintf(s->info.broken_error, sizeof s->info.broken_error, "%s", msg && *msg ? msg : "storage error");
        s->info.broken_ms = now_ms;
        s->info.version++;
    }
    pthread_mutex_unlock(&s->lock);
}
