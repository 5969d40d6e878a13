/* fts5_baseline.c — the raw FTS5 ceiling for bench/api/run.sh's saturated
 * bm25 /query figure: the same queries answered straight from the
 * generation's FTS5 table with plain SQL on one read-only (immutable)
 * connection per thread — no HTTP, no JSON, no text fetch, no df lookups
 * in the timed loop. Each query is reduced to terms by rag-api's own
 * sanitiser (api_fts_terms: tokenizer, lower-casing, stopwords, duplicates).
 *
 * Default ("same"): rag-api's match semantics (query.c api_bm25_topn):
 * every term (FTS5's implicit AND), top 50 by BM25; when that gives fewer
 * than k rows, the OR of the terms found in at most max(1000, 2% of the
 * chunks) chunks, top 50 less the rows already found. Ranked by rag_bm25
 * (bm25rank.c; FTS5's own BM25 formula and scores) with each term's df
 * counted once before timing and chunk lengths read from
 * chunks_fts_docsize, as rag-api holds them — FTS5's built-in bm25() would
 * rescan each term's whole posting list for its idf in every query, which
 * on the OR pass makes the baseline ~30x slower and the ratio meaningless.
 *
 * --and-only: the AND pass alone ranked by FTS5's built-in bm25
 * (ORDER BY rank LIMIT 50): less work than rag-api does whenever a query
 * needs the OR pass; an upper bound, printed for reference.
 *
 * Usage: fts5_baseline [--and-only] DB QUERIES.jsonl THREADS SECONDS
 * Each thread first answers every query once, untimed (rag-api's
 * connections are warm too). Prints "RESULT qps=N queries=N or_pass=N
 * cpu_us_per_query=N" (or_pass: how many of the queries needed the OR pass).
 * Bench tool, not part of the product. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "../../src/api/bm25rank.h"
#include "../../src/api/index_store.h"
#include "../../src/api/query.h"
#include "../../src/api/sanitise.h"

#define EXPR_MAX (API_FTS_MAX_TERMS * (API_FTS_MAX_TERM_BYTES + 6) + 1)

typedef struct {
    char and_expr[EXPR_MAX];
    char or_expr[EXPR_MAX];   /* "" when the OR pass cannot run */
    double idf[API_FTS_MAX_TERMS], or_idf[API_FTS_MAX_TERMS];
    int n_terms, n_or;
    bool absent;              /* a term no chunk holds: the AND pass cannot match */
    int k;
} query;

static const char *db_path;
static bool and_only;
static query *queries;
static size_t n_queries;
static double seconds;
static atomic_ulong done_total;
static atomic_ulong or_passes;
static pthread_barrier_t start;
/* chunk lengths as rag-api holds them (rag_bm25's arguments) */
static int64_t *rowids;
static uint32_t *lengths;
static size_t n_rows;
static double avg_length;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3 *open_db(void)
{
    char uri[4200];
    snprintf(uri, sizeof uri, "file:%s?immutable=1", db_path);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        api_bm25_register(db) != RAG_OK) {
        fprintf(stderr, "fts5_baseline: %s: %s\n", db_path, sqlite3_errmsg(db));
        exit(1);
    }
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "fts5_baseline: %s: %s\n", db_path, sqlite3_errmsg(db));
        exit(1);
    }
    return st;
}

/* rowids and lengths from chunks_fts_docsize (one varint per chunk). */
static void load_lengths(sqlite3 *db)
{
    sqlite3_stmt *st = prepare(db, "SELECT id, sz FROM chunks_fts_docsize ORDER BY id");
    size_t cap = 0;
    double total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n_rows == cap) {
            cap = cap ? cap * 2 : 4096;
            rowids = realloc(rowids, cap * sizeof *rowids);
            lengths = realloc(lengths, cap * sizeof *lengths);
            if (!rowids || !lengths) exit(1);
        }
        const unsigned char *b = sqlite3_column_blob(st, 1);
        const int nb = sqlite3_column_bytes(st, 1);
        uint64_t v = 0;
        for (int i = 0; b && i < nb && i < 9; i++) {
            v = (v << 7) | (b[i] & 0x7f);
            if (!(b[i] & 0x80)) break;
        }
        rowids[n_rows] = sqlite3_column_int64(st, 0);
        lengths[n_rows++] = (uint32_t)v;
        total += (double)v;
    }
    sqlite3_finalize(st);
    avg_length = n_rows ? total / (double)n_rows : 1.0;
}

/* Both passes' expressions and idfs for text, as api_bm25_topn builds them. */
static void build_query(query *q, sqlite3_stmt *count, int64_t n_chunks, const char *text)
{
    api_fts_term terms[API_FTS_MAX_TERMS], keep[API_FTS_MAX_TERMS];
    const size_t nt = api_fts_terms(text, strlen(text), terms, API_FTS_MAX_TERMS);
    int64_t limit = n_chunks / 50;
    if (limit < API_BM25_COMMON_MIN) limit = API_BM25_COMMON_MIN;
    size_t nk = 0;
    for (size_t i = 0; i < nt; i++) {
        char one[EXPR_MAX];
        api_fts_join(&terms[i], 1, " ", one, sizeof one);
        sqlite3_bind_text(count, 1, one, -1, SQLITE_TRANSIENT);
        const int64_t df = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int64(count, 0) : 0;
        sqlite3_reset(count);
        q->idf[i] = api_bm25_idf(n_chunks, df);
        if (df == 0) q->absent = true;
        if (df > 0 && df <= limit) {
            memcpy(keep[nk], terms[i], sizeof keep[0]);
            q->or_idf[nk++] = q->idf[i];
        }
    }
    q->n_terms = (int)nt;
    q->n_or = (int)nk;
    api_fts_join(terms, nt, " ", q->and_expr, sizeof q->and_expr);
    api_fts_join(keep, nk, " OR ", q->or_expr, sizeof q->or_expr);
}

/* Step one ranked MATCH; rows already in seen[0..n_seen) are skipped. */
static int run(sqlite3_stmt *st, const char *expr, const double *idf, int n_idf, int64_t *seen, int n_seen)
{
    api_bm25_args args = {.idf = idf, .n_idf = n_idf, .rowids = rowids, .lengths = lengths, .n = n_rows,
                          .avg_length = avg_length};
    int rows = n_seen;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    if (!and_only) sqlite3_bind_pointer(st, 2, &args, API_BM25_PTR, NULL);
    while (rows < API_CANDIDATES && sqlite3_step(st) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(st, 0);
        (void)sqlite3_column_double(st, 1);
        bool dup = false;
        for (int i = 0; i < n_seen && !dup; i++) dup = seen[i] == id;
        if (dup) continue;
        if (seen) seen[rows] = id;
        rows++;
    }
    sqlite3_reset(st);
    return rows;
}

/* One query as rag-api's api_bm25_topn runs it; 1 when it needed the OR pass. */
static int answer(sqlite3_stmt *st, const query *q, int64_t *seen)
{
    const int found = q->absent ? 0 : run(st, q->and_expr, q->idf, q->n_terms, seen, 0);
    if (and_only || found >= q->k || q->n_or == 0 || (q->n_or == q->n_terms && q->n_terms == 1 && found > 0)) return 0;
    run(st, q->or_expr, q->or_idf, q->n_or, seen, found);
    return 1;
}

static void *worker(void *arg)
{
    const size_t offset = (size_t)(uintptr_t)arg;
    sqlite3 *db = open_db();
    sqlite3_exec(db, "PRAGMA cache_size=-" API_LEASE_CACHE_KIB, NULL, NULL, NULL); /* as rag-api's */
    sqlite3_stmt *st = prepare(db, and_only ? "SELECT rowid, rank FROM chunks_fts WHERE chunks_fts MATCH ?1"
                                              " ORDER BY rank LIMIT 50"
                                            : "SELECT rowid, rag_bm25(chunks_fts, ?2) AS s FROM chunks_fts"
                                              " WHERE chunks_fts MATCH ?1 ORDER BY s LIMIT 50");
    int64_t seen[API_CANDIDATES];
    unsigned long n = 0, ors = 0;
    /* one untimed round first: rag-api's connections are warm too */
    for (size_t i = 0; i < n_queries; i++) ors += answer(st, &queries[i], seen);
    if (offset != 0) ors = 0;
    pthread_barrier_wait(&start);
    const double end = now_s() + seconds;
    for (size_t i = offset; now_s() < end; i++) {
        answer(st, &queries[i % n_queries], seen);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    atomic_fetch_add(&done_total, n);
    atomic_fetch_add(&or_passes, ors);
    return NULL;
}

int main(int argc, char **argv)
{
    int a = 1;
    if (a < argc && strcmp(argv[a], "--and-only") == 0) {
        and_only = true;
        a++;
    }
    if (argc - a != 4) {
        fprintf(stderr, "usage: fts5_baseline [--and-only] DB QUERIES.jsonl THREADS SECONDS\n");
        return 2;
    }
    db_path = argv[a];
    const char *qpath = argv[a + 1];
    const int threads = atoi(argv[a + 2]);
    seconds = atof(argv[a + 3]);
    FILE *f = fopen(qpath, "r");
    if (!f || threads < 1 || seconds <= 0) {
        fprintf(stderr, "fts5_baseline: cannot read %s (or bad THREADS/SECONDS)\n", qpath);
        return 2;
    }
    sqlite3 *db = open_db();
    load_lengths(db);
    sqlite3_stmt *count = prepare(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?1");
    char line[8192];
    size_t cap = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        cJSON *j = cJSON_Parse(line);
        const cJSON *qs = cJSON_GetObjectItemCaseSensitive(j, "q");
        const cJSON *ks = cJSON_GetObjectItemCaseSensitive(j, "k");
        if (!cJSON_IsString(qs)) {
            fprintf(stderr, "fts5_baseline: %s:%zu: no \"q\" string\n", qpath, lineno);
            return 2;
        }
        if (n_queries == cap) {
            cap = cap ? cap * 2 : 64;
            queries = realloc(queries, cap * sizeof *queries);
            if (!queries) return 1;
        }
        query *q = &queries[n_queries++];
        memset(q, 0, sizeof *q);
        build_query(q, count, (int64_t)n_rows, qs->valuestring);
        q->k = cJSON_IsNumber(ks) ? ks->valueint : 5;
        cJSON_Delete(j);
    }
    fclose(f);
    sqlite3_finalize(count);
    sqlite3_close(db);
    if (!n_queries) {
        fprintf(stderr, "fts5_baseline: %s holds no queries\n", qpath);
        return 2;
    }
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)((size_t)i * 7 % n_queries));
    struct rusage ru0;
    pthread_barrier_wait(&start);
    getrusage(RUSAGE_SELF, &ru0);
    const double t0 = now_s();
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    const double took = now_s() - t0;
    pthread_barrier_destroy(&start);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                       (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    printf("RESULT qps=%.0f queries=%lu or_pass=%lu cpu_us_per_query=%.0f\n", (double)atomic_load(&done_total) / took,
           atomic_load(&done_total), atomic_load(&or_passes), cpu * 1e6 / (double)atomic_load(&done_total));
    free(t);
    free(queries);
    free(rowids);
    free(lengths);
    return 0;
}
