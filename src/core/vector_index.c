/* vector_index.c — the approximate vector index inside a generation (or
 * segment) file: build it from the embeddings table after they are written
 * (rag-ingest's finish hook), load it back (rag-api). The graph (ann.h) is
 * saved as a byte stream cut into RAG_VINDEX_PART_BYTES rows of
 * vector_index_parts, so neither side ever needs one huge SQLite blob, and
 * its description (kind, parameters, counts) is the one row of
 * vector_index. Layout: docs/specs/index.md. */
#include "rag/genset.h"
#include "rag/vector_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/timeutil.h"

#define BATCH 4096 /* vectors read from SQLite per rag_ann_add call */

static int db_error(rag_error *err, sqlite3 *db, const char *path, const char *what)
{
    int code = (sqlite3_errcode(db) & 0xff) == SQLITE_CORRUPT || (sqlite3_errcode(db) & 0xff) == SQLITE_NOTADB
                   ? RAG_ECORRUPT : RAG_ERR;
    return rag_error_set(err, code, "%s: %s: %s", path, what, rag_sqlite_errmsg(db));
}

static int exec(sqlite3 *db, const char *path, const char *sql, rag_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return RAG_OK;
    rag_error_set(err, RAG_ERR, "%s: %s: %s", path, sql, rag_sqlite_errmsg(db));
    sqlite3_free(msg);
    return RAG_ERR;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

bool rag_vindex_exists(sqlite3 *db, const char *schema)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_master WHERE type = 'table' AND name = 'vector_index'",
                                schema ? schema : "main");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_free(sql);
    sqlite3_finalize(st);
    return found;
}

/* ------------------------------------------------------------ build */

/* Sink: buffer bytes, write a part row whenever RAG_VINDEX_PART_BYTES are in. */
typedef struct part_sink {
    sqlite3_stmt *insert;
    unsigned char *buf;
    size_t used;
    int64_t seq, total;
    int failed;
} part_sink;

static int flush_part(part_sink *s)
{
    if (s->used == 0) return 0;
    sqlite3_reset(s->insert);
    sqlite3_bind_int64(s->insert, 1, s->seq);
    sqlite3_bind_blob(s->insert, 2, s->buf, (int)s->used, SQLITE_STATIC);
    if (sqlite3_step(s->insert) != SQLITE_DONE) return s->failed = -1;
    s->seq++;
    s->total += (int64_t)s->used;
    s->used = 0;
    return 0;
}

static size_t sink_write(void *ud, const void *buf, size_t n)
{
    part_sink *s = ud;
    const unsigned char *p = buf;
    for (size_t left = n; left > 0;) {
        size_t take = RAG_VINDEX_PART_BYTES - s->used;
        if (take > left) take = left;
        memcpy(s->buf + s->used, p, take);
        s->used += take;
        p += take;
        left -= take;
        if (s->used == RAG_VINDEX_PART_BYTES && flush_part(s)) return 0;
    }
    return n;
}

static const char *const SQL_VECTORS =
    "SELECT e.chunk_rowid, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_rowid ORDER BY e.chunk_rowid";

static int add_all(sqlite3 *db, const char *path, rag_ann *a, int dims, int64_t total, const rag_vindex_settings *s,
                   rag_error *err)
{
    const int threads = s->threads > 0 ? s->threads : 1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, SQL_VECTORS, -1, &st, NULL) != SQLITE_OK)
        return db_error(err, db, path, "cannot read embeddings");
    float *batch = rag_xmalloc((size_t)BATCH * (size_t)dims * sizeof *batch);
    const size_t want = (size_t)dims * sizeof(float);
    size_t n = 0, added = 0;
    int rc = RAG_OK, step, added_rc;
    char msg[512];
    if (s->progress) s->progress(s->progress_ud, 0, total);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)sqlite3_column_bytes(st, 1) != want || !sqlite3_column_blob(st, 1)) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: embedding of chunk %lld has %d bytes, expected %zu",
                               path, (long long)sqlite3_column_int64(st, 0), sqlite3_column_bytes(st, 1), want);
            break;
        }
        memcpy(batch + n * (size_t)dims, sqlite3_column_blob(st, 1), want);
        if (++n == BATCH || (s->interrupt && *s->interrupt)) {
            if ((added_rc = rag_ann_add(a, n, batch, added, threads, s->interrupt, msg, sizeof msg)) != 0) {
                rc = added_rc > 0 ? rag_error_set(err, RAG_ERR, "%s: vector index build interrupted by a signal", path)
                                  : rag_error_set(err, RAG_ERR, "%s: %s", path, msg);
                break;
            }
            added += n;
            n = 0;
            if (s->progress) s->progress(s->progress_ud, (int64_t)added, total);
        }
    }
    if (rc == RAG_OK && step != SQLITE_DONE) rc = db_error(err, db, path, "reading embeddings");
    if (rc == RAG_OK && n && (added_rc = rag_ann_add(a, n, batch, added, threads, s->interrupt, msg, sizeof msg)) != 0)
        rc = added_rc > 0 ? rag_error_set(err, RAG_ERR, "%s: vector index build interrupted by a signal", path)
                          : rag_error_set(err, RAG_ERR, "%s: %s", path, msg);
    if (rc == RAG_OK && n && s->progress) s->progress(s->progress_ud, (int64_t)(added + n), total);
    sqlite3_finalize(st);
    free(batch);
    return rc;
}

int rag_vindex_build(sqlite3 *db, const char *path, const rag_vindex_settings *s, rag_vindex_info *info,
                     rag_error *err)
{
    memset(info, 0, sizeof *info);
    const int64_t t0 = rag_now_ms();
    int rc = exec(db, path, "BEGIN; DROP TABLE IF EXISTS vector_index; DROP TABLE IF EXISTS vector_index_parts;", err);
    if (rc != RAG_OK) return rc;
    const int64_t n = scalar(db, "SELECT count(*) FROM embeddings e JOIN chunks c ON c.id = e.chunk_rowid");
    const int64_t dims = scalar(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'embedding_dimensions'");
    if (n < 0 || dims < 1 || dims > 65536) {
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: cannot read the embeddings' count and dimensions", path);
        goto out;
    }
    if (s->min_chunks <= 0 || n < s->min_chunks || n == 0 || s->sparse_queries) {
        rc = exec(db, path, "COMMIT", err);
        goto out;
    }
    char msg[512];
    rag_ann *a = rag_ann_new((int)dims, (size_t)n, RAG_VINDEX_M, RAG_VINDEX_EF_CONSTRUCTION, msg, sizeof msg);
    if (!a) {
        rc = rag_error_set(err, RAG_ERR, "%s: %s", path, msg);
        goto out;
    }
    rc = add_all(db, path, a, (int)dims, n, s, err);
    if (rc == RAG_OK && rag_ann_count(a) != (size_t)n)
        rc = rag_error_set(err, RAG_ERR, "%s: the vector graph holds %zu of %lld vectors", path, rag_ann_count(a),
                           (long long)n);
    if (rc == RAG_OK)
        rc = exec(db, path,
                  "CREATE TABLE vector_index(kind TEXT NOT NULL, params TEXT NOT NULL, dims INTEGER NOT NULL,"
                  " vectors INTEGER NOT NULL, bytes INTEGER NOT NULL, build_ms INTEGER NOT NULL);"
                  "CREATE TABLE vector_index_parts(seq INTEGER PRIMARY KEY, data BLOB NOT NULL);", err);
    part_sink sink = {0};
    if (rc == RAG_OK &&
        sqlite3_prepare_v2(db, "INSERT INTO vector_index_parts(seq, data) VALUES (?1, ?2)", -1, &sink.insert, NULL) !=
            SQLITE_OK)
        rc = db_error(err, db, path, "cannot store the vector index");
    if (rc == RAG_OK) {
        sink.buf = rag_xmalloc(RAG_VINDEX_PART_BYTES);
        if (rag_ann_save(a, sink_write, &sink, msg, sizeof msg) || flush_part(&sink))
            rc = sink.failed ? db_error(err, db, path, "storing the vector index")
                             : rag_error_set(err, RAG_ERR, "%s: %s", path, msg);
        free(sink.buf);
    }
    sqlite3_finalize(sink.insert);
    rag_ann_free(a);
    if (rc == RAG_OK) {
        info->built = true;
        info->vectors = n;
        info->bytes = sink.total;
        info->build_ms = rag_now_ms() - t0;
        char params[160];
        snprintf(params, sizeof params, "{\"library\":\"hnswlib\",\"M\":%d,\"ef_construction\":%d,\"parts\":%lld}",
                 RAG_VINDEX_M, RAG_VINDEX_EF_CONSTRUCTION, (long long)sink.seq);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "INSERT INTO vector_index VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) !=
            SQLITE_OK)
            rc = db_error(err, db, path, "cannot describe the vector index");
        else {
            sqlite3_bind_text(st, 1, RAG_VINDEX_KIND, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, params, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 3, dims);
            sqlite3_bind_int64(st, 4, n);
            sqlite3_bind_int64(st, 5, info->bytes);
            sqlite3_bind_int64(st, 6, info->build_ms);
            if (sqlite3_step(st) != SQLITE_DONE) rc = db_error(err, db, path, "cannot describe the vector index");
            sqlite3_finalize(st);
        }
    }
    if (rc == RAG_OK) rc = exec(db, path, "COMMIT", err);
out:
    if (rc != RAG_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        memset(info, 0, sizeof *info);
    }
    return rc;
}

int rag_vindex_build_file(const char *path, const rag_vindex_settings *s, rag_vindex_info *info, rag_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, db ? rag_sqlite_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return RAG_ERR;
    }
    sqlite3_busy_timeout(db, 5000);
    int rc = rag_vindex_build(db, path, s, info, err);
    if (sqlite3_close(db) != SQLITE_OK && rc == RAG_OK)
        rc = rag_error_set(err, RAG_ERR, "%s: cannot close after building the vector index", path);
    return rc;
}

/* ------------------------------------------------------------ open */

/* Source: the parts in seq order, read through one statement. */
typedef struct part_source {
    sqlite3_stmt *st;
    const unsigned char *blob;
    size_t len, off;
    int64_t next_seq;
    int done; /* every part read */
    int bad;  /* a gap in seq or a read error */
} part_source;

static size_t source_read(void *ud, void *buf, size_t n)
{
    part_source *s = ud;
    size_t done = 0;
    while (done < n) {
        if (s->off == s->len) {
            if (s->done || s->bad) break;
            int rc = sqlite3_step(s->st);
            if (rc != SQLITE_ROW) {
                if (rc != SQLITE_DONE) s->bad = 1;
                s->done = 1;
                break;
            }
            if (sqlite3_column_int64(s->st, 0) != s->next_seq++) {
                s->bad = 1;
                break;
            }
            s->blob = sqlite3_column_blob(s->st, 1);
            s->len = (size_t)sqlite3_column_bytes(s->st, 1);
            s->off = 0;
            continue;
        }
        size_t take = s->len - s->off < n - done ? s->len - s->off : n - done;
        memcpy((unsigned char *)buf + done, s->blob + s->off, take);
        s->off += take;
        done += take;
    }
    return done;
}

int rag_vindex_open(sqlite3 *db, const char *schema, const char *path, int dims, size_t n, rag_ann **out,
                    rag_error *err)
{
    *out = NULL;
    if (!schema) schema = "main";
    if (!rag_vindex_exists(db, schema)) return RAG_OK;
    sqlite3_stmt *st = NULL;
    char *sql = sqlite3_mprintf("SELECT kind, dims, vectors FROM \"%w\".vector_index", schema);
    int prc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (prc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rag_error_set(err, RAG_ECORRUPT, "%s: vector_index has no row: %s", path, rag_sqlite_errmsg(db));
    }
    char kind[32];
    snprintf(kind, sizeof kind, "%s", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    const int64_t vdims = sqlite3_column_int64(st, 1), vectors = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    if (strcmp(kind, RAG_VINDEX_KIND) != 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: vector_index kind \"%s\" is not supported (this build reads \"%s\")",
                             path, kind, RAG_VINDEX_KIND);
    if (vdims != dims || vectors != (int64_t)n)
        return rag_error_set(err, RAG_ECORRUPT, "%s: vector_index holds %lld vectors of %lld dimensions, expected %zu of %d",
                             path, (long long)vectors, (long long)vdims, n, dims);
    part_source src = {0};
    sql = sqlite3_mprintf("SELECT seq, data FROM \"%w\".vector_index_parts ORDER BY seq", schema);
    prc = sqlite3_prepare_v2(db, sql, -1, &src.st, NULL);
    sqlite3_free(sql);
    if (prc != SQLITE_OK) return db_error(err, db, path, "cannot read vector_index_parts");
    char msg[512];
    rag_ann *a = rag_ann_load(dims, n, source_read, &src, msg, sizeof msg);
    const int bad = src.bad;
    sqlite3_finalize(src.st);
    if (!a || bad) {
        rag_ann_free(a);
        return rag_error_set(err, RAG_ECORRUPT, "%s: vector_index_parts: %s", path,
                             bad ? "missing or unreadable part" : msg);
    }
    if (rag_ann_count(a) != n) {
        size_t got = rag_ann_count(a);
        rag_ann_free(a);
        return rag_error_set(err, RAG_ECORRUPT, "%s: the stored vector graph holds %zu vectors, expected %zu", path, got, n);
    }
    *out = a;
    return RAG_OK;
}
