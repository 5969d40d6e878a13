/* index_writer.c — SQLite writer of an index generation's new segment (see
 * index_writer.h) and of merged segments (segments.c decides which). The
 * build runs with journal_mode=OFF and synchronous=OFF because a half-built
 * temporary file is simply deleted; durability comes at the end from
 * journal_mode=DELETE + fsync before the rename (publish.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index_writer.h"
#include "publish.h"
#include "rag/fsutil.h"
#include "rag/genset.h"
#include "rag/index.h"
#include "segments.h"

typedef struct fts_builder fts_builder;

struct index_writer {
    sqlite3 *db;
    char *path;       /* the segment being built: <dir>/seg-<run_id>.sqlite.tmp */
    char *desc_tmp;   /* the generation descriptor to write: <dir>/gen-<run_id>.sqlite.tmp */
    char *dir;
    char *run_id;
    int dims;
    rag_genset prev;  /* the previous generation (incremental builds) */
    bool has_prev;
    bool dropped;     /* iw_drop_prev_docs ran: temp.gone on prev_db lists the documents not carried over */
    sqlite3 *prev_db; /* rag_genset_open_db of prev */
    int64_t next_doc_id, next_chunk_id; /* above every id of the previous generation's segments */
    const volatile int *interrupt;
    const vector_stage *vs; /* each finished segment's vector index; NULL: none */
    int fts_own_thread;  /* a full build: the segment's FTS5 index is built beside (see below) */
    fts_builder *fts;    /* started with the first chunk */
    sqlite3_stmt *ins_doc, *upd_doc, *ins_chunk, *ins_fts, *ins_emb, *ins_fail, *ins_meta;
};

/* The settings of every file a build writes (a half-built file is simply
 * deleted, so no journal and no syncs until it is finished), the FTS5 table
 * of a segment and of the full-text builder's side file, and automerge off
 * while building: the one 'optimize' at the end merges every FTS5 b-tree
 * segment in a single pass. */
#define BUILD_PRAGMAS \
    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-32768; PRAGMA locking_mode=EXCLUSIVE;"
#define FTS_TABLE \
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id'," \
    " tokenize='porter unicode61');"
#define FTS_BUILD_MERGING \
    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('automerge', 0);" \
    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('crisismerge', 100000);"
/* 16 KiB pages: a chunk row (~2 KB of text at the default 256 tokens) and
 * an embedding (1.5 KB at 384 dimensions) are over a third of a 4 KiB page,
 * so at the default page size most pages held one row and half the file was
 * empty space to write and fsync. */
#define NEW_FILE_PRAGMAS "PRAGMA page_size=16384;" BUILD_PRAGMAS

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
    FTS_TABLE;
/* v2: tombstones are document ids, so a segment finds a document's chunks by it */
static const char *INDEXES = "CREATE INDEX chunks_doc ON chunks(doc_id);";

static int db_fail(index_writer *w, rag_error *err, const char *what)
{
    return rag_error_set(err, RAG_ERR, "%s: %s: %s", w->path, what, rag_sqlite_errmsg(w->db));
}

static int exec_on(sqlite3 *db, const char *path, const char *sql, rag_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = rag_error_set(err, RAG_ERR, "%s: %s", path, rag_sqlite_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    return RAG_OK;
}

static int exec(index_writer *w, const char *sql, rag_error *err) { return exec_on(w->db, w->path, sql, err); }

static int on_progress(void *ud)
{
    const volatile int *flag = ud;
    return flag && *flag;
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

static void close_prev(index_writer *w)
{
    if (w->prev_db)
        sqlite3_close(w->prev_db);
    w->prev_db = NULL;
    if (w->has_prev)
        rag_genset_free(&w->prev);
    w->has_prev = false;
}

/* Create a segment file at path with the schema and the build pragmas. */
static int create_segment(sqlite3 **db, const char *path, const volatile int *interrupt, rag_error *err)
{
    unlink(path);
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, *db ? rag_sqlite_errmsg(*db) : "out of memory");
    sqlite3_progress_handler(*db, 10000, on_progress, (void *)interrupt);
    if (exec_on(*db, path, NEW_FILE_PRAGMAS "PRAGMA temp_store=FILE;", err) != RAG_OK ||
        exec_on(*db, path, SCHEMA, err) != RAG_OK || exec_on(*db, path, INDEXES, err) != RAG_OK ||
        exec_on(*db, path, FTS_BUILD_MERGING, err) != RAG_OK)
        return RAG_ERR;
    return RAG_OK;
}

static int prepare_all(index_writer *w, rag_error *err)
{
    if (prep(w, &w->ins_doc, "INSERT INTO documents(id,path,title,format,size,mtime_ns,sha256,chunk_count) VALUES(?,?,?,?,?,?,?,0)", err) ||
        prep(w, &w->upd_doc, "UPDATE documents SET chunk_count = ? WHERE id = ?", err) ||
        prep(w, &w->ins_chunk, "INSERT INTO chunks(id,chunk_id,doc_id,ordinal,text,start_ms,end_ms,speaker,token_count) VALUES(?,?,?,?,?,?,?,?,?)", err) ||
        prep(w, &w->ins_fts, "INSERT INTO chunks_fts(rowid, text) VALUES(?,?)", err) ||
        prep(w, &w->ins_emb, "INSERT INTO embeddings(chunk_rowid, vector) VALUES(?,?)", err) ||
        prep(w, &w->ins_fail, "INSERT OR REPLACE INTO failures(path,size,mtime_ns,reason,class,sha256) VALUES(?,?,?,?,?,?)", err) ||
        prep(w, &w->ins_meta, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)", err))
        return RAG_ERR;
    return RAG_OK;
}

/* The previous generation, read-only: the tombstones of this run (embedding
 * reuse has readers of its own, iw_prev_reader); new ids go above all of its ids. */
static int open_prev(index_writer *w, const char *prev_path, rag_error *err)
{
    if (rag_genset_load(prev_path, &w->prev, err) != RAG_OK)
        return RAG_ERR;
    w->has_prev = true;
    if (w->prev.version != RAG_INDEX_SCHEMA_VERSION)
        return rag_error_set(err, RAG_EVERSION, "%s: index schema version %d cannot be extended; a full build is needed",
                             prev_path, w->prev.version);
    if (rag_genset_open_db(&w->prev, &w->prev_db, err) != RAG_OK)
        return RAG_ERR;
    for (size_t i = 0; i < w->prev.n; i++) {
        if (w->prev.segs[i].max_doc_id >= w->next_doc_id)
            w->next_doc_id = w->prev.segs[i].max_doc_id + 1;
        if (w->prev.segs[i].max_chunk_id >= w->next_chunk_id)
            w->next_chunk_id = w->prev.segs[i].max_chunk_id + 1;
    }
    return RAG_OK;
}

/* ---------------------------------------------------------------- the full-text builder
 * In a full build the FTS5 index — most of a build's work — is built on a
 * thread of its own, in a file of its own (seg-<run_id>-fts.sqlite.tmp,
 * removed like any temporary), from a FIFO of the writer's (rowid, text)
 * rows; iw_finish then copies its shadow tables into the segment. The FIFO
 * keeps the writer's order (the same input gives the same index) and holds
 * at most FTS_QUEUE_BYTES of text (the writer waits beyond). The file is
 * built in one transaction, not in the writer's batches: FTS5 writes a new
 * b-tree segment at every commit, and the one 'optimize' at the end merged
 * one per batch about half again slower than the few that FTS5's own
 * flushes of its in-memory terms make (every 1 MB of them, which is also
 * what bounds its memory; SQLite spills its page cache to the file). A
 * failed build deletes the file, so nothing needs its commits. */
#define FTS_QUEUE_BYTES (8u << 20)
/* An idle thread is woken when this much text is queued, or by the finish. */
#define FTS_WAKE_BYTES (1u << 20)

typedef enum { FTS_ROW, FTS_FINISH } fts_op_kind;

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
    bool cancel;     /* stop indexing (and a running 'optimize'), only drain the queue */
    bool finish_sent; /* FTS_FINISH is queued: the thread ends after it */
    bool idle;       /* the thread waits for `more` */
    sqlite3 *db;
    char *path;
    const volatile int *interrupt;
};

static int fts_progress(void *ud)
{
    fts_builder *f = ud;
    pthread_mutex_lock(&f->mu);
    bool cancel = f->cancel;
    pthread_mutex_unlock(&f->mu);
    return cancel || (f->interrupt && *f->interrupt);
}

static int fts_exec(fts_builder *f, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rag_error_set(&f->err, RAG_ERR, "%s: %s", f->path, rag_sqlite_errmsg(f->db));
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
        rc = rag_error_set(&f->err, RAG_ERR, "%s: prepare: %s", f->path, rag_sqlite_errmsg(f->db));
    if (rc == RAG_OK)
        rc = fts_exec(f, "BEGIN");
    for (bool finished = false; !finished;) {
        /* take everything queued at once: one wake-up per FTS_WAKE_BYTES of
         * text or per commit, not one per row */
        pthread_mutex_lock(&f->mu);
        while (!f->head) {
            f->idle = true;
            pthread_cond_wait(&f->more, &f->mu);
            f->idle = false;
        }
        fts_op *op = f->head;
        f->head = f->tail = NULL;
        f->bytes = 0;
        bool cancel = f->cancel;
        pthread_cond_signal(&f->space);
        pthread_mutex_unlock(&f->mu);
        if (cancel && rc == RAG_OK)
            rc = RAG_EINVAL; /* not a failure of its own: nothing recorded */
        for (fts_op *next; op; op = next) {
            next = op->next;
            if (rc == RAG_OK) { /* after a failure the queue is only drained */
                if (op->kind == FTS_ROW) {
                    sqlite3_bind_int64(ins, 1, op->rowid);
                    sqlite3_bind_text(ins, 2, op->text, (int)op->len, SQLITE_STATIC);
                    if (sqlite3_step(ins) != SQLITE_DONE)
                        rc = rag_error_set(&f->err, RAG_ERR, "%s: insert full-text row: %s", f->path, rag_sqlite_errmsg(f->db));
                    sqlite3_reset(ins);
                    sqlite3_clear_bindings(ins);
                } else {
                    /* merge FTS5's b-tree segments once (segment_seal's own
                     * 'optimize' then finds one and has nothing to do) */
                    rc = fts_exec(f, "COMMIT; INSERT INTO chunks_fts(chunks_fts) VALUES('optimize');");
                }
            }
            finished = op->kind == FTS_FINISH;
            free(op->text);
            free(op);
        }
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
        op->text = rag_xmemdup(text, len);
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
    if (f->idle && (kind != FTS_ROW || f->bytes >= FTS_WAKE_BYTES))
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
    if (fts_exec(f, NEW_FILE_PRAGMAS FTS_TABLE FTS_BUILD_MERGING) != RAG_OK) {
        fts_free(f);
        return NULL;
    }
    if (pthread_create(&f->tid, NULL, fts_main, f) != 0) {
        fts_free(f);
        return NULL; /* no thread: the writer indexes the rows itself */
    }
    return f;
}

/* Tell the thread to finish its index (the last rows, then the one
 * 'optimize') without waiting for it. */
static void fts_finish(fts_builder *f)
{
    if (!f->finish_sent)
        fts_push(f, FTS_FINISH, 0, NULL, 0);
    f->finish_sent = true;
}

/* Finish (if not yet told to), wait for the thread and close its
 * connection; RAG_OK when its index is complete. */
static int fts_join(fts_builder *f, rag_error *err)
{
    fts_finish(f);
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
    fts_finish(f);
    pthread_join(f->tid, NULL);
    fts_free(f);
}

index_writer *iw_open(const char *tmp_path, const char *prev_path, int dimensions, rag_error *err)
{
    index_writer *w = rag_xcalloc(1, sizeof *w);
    w->desc_tmp = rag_xstrdup(tmp_path);
    w->dir = rag_dirname(tmp_path);
    w->run_id = segments_run_id_of(tmp_path);
    w->path = segments_file_path(w->dir, w->run_id, 0, true);
    w->dims = dimensions;
    w->next_doc_id = w->next_chunk_id = 1;
    unlink(tmp_path);
    if ((prev_path && open_prev(w, prev_path, err) != RAG_OK) || create_segment(&w->db, w->path, NULL, err) != RAG_OK ||
        prepare_all(w, err) != RAG_OK) {
        iw_abort(w);
        return NULL;
    }
    w->fts_own_thread = prev_path == NULL;
    return w;
}

void iw_set_vector_stage(index_writer *w, const vector_stage *vs)
{
    w->vs = vs;
}

void iw_set_interrupt(index_writer *w, const volatile int *flag)
{
    w->interrupt = flag;
    sqlite3_progress_handler(w->db, 10000, on_progress, (void *)flag);
    if (w->prev_db)
        sqlite3_progress_handler(w->prev_db, 10000, on_progress, (void *)flag);
}

int iw_begin(index_writer *w, rag_error *err) { return exec(w, "BEGIN", err); }
int iw_commit(index_writer *w, rag_error *err)
{
    int rc = exec(w, "COMMIT", err);
    if (rc == RAG_OK && w->fts) /* a failure of the full-text thread stops the build at its next batch */
        rc = fts_failed(w->fts, err);
    return rc;
}

int iw_drop_prev_docs(index_writer *w, const int64_t *prev_ids, size_t n, rag_error *err)
{
    if (!w->has_prev)
        return RAG_OK;
    /* the dropped documents become tombstones (segments.c) */
    if (exec_on(w->prev_db, w->prev.path, "CREATE TEMP TABLE IF NOT EXISTS gone(id INTEGER PRIMARY KEY); DELETE FROM temp.gone;"
                                          "BEGIN", err) != RAG_OK)
        return RAG_ERR;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->prev_db, "INSERT OR IGNORE INTO temp.gone(id) VALUES(?)", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: %s", w->prev.path, rag_sqlite_errmsg(w->prev_db));
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, prev_ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            exec_on(w->prev_db, w->prev.path, "ROLLBACK", NULL);
            return rag_error_set(err, RAG_ERR, "%s: drop documents: %s", w->prev.path, rag_sqlite_errmsg(w->prev_db));
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    w->dropped = true;
    return exec_on(w->prev_db, w->prev.path, "COMMIT", err);
}

int iw_keep_prev_doc(index_writer *w, int64_t prev_id, rag_error *err)
{
    if (!w->has_prev || !w->dropped)
        return RAG_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->prev_db, "DELETE FROM temp.gone WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: %s", w->prev.path, rag_sqlite_errmsg(w->prev_db));
    sqlite3_bind_int64(st, 1, prev_id);
    const int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rag_error_set(err, RAG_ERR, "%s: keep document: %s", w->prev.path, rag_sqlite_errmsg(w->prev_db));
    return RAG_OK;
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
    sqlite3_bind_int64(w->ins_doc, 1, w->next_doc_id);
    sqlite3_bind_text(w->ins_doc, 2, d->path, -1, SQLITE_STATIC);
    if (d->title)
        sqlite3_bind_text(w->ins_doc, 3, d->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(w->ins_doc, 4, d->format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->ins_doc, 5, d->size);
    sqlite3_bind_int64(w->ins_doc, 6, d->mtime_ns);
    sqlite3_bind_text(w->ins_doc, 7, d->sha256, -1, SQLITE_STATIC);
    int rc = step_done(w, w->ins_doc, err, "insert document");
    if (rc == RAG_OK)
        *doc_id = w->next_doc_id++;
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
    const int64_t rowid = w->next_chunk_id;
    sqlite3_bind_int64(w->ins_chunk, 1, rowid);
    sqlite3_bind_text(w->ins_chunk, 2, chunk_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->ins_chunk, 3, doc_id);
    sqlite3_bind_int(w->ins_chunk, 4, c->ordinal);
    sqlite3_bind_text(w->ins_chunk, 5, c->text, (int)c->len, SQLITE_STATIC);
    if (c->start_ms >= 0)
        sqlite3_bind_int64(w->ins_chunk, 6, c->start_ms);
    if (c->end_ms >= 0)
        sqlite3_bind_int64(w->ins_chunk, 7, c->end_ms);
    if (c->speakers)
        sqlite3_bind_text(w->ins_chunk, 8, c->speakers, -1, SQLITE_STATIC);
    sqlite3_bind_int(w->ins_chunk, 9, c->tokens);
    int rc = step_done(w, w->ins_chunk, err, "insert chunk");
    if (rc != RAG_OK)
        return rc;
    w->next_chunk_id++;
    /* the FTS row goes in while the text is at hand (no 'rebuild' pass) */
    if (w->fts_own_thread && !w->fts) {
        w->fts_own_thread = 0; /* one try */
        w->fts = fts_start(w);
    }
    if (w->fts) {
        fts_push(w->fts, FTS_ROW, rowid, c->text, c->len);
    } else {
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
    rag_genset set;
    sqlite3 *db;
    sqlite3_stmt *get[RAG_GENSET_MAX_SEGMENTS]; /* per segment, oldest first */
    int dims;
};

iw_prev_reader *iw_prev_reader_open(const char *prev_path, int dimensions, rag_error *err)
{
    iw_prev_reader *r = rag_xcalloc(1, sizeof *r);
    r->dims = dimensions;
    if (rag_genset_load(prev_path, &r->set, err) != RAG_OK) {
        free(r);
        return NULL;
    }
    if (rag_genset_attach(&r->set, &r->db, err) != RAG_OK) {
        iw_prev_reader_close(r);
        return NULL;
    }
    for (size_t i = 0; i < r->set.n; i++) {
        char *sql = sqlite3_mprintf("SELECT e.vector FROM s%d.chunks c JOIN s%d.embeddings e ON e.chunk_rowid = c.id"
                                    " WHERE c.chunk_id = ?", (int)i, (int)i);
        int rc = sqlite3_prepare_v2(r->db, sql, -1, &r->get[i], NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK) {
            rag_error_set(err, RAG_ECORRUPT, "%s: cannot read embeddings: %s", r->set.segs[i].path, rag_sqlite_errmsg(r->db));
            iw_prev_reader_close(r);
            return NULL;
        }
    }
    return r;
}

int iw_prev_embedding(iw_prev_reader *r, const char *chunk_id, float *out)
{
    /* tombstoned rows count too: a renamed file's old document is one */
    for (size_t k = r ? r->set.n : 0; k-- > 0;) {
        sqlite3_stmt *st = r->get[k];
        int found = 0;
        sqlite3_bind_text(st, 1, chunk_id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)(sizeof(float) * (size_t)r->dims)) {
            memcpy(out, sqlite3_column_blob(st, 0), sizeof(float) * (size_t)r->dims);
            found = 1;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (found)
            return 1;
    }
    return 0;
}

void iw_prev_reader_close(iw_prev_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < RAG_GENSET_MAX_SEGMENTS; i++)
        sqlite3_finalize(r->get[i]);
    sqlite3_close(r->db);
    rag_genset_free(&r->set);
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

static int64_t count_of(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
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

/* Finishing a segment file, in two steps (every segment — a run's new one
 * and every merged one — passes through both exactly once, so every segment
 * carries the indexes of its own rows):
 * segment_index_rows: its approximate vector index (vector_stage.h, when
 *   the segment reaches embedding.ann_min_chunks) and its counts; the rows
 *   are all in.
 * segment_seal: the counts in meta, one FTS5 'optimize', automerge back on,
 *   journal_mode=DELETE, close (also on failure), fsync. */
static int segment_index_rows(sqlite3 *db, const char *path, const vector_stage *vs, iw_segment_stats *out,
                              rag_error *err)
{
    int rc;
    if ((rc = vector_stage_build(vs, db, path, err)) != RAG_OK || (rc = exec_on(db, path, "BEGIN", err)) != RAG_OK)
        return rc;
    out->documents = count_of(db, "SELECT count(*) FROM documents");
    out->chunks = count_of(db, "SELECT count(*) FROM chunks");
    out->tokens = count_of(db, "SELECT coalesce(sum(token_count),0) FROM chunks");
    out->max_doc_id = count_of(db, "SELECT coalesce(max(id),0) FROM documents");
    out->max_chunk_id = count_of(db, "SELECT coalesce(max(id),0) FROM chunks");
    return exec_on(db, path, "COMMIT", err);
}

static int segment_seal(sqlite3 *db, const char *path, const iw_segment_stats *st, rag_error *err)
{
    char *sql = sqlite3_mprintf("BEGIN; INSERT OR REPLACE INTO meta(key,value) VALUES('index_schema_version','%d'),"
                                "('segment','1'),('documents','%lld'),('chunks','%lld'),('tokens','%lld');"
                                "COMMIT; INSERT INTO chunks_fts(chunks_fts) VALUES('optimize');"
                                "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('automerge', 4);"
                                "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('crisismerge', 16);"
                                "PRAGMA locking_mode=NORMAL; PRAGMA journal_mode=DELETE;",
                                RAG_INDEX_SCHEMA_VERSION, (long long)st->documents, (long long)st->chunks,
                                (long long)st->tokens);
    int rc = exec_on(db, path, sql, err);
    sqlite3_free(sql);
    if (rc != RAG_OK) {
        sqlite3_close(db);
        return rc;
    }
    if (sqlite3_close(db) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: close: %s", path, rag_sqlite_errmsg(db));
    return iw_fsync_file(path, err);
}

int iw_merge_segments(const char *tmp_path, const char *const *paths, size_t n, const int64_t *tombstones,
                      size_t n_tombstones, const volatile int *interrupt, const vector_stage *vs,
                      iw_segment_stats *out, rag_error *err)
{
    sqlite3 *db = NULL;
    int rc = create_segment(&db, tmp_path, interrupt, err);
    if (rc == RAG_OK)
        rc = exec_on(db, tmp_path, "CREATE TEMP TABLE tomb(doc_id INTEGER PRIMARY KEY)", err);
    sqlite3_stmt *st = NULL;
    if (rc == RAG_OK && sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO temp.tomb VALUES(?)", -1, &st, NULL) != SQLITE_OK)
        rc = rag_error_set(err, RAG_ERR, "%s: %s", tmp_path, rag_sqlite_errmsg(db));
    for (size_t i = 0; rc == RAG_OK && i < n_tombstones; i++) {
        sqlite3_bind_int64(st, 1, tombstones[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = rag_error_set(err, RAG_ERR, "%s: %s", tmp_path, rag_sqlite_errmsg(db));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    /* live rows of each input, ids kept (they are unique across a
     * generation); the meta of the newest input; FTS rows re-indexed */
    for (size_t i = 0; rc == RAG_OK && i < n; i++) {
        char *uri = rag_sqlite_ro_uri(paths[i]);
        char *sql = sqlite3_mprintf(
            "ATTACH DATABASE %Q AS src; BEGIN;"
            "INSERT INTO documents SELECT * FROM src.documents WHERE id NOT IN (SELECT doc_id FROM temp.tomb);"
            "INSERT INTO chunks SELECT * FROM src.chunks WHERE doc_id NOT IN (SELECT doc_id FROM temp.tomb);"
            "INSERT INTO embeddings SELECT e.* FROM src.embeddings e JOIN src.chunks c ON c.id = e.chunk_rowid"
            " WHERE c.doc_id NOT IN (SELECT doc_id FROM temp.tomb);"
            "INSERT OR REPLACE INTO meta SELECT * FROM src.meta;"
            "COMMIT; DETACH DATABASE src;",
            uri);
        free(uri);
        rc = exec_on(db, paths[i], sql, err);
        sqlite3_free(sql);
    }
    if (rc == RAG_OK)
        rc = exec_on(db, tmp_path, "DELETE FROM failures; INSERT INTO chunks_fts(rowid, text) SELECT id, text FROM chunks;",
                     err);
    if (rc == RAG_OK)
        rc = segment_index_rows(db, tmp_path, vs, out, err);
    if (rc == RAG_OK) /* segment_seal closes db, also on failure */
        rc = segment_seal(db, tmp_path, out, err);
    else
        sqlite3_close(db);
    if (rc != RAG_OK)
        unlink(tmp_path);
    return rc;
}

/* Replace the segment's (empty) full-text index by the one built beside
 * it, through a fresh connection (FTS5 caches an index's structure per
 * connection). */
static int fts_copy_in(index_writer *w, rag_error *err)
{
    sqlite3_close(w->db);
    w->db = NULL;
    if (sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return rag_error_set(err, RAG_ERR, "%s: cannot open: %s", w->path, w->db ? rag_sqlite_errmsg(w->db) : "out of memory");
    sqlite3_progress_handler(w->db, 10000, on_progress, (void *)w->interrupt);
    char *sql = sqlite3_mprintf(
        BUILD_PRAGMAS
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
    finalize_all(w);
    iw_segment_stats seg = { 0 };
    int rc;
    if (w->fts) /* the full-text thread merges its index while this one goes on */
        fts_finish(w->fts);
    rc = segment_index_rows(w->db, w->path, w->vs, &seg, err);
    /* meanwhile the kernel writes the rows back, so that the fsync at the
     * seal has only the full-text index left to write */
    if (rc == RAG_OK && w->fts)
        rc = iw_fsync_file(w->path, err);
    if (w->fts) { /* the full-text index was built beside: copy it in */
        if (rc != RAG_OK)
            return rc; /* iw_abort cancels the thread */
        if ((rc = fts_join(w->fts, err)) == RAG_OK)
            rc = fts_copy_in(w, err);
        fts_free(w->fts);
        w->fts = NULL;
    }
    if (rc != RAG_OK)
        return rc;
    sqlite3 *db = w->db;
    w->db = NULL;
    rc = segment_seal(db, w->path, &seg, err);
    if (rc != RAG_OK)
        return rc;
    /* the segment goes into place first (a descriptor only ever names
     * segments that are complete on disk); no manifest names it yet, so
     * until one does it is an orphan that retention removes */
    char *final_path = segments_file_path(w->dir, w->run_id, 0, false);
    rc = publish_rename(w->path, final_path, w->dir, err);
    if (rc == RAG_OK) {
        segments_gen sg = { w->desc_tmp, w->dir, w->run_id, w->has_prev ? &w->prev : NULL, w->prev_db, w->dropped,
                            final_path, seg, w->interrupt, w->vs, 0, 0, 0, 0 };
        rc = segments_write_generation(&sg, err);
        *documents = sg.documents;
        *chunks = sg.chunks;
        *tokens = sg.tokens;
    }
    free(final_path);
    if (rc == RAG_OK && fsync_file)
        rc = iw_fsync_file(w->desc_tmp, err);
    if (rc != RAG_OK)
        return rc;
    close_prev(w);
    free(w->path);
    free(w->desc_tmp);
    free(w->dir);
    free(w->run_id);
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
    close_prev(w);
    unlink(w->path);
    unlink(w->desc_tmp);
    free(w->path);
    free(w->desc_tmp);
    free(w->dir);
    free(w->run_id);
    free(w);
}
