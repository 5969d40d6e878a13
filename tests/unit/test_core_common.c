/* test_core_common.c — error and problem-list formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"

static void test_problem_formats_path_line_col_key(void **state)
{
    (void)state;
    rag_problems p = {0};
    rag_problems_add(&p, "config/params.yaml", 12, 3, "chunking.target_tokn", "unknown key (did you mean %s?)", "target_tokens");
    rag_problems_add(&p, "services.yml", 0, 0, NULL, "cannot read: %s", "No such file or directory");
    assert_int_equal(p.count, 2);
    assert_string_equal(p.items[0], "config/params.yaml:12:3: chunking.target_tokn: unknown key (did you mean target_tokens?)");
    assert_string_equal(p.items[1], "services.yml: cannot read: No such file or directory");
    rag_problems_free(&p);
    assert_int_equal(p.count, 0);
}

static void test_error_set_returns_code_and_message(void **state)
{
    (void)state;
    rag_error err = {0};
    assert_int_equal(rag_error_set(&err, RAG_ECORRUPT, "%s: truncated", "latest.json"), RAG_ECORRUPT);
    assert_int_equal(err.code, RAG_ECORRUPT);
    assert_string_equal(err.msg, "latest.json: truncated");
    assert_int_equal(rag_error_set(NULL, RAG_ERR, "ignored"), RAG_ERR);
}

/* Binary search finds every element of an ascending array, and nothing
 * between, before or after them (also in an empty array). */
static void test_find_sorted_i64(void **state)
{
    (void)state;
    const int64_t v[] = {-7, 2, 3, 10, 1000000000000LL};
    const size_t n = sizeof v / sizeof *v;
    for (size_t i = 0; i < n; i++) assert_int_equal(rag_find_sorted_i64(v, n, v[i]), (ptrdiff_t)i);
    const int64_t absent[] = {-8, 0, 4, 11, 1000000000001LL};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++) assert_int_equal(rag_find_sorted_i64(v, n, absent[i]), -1);
    assert_int_equal(rag_find_sorted_i64(v, 0, 2), -1);
}

/* Sorting puts any int64 values in ascending order, the extremes included
 * (a comparator that subtracted would overflow on them), duplicates kept;
 * zero and one element are left alone. */
static void test_sort_i64(void **state)
{
    (void)state;
    int64_t v[] = {5, INT64_MAX, -1, INT64_MIN, 5, 0, 1000000000000LL, -1000000000000LL};
    const int64_t want[] = {INT64_MIN, -1000000000000LL, -1, 0, 5, 5, 1000000000000LL, INT64_MAX};
    const size_t n = sizeof v / sizeof *v;
    rag_sort_i64(v, n);
    assert_memory_equal(v, want, sizeof want);
    for (size_t i = 0; i < n; i++) assert_int_equal(v[rag_find_sorted_i64(v, n, want[i])], want[i]);
    int64_t one = 42;
    rag_sort_i64(&one, 1);
    assert_int_equal(one, 42);
    rag_sort_i64(NULL, 0);
}

/* Short lists are sorted by insertion, long ones by qsort: at every length
 * on either side of RAG_SORT_SMALL, random values with many duplicates and
 * the extremes come out as qsort orders them. */
static int cmp_i64_test(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_sort_i64_agrees_with_qsort_at_every_length(void **state)
{
    (void)state;
    int64_t v[3 * RAG_SORT_SMALL], want[3 * RAG_SORT_SMALL];
    unsigned seed = 7;
    for (size_t n = 0; n <= sizeof v / sizeof *v; n++) {
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            const unsigned r = seed >> 16;
            v[i] = r % 11 == 0 ? INT64_MIN : r % 13 == 0 ? INT64_MAX : (int64_t)(r % 17) - 8;
        }
        memcpy(want, v, n * sizeof *v);
        if (n) qsort(want, n, sizeof *want, cmp_i64_test);
        rag_sort_i64(v, n);
        if (n) assert_memory_equal(v, want, n * sizeof *v);
    }
}

/* A double from outside becomes a whole number inside [lo, hi] whatever
 * it is: out-of-range values (a cast of them is undefined behaviour, and
 * on x86 gave INT64_MIN) and infinities clamp, NaN gives lo, fractions
 * truncate toward zero, the range's own ends hold. */
static void test_clamp_i64(void **state)
{
    (void)state;
    assert_int_equal(rag_clamp_i64(1e300, 0, RAG_EXACT_INT), RAG_EXACT_INT);
    assert_int_equal(rag_clamp_i64(-1e300, -RAG_EXACT_INT, RAG_EXACT_INT), -RAG_EXACT_INT);
    assert_int_equal(rag_clamp_i64(1.0 / 0.0, 0, 10), 10);
    assert_int_equal(rag_clamp_i64(-1.0 / 0.0, 0, 10), 0);
    assert_int_equal(rag_clamp_i64(0.0 / 0.0, 3, 10), 3);
    assert_int_equal(rag_clamp_i64(2.9, 0, 10), 2);
    assert_int_equal(rag_clamp_i64(-2.9, -10, 10), -2);
    assert_int_equal(rag_clamp_i64(-0.5, 0, 10), 0);
    assert_int_equal(rag_clamp_i64(10.0, 0, 10), 10);
    assert_int_equal(rag_clamp_i64(9.99, 0, 10), 9);
    /* the full int64_t range: 2^63 itself is not an int64_t */
    assert_true(rag_clamp_i64(9.3e18, INT64_MIN, INT64_MAX) == INT64_MAX);
    assert_true(rag_clamp_i64(-9.3e18, INT64_MIN, INT64_MAX) == INT64_MIN);
    assert_true(rag_clamp_i64(9223372036854774784.0, INT64_MIN, INT64_MAX) == 9223372036854774784LL);
    assert_int_equal(rag_clamp_i64(3e9, 0, INT32_MAX), INT32_MAX);
}

static void test_xmemdup_keeps_nul_bytes(void **state)
{
    (void)state;
    char *c = rag_xmemdup("a\0b", 3); /* all three bytes, then a terminator */
    assert_memory_equal(c, "a\0b\0", 4);
    free(c);
    c = rag_xmemdup(NULL, 0); /* nothing to copy: an empty string */
    assert_string_equal(c, "");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_formats_path_line_col_key),
        cmocka_unit_test(test_error_set_returns_code_and_message),
        cmocka_unit_test(test_find_sorted_i64),
        cmocka_unit_test(test_sort_i64),
        cmocka_unit_test(test_sort_i64_agrees_with_qsort_at_every_length),
        cmocka_unit_test(test_clamp_i64),
        cmocka_unit_test(test_xmemdup_keeps_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
