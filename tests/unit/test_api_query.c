/* test_api_query.c — the pieces of /query that need no server: the FTS5
 * sanitiser (against a real FTS5 table), the request body parser and
 * Reciprocal Rank Fusion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../../src/api/query.h"
#include "../../src/api/query_body.h"
#include "../../src/api/sanitise.h"

static void test_sanitise_quotes_terms_and_drops_stopwords(void **state)
{
    (void)state;
    char out[256];
    const char *q = "What is the Calvin cycle?";
    assert_int_equal(api_fts_sanitise(q, strlen(q), out, sizeof out), 2);
    assert_string_equal(out, "\"calvin\" OR \"cycle\"");
}

static void test_sanitise_leaves_nothing_for_stopwords_and_punctuation(void **state)
{
    (void)state;
    char out[64] = "x";
    const char *q = "the of and *** \"\" () :: --";
    assert_int_equal(api_fts_sanitise(q, strlen(q), out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void test_sanitise_never_overflows_a_small_buffer(void **state)
{
    (void)state;
    char out[16];
    memset(out, 'Z', sizeof out);
    const char *q = "alpha beta gamma delta epsilon";
    size_t n = api_fts_sanitise(q, strlen(q), out, 12);
    assert_int_equal(n, 1); /* "alpha" fits, "beta" would not */
    assert_string_equal(out, "\"alpha\"");
    assert_int_equal(out[12], 'Z');
}

static void test_sanitise_caps_the_number_of_terms(void **state)
{
    (void)state;
    char q[4096] = "", out[8192];
    for (int i = 0; i < 100; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%d ", i);
        strcat(q, w);
    }
    assert_int_equal(api_fts_sanitise(q, strlen(q), out, sizeof out), API_FTS_MAX_TERMS);
}

/* Hostile inputs run through MATCH on a real FTS5 table: never an error. */
static void test_sanitised_hostile_input_never_breaks_fts5(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61');"
                                      "INSERT INTO t VALUES ('calvin cycle fixes carbon'), ('robert drop tables');",
                                  NULL, NULL, NULL), SQLITE_OK);
    const char *inputs[] = {
        "title:foo AND \"bar\"", "NEAR(calvin cycle, 2)", "calvin OR", "\"unterminated", "* ^col -z",
        "'); DROP TABLE t; --", "robert'); DROP TABLE students;--", "a\"b\"\"c", "(((", "carbon*",
        "{text}: calvin", "\xff\xfe\x80 calvin \xc3\x28", "NOT", "AND AND", "cycle + fixes",
    };
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1", -1, &st, NULL), SQLITE_OK);
    int matched = 0;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char expr[1024];
        if (api_fts_sanitise(inputs[i], strlen(inputs[i]), expr, sizeof expr) == 0) continue;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) matched++;
        if (rc != SQLITE_DONE) fail_msg("input %zu (%s -> %s): %s", i, inputs[i], expr, sqlite3_errmsg(db));
    }
    assert_true(matched > 0);
    sqlite3_finalize(st);
    /* the table is intact */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_body_parses_query_k_and_mode(void **state)
{
    (void)state;
    api_query_req r;
    char msg[256];
    const char *b = "{\"q\": \"  calvin cycle \", \"k\": 3, \"mode\": \"bm25\"}";
    assert_int_equal(api_query_parse_json(b, strlen(b), 5, 50, &r, msg, sizeof msg), 0);
    assert_string_equal(r.q, "calvin cycle");
    assert_int_equal(r.k, 3);
    assert_int_equal(r.mode, API_MODE_BM25);
    api_query_req_free(&r);
    b = "{\"q\":\"x\"}";
    assert_int_equal(api_query_parse_json(b, strlen(b), 5, 50, &r, msg, sizeof msg), 0);
    assert_int_equal(r.k, 5);
    assert_int_equal(r.mode, API_MODE_AUTO); /* not given: the configured default decides */
    assert_int_equal(r.group, API_GROUP_CHUNK);
    api_query_req_free(&r);
    b = "{\"q\":\"x\", \"group\": \"document\", \"mode\": \"hybrid\"}";
    assert_int_equal(api_query_parse_json(b, strlen(b), 5, 50, &r, msg, sizeof msg), 0);
    assert_int_equal(r.group, API_GROUP_DOCUMENT);
    assert_int_equal(r.mode, API_MODE_HYBRID);
    api_query_req_free(&r);
    b = "{\"q\":\"x\", \"group\": \"chunk\"}";
    assert_int_equal(api_query_parse_json(b, strlen(b), 5, 50, &r, msg, sizeof msg), 0);
    assert_int_equal(r.group, API_GROUP_CHUNK);
    api_query_req_free(&r);
}

static void expect_reject(const char *body, const char *fragment)
{
    api_query_req r;
    char msg[256] = "";
    if (api_query_parse_json(body, strlen(body), 5, 50, &r, msg, sizeof msg) == 0)
        fail_msg("accepted %s", body);
    if (!strstr(msg, fragment)) fail_msg("%s: message \"%s\" lacks \"%s\"", body, msg, fragment);
    assert_null(r.q);
}

static void test_body_rejects_bad_requests_with_a_named_field(void **state)
{
    (void)state;
    expect_reject("", "empty");
    expect_reject("{\"q\":", "not valid JSON");
    expect_reject("[1,2]", "JSON object");
    expect_reject("{}", "\"q\" is required");
    expect_reject("{\"q\": 5}", "\"q\" must be a string");
    expect_reject("{\"q\": \"   \"}", "\"q\" is empty");
    expect_reject("{\"q\": \"a\", \"k\": 0}", "\"k\" must be an integer from 1 to 50");
    expect_reject("{\"q\": \"a\", \"k\": 51}", "\"k\"");
    expect_reject("{\"q\": \"a\", \"k\": 2.5}", "\"k\"");
    expect_reject("{\"q\": \"a\", \"k\": \"3\"}", "\"k\"");
    expect_reject("{\"q\": \"a\", \"mode\": \"semantic\"}", "\"mode\"");
    expect_reject("{\"q\": \"a\", \"mode\": \"auto\"}", "\"mode\""); /* a setting, not a request mode */
    expect_reject("{\"q\": \"a\", \"group\": \"documents\"}", "field \"group\" must be \"chunk\" or \"document\"");
    expect_reject("{\"q\": \"a\", \"group\": 1}", "field \"group\"");
    expect_reject("{\"q\": \"a\", \"group\": null}", "field \"group\"");
    expect_reject("{\"q\": \"a\", \"group\": \"chunk\", \"group\": \"document\"}", "duplicate field \"group\"");
    expect_reject("{\"q\": \"a\", \"top_k\": 3}", "unknown field \"top_k\"");
}

static void test_body_parsing_is_strict(void **state)
{
    (void)state;
    expect_reject("{\"q\":\"foo\"} xx", "unexpected bytes after the JSON value at byte offset 12");
    expect_reject("{\"q\":\"foo\"}{}", "byte offset 11");
    expect_reject("{\"q\":\"a\\u0000b\"}", "NUL character (\\u0000) at byte offset 7");
    expect_reject("{\"q\":\"a\", \"q\":\"b\"}", "duplicate field \"q\"");
    expect_reject("{\"q\":\"a\", \"k\":1, \"k\":2}", "duplicate field \"k\"");
    expect_reject("{\"q\":\"\xff\xfe\"}", "not valid UTF-8 (byte 0xff at byte offset 6)");
    expect_reject("{\"q\":\"\xc0\xaf\"}", "byte offset 6"); /* overlong '/' */
    expect_reject("{\"q\":\"a\tb\"}", "control character 0x09 inside a string at byte offset 7");
    /* the character after a backslash is checked like any other: an invalid
     * byte there is named as such, a valid multi-byte one leaves the rest of
     * the string to the JSON parser (not a misplaced UTF-8 complaint) */
    expect_reject("{\"q\":\"a\\\xff\"}", "not valid UTF-8 (byte 0xff at byte offset 8)");
    expect_reject("{\"q\":\"a\\\x01\"}", "control character 0x01 inside a string at byte offset 8");
    expect_reject("{\"q\":\"a\\\xc3\xa9\"}", "not valid JSON");
    expect_reject("{\"q\":\"a\\\"\x01\"}", "control character 0x01 inside a string at byte offset 9");
    /* a NUL byte in the raw body (strlen would stop there, so pass the length) */
    api_query_req r;
    char msg[256] = "";
    const char nul_body[] = "{\"q\":\"a\0b\"}";
    assert_int_equal(api_query_parse_json(nul_body, sizeof nul_body - 1, 5, 50, &r, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "NUL byte at byte offset 7"));
    /* escaped text that only looks like \u0000 is fine, and trailing whitespace too */
    const char *ok = "{\"q\":\"a\\\\u0000 \u00e9t\u00e9\"} \n";
    assert_int_equal(api_query_parse_json(ok, strlen(ok), 5, 50, &r, msg, sizeof msg), 0);
    assert_string_equal(r.q, "a\\u0000 \xc3\xa9t\xc3\xa9");
    api_query_req_free(&r);
}

static void test_get_q_must_be_utf8_without_nul(void **state)
{
    (void)state;
    api_query_req r;
    char msg[256];
    assert_int_equal(api_query_parse_args("\xff\xfe\xc0\xaf", 4, NULL, NULL, NULL, 5, 50, &r, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "\"q\" is not valid UTF-8 (byte 0xff at byte offset 0)"));
    assert_int_equal(api_query_parse_args("ab\0cd", 5, NULL, NULL, NULL, 5, 50, &r, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "NUL character at byte offset 2"));
    assert_int_equal(api_query_parse_args("caf\xc3\xa9", 5, NULL, NULL, NULL, 5, 50, &r, msg, sizeof msg), 0);
    assert_string_equal(r.q, "caf\xc3\xa9");
    api_query_req_free(&r);
}

static void test_get_args_are_validated_like_the_body(void **state)
{
    (void)state;
    api_query_req r;
    char msg[256];
    assert_int_equal(api_query_parse_args("calvin", 6, "7", "vector", NULL, 5, 50, &r, msg, sizeof msg), 0);
    assert_int_equal(r.k, 7);
    assert_int_equal(r.mode, API_MODE_VECTOR);
    api_query_req_free(&r);
    assert_int_equal(api_query_parse_args(NULL, 0, NULL, NULL, NULL, 5, 50, &r, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "\"q\" is required"));
    assert_int_equal(api_query_parse_args("x", 1, "7abc", NULL, NULL, 5, 50, &r, msg, sizeof msg), -1);
    assert_int_equal(api_query_parse_args("x", 1, NULL, "fuzzy", NULL, 5, 50, &r, msg, sizeof msg), -1);
    assert_int_equal(api_query_parse_args("x", 1, NULL, NULL, "doc", 5, 50, &r, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "argument \"group\" must be chunk or document"));
    assert_int_equal(api_query_parse_args("x", 1, NULL, NULL, "document", 5, 50, &r, msg, sizeof msg), 0);
    assert_int_equal(r.group, API_GROUP_DOCUMENT);
    assert_int_equal(r.mode, API_MODE_AUTO);
    api_query_req_free(&r);
}

static void test_rrf_ranks_documents_found_by_both_lists_first(void **state)
{
    (void)state;
    api_hit bm[3] = {{.rowid = 10}, {.rowid = 20}, {.rowid = 30}};
    api_hit vec[3] = {{.rowid = 30}, {.rowid = 40}, {.rowid = 10}};
    api_hit out[6];
    size_t n = api_rrf_fuse(bm, 3, vec, 3, 1.0, out, 6);
    assert_int_equal(n, 4);
    /* 10: 1/61 + 1/63; 30: 1/63 + 1/61 — equal, smaller rowid first */
    assert_int_equal(out[0].rowid, 10);
    assert_int_equal(out[0].bm25_rank, 1);
    assert_int_equal(out[0].vector_rank, 3);
    assert_int_equal(out[1].rowid, 30);
    assert_true(out[0].score > 1.0 / 61);
    /* 20 (1/62) and 40 (1/62) tie: rowid 20 first */
    assert_int_equal(out[2].rowid, 20);
    assert_int_equal(out[3].rowid, 40);
    assert_int_equal(out[3].bm25_rank, 0);
    assert_int_equal(api_rrf_fuse(bm, 3, vec, 3, 1.0, out, 2), 2);
    assert_int_equal(api_rrf_fuse(NULL, 0, NULL, 0, 1.0, out, 6), 0);
}

static void test_weighted_rrf_lets_the_bm25_list_lead(void **state)
{
    (void)state;
    /* full lists of 50: bm25 ranks rowids 1..50, vectors rank 50..1 */
    api_hit bm[50], vec[50], out[100];
    for (int i = 0; i < 50; i++) {
        bm[i] = (api_hit){.rowid = i + 1};
        vec[i] = (api_hit){.rowid = 50 - i};
    }
    /* equal weights: every chunk scores 1/(60+r) + 1/(60+51-r); the ends
     * (r = 1 and 50) tie at the top and the smaller rowid wins */
    assert_int_equal(api_rrf_fuse(bm, 50, vec, 50, 1.0, out, 100), 50);
    assert_int_equal(out[0].rowid, 1);
    assert_int_equal(out[1].rowid, 50);
    /* a small vector weight keeps bm25's order entirely */
    assert_int_equal(api_rrf_fuse(bm, 50, vec, 50, 0.1, out, 100), 50);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(out[i].rowid, i + 1);
        assert_int_equal(out[i].bm25_rank, i + 1);
        assert_int_equal(out[i].vector_rank, 50 - i);
        double want = 1.0 / (API_RRF_K + i + 1) + 0.1 / (API_RRF_K + 50 - i);
        assert_true(out[i].score > want - 1e-12 && out[i].score < want + 1e-12);
    }
    /* a heavy vector weight hands the lead to the vector list */
    assert_int_equal(api_rrf_fuse(bm, 50, vec, 50, 10.0, out, 100), 50);
    assert_int_equal(out[0].rowid, 50);
    /* disjoint lists: one entry per chunk, the other rank 0 */
    api_hit other[2] = {{.rowid = 100}, {.rowid = 101}};
    assert_int_equal(api_rrf_fuse(bm, 2, other, 2, 0.5, out, 100), 4);
    assert_int_equal(out[0].rowid, 1);
    assert_int_equal(out[1].rowid, 2);
    assert_int_equal(out[2].rowid, 100);
    assert_int_equal(out[2].bm25_rank, 0);
    assert_int_equal(out[2].vector_rank, 1);
}

/* Random lists (each rowid once per list, some in both), up to 2,000 long
 * (past the fusion's table on the stack), against the definition: every
 * chunk of either list once, score summed over its lists, ordered by score
 * then rowid. */
/* Hits are sorted best first, ties to the lower rowid, by insertion up to
 * RAG_SORT_SMALL and by qsort above: at every length on either side, with
 * many tied scores, the order is the one qsort gives with
 * api_hit_best_first (a total order over distinct rowids). */
static void test_sort_hits_agrees_with_qsort_at_every_length(void **state)
{
    (void)state;
    api_hit v[3 * RAG_SORT_SMALL], want[3 * RAG_SORT_SMALL];
    unsigned seed = 11;
    for (size_t n = 0; n <= sizeof v / sizeof *v; n++) {
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            const unsigned r = seed >> 16;
            /* distinct rowids, in a scrambled order; scores from a few values */
            v[i] = (api_hit){.rowid = (int64_t)((i * 7919u) % 1009u) - 500, .score = (double)(r % 5) / 4.0,
                             .bm25_rank = (int)i + 1, .vector_rank = (int)(r % 3)};
        }
        memcpy(want, v, n * sizeof *v);
        if (n) qsort(want, n, sizeof *want, api_hit_best_first);
        api_sort_hits(v, n);
        if (n) assert_memory_equal(v, want, n * sizeof *v);
    }
}

/* GET arguments are taken as sent: q, k, mode, group by exact name, each
 * once; an unknown name is named (printable, quotes and controls shown as
 * ?), a repeat or a NUL in k/mode/group is refused, "?k" without "=" is an
 * empty value (which k then refuses), and the first problem is kept. */
static void test_get_arguments_are_taken_exactly(void **state)
{
    (void)state;
    api_query_args a = {0};
    api_query_args_add(&a, "q", 1, "ab\0c", 4);
    api_query_args_add(&a, "k", 1, NULL, 0);
    api_query_args_add(&a, "mode", 4, "bm25", 4);
    assert_string_equal(a.error, "");
    assert_int_equal(a.len[0], 4);
    assert_string_equal(a.value[1], "");
    assert_string_equal(a.value[2], "bm25");
    assert_null(a.value[3]);
    api_query_args_add(&a, "k", 1, "3", 1);
    assert_string_equal(a.error, "argument \"k\" is given more than once");
    api_query_args_add(&a, "zz", 2, "1", 1);
    assert_string_equal(a.error, "argument \"k\" is given more than once");

    api_query_args b = {0};
    api_query_args_add(&b, "K", 1, "3", 1);
    assert_string_equal(b.error, "unknown argument \"K\" (arguments: q, k, mode, group)");
    api_query_args c = {0};
    api_query_args_add(&c, "q\"\x01\xff", 4, "x", 1);
    assert_string_equal(c.error, "unknown argument \"q???\" (arguments: q, k, mode, group)");
    api_query_args d = {0};
    api_query_args_add(&d, "group", 5, "chunk\0x", 7);
    assert_string_equal(d.error, "argument \"group\" contains a NUL byte (%00)");
    api_query_args e = {0};
    api_query_args_add(&e, "q\0", 2, "x", 1);
    assert_string_equal(e.error, "unknown argument \"q?\" (arguments: q, k, mode, group)");

    api_query_req req;
    char msg[200];
    assert_int_equal(api_query_parse_args("a", 1, "+5", NULL, NULL, 5, 50, &req, msg, sizeof msg), -1);
    assert_int_equal(api_query_parse_args("a", 1, " 5", NULL, NULL, 5, 50, &req, msg, sizeof msg), -1);
    assert_int_equal(api_query_parse_args("a", 1, "", NULL, NULL, 5, 50, &req, msg, sizeof msg), -1);
    assert_int_equal(api_query_parse_args("a", 1, "7", NULL, NULL, 5, 50, &req, msg, sizeof msg), 0);
    assert_int_equal(req.k, 7);
    api_query_req_free(&req);
}

static void test_rrf_matches_its_definition_on_random_lists(void **state)
{
    (void)state;
    unsigned seed = 7;
    for (int round = 0; round < 200; round++) {
        const size_t nb = (size_t)(rand_r(&seed) % (round < 150 ? 60 : 2000)), nv = (size_t)(rand_r(&seed) % (round < 150 ? 60 : 2000));
        const int64_t span = (int64_t)(nb + nv) + 1 + rand_r(&seed) % 50; /* overlaps likely */
        api_hit *bm = calloc(nb + 1, sizeof *bm), *vec = calloc(nv + 1, sizeof *vec);
        api_hit *out = calloc(nb + nv + 1, sizeof *out), *want = calloc(nb + nv + 1, sizeof *want);
        unsigned char *used = calloc((size_t)span * 2, 1);
        for (size_t i = 0; i < nb; i++) {
            int64_t r;
            do r = rand_r(&seed) % span; while (used[r] & 1);
            used[r] |= 1;
            bm[i].rowid = r * 3 - 7; /* negative and sparse rowids too */
        }
        for (size_t i = 0; i < nv; i++) {
            int64_t r;
            do r = rand_r(&seed) % span; while (used[r] & 2);
            used[r] |= 2;
            vec[i].rowid = r * 3 - 7;
        }
        const double w = 0.25 + (rand_r(&seed) % 8) * 0.25;
        size_t nw = 0;
        for (size_t i = 0; i < nb + nv; i++) {
            const bool b = i < nb;
            const int64_t rowid = b ? bm[i].rowid : vec[i - nb].rowid;
            const int rank = (int)(b ? i : i - nb) + 1;
            const double sc = (b ? 1.0 : w) / (API_RRF_K + (double)rank);
            size_t j = 0;
            while (j < nw && want[j].rowid != rowid) j++;
            if (j == nw) want[nw++] = (api_hit){.rowid = rowid};
            want[j].score += sc;
            if (b) want[j].bm25_rank = rank;
            else want[j].vector_rank = rank;
        }
        qsort(want, nw, sizeof *want, api_hit_best_first);
        const size_t cap = round % 3 ? nb + nv + 1 : (nb + nv) / 2 + 1;
        const size_t n = api_rrf_fuse(bm, nb, vec, nv, w, out, cap);
        assert_int_equal(n, nw < cap ? nw : cap);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(out[i].rowid, want[i].rowid);
            assert_int_equal(out[i].bm25_rank, want[i].bm25_rank);
            assert_int_equal(out[i].vector_rank, want[i].vector_rank);
            assert_true(out[i].score == want[i].score);
        }
        free(bm), free(vec), free(out), free(want), free(used);
    }
}

static void test_grouping_keeps_the_best_chunk_of_each_document(void **state)
{
    (void)state;
    api_hit h[7] = {{.rowid = 5, .doc_id = 1}, {.rowid = 6, .doc_id = 1}, {.rowid = 9, .doc_id = 2},
                    {.rowid = 7, .doc_id = 1}, {.rowid = 2, .doc_id = 3}, {.rowid = 10, .doc_id = 2},
                    {.rowid = 1, .doc_id = 4}};
    api_hit g[7];
    memcpy(g, h, sizeof h);
    assert_int_equal(api_group_documents(g, 7, 10), 4);
    assert_int_equal(g[0].rowid, 5);
    assert_int_equal(g[1].rowid, 9);
    assert_int_equal(g[2].rowid, 2);
    assert_int_equal(g[3].rowid, 1);
    memcpy(g, h, sizeof h);
    assert_int_equal(api_group_documents(g, 7, 2), 2); /* stops at k documents */
    assert_int_equal(g[1].rowid, 9);
    assert_int_equal(api_group_documents(g, 0, 5), 0);
}

static void test_default_mode_follows_the_embedder(void **state)
{
    (void)state;
    assert_int_equal(api_mode_resolve(API_MODE_AUTO, API_MODE_AUTO, "hashing"), API_MODE_BM25);
    assert_int_equal(api_mode_resolve(API_MODE_AUTO, API_MODE_AUTO, "openai"), API_MODE_HYBRID);
    assert_int_equal(api_mode_resolve(API_MODE_AUTO, API_MODE_VECTOR, "hashing"), API_MODE_VECTOR);
    assert_int_equal(api_mode_resolve(API_MODE_AUTO, API_MODE_HYBRID, "hashing"), API_MODE_HYBRID);
    assert_int_equal(api_mode_resolve(API_MODE_BM25, API_MODE_HYBRID, "openai"), API_MODE_BM25);
    assert_int_equal(api_mode_resolve(API_MODE_HYBRID, API_MODE_AUTO, "hashing"), API_MODE_HYBRID);
    assert_int_equal(api_mode_parse("auto", 1), API_MODE_AUTO);
    assert_int_equal(api_mode_parse("auto", 0), -1);
    assert_string_equal(api_mode_name(API_MODE_BM25), "bm25");
    assert_string_equal(api_group_name(API_GROUP_DOCUMENT), "document");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitise_quotes_terms_and_drops_stopwords),
        cmocka_unit_test(test_sanitise_leaves_nothing_for_stopwords_and_punctuation),
        cmocka_unit_test(test_sanitise_never_overflows_a_small_buffer),
        cmocka_unit_test(test_sanitise_caps_the_number_of_terms),
        cmocka_unit_test(test_sanitised_hostile_input_never_breaks_fts5),
        cmocka_unit_test(test_body_parses_query_k_and_mode),
        cmocka_unit_test(test_body_rejects_bad_requests_with_a_named_field),
        cmocka_unit_test(test_body_parsing_is_strict),
        cmocka_unit_test(test_get_q_must_be_utf8_without_nul),
        cmocka_unit_test(test_get_args_are_validated_like_the_body),
        cmocka_unit_test(test_rrf_ranks_documents_found_by_both_lists_first),
        cmocka_unit_test(test_rrf_matches_its_definition_on_random_lists),
        cmocka_unit_test(test_sort_hits_agrees_with_qsort_at_every_length),
        cmocka_unit_test(test_get_arguments_are_taken_exactly),
        cmocka_unit_test(test_weighted_rrf_lets_the_bm25_list_lead),
        cmocka_unit_test(test_grouping_keeps_the_best_chunk_of_each_document),
        cmocka_unit_test(test_default_mode_follows_the_embedder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
