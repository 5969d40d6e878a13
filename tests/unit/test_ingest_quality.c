/* test_ingest_quality.c — the golden-query metrics against hand-computed
 * values (binary and graded nDCG@10 as trec_eval's ndcg_cut defines it,
 * recall@k, reciprocal rank, failed queries, means), and the golden file's
 * loader: a valid file, and each kind of problem with its line, column and
 * key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ingest/evaluate.h"
#include "rag/golden.h"

#define EPS 1e-9

static rag_golden_query query_of(rag_golden_judgment *j, size_t n)
{
    rag_golden_query q = { "q", "text", j, n };
    return q;
}

static void test_ndcg_binary_hand_computed(void **state)
{
    (void)state;
    /* relevant a, b; ranked x, a, y, b:
     * DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
     * IDCG = 1/log2(2) + 1/log2(3) = 1.630930 -> 0.650920 */
    rag_golden_judgment j[] = { { "a", 1 }, { "b", 1 } };
    rag_golden_query q = query_of(j, 2);
    const char *ranked[] = { "x", "a", "y", "b" };
    eval_query r;
    eval_score_query(ranked, 4, &q, 10, &r);
    assert_true(fabs(r.ndcg_at_10 - (1 / log2(3) + 1 / log2(5)) / (1 + 1 / log2(3))) < EPS);
    assert_true(fabs(r.ndcg_at_10 - 0.650920) < 1e-6);
    assert_true(fabs(r.recall_at_k - 1.0) < EPS);
    assert_true(fabs(r.rr - 0.5) < EPS);
    assert_int_equal(r.first_rank, 2);
    assert_false(r.failed);
    /* k = 3: only a is in the top 3 */
    eval_score_query(ranked, 4, &q, 3, &r);
    assert_true(fabs(r.recall_at_k - 0.5) < EPS);
    /* k = 1: nothing relevant in the top 1 -> failed, yet nDCG@10 and RR still count ranks 2 and 4 */
    eval_score_query(ranked, 4, &q, 1, &r);
    assert_true(r.failed);
    assert_true(fabs(r.recall_at_k) < EPS);
    assert_true(fabs(r.ndcg_at_10 - 0.650920) < 1e-6);
}

static void test_ndcg_graded_hand_computed(void **state)
{
    (void)state;
    /* grades a=3, b=1, c=2; ranked b, x, a (c not retrieved):
     * DCG = 1/1 + 0 + 3/log2(4) = 1 + 1.5 = 2.5
     * IDCG (3, 2, 1) = 3 + 2/log2(3) + 1/2 = 3 + 1.261860 + 0.5 = 4.761860 -> 0.525005 */
    rag_golden_judgment j[] = { { "a", 3 }, { "b", 1 }, { "c", 2 } };
    rag_golden_query q = query_of(j, 3);
    const char *ranked[] = { "b", "x", "a" };
    eval_query r;
    eval_score_query(ranked, 3, &q, 10, &r);
    assert_true(fabs(r.ndcg_at_10 - 2.5 / (3 + 2 / log2(3) + 0.5)) < EPS);
    assert_true(fabs(r.ndcg_at_10 - 0.525005) < 1e-6);
    assert_true(fabs(r.recall_at_k - 2.0 / 3.0) < EPS);
    assert_true(fabs(r.rr - 1.0) < EPS);
    /* the ideal order scores exactly 1 */
    const char *ideal[] = { "a", "c", "b" };
    eval_score_query(ideal, 3, &q, 10, &r);
    assert_true(fabs(r.ndcg_at_10 - 1.0) < EPS);
}

static void test_ndcg_counts_only_the_top_10(void **state)
{
    (void)state;
    /* the only relevant document at rank 11: nDCG@10 0, but RR 1/11 and recall@20 1 */
    rag_golden_judgment j[] = { { "r", 1 } };
    rag_golden_query q = query_of(j, 1);
    const char *ranked[11];
    char names[10][4];
    for (int i = 0; i < 10; i++) {
        snprintf(names[i], sizeof names[i], "n%d", i);
        ranked[i] = names[i];
    }
    ranked[10] = "r";
    eval_query r;
    eval_score_query(ranked, 11, &q, 20, &r);
    assert_true(fabs(r.ndcg_at_10) < EPS);
    assert_true(fabs(r.rr - 1.0 / 11) < EPS);
    assert_true(fabs(r.recall_at_k - 1.0) < EPS);
    assert_false(r.failed);
    eval_score_query(ranked, 11, &q, 10, &r);
    assert_true(r.failed);
    /* nothing retrieved at all */
    eval_score_query(NULL, 0, &q, 10, &r);
    assert_true(r.failed);
    assert_true(fabs(r.ndcg_at_10) + fabs(r.rr) + fabs(r.recall_at_k) < EPS);
    assert_int_equal(r.first_rank, 0);
    /* the ideal DCG is cut at 10 too: 12 relevant, the first 10 retrieved -> 1 */
    int gains[10], ideal[12];
    for (int i = 0; i < 12; i++)
        ideal[i] = 1;
    for (int i = 0; i < 10; i++)
        gains[i] = 1;
    assert_true(fabs(eval_ndcg(gains, 10, ideal, 12, 10) - 1.0) < EPS);
}

static void test_means_and_failed_count(void **state)
{
    (void)state;
    eval_query q[3] = {
        { .ndcg_at_10 = 1.0, .recall_at_k = 1.0, .rr = 1.0 },
        { .ndcg_at_10 = 0.5, .recall_at_k = 0.5, .rr = 0.5 },
        { .ndcg_at_10 = 0.0, .recall_at_k = 0.0, .rr = 0.0, .failed = true },
    };
    eval_result r = { .n = 3, .q = q };
    eval_summarise(&r);
    assert_true(fabs(r.ndcg_at_10 - 0.5) < EPS);
    assert_true(fabs(r.recall_at_k - 0.5) < EPS);
    assert_true(fabs(r.mrr - 0.5) < EPS);
    assert_int_equal(r.failed, 1);
}

static void test_golden_valid_file(void **state)
{
    (void)state;
    const char *y = "version: 1\n"
                    "queries:\n"
                    "  - id: q-1\n"
                    "    query: when is the window\n"
                    "    relevant:\n"
                    "      - a/b.txt\n"
                    "      - {source: c.md, grade: 3}\n"
                    "  - {id: q.2, query: second, relevant: [d.vtt]}\n";
    rag_golden g;
    rag_problems p = { 0 };
    rag_error e = { 0 };
    assert_int_equal(rag_golden_load_buffer("g.yaml", y, strlen(y), &g, &p, &e), RAG_OK);
    assert_int_equal(p.count, 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.queries[0].id, "q-1");
    assert_int_equal(g.queries[0].n_relevant, 2);
    assert_string_equal(g.queries[0].relevant[0].source, "a/b.txt");
    assert_int_equal(g.queries[0].relevant[0].grade, 1);
    assert_int_equal(g.queries[0].relevant[1].grade, 3);
    assert_string_equal(g.queries[1].relevant[0].source, "d.vtt");
    assert_int_equal(strlen(g.sha256), 64);
    rag_golden_free(&g);
}

/* problems of y, joined by '\n' */
static char *problems_of(const char *y)
{
    rag_golden g;
    rag_problems p = { 0 };
    rag_error e = { 0 };
    assert_int_not_equal(rag_golden_load_buffer("g.yaml", y, strlen(y), &g, &p, &e), RAG_OK);
    assert_true(p.count > 0);
    assert_int_equal(g.n, 0);
    size_t n = 1;
    for (size_t i = 0; i < p.count; i++)
        n += strlen(p.items[i]) + 1;
    char *s = calloc(1, n);
    for (size_t i = 0; i < p.count; i++) {
        strcat(s, p.items[i]);
        strcat(s, "\n");
    }
    rag_problems_free(&p);
    return s;
}

static void test_golden_problems_name_line_column_and_key(void **state)
{
    (void)state;
    char *s = problems_of("version: 2\nqueries:\n  - {id: a, query: x, relevant: [a.txt]}\n");
    assert_non_null(strstr(s, "g.yaml:1:10: version: version 2 is not supported"));
    free(s);
    s = problems_of("version: 1\n"
                    "queries:\n"
                    "  - id: a\n"
                    "    query: x\n"
                    "    relevant: [/etc/passwd, ../up.txt, {source: b.txt, grade: 4}]\n"
                    "  - id: a\n"
                    "    query: \"  \"\n"
                    "    relevnt: [c.txt]\n");
    assert_non_null(strstr(s, "g.yaml:5:16: queries[0].relevant[0]: must be relative"));
    assert_non_null(strstr(s, "g.yaml:5:29: queries[0].relevant[1]: must not contain \".\" or \"..\" segments"));
    assert_non_null(strstr(s, "queries[0].relevant[2].grade"));
    assert_non_null(strstr(s, "g.yaml:6:9: queries[1].id: duplicate id \"a\""));
    assert_non_null(strstr(s, "g.yaml:7:12: queries[1].query: must not be empty"));
    assert_non_null(strstr(s, "relevnt"));
    assert_non_null(strstr(s, "did you mean relevant"));
    free(s);
    s = problems_of("version: 1\nqueries:\n  - {id: a, query: x, relevant: [a.txt, a.txt]}\n");
    assert_non_null(strstr(s, "listed twice"));
    free(s);
    s = problems_of("");
    assert_non_null(strstr(s, "empty"));
    free(s);
    s = problems_of("version: 1\nqueries: []\n");
    assert_non_null(strstr(s, "g.yaml:2:10: queries: expected a non-empty list"));
    free(s);
    s = problems_of("version: 1\nqueries:\n  - {id: 'a b', query: x, relevant: []}\n");
    assert_non_null(strstr(s, "queries[0].id: must be 1-64 characters"));
    assert_non_null(strstr(s, "queries[0].relevant: expected a non-empty list"));
    free(s);
    /* a query without an id, then one with (the fuzzer's first find) */
    s = problems_of("version: 1\nqueries:\n  - {query: x, relevant: [a]}\n  - {id: a, query: y, relevant: [b]}\n");
    assert_non_null(strstr(s, "g.yaml:3:5: queries[0].id: is required"));
    free(s);
    s = problems_of("version: 1\nqueries:\n  - {id: a, query: [x], relevant: [a]\n");
    assert_non_null(strstr(s, "syntax error"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndcg_binary_hand_computed),
        cmocka_unit_test(test_ndcg_graded_hand_computed),
        cmocka_unit_test(test_ndcg_counts_only_the_top_10),
        cmocka_unit_test(test_means_and_failed_count),
        cmocka_unit_test(test_golden_valid_file),
        cmocka_unit_test(test_golden_problems_name_line_column_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
