/* run.c — one ingest run (see run.h), as its stages: take the lock,
 * reserve room for the run's metrics line, scan
 * the transcripts folder, classify every file against the previous
 * generation, process the new and changed ones into a new generation,
 * publish it, do the housekeeping, record the run. The order of effects is
 * what makes a run crash-safe and one transaction as readers see it: build
 * under a temporary name; publish by link+unlink and a folder fsync; write
 * the per-run manifest copy and then latest.json (atomically) last — a
 * failure up to there removes what the run created and leaves latest.json
 * alone; after it nothing can fail the run (pruning problems are warnings).
 * A run killed at any point leaves the previous manifest naming a complete
 * generation; its temporaries are removed by the next run.
 * Failed files are classified: content failures (the file itself is bad)
 * are remembered by content hash and skipped until the file changes (or
 * --retry-failed); transient ones (I/O, vanished, permissions) are retried
 * on every run. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert_hook.h"
#include "chunk.h"
#include "encoding.h"
#include "format.h"
#include "index_writer.h"
#include "metrics.h"
#include "pipeline.h"
#include "progress.h"
#include "publish.h"
#include "quality.h"
#include "rag/confighash.h"
#include "rag/embed.h"
#include "rag/fsutil.h"
#include "rag/genset.h"
#include "rag/index.h"
#include "rag/manifest.h"
#include "rag/sources.h"
#include "rag/timeutil.h"
#include "run.h"
#include "segments.h"
#include "transcript.h"
#include "vector_stage.h"

static volatile int stop_flag;

void ingest_request_stop(void) { stop_flag = 1; }
bool ingest_stop_requested(void) { return stop_flag != 0; }
void ingest_clear_stop(void) { stop_flag = 0; }
const volatile int *ingest_stop_flag(void) { return &stop_flag; }

typedef enum { FAIL_CONTENT, FAIL_TRANSIENT, FAIL_UNKNOWN } fail_class;

static const char *fail_class_name(fail_class k)
{
    return k == FAIL_CONTENT ? "content" : "transient";
}

/* A document of the previous generation (or a file that failed in it). */
typedef struct prev_doc {
    int64_t id;
    char *path;
    int64_t size, mtime_ns;
    char sha[65];     /* failures: "" when the file was not read */
    char *reason;     /* failures only */
    fail_class cls;   /* failures only; FAIL_UNKNOWN for rows of older versions */
    bool kept;        /* documents: carried over unchanged by this run */
} prev_doc;

typedef struct prev_list {
    prev_doc *v;
    size_t n, cap;
} prev_list;

typedef struct run_ctx {
    const rag_config *cfg;
    const run_opts *opts;
    rag_log *log;
    run_stats *st;
    int64_t mono0;
    char *index_dir, *ckpt_dir, *manifest_path, *logs_dir, *run_dir;
    char config_hash[RAG_HASH_HEX];
    cJSON *canonical;
    rag_lock lock;
    bool locked;
    /* scan and classification */
    rag_sources sr;
    char (*shas)[RAG_HASH_HEX]; /* per scanned file; "" when not indexed */
    size_t n_keep;              /* previous documents carried over unchanged */
    int64_t *gone;              /* ids of the other previous documents (deleted, changed) */
    size_t n_gone;
    size_t *todo;               /* scanned files to (re)process */
    size_t n_todo;
    size_t n_fail_same;         /* content failures carried over without reading */
    int64_t fail_unchanged;     /* failures recorded exactly as in the previous generation */
    /* the previous generation */
    rag_manifest prev;
    bool have_prev;
    char *prev_gen_path;
    prev_list prev_docs, prev_fail;
    /* the generation being built */
    rag_embedder *emb;
    index_writer *iw;
    char *tmp_path;
    char *final_path; /* set once linked into place, until the manifest names it */
    bool reuse;
    const prev_doc **by_sha; /* prev_docs sorted by sha (built before the workers start) */
    /* the file pipeline (docs/architecture.md, "Ingest pipeline") */
    int workers;
    iw_prev_reader **readers; /* per worker, when embeddings can be reused */
    vector_stage vs; /* each finished segment's vector index (index_writer's finish hook) */
} run_ctx;

/* Test hooks: RAG_INGEST_TEST_PUBLISH_DELAY_MS pauses the publishing steps
 * (and a rollback's), RAG_INGEST_TEST_BATCH_DELAY_MS pauses after each
 * batch, so tests can SIGKILL a run while publishing or change the
 * transcripts folder in the middle of a run. */
void ingest_test_pause(const char *env)
{
    const char *v = getenv(env);
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms > 0 && ms <= 10000) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static void test_pause(void) { ingest_test_pause("RAG_INGEST_TEST_PUBLISH_DELAY_MS"); }

static void add_error(run_stats *s, const char *msg)
{
    if (s->n_errors < RUN_MAX_ERRORS)
        s->errors[s->n_errors] = rag_xstrdup(msg);
    s->n_errors++;
}

void run_add_warning(run_stats *s, const char *msg)
{
    if (s->n_warnings < RUN_MAX_ERRORS)
        s->warnings[s->n_warnings] = rag_xstrdup(msg);
    s->n_warnings++;
}

void ingest_make_run_id(char out[32])
{
    int64_t now = rag_now_ms();
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned char rnd[3] = { 0 };
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(rnd, 1, 3, f) != 3) {
        unsigned v = (unsigned)getpid() ^ (unsigned)now;
        rnd[0] = (unsigned char)v; rnd[1] = (unsigned char)(v >> 8); rnd[2] = (unsigned char)(v >> 16);
    }
    if (f)
        fclose(f);
    char buf[96];
    snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ-%02x%02x%02x", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, rnd[0], rnd[1], rnd[2]);
    snprintf(out, 32, "%.31s", buf);
}

static void prev_list_free(prev_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].reason);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static prev_doc *prev_push(prev_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = rag_xrealloc(l->v, l->cap * sizeof(prev_doc));
    }
    prev_doc *d = &l->v[l->n++];
    memset(d, 0, sizeof *d);
    return d;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int cmp_doc_path(const void *a, const void *b)
{
    return strcmp(((const prev_doc *)a)->path, ((const prev_doc *)b)->path);
}

/* The end of the ascending run of paths that starts at from. */
static size_t run_end(const prev_list *l, size_t from)
{
    size_t i = from + 1;
    while (i < l->n && strcmp(l->v[i - 1].path, l->v[i].path) <= 0)
        i++;
    return i;
}

/* Sort the documents by path. They come in row-id order, segment by
 * segment, and each segment rag-ingest writes for a run holds its files in
 * path order: a few ascending runs, merged in n string comparisons per run
 * instead of a sort's n log n (or SQLite's ORDER BY path, a lookup of every
 * row through the path index). Many runs: a plain sort. */
#define PATH_RUNS_MERGED 16

static void sort_by_path(prev_list *l)
{
    size_t n = l->n, runs = 0;
    for (size_t i = 0; i < n; i = run_end(l, i))
        runs++;
    if (runs <= 1)
        return;
    if (runs > PATH_RUNS_MERGED) {
        qsort(l->v, n, sizeof *l->v, cmp_doc_path);
        return;
    }
    prev_doc *tmp = rag_xmalloc(n * sizeof *tmp);
    for (size_t mid = run_end(l, 0); mid < n;) { /* [0, mid) is sorted: merge the next run into it */
        size_t end = run_end(l, mid), a = 0, b = mid, k = 0;
        while (a < mid && b < end)
            tmp[k++] = strcmp(l->v[b].path, l->v[a].path) < 0 ? l->v[b++] : l->v[a++];
        while (a < mid)
            tmp[k++] = l->v[a++];
        while (b < end)
            tmp[k++] = l->v[b++];
        memcpy(l->v, tmp, end * sizeof *tmp);
        mid = end;
    }
    free(tmp);
}

/* Read the previous generation's documents and failures (sorted by path):
 * the live documents of all its segments, the descriptor's failures. A v1
 * generation (one file) is not extended: RAG_EVERSION asks for a full
 * rebuild. */
static int load_prev(run_ctx *c, rag_error *err)
{
    rag_genset gs;
    int rc = rag_genset_load(c->prev_gen_path, &gs, err);
    if (rc != RAG_OK)
        return rc;
    if (gs.version != RAG_INDEX_SCHEMA_VERSION) {
        rc = rag_error_set(err, RAG_EVERSION, "%s: index schema version %d (one file); this version writes %d (segments)",
                           c->prev_gen_path, gs.version, RAG_INDEX_SCHEMA_VERSION);
        rag_genset_free(&gs);
        return rc;
    }
    sqlite3 *db = NULL;
    rc = rag_genset_open_db(&gs, &db, err);
    rag_genset_free(&gs);
    if (rc != RAG_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, path, size, mtime_ns, sha256 FROM documents", -1, &st, NULL) != SQLITE_OK) {
        rc = rag_error_set(err, RAG_ERR, "%s: %s", c->prev_gen_path, rag_sqlite_errmsg(db));
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        prev_doc *d = prev_push(&c->prev_docs);
        d->id = sqlite3_column_int64(st, 0);
        d->path = rag_xstrdup(col_text(st, 1));
        d->size = sqlite3_column_int64(st, 2);
        d->mtime_ns = sqlite3_column_int64(st, 3);
        snprintf(d->sha, sizeof d->sha, "%s", col_text(st, 4));
    }
    sqlite3_finalize(st);
    st = NULL;
    sort_by_path(&c->prev_docs);
    if (sqlite3_prepare_v2(db, "SELECT path, size, mtime_ns, reason, class, sha256 FROM failures ORDER BY path", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = rag_error_set(err, RAG_ERR, "%s: %s", c->prev_gen_path, rag_sqlite_errmsg(db));
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        prev_doc *d = prev_push(&c->prev_fail);
        d->path = rag_xstrdup(col_text(st, 0));
        d->size = sqlite3_column_int64(st, 1);
        d->mtime_ns = sqlite3_column_int64(st, 2);
        d->reason = rag_xstrdup(col_text(st, 3));
        d->cls = strcmp(col_text(st, 4), "content") == 0 ? FAIL_CONTENT : FAIL_TRANSIENT;
        snprintf(d->sha, sizeof d->sha, "%s", col_text(st, 5));
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int cmp_prev_path(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const prev_doc *)elem)->path);
}

/* The previous generation's failure row of path, or NULL. */
static const prev_doc *prev_failure_of(const run_ctx *c, const char *path)
{
    return c->prev_fail.n ? bsearch(path, c->prev_fail.v, c->prev_fail.n, sizeof(prev_doc), cmp_prev_path) : NULL;
}

/* Does x, a content failure of f's unchanged bytes, still hold under the
 * settings as they are now? Not when it was a setting that refused the
 * file and the setting has changed to let it through: a file over
 * ingest.max_file_size that now fits, or invalid UTF-8 that said "set
 * ingest.legacy_encoding" now that one is set. Then it is retried (the
 * error told the operator to change exactly that). */
static bool failure_still_holds(const run_ctx *c, const prev_doc *x, const rag_source *f)
{
    const char *why = x->reason ? x->reason : "";
    if (strstr(why, "is over ingest.max_file_size") && f->size <= c->cfg->ingest.max_file_bytes)
        return false;
    if (strstr(why, "set ingest.legacy_encoding") && c->cfg->ingest.legacy_encoding && c->cfg->ingest.legacy_encoding[0])
        return false;
    return true;
}

/* An unchanged content failure that is skipped this run (not read again). */
static bool same_content_failure(const run_ctx *c, const prev_doc *x, const rag_source *f)
{
    return x && x->cls == FAIL_CONTENT && !c->opts->retry_failed && x->size == f->size && x->mtime_ns == f->mtime_ns &&
           failure_still_holds(c, x, f);
}

static void log_event(run_ctx *c, rag_level lvl, const char *event, cJSON *payload, const char *msg)
{
    if (c->log)
        rag_log_event(c->log, lvl, event, msg, payload);
    else
        cJSON_Delete(payload);
}

static void diff_cb(const char *key, const char *old_value, const char *new_value, void *ud)
{
    char *buf = ud;
    size_t n = strlen(buf);
    if (n < 200)
        snprintf(buf + n, 256 - n, "%s%s: %s -> %s", n ? ", " : "", key, old_value, new_value);
}

/* Line number from a "name:LINE:" message, 0 when none. */
static long message_line(const char *msg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(msg, name, n) != 0 || msg[n] != ':')
        return 0;
    char *end;
    long v = strtol(msg + n + 1, &end, 10);
    return (end != msg + n + 1 && *end == ':') ? v : 0;
}

/* Count and store a failure of f in the generation being built. */
static void count_failure(run_ctx *c, const rag_source *f, const char *reason, fail_class cls, const char *sha)
{
    run_stats *s = c->st;
    s->failed++;
    if (cls == FAIL_CONTENT)
        s->failed_content++;
    else
        s->failed_transient++;
    add_error(s, reason);
    const prev_doc *x = prev_failure_of(c, f->rel);
    if (x && x->cls == cls && x->size == f->size && x->mtime_ns == f->mtime_ns)
        c->fail_unchanged++;
    if (c->iw) {
        iw_failure row = { f->rel, f->size, f->mtime_ns, reason, fail_class_name(cls), sha };
        iw_add_failure(c->iw, &row, NULL);
    }
}

/* A file failed in this run: counted, stored, and logged as file_failed
 * with its class and when it will be tried again. */
static void file_failed(run_ctx *c, const rag_source *f, const char *reason, fail_class cls, const char *sha)
{
    count_failure(c, f, reason, cls, sha);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "path", f->rel);
    long line = message_line(reason, f->rel);
    if (line)
        cJSON_AddNumberToObject(p, "line", (double)line);
    else
        cJSON_AddNullToObject(p, "line");
    cJSON_AddStringToObject(p, "reason", reason);
    cJSON_AddStringToObject(p, "class", fail_class_name(cls));
    cJSON_AddStringToObject(p, "retry", cls == FAIL_CONTENT ? "when the file changes" : "next run");
    log_event(c, RAG_LEVEL_WARN, "file_failed", p, reason);
}

/* Parts of a file its parser skipped: one file_warning event each (the
 * first TR_MAX_WARNINGS, then one saying how many more). */
static void file_warnings(run_ctx *c, const rag_source *f, char *const *warnings, size_t n_warnings)
{
    size_t kept = n_warnings < TR_MAX_WARNINGS ? n_warnings : TR_MAX_WARNINGS;
    c->st->file_warnings += (int64_t)n_warnings;
    for (size_t i = 0; i < kept; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "path", f->rel);
        long line = message_line(warnings[i], f->rel);
        if (line)
            cJSON_AddNumberToObject(p, "line", (double)line);
        else
            cJSON_AddNullToObject(p, "line");
        cJSON_AddStringToObject(p, "warning", warnings[i]);
        log_event(c, RAG_LEVEL_WARN, "file_warning", p, warnings[i]);
    }
    if (n_warnings > kept) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "path", f->rel);
        cJSON_AddNullToObject(p, "line");
        cJSON_AddNumberToObject(p, "more", (double)(n_warnings - kept));
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: %zu more warnings not logged", f->rel, n_warnings - kept);
        cJSON_AddStringToObject(p, "warning", msg);
        log_event(c, RAG_LEVEL_WARN, "file_warning", p, msg);
    }
}

/* Chunk id: sha256 of "<path>:<document sha256>:<ordinal>:<config hash>".
 * The path keeps ids unique when two files have identical bytes. */
static void chunk_id_of(const char *path, const char *doc_sha, int ordinal, const char *config_hash,
                        char out[RAG_HASH_HEX])
{
    size_t cap = strlen(path) + strlen(doc_sha) + strlen(config_hash) + 16;
    char *buf = rag_xmalloc(cap);
    int n = snprintf(buf, cap, "%s:%s:%d:%s", path, doc_sha, ordinal, config_hash);
    rag_sha256_hex(buf, (size_t)n, out);
    free(buf);
}

static int cmp_by_sha(const void *a, const void *b)
{
    const prev_doc *x = *(const prev_doc *const *)a, *y = *(const prev_doc *const *)b;
    int r = strcmp(x->sha, y->sha);
    return r ? r : strcmp(x->path, y->path);
}

/* Few files to process (a watch folder's new transcript) scan the
 * previous documents for a content hash; more sort them by content hash
 * once, for a binary search (sorting 100k documents costs as much as ~150
 * scans). */
#define REUSE_SCAN_MAX_FILES 64

/* Sort the previous documents by content hash for reuse_path_of, when
 * there are enough files to process; done before the workers start, which
 * then only read it. */
static void build_by_sha(run_ctx *c)
{
    size_t n = c->prev_docs.n;
    if (!c->reuse || n == 0 || c->n_todo <= REUSE_SCAN_MAX_FILES)
        return;
    c->by_sha = rag_xmalloc(n * sizeof *c->by_sha);
    for (size_t i = 0; i < n; i++)
        c->by_sha[i] = &c->prev_docs.v[i];
    qsort(c->by_sha, n, sizeof *c->by_sha, cmp_by_sha);
}

/* A path of the previous generation holding content sha (other than path),
 * so a renamed or copied file reuses that document's embeddings; NULL when
 * none, or when the same path already had this content. */
static const char *reuse_path_of(run_ctx *c, const char *path, const char *sha)
{
    size_t n = c->prev_docs.n;
    if (!c->reuse || n == 0)
        return NULL;
    if (!c->by_sha) { /* prev_docs is in path order: the first other path is the one the sorted index gives */
        const char *other = NULL;
        for (size_t i = 0; i < n; i++) {
            const prev_doc *d = &c->prev_docs.v[i];
            if (strcmp(d->sha, sha) != 0)
                continue;
            if (strcmp(d->path, path) == 0)
                return NULL;
            if (!other)
                other = d->path;
        }
        return other;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first entry with sha >= the wanted one */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->by_sha[mid]->sha, sha) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *other = NULL;
    for (size_t i = lo; i < n && strcmp(c->by_sha[i]->sha, sha) == 0; i++) {
        if (strcmp(c->by_sha[i]->path, path) == 0)
            return NULL; /* same path, same content: its own chunk ids match */
        if (!other)
            other = c->by_sha[i]->path;
    }
    return other;
}

/* ------------------------------------------------------ the file pipeline
 * Worker threads turn each file to process into a `prepared` (read, hash,
 * decode, parse, chunk, chunk ids, embeddings); the writer thread stores
 * them in source order (store_prepared), so what the generation holds and
 * in which order — row ids included — does not depend on thread timing.
 * Workers only read the run context; every counter, log event and SQLite
 * write happens on the writer's thread, in the order it always had. */

typedef enum { PREP_DOCUMENT, PREP_FAILED, PREP_SAME_FAILURE } prep_kind;

/* What a worker made of one file. */
typedef struct prepared {
    prep_kind kind;
    int rc;                      /* not RAG_OK: the run fails with err (embedding, interrupted) */
    rag_error err;
    int64_t bytes;               /* bytes read */
    char sha[RAG_HASH_HEX];      /* PREP_DOCUMENT: its content hash */
    char *reason;                /* PREP_FAILED: "file[:line]: problem" */
    fail_class cls;
    char fail_sha[RAG_HASH_HEX]; /* PREP_FAILED: content hash stored with it; "" = not read */
    char **warnings;             /* the parser's first TR_MAX_WARNINGS warnings */
    size_t n_warnings;           /* all it raised */
    char *title;
    tr_format fmt;
    size_t n, cap;               /* chunks, in order */
    char **texts;
    chunk *meta;
    char (*ids)[RAG_HASH_HEX];
    float *vecs;                 /* n * dimensions */
    int64_t tokens, embedded, reused;
} prepared;

static void prepared_free(prepared *p)
{
    if (!p)
        return;
    free(p->reason);
    size_t kept = p->n_warnings < TR_MAX_WARNINGS ? p->n_warnings : TR_MAX_WARNINGS;
    for (size_t i = 0; i < kept && p->warnings; i++)
        free(p->warnings[i]);
    free(p->warnings);
    free(p->title);
    for (size_t i = 0; i < p->n; i++) {
        free(p->texts[i]);
        free((char *)p->meta[i].speakers);
    }
    free(p->texts);
    free(p->meta);
    free(p->ids);
    free(p->vecs);
    free(p);
}

static void prep_fail(prepared *p, fail_class cls, const char *sha, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void prep_fail(prepared *p, fail_class cls, const char *sha, const char *fmt, ...)
{
    char reason[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    p->kind = PREP_FAILED;
    p->reason = rag_xstrdup(reason);
    p->cls = cls;
    snprintf(p->fail_sha, sizeof p->fail_sha, "%s", sha ? sha : "");
}

static int on_chunk(const chunk *ch, void *ud)
{
    prepared *p = ud;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->texts = rag_xrealloc(p->texts, p->cap * sizeof(char *));
        p->meta = rag_xrealloc(p->meta, p->cap * sizeof(chunk));
    }
    p->texts[p->n] = rag_xstrdup(ch->text);
    p->meta[p->n] = *ch;
    p->meta[p->n].text = p->texts[p->n];
    p->meta[p->n].speakers = ch->speakers ? rag_xstrdup(ch->speakers) : NULL;
    p->n++;
    p->tokens += ch->tokens;
    return stop_flag ? 1 : 0;
}

/* Chunk ids and embeddings of the prepared chunks: reused from the previous
 * generation when a chunk of the same id (or of the same content under the
 * path it was renamed from) is there, else embedded in groups of
 * embedding.batch_size (one provider request each). */
static int embed_prepared(run_ctx *c, iw_prev_reader *rd, const char *path, const char *reuse_path, prepared *p,
                          rag_error *err)
{
    size_t n = p->n, dims = (size_t)rag_embedder_dimensions(c->emb);
    p->ids = rag_xmalloc(n * RAG_HASH_HEX);
    p->vecs = rag_xmalloc(n * dims * sizeof(float));
    size_t batch = c->cfg->embedding.batch_size > 0 ? (size_t)c->cfg->embedding.batch_size : 64;
    const char **todo = rag_xmalloc(batch * sizeof(char *));
    size_t *todo_idx = rag_xmalloc(batch * sizeof(size_t));
    float *tmp = rag_xmalloc(batch * dims * sizeof(float));
    int rc = RAG_OK;
    for (size_t from = 0; rc == RAG_OK && from < n; from += batch) {
        size_t to = from + batch < n ? from + batch : n, nt = 0;
        for (size_t i = from; i < to; i++) {
            chunk_id_of(path, p->sha, p->meta[i].ordinal, c->config_hash, p->ids[i]);
            if (iw_prev_embedding(rd, p->ids[i], p->vecs + i * dims)) {
                p->reused++;
                continue;
            }
            if (rd && reuse_path) {
                char prev_id[RAG_HASH_HEX];
                chunk_id_of(reuse_path, p->sha, p->meta[i].ordinal, c->config_hash, prev_id);
                if (iw_prev_embedding(rd, prev_id, p->vecs + i * dims)) {
                    p->reused++;
                    continue;
                }
            }
            todo[nt] = p->texts[i];
            todo_idx[nt++] = i;
        }
        if (stop_flag)
            rc = rag_error_set(err, RAG_ERR, "interrupted by a signal");
        else if (nt && (rc = rag_embedder_embed(c->emb, todo, nt, tmp, err)) == RAG_OK) {
            for (size_t k = 0; k < nt; k++)
                memcpy(p->vecs + todo_idx[k] * dims, tmp + k * dims, dims * sizeof(float));
            p->embedded += (int64_t)nt;
        }
    }
    free(tmp);
    free(todo);
    free(todo_idx);
    return rc;
}

/* Worker side: everything about one file that needs no SQLite writer. */
static prepared *prepare_file(run_ctx *c, int worker, const rag_source *f)
{
    prepared *p = rag_xcalloc(1, sizeof *p);
    p->rc = RAG_OK;
    if (f->size == 0) {
        prep_fail(p, FAIL_CONTENT, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "%s: empty file", f->rel);
        return p;
    }
    if (f->size > c->cfg->ingest.max_file_bytes) {
        prep_fail(p, FAIL_CONTENT, NULL, "%s: %lld bytes is over ingest.max_file_size (%lld bytes)", f->rel,
                  (long long)f->size, (long long)c->cfg->ingest.max_file_bytes);
        return p;
    }
    char *full = rag_path_join(c->cfg->paths.transcripts, f->rel);
    char *raw = NULL;
    size_t len = 0;
    rag_error e = { 0 };
    int rc = rag_read_file(full, (size_t)c->cfg->ingest.max_file_bytes, &raw, &len, &e);
    free(full);
    if (rc != RAG_OK) {
        /* vanished, permissions, I/O, grown past the limit since the scan:
         * nothing is known about the content, so try again next run */
        prep_fail(p, FAIL_TRANSIENT, NULL, "%s: cannot read: %s", f->rel, e.msg);
        return p;
    }
    p->bytes = (int64_t)len;
    char sha[RAG_HASH_HEX];
    rag_sha256_hex(raw, len, sha);
    const prev_doc *x = prev_failure_of(c, f->rel);
    if (x && x->cls == FAIL_CONTENT && x->sha[0] && strcmp(x->sha, sha) == 0 && !c->opts->retry_failed &&
        failure_still_holds(c, x, f)) {
        /* touched but not changed: the same content fails the same way */
        p->kind = PREP_SAME_FAILURE;
        free(raw);
        return p;
    }
    char *text;
    size_t tlen;
    bool owned;
    const char *enc;
    transcript tr = { 0 };
    rc = encoding_to_utf8(f->rel, raw, len, c->cfg->ingest.legacy_encoding, &text, &tlen, &owned, &enc, &e);
    if (rc != RAG_OK) {
        free(raw);
        prep_fail(p, FAIL_CONTENT, sha, "%s", e.msg);
        return p;
    }
    if (owned) {
        free(raw);
        raw = NULL;
    }
    tr_format fmt = transcript_format_of(f->rel);
    rc = transcript_parse(fmt, f->rel, text, tlen, &tr, &e);
    if (owned)
        free(text);
    else
        free(raw);
    /* the warnings move to p, logged by the writer */
    p->warnings = tr.warnings;
    p->n_warnings = tr.n_warnings;
    tr.warnings = NULL;
    if (rc == RAG_OK && tr.n_segs == 0) {
        if (tr.n_warnings) /* name the first skipped part's line */
            rc = rag_error_set(&e, RAG_ECORRUPT, "%s; no transcript text left", p->warnings[0]);
        else
            rc = rag_error_set(&e, RAG_ECORRUPT, "%s: no transcript text found", f->rel);
    } else if (rc == RAG_OK && !utf8_valid(tr.text, tr.text_len)) {
        rc = rag_error_set(&e, RAG_ECORRUPT, "%s: parser produced invalid UTF-8 (bug); file skipped", f->rel);
    }
    tr.n_warnings = 0;
    if (rc != RAG_OK) {
        transcript_free(&tr);
        prep_fail(p, FAIL_CONTENT, sha, "%s", e.msg);
        return p;
    }
    p->kind = PREP_DOCUMENT;
    memcpy(p->sha, sha, RAG_HASH_HEX);
    p->fmt = fmt;
    p->title = tr.title ? rag_xstrdup(tr.title) : NULL;
    if (!p->title) {
        const char *b = strrchr(f->rel, '/');
        p->title = rag_xstrdup(b ? b + 1 : f->rel);
        char *dot = strrchr(p->title, '.');
        if (dot && dot != p->title)
            *dot = '\0';
    }
    chunk_settings cs = { c->cfg->chunking.target_tokens, c->cfg->chunking.overlap_tokens };
    if (chunk_transcript(&tr, &cs, on_chunk, p) < 0)
        p->rc = rag_error_set(&p->err, RAG_ERR, "interrupted by a signal");
    transcript_free(&tr);
    if (p->rc == RAG_OK)
        p->rc = embed_prepared(c, c->readers ? c->readers[worker] : NULL, f->rel, reuse_path_of(c, f->rel, sha), p,
                               &p->err);
    return p;
}

static void *produce_file(void *ud, int worker, size_t item)
{
    run_ctx *c = ud;
    return prepare_file(c, worker, &c->sr.files[c->todo[item]]);
}

static void discard_file(void *ud, void *result)
{
    (void)ud;
    prepared_free(result);
}

/* Writer side: count, log and store what a worker prepared for file f, in
 * the order the single-threaded ingest always did. Returns RAG_OK also
 * when the file failed (it is counted, stored and logged); an error return
 * fails the run. sha_out is the document's content hash ("" when it
 * failed). */
static int store_prepared(run_ctx *c, const rag_source *f, const prepared *p, char sha_out[RAG_HASH_HEX],
                          rag_error *err)
{
    run_stats *st = c->st;
    sha_out[0] = '\0';
    st->bytes_processed += p->bytes;
    if (p->n_warnings)
        file_warnings(c, f, p->warnings, p->n_warnings);
    if (p->kind == PREP_SAME_FAILURE) {
        const prev_doc *x = prev_failure_of(c, f->rel);
        count_failure(c, f, x->reason, FAIL_CONTENT, x->sha);
        return RAG_OK;
    }
    if (p->kind == PREP_FAILED) {
        /* a changed file that could not be read this time (permissions,
         * I/O, vanished and back): its last good version stays indexed
         * until a run reads it, instead of disappearing */
        const prev_doc *d = p->cls == FAIL_TRANSIENT && !st->full && c->prev_docs.n
                                ? bsearch(f->rel, c->prev_docs.v, c->prev_docs.n, sizeof(prev_doc), cmp_prev_path)
                                : NULL;
        if (d && !d->kept) {
            int krc = iw_keep_prev_doc(c->iw, d->id, err);
            if (krc != RAG_OK)
                return krc;
            cJSON *kp = cJSON_CreateObject();
            cJSON_AddStringToObject(kp, "path", f->rel);
            log_event(c, RAG_LEVEL_WARN, "previous_version_kept", kp,
                      "could not be read this time: its previous version stays in the index until a run reads it");
        }
        file_failed(c, f, p->reason, p->cls, p->fail_sha[0] ? p->fail_sha : NULL);
        return RAG_OK;
    }
    st->chunks_new += (int64_t)p->n;
    st->tokens_new += p->tokens;
    st->chunks_reused += p->reused;
    st->chunks_embedded += p->embedded;
    if (p->rc != RAG_OK) {
        *err = p->err;
        return p->rc;
    }
    iw_doc d = { f->rel, p->title, transcript_format_name(p->fmt), f->size, f->mtime_ns, p->sha };
    int64_t doc_id = 0;
    int rc = iw_add_document(c->iw, &d, &doc_id, err);
    size_t dims = (size_t)rag_embedder_dimensions(c->emb);
    for (size_t i = 0; rc == RAG_OK && i < p->n; i++)
        rc = iw_add_chunk(c->iw, doc_id, p->ids[i], &p->meta[i], p->vecs + i * dims, err);
    if (rc == RAG_OK)
        rc = iw_set_chunk_count(c->iw, doc_id, (int64_t)p->n, err);
    if (rc == RAG_OK) {
        st->processed++;
        memcpy(sha_out, p->sha, RAG_HASH_HEX);
    }
    return rc;
}

/* Per-worker readers of the previous generation's embeddings (incremental
 * runs only), and the sorted index reuse_path_of reads. */
static int start_workers(run_ctx *c, rag_error *err)
{
    c->workers = pipeline_default_workers(c->cfg->ingest.workers);
    build_by_sha(c);
    if (!c->reuse)
        return RAG_OK;
    c->readers = rag_xcalloc((size_t)c->workers, sizeof *c->readers);
    for (int i = 0; i < c->workers; i++)
        if (!(c->readers[i] = iw_prev_reader_open(c->prev_gen_path, c->cfg->embedding.dimensions, err)))
            return RAG_ERR;
    return RAG_OK;
}

static void stop_workers(run_ctx *c)
{
    for (int i = 0; c->readers && i < c->workers; i++)
        iw_prev_reader_close(c->readers[i]);
    free(c->readers);
    c->readers = NULL;
}

static void fingerprint(const rag_sources *sr, char (*shas)[RAG_HASH_HEX], char out[RAG_HASH_HEX])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < sr->n; i++) {
        if (!shas[i][0])
            continue;
        EVP_DigestUpdate(md, sr->files[i].rel, strlen(sr->files[i].rel) + 1);
        EVP_DigestUpdate(md, shas[i], 64);
        EVP_DigestUpdate(md, "\n", 1);
    }
    unsigned char h[32];
    unsigned hl = 0;
    EVP_DigestFinal_ex(md, h, &hl);
    EVP_MD_CTX_free(md);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void ctx_free(run_ctx *c)
{
    if (c->iw)
        iw_abort(c->iw);
    c->iw = NULL;
    rag_embedder_free(c->emb);
    cJSON_Delete(c->canonical);
    if (c->have_prev)
        rag_manifest_free(&c->prev);
    free(c->by_sha);
    c->by_sha = NULL;
    prev_list_free(&c->prev_docs);
    prev_list_free(&c->prev_fail);
    stop_workers(c);
    free(c->prev_gen_path);
    free(c->tmp_path);
    free(c->final_path);
    free(c->index_dir);
    free(c->ckpt_dir);
    free(c->manifest_path);
    free(c->logs_dir);
    free(c->run_dir);
    free(c->shas);
    free(c->gone);
    free(c->todo);
    rag_sources_free(&c->sr);
}

static void summary(run_ctx *c)
{
    run_stats *s = c->st;
    if (c->opts->quiet && strcmp(s->status, "failed") != 0)
        return; /* --quiet still reports a failure */
    char dur[32];
    rag_duration_format(s->finished_ms - s->started_ms, dur, sizeof dur);
    if (strcmp(s->status, "failed") == 0) {
        fprintf(stderr, "rag-ingest: run %s failed after %s: %s\n", s->run_id, dur, s->failure);
        if (strcmp(s->quality.gate, "refused") == 0)
            fprintf(stderr, "rag-ingest: nothing was published; the served generation stays. Fix the cause, or publish "
                            "it anyway with --force (see docs/runbooks/orchestration.md, \"Answers got worse\")\n");
    }
    else if (strcmp(s->status, "unchanged") == 0)
        fprintf(stderr, "rag-ingest: unchanged — %lld transcripts, %s still current (checked in %s)\n",
                (long long)s->seen, s->generation, dur);
    else if (strcmp(s->status, "published") == 0)
        fprintf(stderr,
                "rag-ingest: published %s in %s — %lld transcripts (%lld processed, %lld unchanged, %lld failed, "
                "%lld deleted), %lld chunks\n",
                s->generation, dur, (long long)s->seen, (long long)s->processed, (long long)s->unchanged,
                (long long)s->failed, (long long)s->deleted, (long long)s->chunks);
    if (s->failed && strcmp(s->status, "failed") != 0)
        fprintf(stderr, "rag-ingest: %lld failed: %lld will be retried next run, %lld when the file changes%s\n",
                (long long)s->failed, (long long)s->failed_transient, (long long)s->failed_content,
                s->failed_content ? " (or with --retry-failed)" : "");
    for (int i = 0; i < RUN_MAX_ERRORS && s->warnings[i]; i++)
        fprintf(stderr, "rag-ingest: warning: %s\n", s->warnings[i]);
}

/* ---------------------------------------------------------------- stages */

/* Create the folders, take the lock (RAG_ELOCKED names the holder in st),
 * remove temporaries of killed runs, log run_started. */
static int lock_stage(run_ctx *c, rag_error *err)
{
    int rc;
    if ((rc = rag_mkdir_p(c->run_dir, 0755, err)) != RAG_OK || (rc = rag_mkdir_p(c->index_dir, 0755, err)) != RAG_OK ||
        (rc = rag_mkdir_p(c->ckpt_dir, 0755, err)) != RAG_OK)
        return rc;
    char *lock_path = rag_path_join(c->run_dir, "ingest.lock");
    rag_lock_holder holder = { 0, 0 };
    rc = rag_lock_acquire(lock_path, &c->lock, &holder, err);
    free(lock_path);
    if (rc == RAG_ELOCKED) {
        c->st->lock_pid = holder.pid;
        c->st->lock_since_ms = holder.started_ms;
        snprintf(c->st->failure, sizeof c->st->failure, "%s", err->msg);
        return rc;
    }
    if (rc != RAG_OK)
        return rc;
    c->locked = true;
    int removed = publish_remove_temporaries(c->index_dir, c->ckpt_dir);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "pid", (double)getpid());
    cJSON_AddStringToObject(p, "config", c->cfg->path ? c->cfg->path : "");
    cJSON_AddStringToObject(p, "config_hash", c->config_hash);
    cJSON_AddStringToObject(p, "transcripts", c->cfg->paths.transcripts);
    cJSON_AddBoolToObject(p, "full", c->opts->full);
    cJSON_AddBoolToObject(p, "retry_failed", c->opts->retry_failed);
    cJSON_AddNumberToObject(p, "stale_temporaries_removed", removed);
    log_event(c, RAG_LEVEL_INFO, "run_started", p, NULL);
    return RAG_OK;
}

/* Room for this run's metrics line, set aside before the run does any
 * work (metrics_reserve: allocated past the file's end, its size
 * unchanged): a disk that fills during the run can then still take the
 * line that says the run failed. When even that room cannot be had (the
 * disk is full already) the run fails here, naming the file and the
 * reason — it could not have built anything, and a run that fails later
 * without its line would leave monitors showing the run before. The line
 * usually still lands: each line leaves room for the next behind it. */
static int reserve_stage(run_ctx *c, rag_error *err)
{
    char *mp = rag_path_join(c->logs_dir, "ingestion_metrics.jsonl");
    int rc = metrics_reserve(mp, err);
    free(mp);
    return rc;
}

static int scan_stage(run_ctx *c, rag_error *err)
{
    const rag_config *cfg = c->cfg;
    int rc = rag_sources_scan(cfg->paths.transcripts, cfg->ingest.include, cfg->ingest.n_include, cfg->ingest.exclude,
                              cfg->ingest.n_exclude, &c->sr, err);
    if (rc != RAG_OK)
        return rc;
    c->st->seen = (int64_t)c->sr.n;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "files", (double)c->sr.n);
    cJSON_AddNumberToObject(p, "bytes", (double)c->sr.bytes);
    cJSON_AddNumberToObject(p, "skipped_hidden", (double)c->sr.skipped_hidden);
    cJSON_AddNumberToObject(p, "skipped_links", (double)c->sr.skipped_links);
    cJSON_AddNumberToObject(p, "skipped_excluded", (double)c->sr.skipped_excluded);
    cJSON_AddNumberToObject(p, "skipped_unreadable", (double)c->sr.skipped_unreadable);
    cJSON_AddNumberToObject(p, "skipped_special", (double)c->sr.skipped_special);
    cJSON_AddNumberToObject(p, "elapsed_ms", (double)(rag_mono_ms() - c->mono0));
    log_event(c, RAG_LEVEL_INFO, "scan_done", p, NULL);
    /* what the scan could not list is never left out silently: each named
     * (the first RAG_SOURCES_NAMED), the rest counted in scan_done */
    for (size_t i = 0; i < c->sr.n_skipped_named; i++)
        log_event(c, RAG_LEVEL_WARN, "source_skipped", NULL, c->sr.skipped_named[i]);
    return RAG_OK;
}

/* Reading the manifest and the previous generation's documents and
 * failures (load_prev): what previous_stage decides on. It runs on a
 * thread of its own while scan_stage lists the transcripts folder — the two
 * share no data (this writes only prev, have_prev, prev_gen_path,
 * prev_docs, prev_fail) and each is ~half of what a run that changes
 * little costs on a large corpus: the scan mostly waits on the kernel,
 * this on SQLite. */
typedef struct prev_loader {
    run_ctx *c;
    pthread_t tid;
    bool threaded;
    int mrc, lrc;   /* the manifest's and the generation's load status */
    rag_error me;   /* what failed */
} prev_loader;

static void *prev_load_run(void *arg)
{
    prev_loader *l = arg;
    run_ctx *c = l->c;
    l->mrc = rag_manifest_load(c->manifest_path, &c->prev, &l->me);
    l->lrc = RAG_OK;
    if (l->mrc == RAG_OK) {
        c->have_prev = true;
        c->prev_gen_path = rag_path_join(c->index_dir, c->prev.generation);
        l->lrc = load_prev(c, &l->me);
    }
    return NULL;
}

static void prev_load_start(prev_loader *l, run_ctx *c)
{
    memset(l, 0, sizeof *l);
    l->c = c;
    l->threaded = pthread_create(&l->tid, NULL, prev_load_run, l) == 0;
    if (!l->threaded)
        prev_load_run(l);
}

static void prev_load_join(prev_loader *l)
{
    if (l->threaded)
        pthread_join(l->tid, NULL);
    l->threaded = false;
}

/* With the manifest and the generation it names loaded: decide full or
 * incremental. */
static void previous_stage(run_ctx *c, prev_loader *l)
{
    run_stats *st = c->st;
    rag_error me = l->me;
    int mrc = l->mrc;
    if (mrc == RAG_OK) {
        int lrc = l->lrc;
        if (lrc != RAG_OK) {
            prev_list_free(&c->prev_docs);
            prev_list_free(&c->prev_fail);
            st->full = true;
            if (lrc == RAG_EVERSION) { /* migration: a v1 generation is rebuilt as segments */
                snprintf(st->full_reason, sizeof st->full_reason, "index schema migration: %.200s", me.msg);
                log_event(c, RAG_LEVEL_INFO, "index_migration", NULL, st->full_reason);
            } else {
                snprintf(st->full_reason, sizeof st->full_reason, "previous generation unusable: %.200s", me.msg);
            }
            free(c->prev_gen_path);
            c->prev_gen_path = NULL;
        }
    } else {
        st->full = true;
        snprintf(st->full_reason, sizeof st->full_reason, "%.200s", mrc == RAG_ENOENT ? "no previous generation" : me.msg);
        if (mrc != RAG_ENOENT)
            log_event(c, RAG_LEVEL_WARN, "manifest_unreadable", NULL, me.msg);
    }
    if (!st->full && c->opts->full) {
        st->full = true;
        snprintf(st->full_reason, sizeof st->full_reason, "--full");
    }
    if (!st->full && strcmp(c->prev.config_hash, c->config_hash) != 0) {
        char diff[256] = "";
        rag_json_diff(c->prev.config, c->canonical, diff_cb, diff);
        st->full = true;
        snprintf(st->full_reason, sizeof st->full_reason, "config changed: %s", diff[0] ? diff : "(hash differs)");
        log_event(c, RAG_LEVEL_INFO, "config_changed", NULL, st->full_reason);
    }
    c->reuse = !st->full && c->prev_gen_path;
}

/* Every scanned file is unchanged (same path, size, mtime: carried over),
 * a content failure that has not changed (carried over, not read), or to
 * be processed — new, changed, a transient failure, or any failure with
 * --retry-failed. Also counts the deleted documents. */
static void classify_stage(run_ctx *c)
{
    run_stats *st = c->st;
    const rag_sources *sr = &c->sr;
    size_t n = sr->n ? sr->n : 1;
    c->shas = rag_xcalloc(n, RAG_HASH_HEX);
    c->todo = rag_xmalloc(n * sizeof(size_t));
    size_t pd = 0, pf = 0;
    for (size_t i = 0; i < sr->n; i++) {
        const rag_source *f = &sr->files[i];
        while (pd < c->prev_docs.n && strcmp(c->prev_docs.v[pd].path, f->rel) < 0) pd++;
        while (pf < c->prev_fail.n && strcmp(c->prev_fail.v[pf].path, f->rel) < 0) pf++;
        const prev_doc *d = pd < c->prev_docs.n && strcmp(c->prev_docs.v[pd].path, f->rel) == 0 ? &c->prev_docs.v[pd] : NULL;
        const prev_doc *x = pf < c->prev_fail.n && strcmp(c->prev_fail.v[pf].path, f->rel) == 0 ? &c->prev_fail.v[pf] : NULL;
        if (!st->full && d && d->size == f->size && d->mtime_ns == f->mtime_ns) {
            c->prev_docs.v[pd].kept = true;
            c->n_keep++;
            memcpy(c->shas[i], d->sha, RAG_HASH_HEX);
        } else if (!st->full && same_content_failure(c, x, f)) {
            c->n_fail_same++;
        } else {
            c->todo[c->n_todo++] = i;
        }
    }
    st->unchanged = (int64_t)c->n_keep;
    st->deleted = 0;
    c->gone = rag_xmalloc((c->prev_docs.n - c->n_keep + 1) * sizeof(int64_t));
    for (size_t i = 0; i < c->prev_docs.n; i++)
        if (!c->prev_docs.v[i].kept)
            c->gone[c->n_gone++] = c->prev_docs.v[i].id;
    /* previous documents whose path is no longer there (a full rebuild
     * drops them too, when the previous generation could be read) */
    size_t k = 0;
    for (size_t i = 0; i < c->prev_docs.n; i++) {
        while (k < sr->n && strcmp(sr->files[k].rel, c->prev_docs.v[i].path) < 0) k++;
        if (k >= sr->n || strcmp(sr->files[k].rel, c->prev_docs.v[i].path) != 0)
            st->deleted++;
    }
}

static void dry_run_report(run_ctx *c)
{
    run_stats *st = c->st;
    snprintf(st->status, sizeof st->status, "dry-run");
    printf("rag-ingest --dry-run: %zu transcripts: %zu unchanged, %zu new or changed, %lld deleted%s%s\n", c->sr.n,
           c->n_keep, c->n_todo, (long long)st->deleted, st->full ? "; full rebuild: " : "", st->full ? st->full_reason : "");
    for (size_t i = 0; i < c->n_todo; i++) {
        const rag_source *f = &c->sr.files[c->todo[i]];
        const prev_doc *x = prev_failure_of(c, f->rel);
        printf("  process %s%s\n", f->rel, x ? " (failed before; retried)" : "");
    }
}

/* Nothing to build: confirm the current generation (its checked_at moves). */
static int confirm_stage(run_ctx *c, rag_error *err)
{
    run_stats *st = c->st;
    c->prev.errors = st->failed;
    c->prev.failed_content = st->failed_content;
    c->prev.failed_transient = st->failed_transient;
    c->prev.checked_at_ms = rag_now_ms();
    quality_env qe = { c->cfg, c->log, c->opts->force, c->opts->golden, &c->prev, c->prev_gen_path };
    int rc = quality_refresh_served(&qe, &c->prev, st, err);
    if (rc != RAG_OK)
        return rc;
    rc = rag_manifest_publish(c->ckpt_dir, &c->prev, c->cfg->ingest.keep_checkpoints, err);
    if (rc != RAG_OK)
        return rc;
    snprintf(st->status, sizeof st->status, "unchanged");
    snprintf(st->generation, sizeof st->generation, "%s", c->prev.generation);
    st->documents = c->prev.documents;
    st->chunks = c->prev.chunks;
    st->tokens = c->prev.tokens;
    return RAG_OK;
}

/* Open the new generation, carry over unchanged documents and failures. */
static int open_generation(run_ctx *c, rag_error *err)
{
    const rag_config *cfg = c->cfg;
    rag_embed_settings es = { cfg->embedding.provider, cfg->embedding.dimensions, cfg->embedding.model,
                              cfg->embedding.url, cfg->embedding.api_key_env, cfg->embedding.batch_size,
                              cfg->embedding.timeout_ms, cfg->embedding.max_retries,
                              cfg->embedding.encoding_format };
    c->emb = rag_embedder_new(&es, err);
    if (!c->emb)
        return RAG_ERR;
    rag_embedder_set_cancel(c->emb, &stop_flag);
    c->tmp_path = rag_xasprintf("%s/%s%s%s.tmp", c->index_dir, RAG_INDEX_PREFIX, c->st->run_id, RAG_INDEX_SUFFIX);
    c->iw = iw_open(c->tmp_path, c->prev_gen_path && !c->st->full ? c->prev_gen_path : NULL, cfg->embedding.dimensions, err);
    if (!c->iw)
        return RAG_ERR;
    iw_set_interrupt(c->iw, &stop_flag);
    vector_stage_init(&c->vs, cfg, c->log, ingest_stop_flag());
    iw_set_vector_stage(c->iw, &c->vs);
    int rc = iw_begin(c->iw, err);
    if (rc == RAG_OK && !c->st->full) {
        rc = iw_drop_prev_docs(c->iw, c->gone, c->n_gone, err);
        /* content failures that are still there, unchanged, stay recorded */
        for (size_t i = 0; rc == RAG_OK && i < c->sr.n; i++) {
            const rag_source *f = &c->sr.files[i];
            const prev_doc *x = prev_failure_of(c, f->rel);
            if (same_content_failure(c, x, f))
                count_failure(c, f, x->reason, FAIL_CONTENT, x->sha);
        }
    }
    if (rc == RAG_OK)
        rc = iw_commit(c->iw, err);
    return rc;
}

static void log_batch(run_ctx *c, int64_t b, int64_t nb, size_t files, int64_t done_files, int64_t done_bytes,
                      int64_t todo_bytes, int64_t t0, int64_t ch0, int64_t tok0, int64_t by0)
{
    run_stats *st = c->st;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "batch", (double)(b + 1));
    cJSON_AddNumberToObject(p, "batches", (double)nb);
    cJSON_AddNumberToObject(p, "files", (double)files);
    cJSON_AddNumberToObject(p, "files_done", (double)done_files);
    cJSON_AddNumberToObject(p, "files_total", (double)c->n_todo);
    cJSON_AddNumberToObject(p, "bytes", (double)(st->bytes_processed - by0));
    cJSON_AddNumberToObject(p, "bytes_done", (double)done_bytes);
    cJSON_AddNumberToObject(p, "bytes_total", (double)todo_bytes);
    cJSON_AddNumberToObject(p, "chunks", (double)(st->chunks_new - ch0));
    cJSON_AddNumberToObject(p, "tokens", (double)(st->tokens_new - tok0));
    cJSON_AddNumberToObject(p, "failed", (double)st->failed);
    cJSON_AddNumberToObject(p, "elapsed_ms", (double)(rag_mono_ms() - t0));
    cJSON_AddNumberToObject(p, "run_elapsed_ms", (double)(rag_mono_ms() - c->mono0));
    log_event(c, RAG_LEVEL_INFO, "batch_done", p, NULL);
}

/* Build the new generation: carried-over rows, then the files to process
 * in batches of ingest.batch_files (one transaction and one batch_done
 * event each). */
static int process_stage(run_ctx *c, rag_error *err)
{
    int rc = open_generation(c, err);
    if (rc != RAG_OK)
        return rc;
    run_stats *st = c->st;
    int per = c->cfg->ingest.batch_files > 0 ? c->cfg->ingest.batch_files : 64;
    int64_t nb = ((int64_t)c->n_todo + per - 1) / per;
    int64_t todo_bytes = 0;
    for (size_t t = 0; t < c->n_todo; t++)
        todo_bytes += c->sr.files[c->todo[t]].size;
    if ((rc = start_workers(c, err)) != RAG_OK)
        return rc;
    /* at most 2 results per worker wait for the writer: bounded memory */
    pipeline *pl = pipeline_start(c->n_todo, c->workers, 2 * (size_t)c->workers, produce_file, discard_file, c);
    progress pg;
    progress_start(&pg, c->opts->progress && !c->opts->quiet, (int64_t)c->n_todo, todo_bytes);
    int64_t done_files = 0, done_bytes = 0;
    for (int64_t b = 0; rc == RAG_OK && b < nb; b++) {
        int64_t t0 = rag_mono_ms();
        int64_t ch0 = st->chunks_new, tok0 = st->tokens_new, by0 = st->bytes_processed;
        size_t from = (size_t)(b * per), to = from + (size_t)per < c->n_todo ? from + (size_t)per : c->n_todo;
        rc = iw_begin(c->iw, err);
        for (size_t t = from; rc == RAG_OK && t < to; t++) {
            if (stop_flag) {
                rc = rag_error_set(err, RAG_ERR, "interrupted by a signal");
                break;
            }
            const rag_source *f = &c->sr.files[c->todo[t]];
            prepared *p = pipeline_next(pl);
            rc = store_prepared(c, f, p, c->shas[c->todo[t]], err);
            prepared_free(p);
            if (rc != RAG_OK)
                break;
            done_files++;
            done_bytes += f->size;
            progress_update(&pg, done_files, done_bytes, st->chunks_new);
        }
        if (rc == RAG_OK)
            rc = iw_commit(c->iw, err);
        if (rc == RAG_OK) {
            st->batches++;
            log_batch(c, b, nb, to - from, done_files, done_bytes, todo_bytes, t0, ch0, tok0, by0);
            ingest_test_pause("RAG_INGEST_TEST_BATCH_DELAY_MS");
        }
    }
    progress_end(&pg);
    pipeline_finish(pl);
    stop_workers(c);
    return rc;
}

/* The build reproduced the previous generation exactly (only failures,
 * each as it was, e.g. a file that still cannot be read): no new
 * generation is worth publishing. */
static bool build_changed_nothing(const run_ctx *c)
{
    const run_stats *st = c->st;
    return !st->full && c->have_prev && st->processed == 0 && st->deleted == 0 &&
           c->n_keep == c->prev_docs.n && st->failed == (int64_t)c->prev_fail.n && c->fail_unchanged == st->failed;
}

static void discard_generation(run_ctx *c)
{
    if (c->iw) {
        iw_abort(c->iw);
        c->iw = NULL;
    }
    if (c->tmp_path)
        unlink(c->tmp_path);
}

static int check_error_ratio(run_ctx *c, rag_error *err)
{
    run_stats *st = c->st;
    if (st->seen > 0 && (double)st->failed / (double)st->seen > c->cfg->ingest.max_error_ratio)
        return rag_error_set(err, RAG_ERR, "%lld of %lld transcripts failed (%.1f%%), over ingest.max_error_ratio %.3g",
                             (long long)st->failed, (long long)st->seen, 100.0 * (double)st->failed / (double)st->seen,
                             c->cfg->ingest.max_error_ratio);
    return RAG_OK;
}

static int write_meta(run_ctx *c, int64_t now, rag_error *err)
{
    const rag_config *cfg = c->cfg;
    char ts[RAG_TIME_BUFSZ], dims[16];
    rag_time_format(now, ts);
    snprintf(dims, sizeof dims, "%d", cfg->embedding.dimensions);
    char *canon = rag_json_canonical_string(c->canonical);
    int rc;
    if ((rc = iw_begin(c->iw, err)) != RAG_OK || (rc = iw_set_meta(c->iw, "run_id", c->st->run_id, err)) != RAG_OK ||
        (rc = iw_set_meta(c->iw, "created_at", ts, err)) != RAG_OK ||
        (rc = iw_set_meta(c->iw, "config_hash", c->config_hash, err)) != RAG_OK ||
        (rc = iw_set_meta(c->iw, "config", canon, err)) != RAG_OK ||
        (rc = iw_set_meta(c->iw, "embedding_provider", cfg->embedding.provider, err)) != RAG_OK ||
        (rc = iw_set_meta(c->iw, "embedding_model",
                          strcmp(cfg->embedding.provider, "hashing") == 0 ? "hashing-v1" : cfg->embedding.model, err)) != RAG_OK ||
        (rc = iw_set_meta(c->iw, "embedding_dimensions", dims, err)) != RAG_OK)
        ;
    else
        rc = iw_commit(c->iw, err);
    free(canon);
    return rc;
}

typedef struct sync_job {
    const char *path;
    int rc;
    rag_error err;
} sync_job;

static void *sync_run(void *arg)
{
    sync_job *j = arg;
    j->rc = iw_fsync_file(j->path, &j->err);
    return NULL;
}

/* The candidate manifest borrows the run's config; only its quality
 * object is its own. */
static void free_quality(rag_manifest *m)
{
    cJSON_Delete(m->quality.failed_queries);
    m->quality.failed_queries = NULL;
}

/* Finish the generation, link it into place, then write the manifest (the
 * per-run copy, then latest.json). Any failure removes what this stage
 * created (the generation, the copy), so a failed run leaves no orphan and
 * latest.json untouched. */
static int publish_stage(run_ctx *c, rag_error *err)
{
    run_stats *st = c->st;
    int64_t now = rag_now_ms();
    int rc = write_meta(c, now, err);
    if (rc == RAG_OK)
        rc = iw_finish(c->iw, false, &st->documents, &st->chunks, &st->tokens, err);
    if (rc != RAG_OK)
        return rc;
    c->iw = NULL;
    if (stop_flag)
        return rag_error_set(err, RAG_ERR, "interrupted by a signal");
    char *gen = rag_xasprintf("%s%s%s", RAG_INDEX_PREFIX, st->run_id, RAG_INDEX_SUFFIX);
    /* the quality gate judges the finished candidate before it is linked
     * into place: a refused one is removed by fail_stage with the temporary */
    rag_manifest m = { 0 };
    snprintf(m.run_id, sizeof m.run_id, "%s", st->run_id);
    snprintf(m.generation, sizeof m.generation, "%s", gen);
    snprintf(m.config_hash, sizeof m.config_hash, "%s", c->config_hash);
    m.config = c->canonical;
    m.documents = st->documents;
    m.chunks = st->chunks;
    quality_env qe = { c->cfg, c->log, c->opts->force, c->opts->golden, c->have_prev ? &c->prev : NULL,
                       c->prev_gen_path };
    /* the file's fsync (I/O) runs while the evaluation (CPU) reads it from
     * the page cache; both finish before the file is linked into place */
    sync_job sj = { c->tmp_path, RAG_OK, { 0 } };
    pthread_t sync_thread;
    bool threaded = pthread_create(&sync_thread, NULL, sync_run, &sj) == 0;
    if (!threaded)
        sync_run(&sj);
    rc = quality_gate_candidate(&qe, c->tmp_path, &m, st, err);
    if (threaded)
        pthread_join(sync_thread, NULL);
    if (rc == RAG_OK && sj.rc != RAG_OK) {
        *err = sj.err;
        rc = sj.rc;
    }
    if (rc == RAG_OK && stop_flag)
        rc = rag_error_set(err, RAG_ERR, "interrupted by a signal");
    if (rc != RAG_OK) {
        free(gen);
        free_quality(&m);
        return rc;
    }
    test_pause();
    char *final_path = rag_path_join(c->index_dir, gen);
    rc = publish_rename(c->tmp_path, final_path, c->index_dir, err);
    if (rc != RAG_OK) {
        free(gen);
        free(final_path);
        free_quality(&m);
        return rc;
    }
    c->final_path = final_path; /* removed again unless the manifest names it */
    snprintf(st->generation, sizeof st->generation, "%s", gen);
    free(gen);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "generation", st->generation);
    cJSON_AddNumberToObject(p, "documents", (double)st->documents);
    cJSON_AddNumberToObject(p, "chunks", (double)st->chunks);
    cJSON_AddNumberToObject(p, "tokens", (double)st->tokens);
    cJSON_AddBoolToObject(p, "full", st->full);
    log_event(c, RAG_LEVEL_INFO, "published", p, NULL);

    m.schema_version = RAG_MANIFEST_SCHEMA_VERSION;
    m.generated_at_ms = now;
    m.checked_at_ms = rag_now_ms();
    snprintf(m.config_hash, sizeof m.config_hash, "%s", c->config_hash);
    m.config = c->canonical;
    m.documents = st->documents;
    m.chunks = st->chunks;
    m.tokens = st->tokens;
    fingerprint(&c->sr, c->shas, m.source_fingerprint);
    m.errors = st->failed;
    m.failed_content = st->failed_content;
    m.failed_transient = st->failed_transient;
    snprintf(m.tool_version, sizeof m.tool_version, "%s", RAG_VERSION);
    m.index_schema_version = RAG_INDEX_SCHEMA_VERSION;
    test_pause();
    rc = rag_manifest_publish(c->ckpt_dir, &m, c->cfg->ingest.keep_checkpoints, err);
    free_quality(&m);
    if (rc != RAG_OK)
        return rc;
    free(c->final_path);
    c->final_path = NULL;
    st->published = true;
    test_pause();
    snprintf(st->status, sizeof st->status, "published");
    return RAG_OK;
}

static void housekeeping_warning(run_ctx *c, const char *what, const char *msg)
{
    char buf[1200];
    snprintf(buf, sizeof buf, "%s: %s", what, msg);
    run_add_warning(c->st, buf);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "step", what);
    log_event(c, RAG_LEVEL_WARN, "housekeeping_failed", p, buf);
}

/* After a successful run: retention of manifest copies and generations.
 * Problems here are warnings (log and metrics line), never a failure: the
 * run has already published. */
static int housekeeping_stage(run_ctx *c)
{
    rag_error e = { 0 };
    if (rag_manifest_prune_copies(c->ckpt_dir, c->cfg->ingest.keep_checkpoints, c->st->run_id, &e) < 0)
        housekeeping_warning(c, "pruning checkpoint copies", e.msg);
    int pruned = 0;
    e.msg[0] = '\0';
    if (publish_prune_generations(c->index_dir, c->ckpt_dir, c->cfg->ingest.keep_generations, c->st->generation,
                                  &pruned, &e) != RAG_OK)
        housekeeping_warning(c, "pruning generations", e.msg);
    return pruned;
}

/* Undo what a failed run created; status failed; run_failed event. */
static void fail_stage(run_ctx *c, const rag_error *err)
{
    run_stats *st = c->st;
    discard_generation(c);
    if (c->final_path) { /* linked but never named by a manifest */
        unlink(c->final_path);
        st->generation[0] = '\0';
    }
    /* its segments: no published generation names them */
    if ((c->final_path || c->tmp_path) && segments_remove_run(c->index_dir, st->run_id) >= 0)
        rag_fsync_dir(c->index_dir, NULL);
    snprintf(st->status, sizeof st->status, "failed");
    snprintf(st->failure, sizeof st->failure, "%s", err->msg[0] ? err->msg : "unknown error");
    st->published = false;
    st->finished_ms = rag_now_ms();
    cJSON *p = metrics_json(st);
    if (st->quality.regressions) /* the quality gate refused: which queries got worse */
        cJSON_AddItemToObject(p, "regressed_queries", cJSON_Duplicate(st->quality.regressions, 1));
    log_event(c, RAG_LEVEL_ERROR, "run_failed", p, st->failure);
}

/* The metrics line (every run but dry runs), the failure hook, the summary. */
static void record_stage(run_ctx *c, int rc)
{
    run_stats *st = c->st;
    if (!st->finished_ms)
        st->finished_ms = rag_now_ms();
    if (!c->opts->dry_run)
        metrics_record(c->logs_dir, st, c->log);
    if ((rc == RAG_ERR || rc == RAG_EGATE) && !c->opts->dry_run)
        ingest_alert_failure(c->cfg, st, c->log); /* failure hook: docs/specs/alerts.md */
    summary(c);
}

/* Build (or confirm) and publish; RAG_OK when the served generation is now
 * current. */
static int update_stage(run_ctx *c, rag_error *err)
{
    run_stats *st = c->st;
    if (!st->full && c->n_todo == 0 && st->deleted == 0 && c->n_fail_same == c->prev_fail.n) {
        /* every previous failure is an unchanged content failure */
        for (size_t i = 0; i < c->prev_fail.n; i++)
            add_error(st, c->prev_fail.v[i].reason);
        st->failed = st->failed_content = (int64_t)c->prev_fail.n;
        return confirm_stage(c, err);
    }
    int rc = process_stage(c, err);
    if (rc != RAG_OK)
        return rc;
    if (build_changed_nothing(c)) {
        discard_generation(c);
        return confirm_stage(c, err);
    }
    if ((rc = check_error_ratio(c, err)) != RAG_OK)
        return rc;
    return publish_stage(c, err);
}

int ingest_run(const rag_config *cfg, const run_opts *opts, rag_log *log, run_stats *st)
{
    memset(st, 0, sizeof *st);
    run_ctx c = { 0 };
    c.cfg = cfg;
    c.opts = opts;
    c.log = log;
    c.st = st;
    c.lock = (rag_lock){ -1, NULL };
    st->started_ms = rag_now_ms();
    c.mono0 = rag_mono_ms();
    ingest_make_run_id(st->run_id);
    snprintf(st->status, sizeof st->status, "failed");
    c.index_dir = rag_config_index_dir(cfg);
    c.ckpt_dir = rag_config_checkpoints_dir(cfg);
    c.manifest_path = rag_config_manifest_path(cfg);
    c.logs_dir = rag_config_logs_dir(cfg);
    c.run_dir = rag_config_run_dir(cfg);
    rag_config_hash(cfg, c.config_hash);
    snprintf(st->config_hash, sizeof st->config_hash, "%s", c.config_hash);
    c.canonical = rag_config_canonical(cfg);
    if (log)
        rag_log_set_run_id(log, st->run_id);

    rag_error err = { 0 };
    int rc = opts->dry_run ? RAG_OK : lock_stage(&c, &err);
    if (rc == RAG_ELOCKED) {
        ctx_free(&c);
        if (log)
            rag_log_set_run_id(log, NULL);
        return RAG_ELOCKED;
    }
    if (rc == RAG_OK && !opts->dry_run)
        rc = reserve_stage(&c, &err);
    prev_loader pl;
    if (rc == RAG_OK)
        prev_load_start(&pl, &c);
    if (rc == RAG_OK) {
        rc = scan_stage(&c, &err);
        prev_load_join(&pl);
    }
    if (rc == RAG_OK) {
        previous_stage(&c, &pl);
        classify_stage(&c);
        if (opts->dry_run)
            dry_run_report(&c);
        else
            rc = update_stage(&c, &err);
    }
    if (rc != RAG_OK) {
        fail_stage(&c, &err);
        rc = rc == RAG_EGATE ? RAG_EGATE : RAG_ERR;
    } else if (!opts->dry_run) {
        int pruned = housekeeping_stage(&c);
        st->finished_ms = rag_now_ms();
        cJSON *p = metrics_json(st);
        cJSON_AddNumberToObject(p, "generations_pruned", pruned);
        log_event(&c, RAG_LEVEL_INFO, "run_finished", p, st->status);
    }
    record_stage(&c, rc);
    if (c.locked)
        rag_lock_release(&c.lock);
    if (log)
        rag_log_set_run_id(log, NULL);
    ctx_free(&c);
    return rc;
}

void run_stats_free(run_stats *s)
{
    for (int i = 0; i < RUN_MAX_ERRORS; i++) {
        free(s->errors[i]);
        s->errors[i] = NULL;
        free(s->warnings[i]);
        s->warnings[i] = NULL;
    }
    cJSON_Delete(s->quality.regressions);
    s->quality.regressions = NULL;
}
