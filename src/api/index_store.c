/* index_store.c — opening an index generation for serving and swapping it in.
 * The file is opened with SQLite's immutable=1 URI flag: generations are
 * never modified once published (docs/specs/index.md), so readers need no
 * locks and no journal checks. Vectors are stored transposed (one column per
 * dimension) so a query vector with few non-zero components — the hashing
 * embedder's case — costs only those columns, while a dense one is an
 * ordinary full scan. A generation with an approximate vector index
 * (rag/vector_index.h) loads that instead: only the chunks' rowids and
 * documents are read from the embeddings table, and the float32 vectors
 * stay on disk for rescoring (vector_ann.c). */
#include "index_store.h"
#include "bm25rank.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/index.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"
#include "rag/vector_index.h"

/* ------------------------------------------------------------ generation */

static char *sqlite_uri(const char *path)
{
    size_t n = strlen(path);
    char *uri = rag_xmalloc(n * 3 + 32);
    char *p = uri;
    p += sprintf(p, "file:");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '?' || c == '#' || c == '%' || c < 0x20 || c == 0x7f) p += sprintf(p, "%%%02X", c);
        else *p++ = (char)c;
    }
    strcpy(p, "?immutable=1");
    return uri;
}

static int open_db(const char *path, sqlite3 **db, rag_error *err)
{
    char *uri = sqlite_uri(path);
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return RAG_ERR;
    }
    return RAG_OK;
}

/* meta value for key into out; -1 when absent. */
static int meta_get(sqlite3 *db, const char *key, char *out, size_t outsz)
{
    sqlite3_stmt *st = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK) return -1;
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

/* Finish a read of the embeddings table: finalize st (whose last step gave
 * rc) and check that all g->n rows came (i = rows read). */
static int end_of_embeddings(api_generation *g, sqlite3 *db, sqlite3_stmt *st, int rc, size_t i, rag_error *err)
{
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return rag_error_set(err, RAG_ECORRUPT, "%s: reading embeddings: %s", g->path, sqlite3_errmsg(db));
    if (i != g->n)
        return rag_error_set(err, RAG_ECORRUPT, "%s: read %zu embeddings, expected %zu", g->path, i, g->n);
    return RAG_OK;
}

/* With an approximate index: the rowids and documents in the graph's id
 * order (chunk_rowid order), checking each vector's size without reading it. */
static int load_ids(api_generation *g, sqlite3 *db, rag_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT e.chunk_rowid, c.doc_id, length(e.vector) FROM embeddings e"
                           " JOIN chunks c ON c.id = e.chunk_rowid ORDER BY e.chunk_rowid", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read embeddings: %s", g->path, sqlite3_errmsg(db));
    const int64_t want = (int64_t)g->dims * (int64_t)sizeof(float);
    size_t i = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < g->n) {
        if (sqlite3_column_int64(st, 2) != want) {
            int64_t rowid = sqlite3_column_int64(st, 0), len = sqlite3_column_int64(st, 2);
            sqlite3_finalize(st);
            return rag_error_set(err, RAG_ECORRUPT, "%s: embedding of chunk %lld has %lld bytes, expected %lld (%d float32)",
                                 g->path, (long long)rowid, (long long)len, (long long)want, g->dims);
        }
        g->rowids[i] = sqlite3_column_int64(st, 0);
        g->doc_ids[i] = sqlite3_column_int64(st, 1);
        i++;
    }
    return end_of_embeddings(g, db, st, rc, i, err);
}

static int load_vectors(api_generation *g, sqlite3 *db, int ann_ef, rag_error *err)
{
    sqlite3_stmt *st = NULL;
    int64_t count = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM embeddings", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read embeddings: %s", g->path, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW) count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (count != g->chunk_count)
        return rag_error_set(err, RAG_ECORRUPT, "%s: %lld embeddings for %lld chunks", g->path,
                             (long long)count, (long long)g->chunk_count);
    g->n = (size_t)count;
    g->rowids = rag_xcalloc(g->n ? g->n : 1, sizeof *g->rowids);
    g->doc_ids = rag_xcalloc(g->n ? g->n : 1, sizeof *g->doc_ids);
    if (rag_vindex_open(db, g->path, g->dims, g->n, &g->ann, err) != RAG_OK) return err->code;
    if (g->ann) {
        g->ann_ef = ann_ef;
        rag_ann_set_ef(g->ann, ann_ef);
        return load_ids(g, db, err);
    }
    g->cols = rag_xcalloc(g->n ? g->n * (size_t)g->dims : 1, sizeof *g->cols);
    if (sqlite3_prepare_v2(db, "SELECT e.chunk_rowid, e.vector, c.doc_id FROM embeddings e"
                           " JOIN chunks c ON c.id = e.chunk_rowid ORDER BY e.chunk_rowid", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read embeddings: %s", g->path, sqlite3_errmsg(db));
    size_t i = 0;
    const size_t want = (size_t)g->dims * sizeof(float);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (i >= g->n) break;
        const void *blob = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        if (len != want || !blob) {
            int64_t rowid = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            return rag_error_set(err, RAG_ECORRUPT, "%s: embedding of chunk %lld has %zu bytes, expected %zu (%d float32)",
                                 g->path, (long long)rowid, len, want, g->dims);
        }
        g->rowids[i] = sqlite3_column_int64(st, 0);
        g->doc_ids[i] = sqlite3_column_int64(st, 2);
        const unsigned char *b = blob;
        for (int j = 0; j < g->dims; j++) {
            float f;
            memcpy(&f, b + (size_t)j * sizeof f, sizeof f); /* little-endian hosts only (x86, arm64) */
            g->cols[(size_t)j * g->n + i] = f;
        }
        i++;
    }
    return end_of_embeddings(g, db, st, rc, i, err);
}

/* FTS5's docsize table: one varint (the token count) per chunk. */
static int load_lengths(api_generation *g, sqlite3 *db, rag_error *err)
{
    sqlite3_stmt *st = NULL;
    g->lengths = rag_xcalloc(g->n ? g->n : 1, sizeof *g->lengths);
    for (size_t i = 0; i < g->n; i++) g->lengths[i] = API_BM25_NO_LENGTH;
    if (sqlite3_prepare_v2(db, "SELECT id, sz FROM chunks_fts_docsize ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: cannot read chunks_fts_docsize: %s", g->path, sqlite3_errmsg(db));
    size_t i = 0, known = 0;
    double total = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(st, 0);
        const unsigned char *b = sqlite3_column_blob(st, 1);
        const int nb = sqlite3_column_bytes(st, 1);
        uint64_t v = 0;
        for (int k = 0; b && k < nb && k < 9; k++) { /* SQLite varint, big-endian 7-bit groups */
            v = (v << 7) | (b[k] & 0x7f);
            if (!(b[k] & 0x80)) break;
        }
        while (i < g->n && g->rowids[i] < id) i++;
        if (i < g->n && g->rowids[i] == id && v < API_BM25_NO_LENGTH) {
            g->lengths[i] = (uint32_t)v;
            total += (double)v;
            known++;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rag_error_set(err, RAG_ECORRUPT, "%s: reading chunks_fts_docsize: %s", g->path, sqlite3_errmsg(db));
    g->avg_length = known ? total / (double)known : 1.0;
    return RAG_OK;
}

static const char *const SQL_BM25 =
    "WITH m AS (SELECT rowid AS id, rag_bm25(chunks_fts, ?3) AS s FROM chunks_fts"
    " WHERE chunks_fts MATCH ?1 ORDER BY s LIMIT ?2) SELECT id, s FROM m";
static const char *const SQL_COUNT = "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?1";
static const char *const SQL_VECTOR = "SELECT vector FROM embeddings WHERE chunk_rowid = ?1";
static const char *const SQL_FETCH =
    "SELECT c.chunk_id, c.text, c.start_ms, c.end_ms, c.speaker, d.path, d.title"
    " FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?1";

static int open_lease(api_generation *g, api_lease *l, const rag_config *cfg, rag_error *err)
{
    if (open_db(g->path, &l->db, err)) return RAG_ERR;
    if (api_bm25_register(l->db) != RAG_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot register the rag_bm25 ranking function (SQLite without FTS5?)", g->path);
    if (sqlite3_prepare_v3(l->db, SQL_BM25, -1, SQLITE_PREPARE_PERSISTENT, &l->bm25, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(l->db, SQL_FETCH, -1, SQLITE_PREPARE_PERSISTENT, &l->fetch, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(l->db, SQL_COUNT, -1, SQLITE_PREPARE_PERSISTENT, &l->count, NULL) != SQLITE_OK ||
        (g->ann && sqlite3_prepare_v3(l->db, SQL_VECTOR, -1, SQLITE_PREPARE_PERSISTENT, &l->vec, NULL) != SQLITE_OK))
        return rag_error_set(err, RAG_ECORRUPT, "%s: schema does not match docs/specs/index.md: %s",
                             g->path, sqlite3_errmsg(l->db));
    rag_embed_settings es = {
        .provider = g->provider,
        .dimensions = g->dims,
        .model = g->model,
        .url = cfg ? cfg->embedding.url : NULL,
        .api_key_env = cfg ? cfg->embedding.api_key_env : NULL,
        .batch_size = cfg ? cfg->embedding.batch_size : 1,
        .timeout_ms = cfg ? cfg->embedding.timeout_ms : 10000,
        .max_retries = cfg ? cfg->embedding.max_retries : 0,
    };
    rag_error eerr = {0};
    l->emb = rag_embedder_new(&es, &eerr);
    if (!l->emb)
        return rag_error_set(err, RAG_ERR, "%s: cannot create the query embedder (%s): %s", g->path, g->provider, eerr.msg);
    if (rag_embedder_dimensions(l->emb) != g->dims)
        return rag_error_set(err, RAG_ECORRUPT, "%s: embedder gives %d dimensions, generation has %d",
                             g->path, rag_embedder_dimensions(l->emb), g->dims);
    l->qvec = rag_xcalloc((size_t)g->dims, sizeof *l->qvec);
    if (!g->ann) l->scores = rag_xcalloc(g->n ? g->n : 1, sizeof *l->scores);
    return RAG_OK;
}

static void generation_free(api_generation *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_leases; i++) {
        api_lease *l = &g->leases[i];
        sqlite3_finalize(l->bm25);
        sqlite3_finalize(l->fetch);
        sqlite3_finalize(l->count);
        sqlite3_finalize(l->vec);
        sqlite3_close(l->db);
        if (l->emb) rag_embedder_free(l->emb);
        free(l->qvec);
        free(l->scores);
    }
    free(g->leases);
    if (g->df) {
        pthread_mutex_destroy(&g->df->lock);
        free(g->df);
    }
    free(g->rowids);
    free(g->doc_ids);
    free(g->lengths);
    free(g->cols);
    rag_ann_free(g->ann);
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
    if (open_db(path, &db, err)) goto fail;

    int64_t v = 0;
    if (meta_int(db, path, "index_schema_version", &v, err)) goto fail;
    if (v != RAG_INDEX_SCHEMA_VERSION) {
        rag_error_set(err, RAG_EVERSION, "%s: index schema version %lld is not supported (this rag-api reads version %d)",
                      path, (long long)v, RAG_INDEX_SCHEMA_VERSION);
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
    if ((vectors && load_vectors(g, db, cfg ? cfg->api.ann_ef_search : 100, err)) || load_lengths(g, db, err)) goto fail;
    sqlite3_close(db);
    db = NULL;

    g->n_leases = n_leases > 0 ? n_leases : 1;
    g->leases = rag_xcalloc((size_t)g->n_leases, sizeof *g->leases);
    for (int i = 0; i < g->n_leases; i++)
        if (open_lease(g, &g->leases[i], cfg, err)) goto fail;
    return g;
fail:
    sqlite3_close(db);
    generation_free(g);
    return NULL;
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
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->rowids[mid] < rowid) lo = mid + 1;
        else hi = mid;
    }
    return lo < g->n && g->rowids[lo] == rowid ? g->doc_ids[lo] : -1;
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
    sqlite3_reset(l->count);
    sqlite3_bind_text(l->count, 1, expr, -1, SQLITE_STATIC);
    int64_t df = sqlite3_step(l->count) == SQLITE_ROW ? sqlite3_column_int64(l->count, 0) : -1;
    sqlite3_reset(l->count);
    sqlite3_clear_bindings(l->count);
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
    i->checked_at_ms = m->checked_at_ms ? m->checked_at_ms : m->generated_at_ms;
    quality_from_manifest(i, m);
}

void api_store_publish(api_store *s, api_generation *g, const rag_manifest *m, int64_t now_ms)
{
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
    i->schema_version = g->schema_version;
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
        if (s->info.manifest_state != state) s->info.manifest_since_ms = now_ms;
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
