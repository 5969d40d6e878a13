/* index_writer.c — SQLite writer of an index generation (see
 * index_writer.h). The build runs with journal_mode=OFF and synchronous=OFF
 * because a half-built temporary file is simply deleted; durability comes
 * at the end from journal_mode=DELETE + fsync before the rename (publish.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index_writer.h"
#include "rag/index.h"

typedef struct fts_builder fts_builder;

struct index_writer {
    sqlite3 *db;
    char *path;
    char *prev_path;
    int dims;
    int fts_copied; /* the full-text index was copied from the previous generation */
    int has_prev;
    const volatile int *interrupt;
    int fts_own_thread;  /* a full build: the FTS5 index is built beside (see below) */
    fts_builder *fts;    /* started with the first chunk */
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

/* ---------------------------------------------------------------- the full-text builder
 * In a full build the FTS5 index — most of a build's work — is built on a
 * thread of its own, in a file of its own (gen-<run_id>-fts.sqlite.tmp,
 * removed like any temporary), from a FIFO of the writer's (rowid, text)
 * rows and batch commits; iw_finish then copies its shadow tables into the
 * generation. The FIFO keeps the writer's order and transaction boundaries,
 * so the index is the same as if the writer had inserted the rows itself;
 * it holds at most FTS_QUEUE_BYTES of text (the writer waits beyond). */
#define FTS_QUEUE_BYTES (8u << 20)

typedef enum { FTS_ROW, FTS_COMMIT, FTS_FINISH } fts_op_kind;

typedef struct fts_op {
    fts_op_kind kind;
    int64_t rowid;
    char *text;
    size_t len;
    struct fts_op *next;
} fts_op;

struct fts_builder {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t more, space;
    fts_op *head, *tail;
    size_t bytes;
    int rc;          /* RAG_OK until the first failure (err then says what) */
    rag_error err;
    bool cancel;     /* stop indexing, only drain the queue */
    sqlite3 *db;
    char *path;
    const volatile int *interrupt;
};

static int fts_progress(void *ud)
{
    fts_builder *f = ud;
    return f->interrupt && *f->interrupt;
}

static int fts_exec(fts_builder *f, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rag_error_set(&f->err, RAG_ERR, "%s: %s", f->path, msg ? msg : sqlite3_errmsg(f->db));
        sqlite3_free(msg);
        return RAG_ERR;
    }
    return RAG_OK;
}

static void *fts_main(void *arg)
{
    fts_builder *f = arg;
    sqlite3_stmt *ins = NULL;
    int rc = RAG_OK;
    if (sqlite3_prepare_v2(f->db, "INSERT INTO chunks_fts(rowid, text) VALUES(?,?)", -1, &ins, NULL) != SQLITE_OK)
        rc = rag_error_set(&f->err, RAG_ERR, "%s: prepare: %s", f->path, sqlite3_errmsg(f->db));
    if (rc == RAG_OK)
        rc = fts_exec(f, "BEGIN");
    for (bool finished = false; !finished;) {
        pthread_mutex_lock(&f->mu);
        while (!f->head)
            pthread_cond_wait(&f->more, &f->mu);
        fts_op *op = f->head;
        f->head = op->next;
        if (!f->head)
            f->tail = NULL;
        f->bytes -= op->len;
        bool cancel = f->cancel;
        pthread_cond_signal(&f->space);
        pthread_mutex_unlock(&f->mu);
        if (cancel && rc == RAG_OK)
            rc = RAG_EINVAL; /* not a failure of its own: nothing recorded */
        if (rc == RAG_OK) { /* after a failure the queue is only drained */
            if (op->kind == FTS_ROW) {
                sqlite3_bind_int64(ins, 1, op->rowid);
                sqlite3_bind_text(ins, 2, op->text, (int)op->len, SQLITE_STATIC);
                if (sqlite3_step(ins) != SQLITE_DONE)
                    rc = rag_error_set(&f->err, RAG_ERR, "%s: insert full-text row: %s", f->path, sqlite3_errmsg(f->db));
                sqlite3_reset(ins);
                sqlite3_clear_bindings(ins);
            } else if (op->kind == FTS_COMMIT) {
                rc = fts_exec(f, "COMMIT; BEGIN");
            } else {
                /* merge every segment once; the finished index then merges
                 * its future few segments itself (incremental builds) */
                rc = fts_exec(f, "COMMIT; INSERT INTO chunks_fts(chunks_fts) VALUES('optimize');"
                                 "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('automerge', 4);"
                                 "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('crisismerge', 16);");
            }
        }
        finished = op->kind == FTS_FINISH;
        free(op->text);
        free(op);
        if (rc != RAG_OK && rc != RAG_EINVAL) {
            pthread_mutex_lock(&f->mu);
            f->rc = rc;
            pthread_mutex_unlock(&f->mu);
        }
    }
    sqlite3_finalize(ins);
    return NULL;
}

static void fts_push(fts_builder *f, fts_op_kind kind, int64_t rowid, const char *text, size_t len)
{
    fts_op *op = rag_xcalloc(1, sizeof *op);
    op->kind = kind;
    op->rowid = rowid;
    if (text) {
        op->text = rag_xmalloc(len + 1);
        memcpy(op->text, text, len);
        op->text[len] = '\0';
        op->len = len;
    }
    pthread_mutex_lock(&f->mu);
    while (f->bytes > 0 && f->bytes + len > FTS_QUEUE_BYTES)
        pthread_cond_wait(&f->space, &f->mu);
    if (f->tail)
        f->tail->next = op;
    else
        f->head = op;
    f->tail = op;
    f->bytes += len;
    pthread_cond_signal(&f->more);
    pthread_mutex_unlock(&f->mu);
}

static int fts_failed(fts_builder *f, rag_error *err)
{
    pthread_mutex_lock(&f->mu);
    int rc = f->rc;
    if (rc != RAG_OK)
        *err = f->err;
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* The temporary file's name: "-fts" before ".sqlite.tmp". */
static char *fts_path_of(const char *path)
{
    const char *suf = RAG_INDEX_SUFFIX ".tmp";
    size_t n = strlen(path), s = strlen(suf);
    if (n > s && strcmp(path + n - s, suf) == 0)
        return rag_xasprintf("%.*s-fts%s", (int)(n - s), path, suf);
    return rag_xasprintf("%s-fts", path);
}

static void fts_free(fts_builder *f)
{
    if (!f)
        return;
    sqlite3_close(f->db);
    unlink(f->path);
    free(f->path);
    pthread_cond_destroy(&f->more);
    pthread_cond_destroy(&f->space);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* Create the full-text file and start its thread; NULL when either cannot
 * be done: the writer then indexes the rows itself, as incremental builds do. */
static fts_builder *fts_start(index_writer *w)
{
    fts_builder *f = rag_xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->more, NULL);
    pthread_cond_init(&f->space, NULL);
    f->path = fts_path_of(w->path);
    f->rc = RAG_OK;
    f->interrupt = w->interrupt;
    unlink(f->path);
    if (sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        fts_free(f);
        return NULL;
    }
    sqlite3_progress_handler(f->db, 10000, fts_progress, f);
    if (fts_exec(f, "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                    "PRAGMA cache_size=-32768; PRAGMA locking_mode=EXCLUSIVE;"
                    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id',"
                    " tokenize='porter unicode61');"
                    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('automerge', 0);"
                    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('crisismerge', 100000);") != RAG_OK) {
        fts_free(f);
        return NULL;
    }
    if (pthread_create(&f->tid, NULL, fts_main, f) != 0) {
        fts_free(f);
        return NULL; /* no thread: the writer indexes the rows itself */
    }
    return f;
}

/* Tell the thread to finish, wait for it and close its connection; RAG_OK
 * when its index is complete. */
static int fts_join(fts_builder *f, rag_error *err)
{
    fts_push(f, FTS_FINISH, 0, NULL, 0);
    pthread_join(f->tid, NULL);
    sqlite3_close(f->db);
    f->db = NULL;
    return fts_failed(f, err);
}

/* Stop the thread without finishing its index (a failed or interrupted build). */
static void fts_cancel(fts_builder *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->cancel = true;
    pthread_mutex_unlock(&f->mu);
    fts_push(f, FTS_FINISH, 0, NULL, 0);
    pthread_join(f->tid, NULL);
    fts_free(f);
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
    w->fts_own_thread = prev_path == NULL;
    return w;
}

void iw_set_interrupt(index_writer *w, const volatile int *flag)
{
    w->interrupt = flag;
}

int iw_begin(index_writer *w, rag_error *err) { return exec(w, "BEGIN", err); }
int iw_commit(index_writer *w, rag_error *err)
{
    int rc = exec(w, "COMMIT", err);
    if (rc == RAG_OK && w->fts) { /* the same transaction boundary in the full-text file */
        fts_push(w->fts, FTS_COMMIT, 0, NULL, 0);
        rc = fts_failed(w->fts, err);
    }
    return rc;
}

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
    if (w->fts_own_thread && !w->fts) {
        w->fts_own_thread = 0; /* one try */
        w->fts = fts_start(w);
    }
    if (w->fts)
        fts_push(w->fts, FTS_ROW, rowid, c->text, c->len);
    else {
    sqlite3_bind_int64(w->ins_fts, 1, rowid);
    sqlite3_bind_text(w->ins_fts, 2, c->text, (int)c->len, SQLITE_STATIC);
    if ((rc = step_done(w, w->ins_fts, err, "insert full-text row")) != RAG_OK)
        return rc;
    }
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

/* Replace the generation's (empty) full-text index by the one built beside
 * it, through a fresh connection (FTS5 caches an index's structure per
 * connection), as iw_copy_docs does with the previous generation's. */
static int fts_copy_in(index_writer *w, rag_error *err)
{
    finalize_all(w);
    sqlite3_close(w->db);
    w->db = NULL;
    if (connect_db(w, 0, err) != RAG_OK)
        return RAG_ERR;
    char *sql = sqlite3_mprintf(
        "ATTACH DATABASE %Q AS fts; BEGIN;"
        "DELETE FROM main.chunks_fts_data; DELETE FROM main.chunks_fts_idx;"
        "DELETE FROM main.chunks_fts_docsize; DELETE FROM main.chunks_fts_config;"
        "INSERT INTO main.chunks_fts_data SELECT * FROM fts.chunks_fts_data;"
        "INSERT INTO main.chunks_fts_idx SELECT * FROM fts.chunks_fts_idx;"
        "INSERT INTO main.chunks_fts_docsize SELECT * FROM fts.chunks_fts_docsize;"
        "INSERT INTO main.chunks_fts_config SELECT * FROM fts.chunks_fts_config;"
        "COMMIT; DETACH DATABASE fts;",
        w->fts->path);
    int rc = exec(w, sql, err);
    sqlite3_free(sql);
    return rc;
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
    if (w->fts) { /* the full-text index was built beside: copy it in */
        if ((rc = exec(w, "COMMIT", err)) != RAG_OK) {
            fts_cancel(w->fts);
            w->fts = NULL;
            return rc;
        }
        if ((rc = fts_join(w->fts, err)) == RAG_OK)
            rc = fts_copy_in(w, err);
        fts_free(w->fts);
        w->fts = NULL;
        if (rc != RAG_OK)
            return rc;
    } else if ((rc = exec(w, w->fts_copied ? "COMMIT"
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
    fts_cancel(w->fts);
    finalize_all(w);
    if (w->db)
        sqlite3_close(w->db);
    unlink(w->path);
    free(w->path);
    free(w->prev_path);
    free(w);
}
