/* genset.c — a generation as its set of segments (see rag/genset.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/genset.h"

char *rag_sqlite_ro_uri(const char *path)
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

int rag_sqlite_open_ro(const char *path, sqlite3 **db, rag_error *err)
{
    char *uri = rag_sqlite_ro_uri(path);
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, *db ? rag_sqlite_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return RAG_ERR;
    }
    return RAG_OK;
}

static int64_t file_bytes(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
}

int64_t rag_genset_bytes(const rag_genset *gs)
{
    int64_t total = file_bytes(gs->path);
    for (size_t i = 0; gs->version >= 2 && i < gs->n && total >= 0; i++) {
        const int64_t b = file_bytes(gs->segs[i].path);
        total = b < 0 ? -1 : total + b;
    }
    return total;
}

void rag_genset_free(rag_genset *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        free(gs->segs[i].file);
        free(gs->segs[i].path);
    }
    free(gs->segs);
    free(gs->tombstones);
    free(gs->path);
    memset(gs, 0, sizeof *gs);
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int load_segments(sqlite3 *db, const char *path, rag_genset *gs, rag_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT file, documents, chunks, tokens, live_documents, live_chunks, live_tokens,"
                           " max_doc_id, max_chunk_id FROM segments ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: no segments table: %s", path, rag_sqlite_errmsg(db));
    char *dir = rag_dirname(path);
    int rc = RAG_OK;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *file = (const char *)sqlite3_column_text(st, 0);
        if (!file || !*file || strchr(file, '/') || gs->n == RAG_GENSET_MAX_SEGMENTS) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: segment %zu: %s", path, gs->n + 1,
                               gs->n == RAG_GENSET_MAX_SEGMENTS ? "more segments than " "8 (RAG_GENSET_MAX_SEGMENTS)"
                                                                 : "file name is empty or not a plain name");
            break;
        }
        gs->segs = rag_xrealloc(gs->segs, (gs->n + 1) * sizeof *gs->segs);
        rag_segment_ref *s = &gs->segs[gs->n++];
        s->file = rag_xstrdup(file);
        s->path = rag_path_join(dir, file);
        s->documents = sqlite3_column_int64(st, 1);
        s->chunks = sqlite3_column_int64(st, 2);
        s->tokens = sqlite3_column_int64(st, 3);
        s->live_documents = sqlite3_column_int64(st, 4);
        s->live_chunks = sqlite3_column_int64(st, 5);
        s->live_tokens = sqlite3_column_int64(st, 6);
        s->max_doc_id = sqlite3_column_int64(st, 7);
        s->max_chunk_id = sqlite3_column_int64(st, 8);
        if (access(s->path, R_OK) != 0) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: segment %s is missing", path, s->path);
            break;
        }
    }
    sqlite3_finalize(st);
    free(dir);
    if (rc == RAG_OK && gs->n == 0)
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: the generation names no segment", path);
    if (rc != RAG_OK)
        return rc;
    int64_t nt = scalar(db, "SELECT count(*) FROM tombstones");
    if (nt < 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: no tombstones table: %s", path, rag_sqlite_errmsg(db));
    gs->tombstones = rag_xcalloc(nt ? (size_t)nt : 1, sizeof *gs->tombstones);
    if (sqlite3_prepare_v2(db, "SELECT doc_id FROM tombstones ORDER BY doc_id", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: %s", path, rag_sqlite_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW && gs->n_tombstones < (size_t)nt)
        gs->tombstones[gs->n_tombstones++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return RAG_OK;
}

int rag_genset_load(const char *path, rag_genset *gs, rag_error *err)
{
    memset(gs, 0, sizeof *gs);
    sqlite3 *db = NULL;
    if (rag_sqlite_open_ro(path, &db, err) != RAG_OK)
        return RAG_ERR;
    int rc = RAG_OK;
    int64_t v = scalar(db, "SELECT value FROM meta WHERE key='index_schema_version'");
    gs->path = rag_xstrdup(path);
    gs->version = (int)v;
    if (v == 1) {
        gs->segs = rag_xcalloc(1, sizeof *gs->segs);
        gs->n = 1;
        const char *slash = strrchr(path, '/');
        gs->segs[0].file = rag_xstrdup(slash ? slash + 1 : path);
        gs->segs[0].path = rag_xstrdup(path);
        gs->segs[0].documents = scalar(db, "SELECT count(*) FROM documents");
        gs->segs[0].chunks = scalar(db, "SELECT count(*) FROM chunks");
        gs->segs[0].tokens = scalar(db, "SELECT coalesce(sum(token_count),0) FROM chunks");
        gs->segs[0].live_documents = gs->segs[0].documents;
        gs->segs[0].live_chunks = gs->segs[0].chunks;
        gs->segs[0].live_tokens = gs->segs[0].tokens;
        gs->segs[0].max_doc_id = scalar(db, "SELECT coalesce(max(id),0) FROM documents");
        gs->segs[0].max_chunk_id = scalar(db, "SELECT coalesce(max(id),0) FROM chunks");
        if (gs->segs[0].chunks < 0)
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: cannot read the chunks table: %s", path, rag_sqlite_errmsg(db));
    } else if (v == 2) {
        rc = load_segments(db, path, gs, err);
    } else if (v < 0) {
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: meta.index_schema_version is missing (%s)", path, rag_sqlite_errmsg(db));
    } else {
        rc = rag_error_set(err, RAG_EVERSION, "%s: index schema version %lld is not supported (this build reads 1 and 2)",
                           path, (long long)v);
    }
    sqlite3_close(db);
    if (rc != RAG_OK)
        rag_genset_free(gs);
    return rc;
}

bool rag_genset_deleted(const rag_genset *gs, int64_t doc_id)
{
    return rag_find_sorted_i64(gs->tombstones, gs->n_tombstones, doc_id) >= 0;
}

static int exec_sql(sqlite3 *db, const char *sql, const char *path, rag_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = rag_error_set(err, RAG_ECORRUPT, "%s: %s", path, rag_sqlite_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    return RAG_OK;
}

/* "CREATE TEMP VIEW name AS SELECT ... FROM s0.x WHERE ... UNION ALL ..." */
static char *union_view(const rag_genset *gs, const char *name, const char *select_fmt)
{
    size_t cap = 256 + gs->n * (strlen(select_fmt) + 64);
    char *sql = rag_xmalloc(cap);
    size_t w = (size_t)snprintf(sql, cap, "CREATE TEMP VIEW %s AS ", name);
    for (size_t i = 0; i < gs->n; i++) {
        char alias[24];
        snprintf(alias, sizeof alias, "s%zu", i);
        if (i)
            w += (size_t)snprintf(sql + w, cap - w, " UNION ALL ");
        /* select_fmt names the segment schema three times as %1$s */
        w += (size_t)snprintf(sql + w, cap - w, select_fmt, alias, alias, alias);
    }
    snprintf(sql + w, cap - w, ";");
    return sql;
}

int rag_genset_attach(const rag_genset *gs, sqlite3 **db, rag_error *err)
{
    *db = NULL;
    if (rag_sqlite_open_ro(gs->path, db, err) != RAG_OK)
        return RAG_ERR;
    if (gs->version == 1)
        return RAG_OK;
    for (size_t i = 0; i < gs->n; i++) {
        char *uri = rag_sqlite_ro_uri(gs->segs[i].path);
        char *sql = sqlite3_mprintf("ATTACH DATABASE %Q AS s%d", uri, (int)i);
        free(uri);
        int rc = exec_sql(*db, sql, gs->segs[i].path, err);
        sqlite3_free(sql);
        if (rc != RAG_OK) {
            sqlite3_close(*db);
            *db = NULL;
            return rc;
        }
    }
    return RAG_OK;
}

int rag_genset_open_db(const rag_genset *gs, sqlite3 **db, rag_error *err)
{
    if (rag_genset_attach(gs, db, err) != RAG_OK)
        return RAG_ERR;
    if (gs->version == 1)
        return RAG_OK;
    char *docs = union_view(gs, "documents",
                            "SELECT * FROM %s.documents WHERE id NOT IN (SELECT doc_id FROM main.tombstones)%.0s%.0s");
    char *chunks = union_view(gs, "chunks",
                              "SELECT * FROM %s.chunks WHERE doc_id NOT IN (SELECT doc_id FROM main.tombstones)%.0s%.0s");
    char *embs = union_view(gs, "embeddings",
                            "SELECT e.* FROM %s.embeddings e JOIN %s.chunks c ON c.id = e.chunk_rowid"
                            " WHERE c.doc_id NOT IN (SELECT doc_id FROM main.tombstones)%.0s");
    int rc = exec_sql(*db, docs, gs->path, err);
    if (rc == RAG_OK) rc = exec_sql(*db, chunks, gs->path, err);
    if (rc == RAG_OK) rc = exec_sql(*db, embs, gs->path, err);
    free(docs);
    free(chunks);
    free(embs);
    if (rc != RAG_OK) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

const char *rag_sqlite_errmsg(sqlite3 *db)
{
    static _Thread_local char buf[512];
    snprintf(buf, sizeof buf, "%s", sqlite3_errmsg(db));
    if (!db || (sqlite3_extended_errcode(db) & 0xff) != SQLITE_IOERR) return buf;
    /* the db's copy of errno is often 0 (the unix VFS reads errno late);
     * the main file's own last errno is kept where the failing call set it */
    int e = sqlite3_system_errno(db);
    if (!e && sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e) != SQLITE_OK) e = 0;
    if (e) {
        const size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, " (%s)", strerror(e));
    }
    return buf;
}
