/* test_core_yamldoc.c — the YAML helper under config and services: getter
 * results (present / absent / invalid), inert echo of values, did-you-mean,
 * problem ordering, path resolution and bounded file reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/yamldoc.h"

static void test_getters_distinguish_present_absent_and_invalid(void **state)
{
    (void)state;
    rag_problems p = {0};
    rag_ydoc d;
    const char *text = "n: 42\nbig: 5000\nf: 0.5\nb: false\nd: 90s\nsz: 2KiB\ns: 'hi'\nl: [a, 'b c']\nnul:\n";
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", text, strlen(text), &p), RAG_OK);
    yaml_node_t *root = rag_ydoc_root(&d);
    int n = -1;
    assert_int_equal(rag_ydoc_get_int(&d, root, "sec", "n", 0, 100, &n), 1);
    assert_int_equal(n, 42);
    assert_int_equal(rag_ydoc_get_int(&d, root, "sec", "missing", 0, 100, &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(rag_ydoc_get_int(&d, root, "sec", "big", 0, 100, &n), -1);
    assert_int_equal(n, 42); /* untouched on error */
    assert_string_equal(p.items[0], "t.yaml:2:6: sec.big: must be between 0 and 100 (got 5000)");
    double f = 0;
    assert_int_equal(rag_ydoc_get_double(&d, root, NULL, "f", 0, 1, &f), 1);
    assert_true(f == 0.5);
    bool b = true;
    assert_int_equal(rag_ydoc_get_bool(&d, root, NULL, "b", &b), 1);
    assert_false(b);
    int64_t ms = 0, sz = 0;
    assert_int_equal(rag_ydoc_get_duration(&d, root, NULL, "d", 0, INT64_MAX, &ms), 1);
    assert_int_equal(ms, 90000);
    assert_int_equal(rag_ydoc_get_size(&d, root, NULL, "sz", 0, INT64_MAX, &sz), 1);
    assert_int_equal(sz, 2048);
    char *s = rag_xstrdup("old");
    assert_int_equal(rag_ydoc_get_str(&d, root, NULL, "s", &s), 1);
    assert_string_equal(s, "hi");
    assert_int_equal(rag_ydoc_get_str(&d, root, NULL, "nul", &s), -1);
    assert_string_equal(s, "hi");
    assert_string_equal(p.items[1], "t.yaml:9:5: nul: missing value (write \"\" for an empty string)");
    free(s);
    char **list = NULL;
    size_t count = 0;
    assert_int_equal(rag_ydoc_get_strlist(&d, root, NULL, "l", 1, &list, &count), 1);
    assert_int_equal(count, 2);
    assert_string_equal(list[1], "b c");
    assert_null(list[2]);
    rag_strlist_free(list, count);
    assert_int_equal(p.count, 2);
    rag_ydoc_free(&d);
    rag_problems_free(&p);
}

static void test_echoed_values_are_inert_and_truncated(void **state)
{
    (void)state;
    rag_problems p = {0};
    rag_ydoc d;
    const char *text = "a: \"\\e[31mred\\a\"\nb: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", text, strlen(text), &p), RAG_OK);
    yaml_node_t *root = rag_ydoc_root(&d);
    int n;
    assert_int_equal(rag_ydoc_get_int(&d, root, NULL, "a", 0, 1, &n), -1);
    assert_string_equal(p.items[0], "t.yaml:1:4: a: expected an integer, got \"\\x1b[31mred\\x07\"");
    assert_int_equal(rag_ydoc_get_int(&d, root, NULL, "b", 0, 1, &n), -1);
    assert_non_null(strstr(p.items[1], "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\""));
    assert_null(strchr(p.items[0], '\x1b'));
    rag_ydoc_free(&d);
    rag_problems_free(&p);
}

static void test_suggest_finds_typos_but_not_strangers(void **state)
{
    (void)state;
    static const char *const keys[] = {"target_tokens", "overlap_tokens", "run", "start", NULL};
    assert_string_equal(rag_ydoc_suggest("target_tokns", keys), "target_tokens");
    assert_string_equal(rag_ydoc_suggest("Target_Tokens", keys), "target_tokens");
    assert_string_equal(rag_ydoc_suggest("overlap_tokesn", keys), "overlap_tokens");
    assert_string_equal(rag_ydoc_suggest("rnu", keys), "run");
    assert_string_equal(rag_ydoc_suggest("strat", keys), "start");
    assert_null(rag_ydoc_suggest("zzz", keys));
    assert_null(rag_ydoc_suggest("tokens", keys));
    assert_null(rag_ydoc_suggest("x", NULL));
}

static void test_check_mapping_reports_unknown_and_duplicate_keys(void **state)
{
    (void)state;
    static const char *const known[] = {"alpha", "beta", NULL};
    rag_problems p = {0};
    rag_ydoc d;
    const char *text = "sec:\n  alpha: 1\n  alhpa: 2\n  alpha: 3\n  gamma: 4\n";
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", text, strlen(text), &p), RAG_OK);
    yaml_node_t *sec = rag_ydoc_get(&d, rag_ydoc_root(&d), "sec");
    assert_true(rag_ydoc_check_mapping(&d, sec, "sec", known));
    assert_int_equal(p.count, 3);
    assert_string_equal(p.items[0], "t.yaml:3:3: sec.alhpa: unknown key (did you mean alpha?)");
    assert_string_equal(p.items[1], "t.yaml:4:3: sec.alpha: duplicate key (first set at line 2)");
    assert_string_equal(p.items[2], "t.yaml:5:3: sec.gamma: unknown key (known keys here: alpha, beta)");
    assert_false(rag_ydoc_check_mapping(&d, rag_ydoc_get(&d, sec, "alpha"), "sec.alpha", known));
    assert_string_equal(p.items[3], "t.yaml:2:10: sec.alpha: expected a mapping of keys to values, got \"1\"");
    rag_ydoc_free(&d);
    rag_problems_free(&p);
}

static void test_syntax_errors_and_extra_documents(void **state)
{
    (void)state;
    rag_problems p = {0};
    rag_ydoc d;
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", "a: [1, 2\n", 9, &p), RAG_ECORRUPT);
    assert_int_equal(p.count, 1);
    assert_non_null(strstr(p.items[0], "t.yaml:2:1: syntax error: did not find expected ',' or ']'"));
    rag_ydoc_free(&d);
    rag_problems_free(&p);

    assert_int_equal(rag_ydoc_load(&d, "t.yaml", "a: 1\n---\nb: 2\n", 14, &p), RAG_ECORRUPT);
    assert_string_equal(p.items[0], "t.yaml:3:1: a second YAML document is not allowed (remove the '---' separator)");
    rag_ydoc_free(&d);
    rag_problems_free(&p);

    /* a tab for indentation is a classic mistake */
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", "a:\n\tb: 1\n", 9, &p), RAG_ECORRUPT);
    assert_non_null(strstr(p.items[0], "t.yaml:2:1: syntax error: "));
    rag_ydoc_free(&d);
    rag_problems_free(&p);

    assert_int_equal(rag_ydoc_load(&d, "t.yaml", "", 0, &p), RAG_OK);
    assert_null(rag_ydoc_root(&d));
    rag_ydoc_free(&d);
}

static void test_problems_sort_by_line_then_column(void **state)
{
    (void)state;
    rag_problems p = {0};
    rag_problems_add(&p, "other", 1, 1, NULL, "before");
    rag_problems_add(&p, "f.yaml", 10, 2, "k", "c");
    rag_problems_add(&p, "f.yaml", 2, 9, "k", "b");
    rag_problems_add(&p, "f.yaml", 0, 0, NULL, "a");
    rag_problems_add(&p, "f.yaml", 2, 3, "k", "a2");
    rag_ydoc_sort_problems(&p, 1, "f.yaml");
    assert_string_equal(p.items[0], "other:1:1: before");
    assert_string_equal(p.items[1], "f.yaml: a");
    assert_string_equal(p.items[2], "f.yaml:2:3: k: a2");
    assert_string_equal(p.items[3], "f.yaml:2:9: k: b");
    assert_string_equal(p.items[4], "f.yaml:10:2: k: c");
    rag_problems_free(&p);
}

static void test_paths_are_made_absolute_and_clean(void **state)
{
    (void)state;
    char *s;
    s = rag_ydoc_path("/a/b", "../c/./d//e/");
    assert_string_equal(s, "/a/c/d/e");
    free(s);
    s = rag_ydoc_path("/a/b", "/x/../y");
    assert_string_equal(s, "/y");
    free(s);
    s = rag_ydoc_path("/a", "../../..");
    assert_string_equal(s, "/");
    free(s);
    s = rag_ydoc_path("/a/b/", NULL);
    assert_string_equal(s, "/a/b");
    free(s);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    s = rag_ydoc_path(NULL, "x");
    char *want = rag_xasprintf("%s/x", strcmp(cwd, "/") ? cwd : "");
    assert_string_equal(s, want);
    free(want);
    free(s);
}

static void test_read_file_is_bounded(void **state)
{
    (void)state;
    char path[] = "/tmp/ragtop-yd-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    rag_problems p = {0};
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(rag_ydoc_read_file(path, 10, &buf, &len, &p), RAG_OK);
    assert_int_equal(len, 10);
    assert_string_equal(buf, "0123456789");
    free(buf);
    assert_int_equal(rag_ydoc_read_file(path, 9, &buf, &len, &p), RAG_ERR);
    char *want = rag_xasprintf("%s: larger than the limit of 9 bytes", path);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0], want);
    free(want);
    unlink(path);
    rag_problems_free(&p);
}


static void test_key_firsts_points_repeats_at_their_first_use(void **state)
{
    (void)state;
    rag_problems p = {0};
    rag_ydoc d;
    const char *text = "b: 1\na: 2\nb: 3\n[x]: 4\na: 5\nb: 6\n";
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", text, strlen(text), &p), RAG_OK);
    size_t *first = rag_ydoc_key_firsts(&d, rag_ydoc_root(&d));
    assert_non_null(first);
    size_t want[] = {0, 1, 0, 3, 1, 0};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(first[i], want[i]);
    free(first);
    assert_null(rag_ydoc_key_firsts(&d, NULL));
    rag_ydoc_free(&d);
    rag_problems_free(&p);
}

static void test_many_problems_are_capped_with_a_count_of_the_rest(void **state)
{
    (void)state;
    /* 20000 repeated keys: reported quickly (no quadratic scan), first 100 listed */
    size_t n = 20000;
    char *text = rag_xmalloc(n * 8 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(text + o, "k: %zu\n", i % 10);
    rag_problems p = {0};
    rag_ydoc d;
    assert_int_equal(rag_ydoc_load(&d, "t.yaml", text, o, &p), RAG_OK);
    static const char *const known[] = {"k", NULL};
    assert_true(rag_ydoc_check_mapping(&d, rag_ydoc_root(&d), NULL, known));
    assert_int_equal(p.count, RAG_YDOC_MAX_PROBLEMS);
    assert_string_equal(p.items[0], "t.yaml:2:1: k: duplicate key (first set at line 1)");
    rag_ydoc_free(&d);
    assert_int_equal(p.count, RAG_YDOC_MAX_PROBLEMS + 1);
    char *want = rag_xasprintf("t.yaml: %zu more problems not shown", n - 1 - RAG_YDOC_MAX_PROBLEMS);
    assert_string_equal(p.items[RAG_YDOC_MAX_PROBLEMS], want);
    free(want);
    free(text);
    rag_problems_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getters_distinguish_present_absent_and_invalid),
        cmocka_unit_test(test_echoed_values_are_inert_and_truncated),
        cmocka_unit_test(test_suggest_finds_typos_but_not_strangers),
        cmocka_unit_test(test_check_mapping_reports_unknown_and_duplicate_keys),
        cmocka_unit_test(test_syntax_errors_and_extra_documents),
        cmocka_unit_test(test_problems_sort_by_line_then_column),
        cmocka_unit_test(test_paths_are_made_absolute_and_clean),
        cmocka_unit_test(test_read_file_is_bounded),
        cmocka_unit_test(test_key_firsts_points_repeats_at_their_first_use),
        cmocka_unit_test(test_many_problems_are_capped_with_a_count_of_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
