/* index_writer.c — SQLite writer of an index generation (see
 * index_writer.h). The build runs with journal_mode=OFF and synchronous=OFF
 * because a half-built temporary file is simply deleted; durability comes
 * at the end from journal_mode=DELETE + fsync before the rename (publish.c). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index_writer.h"
#include "rag/index.h"

struct index_writer {
    sqlite3 *db;
    char *path;
    char *prev_path;
    int dims;
    int fts_copied; /* the full-text index was copied from the previous generation */
    int has_prev;
    const volatile int *interrupt;
    sqlite3_stmt *ins_doc, *upd_doc, *ins_chunk, *ins_fts, *ins_emb, *ins_fail, *ins_meta;
};

static const char *SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT,"
    " format TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    " chunk_count INTEGER NOT NULL);"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE,"
    " doc_id INTEGER NOT NULL REFERENCES documents(id), ordinal INTEGER NOT NULL, text TEXT NOT NULL,"
    " start_ms INTEGER, end_ms INTEGER, speaker TEXT, token_count INTEGER NOT NULL);"
    "CREATE TABLE embeddings(chunk_rowid INTEGER PRIMARY KEY REFERENCES chunks(id), vector BLOB NOT NULL);"
    "CREATE TABLE failures(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " reason TEXT NOT NULL, class TEXT NOT NULL DEFAULT 'content', sha256 TEXT);"
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id',"
    " tokenize='porter unicode61');";

static int db_fail(index_writer *w, rag_error *err, const char *what)
{
    return rag_error_set(err, RAG_ERR, "%s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
}

static int exec(index_writer *w, const char *sql, rag_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(w->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = rag_error_set(err, RAG_ERR, "%s: %s", w->path, msg ? msg : sqlite3_errmsg(w->db));
        sqlite3_free(msg);
        return rc;
    }
    return RAG_OK;
}

static int on_progress(void *ud)
{
    index_writer *w = ud;
    return w->interrupt && *w->interrupt;
}

static int prep(index_writer *w, sqlite3_stmt **st, const char *sql, rag_error *err)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_fail(w, err, "prepare");
    return RAG_OK;
}

static void finalize_all(index_writer *w)
{
    sqlite3_stmt **all[] = { &w->ins_doc, &w->upd_doc, &w->ins_chunk, &w->ins_fts, &w->ins_emb, &w->ins_fail, &w->ins_meta };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
}

/* Open (or reopen) the connection: pragmas and the previous generation. */
static int connect_db(index_writer *w, int create, rag_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(w->path, &w->db, flags, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot open: %s", w->path, w->db ? sqlite3_errmsg(w->db) : "out of memory");
    sqlite3_progress_handler(w->db, 10000, on_progress, w);
    /* 16 KiB pages: a chunk row (~2 KB of text at the default 256 tokens)
     * and an embedding (1.5 KB at 384 dimensions) are over a third of a
     * 4 KiB page, so at the default page size most pages held one row and
     * half the file was empty space to write and fsync */
    if (create && exec(w, "PRAGMA page_size=16384;", err) != RAG_OK)
        return RAG_ERR;
    if (exec(w, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-32768;"
                "PRAGMA temp_store=FILE; PRAGMA locking_mode=EXCLUSIVE;", err) != RAG_OK)
        return RAG_ERR;
    if (w->prev_path) {
        char *uri = sqlite3_mprintf("file:%s?mode=ro", w->prev_path);
        char *sql = sqlite3_mprintf("ATTACH DATABASE %Q AS prev", uri);
        sqlite3_free(uri);
        int rc = exec(w, sql, err);
        sqlite3_free(sql);
        if (rc != RAG_OK)
            return rc;
        w->has_prev = 1;
    }
    return RAG_OK;
}

static int prepare_all(index_writer *w, rag_error *err)
{
    if (prep(w, &w->ins_doc, "INSERT INTO documents(path,title,format,size,mtime_ns,sha256,chunk_count) VALUES(?,?,?,?,?,?,0)", err) ||
        prep(w, &w->upd_doc, "UPDATE documents SET chunk_count = ? WHERE id = ?", err) ||
        prep(w, &w->ins_chunk, "INSERT INTO chunks(chunk_id,doc_id,ordinal,text,start_ms,end_ms,speaker,token_count) VALUES(?,?,?,?,?,?,?,?)", err) ||
        prep(w, &w->ins_fts, "INSERT INTO chunks_fts(rowid, text) VALUES(?,?)", err) ||
        prep(w, &w->ins_emb, "INSERT INTO embeddings(chunk_rowid, vector) VALUES(?,?)", err) ||
        prep(w, &w->ins_fail, "INSERT OR REPLACE INTO failures(path,size,mtime_ns,reason,class,sha256) VALUES(?,?,?,?,?,?)", err) ||
        prep(w, &w->ins_meta, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)", err))
        return RAG_ERR;
    return RAG_OK;
}

index_writer *iw_open(const char *tmp_path, const char *prev_path, int dimensions, rag_error *err)
{
    index_writer *w = rag_xcalloc(1, sizeof *w);
    w->path = rag_xstrdup(tmp_path);
    w->prev_path = prev_path ? rag_xstrdup(prev_path) : NULL;
    w->dims = dimensions;
    unlink(tmp_path);
    if (connect_db(w, 1, err) != RAG_OK ||
        exec(w, SCHEMA, err) != RAG_OK ||
        /* no incremental merging while building: the one 'optimize' at the end
         * merges every segment in a single pass (much less work in total) */
        exec(w, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('automerge', 0);"
                "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('crisismerge', 100000);", err) != RAG_OK ||
        prepare_all(w, err) != RAG_OK) {
        iw_abort(w);
        return NULL;
    }
    return w;
}

void iw_set_interrupt(index_writer *w, const volatile int *flag)
{
    w->interrupt = flag;
}

int iw_begin(index_writer *w, rag_error *err) { return exec(w, "BEGIN", err); }
int iw_commit(index_writer *w, rag_error *err) { return exec(w, "COMMIT", err); }

/* Is the previous generation's FTS5 index in the same on-disk format? */
static int fts_same_format(index_writer *w)
{
    sqlite3_stmt *st;
    int same = 0;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT (SELECT v FROM prev.chunks_fts_config WHERE k='version') ="
                           " (SELECT v FROM main.chunks_fts_config WHERE k='version')",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        same = sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return same;
}

int iw_copy_docs(index_writer *w, const int64_t *prev_ids, size_t n, rag_error *err)
{
    if (!w->has_prev || n == 0)
        return RAG_OK;
    if (exec(w, "CREATE TEMP TABLE keep(id INTEGER PRIMARY KEY)", err) != RAG_OK)
        return RAG_ERR;
    sqlite3_stmt *st;
    if (prep(w, &st, "INSERT INTO temp.keep(id) VALUES(?)", err) != RAG_OK)
        return RAG_ERR;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, prev_ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return db_fail(w, err, "copy documents");
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (exec(w,
             "INSERT INTO documents(id,path,title,format,size,mtime_ns,sha256,chunk_count)"
             " SELECT id,path,title,format,size,mtime_ns,sha256,chunk_count FROM prev.documents"
             " WHERE id IN (SELECT id FROM temp.keep);"
             "INSERT INTO chunks(id,chunk_id,doc_id,ordinal,text,start_ms,end_ms,speaker,token_count)"
             " SELECT id,chunk_id,doc_id,ordinal,text,start_ms,end_ms,speaker,token_count FROM prev.chunks"
             " WHERE doc_id IN (SELECT id FROM temp.keep);"
             "INSERT INTO embeddings(chunk_rowid, vector) SELECT e.chunk_rowid, e.vector FROM prev.embeddings e"
             " WHERE e.chunk_rowid IN (SELECT id FROM main.chunks);"
             "DROP TABLE temp.keep;",
             err) != RAG_OK)
        return RAG_ERR;
    if (!fts_same_format(w)) /* re-index the copied text */
        return exec(w, "INSERT INTO chunks_fts(rowid, text) SELECT id, text FROM main.chunks;", err);
    /* Copy the previous full-text index as it is (its row ids are kept), then
     * remove the rows of documents that were not copied. FTS5 caches its
     * structure per connection, so the connection is reopened between the
     * raw copy of the shadow tables and the first use of the index. */
    if (exec(w,
             "DELETE FROM main.chunks_fts_data; DELETE FROM main.chunks_fts_idx;"
             "DELETE FROM main.chunks_fts_docsize; DELETE FROM main.chunks_fts_config;"
             "INSERT INTO main.chunks_fts_data SELECT * FROM prev.chunks_fts_data;"
             "INSERT INTO main.chunks_fts_idx SELECT * FROM prev.chunks_fts_idx;"
             "INSERT INTO main.chunks_fts_docsize SELECT * FROM prev.chunks_fts_docsize;"
             "INSERT INTO main.chunks_fts_config SELECT * FROM prev.chunks_fts_config;"
             "COMMIT;",
             err) != RAG_OK)
        return RAG_ERR;
    finalize_all(w);
    sqlite3_close(w->db);
    w->db = NULL;
    w->has_prev = 0;
    if (connect_db(w, 0, err) != RAG_OK || prepare_all(w, err) != RAG_OK || exec(w, "BEGIN", err) != RAG_OK)
        return RAG_ERR;
    w->fts_copied = 1;
    return exec(w,
                "INSERT INTO chunks_fts(chunks_fts, rowid, text) SELECT 'delete', id, text FROM prev.chunks"
                " WHERE doc_id NOT IN (SELECT id FROM main.documents);",
                err);
}

static int step_done(index_writer *w, sqlite3_stmt *st, rag_error *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return db_fail(w, err, what);
    return RAG_OK;
}

int iw_add_document(index_writer *w, const iw_doc *d, int64_t *doc_id, rag_error *err)
{
    sqlite3_bind_text(w->ins_doc, 1, d->path, -1, SQLITE_STATIC);
    if (d->title)
        sqlite3_bind_text(w->ins_doc, 2, d->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(w->ins_doc, 3, d->format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->ins_doc, 4, d->size);
    sqlite3_bind_int64(w->ins_doc, 5, d->mtime_ns);
    sqlite3_bind_text(w->ins_doc, 6, d->sha256, -1, SQLITE_STATIC);
    int rc = step_done(w, w->ins_doc, err, "insert document");
    if (rc == RAG_OK)
        *doc_id = sqlite3_last_insert_rowid(w->db);
    return rc;
}

int iw_set_chunk_count(index_writer *w, int64_t doc_id, int64_t n, rag_error *err)
{
    sqlite3_bind_int64(w->upd_doc, 1, n);
    sqlite3_bind_int64(w->upd_doc, 2, doc_id);
    return step_done(w, w->upd_doc, err, "update document");
}

int iw_add_chunk(index_writer *w, int64_t doc_id, const char *chunk_id, const chunk *c, const float *vec,
                 rag_error *err)
{
    sqlite3_bind_text(w->ins_chunk, 1, chunk_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->ins_chunk, 2, doc_id);
    sqlite3_bind_int(w->ins_chunk, 3, c->ordinal);
    sqlite3_bind_text(w->ins_chunk, 4, c->text, (int)c->len, SQLITE_STATIC);
    if (c->start_ms >= 0)
        sqlite3_bind_int64(w->ins_chunk, 5, c->start_ms);
    if (c->end_ms >= 0)
        sqlite3_bind_int64(w->ins_chunk, 6, c->end_ms);
    if (c->speakers)
        sqlite3_bind_text(w->ins_chunk, 7, c->speakers, -1, SQLITE_STATIC);
    sqlite3_bind_int(w->ins_chunk, 8, c->tokens);
    int rc = step_done(w, w->ins_chunk, err, "insert chunk");
    if (rc != RAG_OK)
        return rc;
    int64_t rowid = sqlite3_last_insert_rowid(w->db);
    /* the FTS row goes in while the text is at hand (no 'rebuild' pass) */
    sqlite3_bind_int64(w->ins_fts, 1, rowid);
    sqlite3_bind_text(w->ins_fts, 2, c->text, (int)c->len, SQLITE_STATIC);
    if ((rc = step_done(w, w->ins_fts, err, "insert full-text row")) != RAG_OK)
        return rc;
    /* float32 little-endian; x86-64 and arm64 already are */
    sqlite3_bind_int64(w->ins_emb, 1, rowid);
    sqlite3_bind_blob(w->ins_emb, 2, vec, (int)(sizeof(float) * (size_t)w->dims), SQLITE_STATIC);
    return step_done(w, w->ins_emb, err, "insert embedding");
}

struct iw_prev_reader {
    sqlite3 *db;
    sqlite3_stmt *get;
    int dims;
};

iw_prev_reader *iw_prev_reader_open(const char *prev_path, int dimensions, rag_error *err)
{
    iw_prev_reader *r = rag_xcalloc(1, sizeof *r);
    r->dims = dimensions;
    char *uri = sqlite3_mprintf("file:%s?mode=ro", prev_path);
    int rc = sqlite3_open_v2(uri, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_free(uri);
    if (rc != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "SELECT e.vector FROM chunks c JOIN embeddings e ON e.chunk_rowid = c.id WHERE c.chunk_id = ?",
                           -1, &r->get, NULL) != SQLITE_OK) {
        rag_error_set(err, RAG_ERR, "%s: cannot read embeddings: %s", prev_path,
                      r->db ? sqlite3_errmsg(r->db) : "out of memory");
        iw_prev_reader_close(r);
        return NULL;
    }
    return r;
}

int iw_prev_embedding(iw_prev_reader *r, const char *chunk_id, float *out)
{
    if (!r)
        return 0;
    int found = 0;
    sqlite3_bind_text(r->get, 1, chunk_id, -1, SQLITE_STATIC);
    if (sqlite3_step(r->get) == SQLITE_ROW && sqlite3_column_bytes(r->get, 0) == (int)(sizeof(float) * (size_t)r->dims)) {
        memcpy(out, sqlite3_column_blob(r->get, 0), sizeof(float) * (size_t)r->dims);
        found = 1;
    }
    sqlite3_reset(r->get);
    sqlite3_clear_bindings(r->get);
    return found;
}

void iw_prev_reader_close(iw_prev_reader *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->get);
    sqlite3_close(r->db);
    free(r);
}

int iw_add_failure(index_writer *w, const iw_failure *f, rag_error *err)
{
    sqlite3_bind_text(w->ins_fail, 1, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->ins_fail, 2, f->size);
    sqlite3_bind_int64(w->ins_fail, 3, f->mtime_ns);
    sqlite3_bind_text(w->ins_fail, 4, f->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(w->ins_fail, 5, f->cls, -1, SQLITE_STATIC);
    if (f->sha256 && f->sha256[0])
        sqlite3_bind_text(w->ins_fail, 6, f->sha256, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(w->ins_fail, 6);
    return step_done(w, w->ins_fail, err, "insert failure");
}

int iw_set_meta(index_writer *w, const char *key, const char *value, rag_error *err)
{
    sqlite3_bind_text(w->ins_meta, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(w->ins_meta, 2, value, -1, SQLITE_STATIC);
    return step_done(w, w->ins_meta, err, "write meta");
}

static int64_t count_of(index_writer *w, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int iw_fsync_file(const char *path, rag_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int rc = rag_error_set(err, RAG_ERR, "%s: cannot fsync: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return RAG_OK;
}

int iw_finish(index_writer *w, bool fsync_file, int64_t *documents, int64_t *chunks, int64_t *tokens, rag_error *err)
{
    int rc;
    if ((rc = exec(w, "BEGIN", err)) != RAG_OK)
        return rc;
    *documents = count_of(w, "SELECT count(*) FROM documents");
    *chunks = count_of(w, "SELECT count(*) FROM chunks");
    *tokens = count_of(w, "SELECT coalesce(sum(token_count),0) FROM chunks");
    char buf[32];
    snprintf(buf, sizeof buf, "%d", RAG_INDEX_SCHEMA_VERSION);
    if ((rc = iw_set_meta(w, "index_schema_version", buf, err)) != RAG_OK)
        return rc;
    snprintf(buf, sizeof buf, "%lld", (long long)*documents);
    if ((rc = iw_set_meta(w, "documents", buf, err)) != RAG_OK)
        return rc;
    snprintf(buf, sizeof buf, "%lld", (long long)*chunks);
    if ((rc = iw_set_meta(w, "chunks", buf, err)) != RAG_OK)
        return rc;
    snprintf(buf, sizeof buf, "%lld", (long long)*tokens);
    if ((rc = iw_set_meta(w, "tokens", buf, err)) != RAG_OK)
        return rc;
    /* a full build merges all its segments into one; an incremental build
     * keeps the copied index and leaves its few new segments to FTS5's
     * automerge (an optimize would rewrite the whole index every time) */
    if ((rc = exec(w, w->fts_copied ? "COMMIT"
                                    : "COMMIT; INSERT INTO chunks_fts(chunks_fts) VALUES('optimize');"
                                      "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('automerge', 4);"
                                      "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('crisismerge', 16);",
                   err)) != RAG_OK)
        return rc;
    finalize_all(w);
    if (w->has_prev && (rc = exec(w, "DETACH DATABASE prev", err)) != RAG_OK)
        return rc;
    w->has_prev = 0;
    if ((rc = exec(w, "PRAGMA locking_mode=NORMAL; PRAGMA journal_mode=DELETE;", err)) != RAG_OK)
        return rc;
    if (sqlite3_close(w->db) != SQLITE_OK)
        return db_fail(w, err, "close");
    w->db = NULL;
    if (fsync_file && (rc = iw_fsync_file(w->path, err)) != RAG_OK)
        return rc;
    free(w->path);
    free(w->prev_path);
    free(w);
    return RAG_OK;
}

void iw_abort(index_writer *w)
{
    if (!w)
        return;
    finalize_all(w);
    if (w->db)
        sqlite3_close(w->db);
    unlink(w->path);
    free(w->path);
    free(w->prev_path);
    free(w);
}
