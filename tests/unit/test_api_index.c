/* test_api_index.c — opening index generations for serving (real SQLite
 * files in a temp folder, written per docs/specs/index.md): the checks that
 * keep a bad generation out, exact brute-force vector ranking, the
 * refcounted swap that lets a query finish on the generation it started on,
 * and the approximate vector index (built from a threshold, agreeing with
 * exact search, refused when damaged). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rag/manifest.h"

#include "../../src/api/bm25rank.h"
#include "../../src/api/index_store.h"
#include "../../src/api/query.h"
#include "../../src/api/vector_ann.h"
#include "rag/vector_index.h"

#define DIMS 8
#define DENSE_DIMS 64 /* more non-zero components than the sparse path takes */

typedef struct {
    char dir[64];
    char path[128];
} fixture;

static const char *const SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT, format TEXT NOT NULL,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, chunk_count INTEGER NOT NULL);"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id INTEGER NOT NULL,"
    " ordinal INTEGER NOT NULL, text TEXT NOT NULL, start_ms INTEGER, end_ms INTEGER, speaker TEXT, token_count INTEGER NOT NULL);"
    "CREATE TABLE embeddings(chunk_rowid INTEGER PRIMARY KEY, vector BLOB NOT NULL);"
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='porter unicode61');";

/* n chunks with pseudo-random unit vectors; vec_bytes overrides the blob size. */
static void write_generation_dims(const char *path, int n, const char *schema_version, int vec_bytes, float *vectors,
                                  int dims)
{
    sqlite3 *db = NULL;
    unlink(path);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, SCHEMA, NULL, NULL, NULL), SQLITE_OK);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO meta VALUES ('index_schema_version','%s'),('chunks','%d'),('config_hash','abc'),"
             "('embedding_provider','hashing'),('embedding_model',''),('embedding_dimensions','%d');"
             "INSERT INTO documents VALUES (1,'a.txt','A','txt',1,0,'x',%d);",
             schema_version, n, dims, n);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *c, *e;
    sqlite3_prepare_v2(db, "INSERT INTO chunks VALUES (?1, ?2, 1, ?1, ?3, NULL, NULL, NULL, 3)", -1, &c, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO embeddings VALUES (?1, ?2)", -1, &e, NULL);
    unsigned seed = 7;
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK); /* one fsync, not one per row */
    for (int i = 0; i < n; i++) {
        float *v = vectors + (size_t)i * dims;
        double norm = 0;
        for (int j = 0; j < dims; j++) {
            v[j] = (float)((int)(rand_r(&seed) % 2001) - 1000) / 1000.0f;
            norm += v[j] * v[j];
        }
        for (int j = 0; j < dims; j++) v[j] = (float)(v[j] / sqrt(norm));
        char id[32], text[96];
        snprintf(id, sizeof id, "chunk-%d", i);
        /* lengths vary (0-3 filler words), so BM25's length normalisation counts */
        snprintf(text, sizeof text, "chunk number %d word%d%s", i, i % 5, &" filler filler filler"[7 * (3 - i % 4)]);
        sqlite3_reset(c);
        sqlite3_bind_int(c, 1, i + 1);
        sqlite3_bind_text(c, 2, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(c, 3, text, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(c), SQLITE_DONE);
        sqlite3_reset(e);
        sqlite3_bind_int(e, 1, i + 1);
        sqlite3_bind_blob(e, 2, v, vec_bytes, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(e), SQLITE_DONE);
    }
    sqlite3_finalize(c);
    sqlite3_finalize(e);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void write_generation(const char *path, int n, const char *schema_version, int vec_bytes, float *vectors)
{
    write_generation_dims(path, n, schema_version, vec_bytes, vectors, DIMS);
}

static void manifest_for(rag_manifest *m, int chunks)
{
    memset(m, 0, sizeof *m);
    snprintf(m->run_id, sizeof m->run_id, "run-1");
    snprintf(m->generation, sizeof m->generation, "gen-run-1.sqlite");
    snprintf(m->config_hash, sizeof m->config_hash, "abc");
    m->chunks = chunks;
    m->generated_at_ms = m->checked_at_ms = 1000;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_api_index.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/gen-run-1.sqlite", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A valid generation of n chunks in f, opened with n_leases leases; its
 * vectors in *vecs (free them). */
static api_generation *open_generation(fixture *f, int n, int n_leases, float **vecs)
{
    *vecs = calloc((size_t)n * DIMS, sizeof **vecs);
    write_generation(f->path, n, "1", DIMS * 4, *vecs);
    rag_manifest m;
    manifest_for(&m, n);
    rag_error err = {0};
    api_generation *g = api_generation_open(f->path, &m, NULL, n_leases, &err);
    if (!g) fail_msg("%s", err.msg);
    return g;
}

static void test_open_loads_every_vector_and_ranks_like_brute_force(void **state)
{
    enum { N = 300 };
    float *vecs = NULL;
    api_generation *g = open_generation(*state, N, 2, &vecs);
    rag_error err = {0};
    assert_int_equal(g->n, N);
    assert_int_equal(g->dims, DIMS);
    /* query = chunk 17's vector: it must come first, and the order must
     * equal a naive dot-product sort */
    const float *q = vecs + 17 * DIMS;
    api_hit top[10];
    size_t n = api_vector_topn(g, q, g->leases[0].scores, top, 10);
    assert_int_equal(n, 10);
    assert_int_equal(top[0].rowid, 18);
    for (size_t i = 0; i < n; i++) {
        int better = 0;
        const float *v = vecs + (size_t)(top[i].rowid - 1) * DIMS;
        double s = 0;
        for (int j = 0; j < DIMS; j++) s += (double)q[j] * v[j];
        for (int k = 0; k < N; k++) {
            double t = 0;
            for (int j = 0; j < DIMS; j++) t += (double)q[j] * vecs[k * DIMS + j];
            if (t > s + 1e-5) better++;
        }
        assert_int_equal(better, (int)i); /* exactly i vectors beat the i-th result */
    }
    api_hit bm[5];
    /* "word3" is in 60 of 300 chunks: all of them contain every term */
    assert_int_equal(api_bm25_topn(g, &g->leases[1], "word3 OR \"", 5, bm, 5, &err), 5);
    /* no chunk has both terms: pass 2 returns those with either */
    assert_int_equal(api_bm25_topn(g, &g->leases[1], "word3 word4", 3, bm, 5, &err), 5);
    assert_int_equal(api_generation_df(g, &g->leases[0], "word4"), 60);
    assert_int_equal(api_generation_df(g, &g->leases[1], "word4"), 60); /* cached */
    assert_int_equal(api_bm25_topn(g, &g->leases[1], "chunk number 17", 3, bm, 5, &err), 5);
    assert_int_equal(bm[0].rowid, 18);
    api_generation_release(g);
    free(vecs);
}

/* Every row of `expr` scores as FTS5's bm25() does with args. */
static void assert_scores_equal_fts5(sqlite3 *db, const char *expr, const api_bm25_args *args, int min_rows)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid, bm25(chunks_fts), rag_bm25(chunks_fts, ?2) FROM chunks_fts"
                                        " WHERE chunks_fts MATCH ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_pointer(st, 2, (void *)args, API_BM25_PTR, NULL);
    int rows = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const double fts = sqlite3_column_double(st, 1), ours = sqlite3_column_double(st, 2);
        if (fabs(fts - ours) > 1e-9 * fabs(fts) + 1e-12)
            fail_msg("chunk %lld: bm25 %.12g, rag_bm25 %.12g", (long long)sqlite3_column_int64(st, 0), fts, ours);
        rows++;
    }
    assert_int_equal(rc, SQLITE_DONE);
    assert_true(rows >= min_rows);
    sqlite3_finalize(st);
}

/* Chunk lengths are found by offset when the ids are dense and by binary
 * search when they are not; a chunk missing from the arrays (or beyond
 * them) falls back to FTS5's own count. Every way gives bm25()'s scores. */
static void test_rag_bm25_lengths_dense_sparse_and_missing(void **state)
{
    float *vecs = NULL;
    api_generation *g = open_generation(*state, 300, 1, &vecs);
    const char *terms[3] = {"word3", "filler", "17"};
    double idf[3];
    for (int i = 0; i < 3; i++) idf[i] = api_bm25_idf(g->chunk_count, api_generation_df(g, &g->leases[0], terms[i]));
    const char *expr = "\"word3\" OR \"filler\" OR \"17\"";
    /* dense: ids 1..300 */
    assert_int_equal(g->rowids[g->n - 1] - g->rowids[0], (int64_t)g->n - 1);
    api_bm25_args args = {.idf = idf, .n_idf = 3, .rowids = g->rowids, .lengths = g->lengths, .n = g->n,
                          .avg_length = g->avg_length};
    assert_scores_equal_fts5(g->leases[0].db, expr, &args, 200);
    /* dense but shorter: the last 40 chunks are beyond the arrays */
    args.n = g->n - 40;
    assert_scores_equal_fts5(g->leases[0].db, expr, &args, 200);
    /* sparse: every 7th chunk left out, so ids have gaps */
    int64_t *ids = calloc(g->n, sizeof *ids);
    uint32_t *lens = calloc(g->n, sizeof *lens);
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->rowids[i] % 7 != 0) {
            ids[n] = g->rowids[i];
            lens[n++] = g->lengths[i];
        }
    args.rowids = ids;
    args.lengths = lens;
    args.n = n;
    assert_true(ids[n - 1] - ids[0] != (int64_t)n - 1);
    assert_scores_equal_fts5(g->leases[0].db, expr, &args, 200);
    free(ids);
    free(lens);
    api_generation_release(g);
    free(vecs);
}

/* rag_bm25 (cached term counts, lengths loaded with the generation) gives
 * FTS5's own bm25() scores, row for row. */
static void test_rag_bm25_scores_equal_fts5_bm25(void **state)
{
    float *vecs = NULL;
    api_generation *g = open_generation(*state, 300, 1, &vecs);
    assert_true(g->avg_length > 4.0 && g->avg_length < 7.0);
    const char *terms[3] = {"word3", "filler", "17"};
    double idf[3];
    for (int i = 0; i < 3; i++) idf[i] = api_bm25_idf(g->chunk_count, api_generation_df(g, &g->leases[0], terms[i]));
    api_bm25_args args = {.idf = idf, .n_idf = 3, .rowids = g->rowids, .lengths = g->lengths, .n = g->n,
                          .avg_length = g->avg_length};
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(g->leases[0].db,
                                        "SELECT rowid, bm25(chunks_fts), rag_bm25(chunks_fts, ?2) FROM chunks_fts"
                                        " WHERE chunks_fts MATCH ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, "\"word3\" OR \"filler\" OR \"17\"", -1, SQLITE_STATIC);
    sqlite3_bind_pointer(st, 2, &args, API_BM25_PTR, NULL);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const double fts = sqlite3_column_double(st, 1), ours = sqlite3_column_double(st, 2);
        if (fabs(fts - ours) > 1e-9 * fabs(fts) + 1e-12)
            fail_msg("chunk %lld: bm25 %.12g, rag_bm25 %.12g", (long long)sqlite3_column_int64(st, 0), fts, ours);
        rows++;
    }
    assert_true(rows > 200); /* word3: 60, filler: 225, 17: 1, overlapping */
    /* called without its arguments it is an error, not a silent 0 */
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(g->leases[0].db,
                                        "SELECT rag_bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH 'word3'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
    sqlite3_finalize(st);
    api_generation_release(g);
    free(vecs);
}

/* rag_bm25_top keeps what ORDER BY rag_bm25, rowid LIMIT n returns: the
 * same rows, scores and order, ties (many chunks score alike here) to the
 * lower rowid, for a top smaller than, equal to and larger than the match set. */
static void test_rag_bm25_top_keeps_what_order_by_limit_returns(void **state)
{
    float *vecs = NULL;
    api_generation *g = open_generation(*state, 300, 1, &vecs);
    const char *terms[2] = {"word3", "filler"};
    double idf[2];
    for (int i = 0; i < 2; i++) idf[i] = api_bm25_idf(g->chunk_count, api_generation_df(g, &g->leases[0], terms[i]));
    api_bm25_args args = {.idf = idf, .n_idf = 2, .rowids = g->rowids, .lengths = g->lengths, .n = g->n,
                          .avg_length = g->avg_length};
    const char *expr = "\"word3\" OR \"filler\"";
    sqlite3 *db = g->leases[0].db;
    sqlite3_stmt *sorted = NULL, *top_st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid, rag_bm25(chunks_fts, ?2) AS s FROM chunks_fts"
                                        " WHERE chunks_fts MATCH ?1 ORDER BY s, rowid LIMIT ?3",
                                        -1, &sorted, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rag_bm25_top(chunks_fts, ?2) FROM chunks_fts WHERE chunks_fts MATCH ?1",
                                        -1, &top_st, NULL),
                     SQLITE_OK);
    static const size_t caps[] = {1, 7, 50, 1000};
    int ties = 0;
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
        api_bm25_top bt = {.args = &args, .top = {.cap = caps[c], .hit = calloc(caps[c], sizeof(api_scored))}};
        api_top *top = &bt.top;
        sqlite3_reset(top_st);
        sqlite3_bind_text(top_st, 1, expr, -1, SQLITE_STATIC);
        sqlite3_bind_pointer(top_st, 2, &bt, API_BM25_TOP_PTR, NULL);
        int rc;
        while ((rc = sqlite3_step(top_st)) == SQLITE_ROW) {}
        assert_int_equal(rc, SQLITE_DONE);
        api_top_sort(top);
        sqlite3_reset(sorted);
        sqlite3_bind_text(sorted, 1, expr, -1, SQLITE_STATIC);
        sqlite3_bind_pointer(sorted, 2, &args, API_BM25_PTR, NULL);
        sqlite3_bind_int64(sorted, 3, (sqlite3_int64)caps[c]);
        size_t i = 0;
        while ((rc = sqlite3_step(sorted)) == SQLITE_ROW) {
            assert_true(i < top->n);
            const int64_t id = sqlite3_column_int64(sorted, 0);
            const double score = -sqlite3_column_double(sorted, 1);
            if (top->hit[i].rowid != id || top->hit[i].score != score)
                fail_msg("top %zu, hit %zu: chunk %lld (%.17g) vs ORDER BY's chunk %lld (%.17g)", caps[c], i,
                         (long long)top->hit[i].rowid, top->hit[i].score, (long long)id, score);
            if (i > 0 && top->hit[i - 1].score == top->hit[i].score) ties++;
            i++;
        }
        assert_int_equal(rc, SQLITE_DONE);
        assert_int_equal(i, top->n);
        assert_int_equal(top->n, caps[c] < 200 ? caps[c] : top->n);
        if (caps[c] == 1000) assert_true(top->n > 200 && top->n < 1000); /* every match, fewer than the cap */
        free(top->hit);
    }
    assert_true(ties > 10); /* the order of equal scores was checked, not only distinct ones */
    sqlite3_finalize(sorted);
    /* without its argument it is an error, not an empty top */
    assert_int_equal(sqlite3_reset(top_st), SQLITE_OK);
    sqlite3_clear_bindings(top_st);
    sqlite3_bind_text(top_st, 1, expr, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(top_st), SQLITE_ERROR);
    sqlite3_finalize(top_st);
    api_generation_release(g);
    free(vecs);
}

static void assert_same_hits(const char *what, const api_hit *a, int na, const api_hit *b, int nb)
{
    if (na != nb) fail_msg("%s: %d hits vs %d", what, na, nb);
    for (int i = 0; i < na; i++)
        if (a[i].rowid != b[i].rowid || a[i].score != b[i].score || a[i].bm25_rank != b[i].bm25_rank)
            fail_msg("%s: hit %d is chunk %lld (%.17g, rank %d) vs chunk %lld (%.17g, rank %d)", what, i,
                     (long long)a[i].rowid, a[i].score, a[i].bm25_rank, (long long)b[i].rowid, b[i].score,
                     b[i].bm25_rank);
}

/* Each query at each (want, n_top) ranks the same through the two passes
 * as through the one statement; only the query "nowhere" may find nothing. */
static void assert_passes_rank_as_one_statement(api_generation *g, const char *const *queries, size_t n_queries)
{
    const size_t sizes[][2] = {{5, 5}, {3, 50}, {50, 50}, {1, 10}, {10, 50}};
    for (size_t q = 0; q < n_queries; q++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
            api_fts_term terms[API_FTS_MAX_TERMS];
            size_t nt = api_fts_terms(queries[q], strlen(queries[q]), terms, API_FTS_MAX_TERMS);
            api_hit a[50], b[50];
            rag_error err = {0};
            int na = api_bm25_topn_passes(g, &g->leases[0], terms, nt, sizes[z][0], a, sizes[z][1], &err);
            int nb = api_bm25_topn_one_statement(g, &g->leases[0], terms, nt, sizes[z][0], b, sizes[z][1], &err);
            char what[96];
            snprintf(what, sizeof what, "\"%s\" want %zu top %zu", queries[q], sizes[z][0], sizes[z][1]);
            if (na < 0 || nb < 0) fail_msg("%s: %s", what, err.msg);
            assert_same_hits(what, a, na, b, nb);
            if (strcmp(queries[q], "nowhere") != 0 && na == 0) fail_msg("%s: no hits", what);
        }
}

/* The one-statement way (small generations) ranks exactly as the two
 * passes: same chunks, same scores, same order, whatever pass 1 finds —
 * including a term too common for pass 2 ("filler" is in 1050 of 1400
 * chunks, over API_BM25_COMMON_MIN) and a term no chunk has. */
static void test_bm25_one_statement_ranks_as_the_two_passes(void **state)
{
    enum { N = 1400 };
    float *vecs = NULL;
    api_generation *g = open_generation(*state, N, 1, &vecs);
    const char *queries[] = {"word3", "word3 word4", "chunk number 17", "filler word2", "filler", "nowhere word1",
                             "17 filler", "chunk", "nowhere", "filler 17 word2 1399"};
    assert_passes_rank_as_one_statement(g, queries, sizeof queries / sizeof *queries);
    api_generation_release(g);
    free(vecs);
}

/* Pass 1 of a query mixing common terms ("filler" in 1050 of 1400 chunks,
 * "chunk" in all) with rarer ones looks the common terms up by rowid in the
 * rarer terms' matches when those are few enough (their list entries /
 * bm25_probe_entries, lowered here so that 1400 chunks reach it): the same
 * chunks, scores and order as the in-memory ranking, whether the rarer
 * terms match none, some with and some without the common terms, exactly
 * the most the shortcut takes, or more (then with the next term joined to
 * them, else the whole AND). */
static void test_bm25_pass1_probing_ranks_as_the_whole_and(void **state)
{
    fixture *f = *state;
    enum { N = 1400, ENTRIES = 6, FILLER = 1050, EDGE = FILLER / ENTRIES };
    float *vecs = calloc((size_t)N * DIMS, sizeof *vecs);
    write_generation(f->path, N, "1", DIMS * 4, vecs);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char sql[512];
    /* "quill" in 28 chunks (twice in some), "zephyr" in 31, "edge" in
     * exactly as many as "filler"'s lookups are worth, "many" in one more */
    snprintf(sql, sizeof sql,
             "UPDATE chunks SET text = text || ' quill' || iif(id %% 100 = 0, ' quill', '') WHERE id %% 50 = 0;"
             "UPDATE chunks SET text = text || ' zephyr' WHERE id %% 45 = 0;"
             "UPDATE chunks SET text = text || ' edge' WHERE id <= %d;"
             "UPDATE chunks SET text = text || ' many' WHERE id > %d;"
             "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');",
             EDGE, N - EDGE - 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rag_manifest m;
    manifest_for(&m, N);
    rag_error err = {0};
    api_generation *g = api_generation_open(f->path, &m, NULL, 1, &err);
    if (!g) fail_msg("%s", err.msg);
    assert_int_equal(g->bm25_probe_entries, 0); /* API_BM25_PROBE_ENTRIES */
    g->bm25_probe_entries = ENTRIES;
    /* "word2 filler chunk": word2's 280 rows are too many (filler and chunk
     * are worth (1050 + 1400) / (6 x 2) = 204 lookups),
     * word2 + filler's 210 are few enough for chunk's 1400 / 6 */
    const char *queries[] = {"quill filler", "filler quill", "quill zephyr filler", "zephyr filler chunk", "quill chunk",
                             "edge filler", "many filler", "word2 filler chunk", "filler 17 quill",
                             "quill nowhere filler", "filler chunk"};
    assert_passes_rank_as_one_statement(g, queries, sizeof queries / sizeof *queries);
    api_generation_release(g);
    free(vecs);
}

/* Opened without vectors (rag-ingest's bm25 evaluation), a generation ranks
 * exactly as with them: chunk lengths and their average are loaded all the
 * same, and vector search finds nothing instead of reading what is not there. */
static void test_open_without_vectors_ranks_like_with_them(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    float *vecs = NULL;
    api_generation *with = open_generation(f, N, 1, &vecs);
    rag_manifest m;
    manifest_for(&m, N);
    rag_error err = {0};
    api_generation *without = api_generation_open_ex(f->path, &m, NULL, 1, false, &err);
    if (!without) fail_msg("%s", err.msg);
    assert_int_equal(without->n_exact, 0);
    assert_null(without->exact_cols[0]);
    assert_int_equal(without->n, N);
    assert_true(without->avg_length == with->avg_length);
    const char *queries[] = {"chunk number 17", "word3 filler", "word2 word4", "filler"};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        api_hit a[50], b[50];
        int na = api_bm25_topn(with, &with->leases[0], queries[q], 10, a, 50, &err);
        int nb = api_bm25_topn(without, &without->leases[0], queries[q], 10, b, 50, &err);
        assert_true(na > 0);
        assert_same_hits(queries[q], a, na, b, nb);
    }
    api_hit v[5];
    assert_int_equal(api_vector_topn(without, vecs, without->leases[0].scores, v, 5), 0);
    assert_int_equal(api_generation_doc_of(without, 17), 1);
    api_generation_release(without);
    api_generation_release(with);
    free(vecs);
}

/* Dense query vectors take the column-accumulating path: same contract. */
static void test_dense_query_vectors_rank_like_brute_force(void **state)
{
    fixture *f = *state;
    enum { N = 200 };
    float *vecs = calloc((size_t)N * DENSE_DIMS, sizeof *vecs);
    write_generation_dims(f->path, N, "1", DENSE_DIMS * 4, vecs, DENSE_DIMS);
    rag_manifest m;
    manifest_for(&m, N);
    rag_error err = {0};
    api_generation *g = api_generation_open(f->path, &m, NULL, 1, &err);
    assert_non_null(g);
    const float *q = vecs + 42 * DENSE_DIMS;
    api_hit top[8];
    size_t n = api_vector_topn(g, q, g->leases[0].scores, top, 8);
    assert_true(n > 0);
    assert_int_equal(top[0].rowid, 43);
    for (size_t i = 0; i < n; i++) {
        const float *v = vecs + (size_t)(top[i].rowid - 1) * DENSE_DIMS;
        double s = 0;
        for (int j = 0; j < DENSE_DIMS; j++) s += (double)q[j] * v[j];
        assert_true(s > 0);
        int better = 0;
        for (int k = 0; k < N; k++) {
            double t = 0;
            for (int j = 0; j < DENSE_DIMS; j++) t += (double)q[j] * vecs[(size_t)k * DENSE_DIMS + j];
            if (t > s + 1e-5) better++;
        }
        assert_int_equal(better, (int)i);
    }
    api_generation_release(g);
    free(vecs);
}

static void test_open_rejects_chunk_count_that_disagrees_with_manifest(void **state)
{
    fixture *f = *state;
    float vecs[4 * DIMS];
    write_generation(f->path, 4, "1", DIMS * 4, vecs);
    rag_manifest m;
    manifest_for(&m, 5);
    rag_error err = {0};
    assert_null(api_generation_open(f->path, &m, NULL, 1, &err));
    assert_int_equal(err.code, RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "holds 4 chunks but the manifest says 5"));
}

static void test_open_rejects_a_newer_schema_version(void **state)
{
    fixture *f = *state;
    float vecs[4 * DIMS];
    write_generation(f->path, 4, "3", DIMS * 4, vecs);
    rag_manifest m;
    manifest_for(&m, 4);
    rag_error err = {0};
    assert_null(api_generation_open(f->path, &m, NULL, 1, &err));
    assert_int_equal(err.code, RAG_EVERSION);
    assert_non_null(strstr(err.msg, "schema version 3 is not supported"));
}

static void test_open_rejects_vectors_of_the_wrong_size(void **state)
{
    fixture *f = *state;
    float vecs[4 * DIMS];
    write_generation(f->path, 4, "1", DIMS * 4 - 4, vecs);
    rag_manifest m;
    manifest_for(&m, 4);
    rag_error err = {0};
    assert_null(api_generation_open(f->path, &m, NULL, 1, &err));
    assert_non_null(strstr(err.msg, "expected 32"));
}

static void test_open_reports_a_missing_file(void **state)
{
    fixture *f = *state;
    rag_manifest m;
    manifest_for(&m, 4);
    rag_error err = {0};
    assert_null(api_generation_open(f->path, &m, NULL, 1, &err));
    assert_non_null(strstr(err.msg, f->path));
}

static void test_swap_keeps_the_old_generation_alive_for_its_queries(void **state)
{
    fixture *f = *state;
    float vecs[6 * DIMS];
    write_generation(f->path, 6, "1", DIMS * 4, vecs);
    rag_manifest m;
    manifest_for(&m, 6);
    rag_error err = {0};
    api_store *s = api_store_new();
    assert_null(api_store_acquire(s));
    api_generation *g1 = api_generation_open(f->path, &m, NULL, 1, &err);
    assert_non_null(g1);
    api_store_publish(s, g1, &m, 5);
    api_generation *held = api_store_acquire(s); /* a query in flight */
    assert_ptr_equal(held, g1);
    snprintf(m.generation, sizeof m.generation, "gen-run-2.sqlite");
    snprintf(m.run_id, sizeof m.run_id, "run-2");
    api_generation *g2 = api_generation_open(f->path, &m, NULL, 1, &err);
    api_store_publish(s, g2, &m, 6);
    /* the held one still answers (ASan would flag a use after free) */
    api_hit top[3];
    assert_int_equal(api_vector_topn(held, vecs, held->leases[0].scores, top, 3), 3);
    assert_int_equal(top[0].rowid, 1);
    api_generation_release(held);
    api_generation *now = api_store_acquire(s);
    assert_string_equal(now->generation, "gen-run-2.sqlite");
    api_generation_release(now);
    api_served_info info;
    api_store_info(s, &info);
    assert_string_equal(info.run_id, "run-2");
    assert_int_equal(info.reloads, 2);
    api_store_fail(s, "gen-bad.sqlite", "boom", 7);
    api_store_info(s, &info);
    assert_string_equal(info.generation, "gen-run-2.sqlite");
    assert_string_equal(info.failed_generation, "gen-bad.sqlite");
    api_store_free(s);
}

/* ------------------------------------------------------------ approximate vector index */

#define ANN_DIMS 32

static int table_exists(const char *path, const char *name)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = ?1", -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void build_ann(const char *path, int64_t min_chunks, rag_vindex_info *info)
{
    rag_vindex_settings s = {.min_chunks = min_chunks, .threads = 2};
    rag_error err = {0};
    if (rag_vindex_build_file(path, &s, info, &err) != RAG_OK) fail_msg("%s", err.msg);
}

static api_generation *open_at(const char *path, int n)
{
    rag_manifest m;
    manifest_for(&m, n);
    rag_error err = {0};
    api_generation *g = api_generation_open(path, &m, NULL, 1, &err);
    if (!g) fail_msg("%s", err.msg);
    return g;
}

static void test_ann_is_built_from_the_threshold_up_and_not_below(void **state)
{
    fixture *f = *state;
    enum { N = 400 };
    float *vecs = calloc((size_t)N * ANN_DIMS, sizeof *vecs);
    write_generation_dims(f->path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS);
    rag_vindex_info info;
    build_ann(f->path, N + 1, &info); /* one chunk short: exact search */
    assert_false(info.built);
    assert_int_equal(table_exists(f->path, "vector_index"), 0);
    api_generation *g = open_at(f->path, N);
    assert_int_equal(g->n_ann, 0);
    assert_int_equal(g->n_exact, N);
    assert_non_null(g->exact_cols[0]);
    api_generation_release(g);

    build_ann(f->path, N, &info); /* at the threshold: built, stored, loaded */
    assert_true(info.built);
    assert_int_equal(info.vectors, N);
    assert_true(info.bytes > (int64_t)N * ANN_DIMS);
    assert_int_equal(table_exists(f->path, "vector_index_parts"), 1);
    g = open_at(f->path, N);
    assert_int_equal(g->n_ann, 1); /* a v1 file is one segment */
    assert_non_null(g->ann[0]);
    assert_int_equal(g->n_exact, 0);
    assert_null(g->exact_cols[0]); /* the float32 vectors stay on disk */
    assert_int_equal(g->n, N);
    assert_int_equal(g->rowids[N - 1], N);
    api_generation_release(g);

    build_ann(f->path, 0, &info); /* 0 = off: a rebuild drops the index */
    assert_false(info.built);
    assert_int_equal(table_exists(f->path, "vector_index"), 0);
    free(vecs);
}

/* A stop request (rag-ingest's SIGTERM flag) in the middle of a build: it
 * ends at the next vector, fails saying why, and leaves the file as it was
 * (here: the index of an earlier build, untouched). */
typedef struct stop_probe {
    volatile int flag;
    int calls;
    int64_t last_added, total;
} stop_probe;
static void stop_after_first_batch(void *ud, int64_t added, int64_t total)
{
    stop_probe *p = ud;
    p->calls++;
    p->last_added = added;
    p->total = total;
    if (added > 0) p->flag = 1; /* as the signal handler would, between two batches */
}
static void test_ann_build_stops_on_request_and_keeps_the_last_index(void **state)
{
    fixture *f = *state;
    enum { N = 9000 }; /* three batches of 4096 */
    float *vecs = calloc((size_t)N * ANN_DIMS, sizeof *vecs);
    write_generation_dims(f->path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS);
    rag_vindex_info info;
    build_ann(f->path, N, &info);
    assert_true(info.built);
    const int64_t bytes = info.bytes;

    stop_probe p = {0};
    rag_vindex_settings s = {.min_chunks = 1, .threads = 2, .interrupt = &p.flag, .progress = stop_after_first_batch,
                             .progress_ud = &p};
    rag_error err = {0};
    assert_int_equal(rag_vindex_build_file(f->path, &s, &info, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "interrupted by a signal"));
    assert_false(info.built);
    assert_int_equal(p.calls, 2); /* the start, then the first batch: no second one */
    assert_int_equal(p.last_added, 4096);
    assert_int_equal(p.total, N);
    /* the earlier index is still there, whole, and loads */
    assert_int_equal(table_exists(f->path, "vector_index"), 1);
    api_generation *g = open_at(f->path, N);
    assert_int_equal(g->n_ann, 1);
    assert_int_equal(g->ann_n[0], N);
    api_generation_release(g);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT bytes FROM vector_index", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), bytes);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* a request already made when the build starts: nothing is added */
    p = (stop_probe){.flag = 1};
    assert_int_equal(rag_vindex_build_file(f->path, &s, &info, &err), RAG_ERR);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.last_added, 0);
    assert_int_equal(table_exists(f->path, "vector_index"), 1);
    free(vecs);
}

/* Approximate search returns what exact search returns: recall@10 over 100
 * queries >= 0.95, and each chunk found carries its exact score. */
/* rag_ann_search walks the graph itself (to prefetch each neighbour list's
 * vectors); it must give exactly hnswlib's own answer: the same ids in the
 * same order with the same scores, for every k and ef, ties included (a
 * quarter of the vectors are copies of others, so equal distances occur).
 * The scores are the int8 inner products (56 dimensions: every step of the
 * vectorised dot product, 32 + 16 + scalar), within quantisation error of
 * the float ones. */
static void test_ann_search_gives_hnswlibs_answer(void **state)
{
    (void)state;
    enum { N = 4000, D = 56, QUERIES = 150 };
    char msg[256] = "";
    float *x = malloc(sizeof(float) * N * D);
    assert_non_null(x);
    srand(7);
    for (int i = 0; i < N; i++)
        for (int d = 0; d < D; d++)
            x[i * D + d] = (i % 4 == 3) ? x[(i / 2) * D + d] : (float)(rand() % 2001 - 1000) / 1000.0f;
    rag_ann *a = rag_ann_new(D, N, 8, 40, msg, sizeof msg);
    assert_non_null(a);
    assert_int_equal(rag_ann_add(a, N, x, 0, 1, NULL, msg, sizeof msg), 0);
    const int efs[] = {1, 10, 64, 300};
    const size_t ks[] = {1, 10, 50};
    int64_t ids[50], ref_ids[50];
    float scores[50], ref_scores[50], q[D];
    long compared = 0;
    for (size_t e = 0; e < sizeof efs / sizeof efs[0]; e++) {
        rag_ann_set_ef(a, efs[e]);
        for (int t = 0; t < QUERIES; t++) {
            for (int d = 0; d < D; d++) q[d] = t % 3 ? (float)(rand() % 2001 - 1000) / 1000.0f : x[(t * 17) * D + d];
            for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
                long n = rag_ann_search(a, q, ks[j], ids, scores);
                long ref = rag_ann_search_hnswlib(a, q, ks[j], ref_ids, ref_scores);
                assert_true(ref > 0);
                assert_int_equal(n, ref);
                assert_memory_equal(ids, ref_ids, sizeof ids[0] * (size_t)n);
                assert_memory_equal(scores, ref_scores, sizeof scores[0] * (size_t)n);
                for (long r = 0; r < n; r++) {
                    double dot = 0, qq = 0, xx = 0;
                    for (int d = 0; d < D; d++) {
                        const float xv = x[ids[r] * D + d];
                        dot += (double)q[d] * xv, qq += (double)q[d] * q[d], xx += (double)xv * xv;
                    }
                    if (fabs(scores[r] - dot) > 0.02 * sqrt(qq * xx))
                        fail_msg("id %lld: int8 score %g, float inner product %g", (long long)ids[r], scores[r], dot);
                }
                compared += n;
            }
        }
    }
    assert_true(compared > 10000);
    rag_ann_free(a);
    free(x);
}

static void test_ann_search_agrees_with_exact_search(void **state)
{
    fixture *f = *state;
    enum { N = 5000, Q = 100, K = 10 };
    char ann_path[160];
    snprintf(ann_path, sizeof ann_path, "%s/gen-ann.sqlite", f->dir);
    float *vecs = calloc((size_t)N * ANN_DIMS, sizeof *vecs);
    write_generation_dims(f->path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS);
    write_generation_dims(ann_path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS); /* same seed: same vectors */
    rag_vindex_info info;
    build_ann(ann_path, 1000, &info);
    assert_true(info.built);
    api_generation *exact = open_at(f->path, N), *approx = open_at(ann_path, N);
    assert_int_equal(exact->n_ann, 0);
    assert_int_equal(approx->n_ann, 1);
    unsigned seed = 99;
    int found = 0;
    for (int qi = 0; qi < Q; qi++) {
        float q[ANN_DIMS];
        /* half the queries near a stored vector, half anywhere */
        const float *near = qi % 2 ? vecs + (size_t)(rand_r(&seed) % N) * ANN_DIMS : NULL;
        double norm = 0;
        for (int j = 0; j < ANN_DIMS; j++) {
            float noise = (float)((int)(rand_r(&seed) % 2001) - 1000) / 1000.0f;
            q[j] = near ? near[j] + 0.1f * noise : noise;
            norm += (double)q[j] * q[j];
        }
        for (int j = 0; j < ANN_DIMS; j++) q[j] = (float)(q[j] / sqrt(norm));
        api_hit want[K], got[K];
        size_t nw = api_vector_topn(exact, q, exact->leases[0].scores, want, K);
        rag_error err = {0};
        int ng = api_vector_ann_topn(approx, &approx->leases[0], q, got, K, &err);
        if (ng < 0) fail_msg("%s", err.msg);
        assert_int_equal(ng, (int)nw);
        for (int i = 0; i < ng; i++) {
            assert_int_equal(got[i].vector_rank, i + 1);
            for (size_t k = 0; k < nw; k++)
                if (want[k].rowid == got[i].rowid) {
                    found++;
                    assert_true(want[k].score == got[i].score); /* rescored exactly: the same float */
                }
        }
    }
    const double recall = (double)found / (Q * K);
    print_message("# recall@10 of approximate vs exact search: %.3f\n", recall);
    assert_true(recall >= 0.95);
    api_generation_release(exact);
    api_generation_release(approx);
    unlink(ann_path);
    free(vecs);
}

/* A worker holding several hybrid queries computes their vector lists
 * ahead (api_query_vector_ahead) and ranks them afterwards: the answers are
 * the ones ranking computes by itself, over a graph and over the exact
 * scan, chunks and documents (whose rounds beyond the first recompute the
 * list), k below and above the candidate depth; other modes and a query
 * without its vector are left alone. */
static void test_hybrid_vector_list_computed_ahead_ranks_the_same(void **state)
{
    fixture *f = *state;
    enum { N = 3000, Q = 12 };
    char ann_path[160];
    snprintf(ann_path, sizeof ann_path, "%s/gen-ann.sqlite", f->dir);
    float *vecs = calloc((size_t)N * ANN_DIMS, sizeof *vecs);
    write_generation_dims(f->path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS);
    write_generation_dims(ann_path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS);
    const char *const paths[2] = {f->path, ann_path};
    for (int i = 0; i < 2; i++) { /* the chunks spread over 40 documents: grouping needs more than one round */
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(paths[i], &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "WITH RECURSIVE d(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM d WHERE i < 40) "
                                      "INSERT INTO documents SELECT i, 'd' || i || '.txt', 'D', 'txt', 1, 0, 'x', 0 FROM d;"
                                      "UPDATE chunks SET doc_id = id % 40 + 1;",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }
    rag_vindex_info info;
    build_ann(ann_path, 1000, &info);
    assert_true(info.built);
    api_generation *gens[2] = {open_at(f->path, N), open_at(ann_path, N)};
    assert_int_equal(gens[1]->n_ann, 1);
    unsigned seed = 5;
    int compared = 0;
    for (int gi = 0; gi < 2; gi++)
        for (int qi = 0; qi < Q; qi++)
            for (int variant = 0; variant < 4; variant++) {
                api_query_req req = {0};
                char text[64];
                snprintf(text, sizeof text, "chunk word%d filler number %d", qi % 5, (int)(rand_r(&seed) % N));
                req.q = strdup(text);
                req.k = variant % 2 ? API_CANDIDATES + 10 : 5;
                req.group = variant / 2 ? API_GROUP_DOCUMENT : API_GROUP_CHUNK;
                req.mode = API_MODE_HYBRID;
                req.qvec = malloc(ANN_DIMS * sizeof *req.qvec);
                const float *near = vecs + (size_t)(rand_r(&seed) % N) * ANN_DIMS;
                for (int j = 0; j < ANN_DIMS; j++) req.qvec[j] = near[j] + 0.05f * (float)((int)(rand_r(&seed) % 201) - 100) / 100.0f;
                api_hit *want = NULL, *got = NULL;
                size_t nw = 0, ng = 0;
                rag_error err = {0};
                if (api_query_rank(gens[gi], 0, &req, &want, &nw, NULL, &err) != RAG_OK) fail_msg("%s", err.msg);
                if (api_query_vector_ahead(gens[gi], 0, &req, &err) != RAG_OK) fail_msg("%s", err.msg);
                assert_non_null(req.vec_hits);
                assert_true(req.n_vec_hits > 0);
                if (api_query_rank(gens[gi], 0, &req, &got, &ng, NULL, &err) != RAG_OK) fail_msg("%s", err.msg);
                assert_int_equal(ng, nw);
                assert_true(nw > 0);
                for (size_t i = 0; i < nw; i++) {
                    assert_int_equal(got[i].rowid, want[i].rowid);
                    assert_true(got[i].score == want[i].score);
                    assert_int_equal(got[i].bm25_rank, want[i].bm25_rank);
                    assert_int_equal(got[i].vector_rank, want[i].vector_rank);
                }
                compared += (int)nw;
                free(want);
                free(got);
                api_query_req_free(&req);
            }
    assert_true(compared > 0);
    /* nothing computed ahead for bm25 or vector mode, or without a vector */
    const api_mode others[] = {API_MODE_BM25, API_MODE_VECTOR, API_MODE_HYBRID};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        api_query_req req = {.q = strdup("chunk number"), .k = 5, .mode = others[i]};
        if (others[i] != API_MODE_HYBRID) req.qvec = calloc(ANN_DIMS, sizeof *req.qvec);
        rag_error err = {0};
        assert_int_equal(api_query_vector_ahead(gens[1], 0, &req, &err), RAG_OK);
        assert_null(req.vec_hits);
        api_query_req_free(&req);
    }
    api_generation_release(gens[0]);
    api_generation_release(gens[1]);
    unlink(ann_path);
    free(vecs);
}

static void test_ann_open_rejects_a_damaged_vector_index(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    float *vecs = calloc((size_t)N * ANN_DIMS, sizeof *vecs);
    static const char *const damage[] = {
        "UPDATE vector_index SET vectors = vectors + 1",
        "UPDATE vector_index SET kind = 'ivf-pq'",
        "DELETE FROM vector_index_parts",
        "UPDATE vector_index_parts SET data = substr(data, 1, 1000)",
        "UPDATE vector_index_parts SET data = zeroblob(length(data))",
    };
    for (size_t d = 0; d < sizeof damage / sizeof *damage; d++) {
        write_generation_dims(f->path, N, "1", ANN_DIMS * 4, vecs, ANN_DIMS);
        rag_vindex_info info;
        build_ann(f->path, 1, &info);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, damage[d], NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        rag_manifest m;
        manifest_for(&m, N);
        rag_error err = {0};
        api_generation *g = api_generation_open(f->path, &m, NULL, 1, &err);
        if (g) fail_msg("opened despite: %s", damage[d]);
        assert_int_equal(err.code, RAG_ECORRUPT);
        assert_non_null(strstr(err.msg, "vector"));
    }
    free(vecs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_loads_every_vector_and_ranks_like_brute_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rag_bm25_scores_equal_fts5_bm25, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rag_bm25_lengths_dense_sparse_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rag_bm25_top_keeps_what_order_by_limit_returns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dense_query_vectors_rank_like_brute_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bm25_one_statement_ranks_as_the_two_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bm25_pass1_probing_ranks_as_the_whole_and, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_without_vectors_ranks_like_with_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rejects_chunk_count_that_disagrees_with_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rejects_a_newer_schema_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rejects_vectors_of_the_wrong_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_reports_a_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap_keeps_the_old_generation_alive_for_its_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ann_is_built_from_the_threshold_up_and_not_below, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ann_search_agrees_with_exact_search, setup, teardown),
        cmocka_unit_test(test_ann_search_gives_hnswlibs_answer),
        cmocka_unit_test_setup_teardown(test_ann_build_stops_on_request_and_keeps_the_last_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hybrid_vector_list_computed_ahead_ranks_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ann_open_rejects_a_damaged_vector_index, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
