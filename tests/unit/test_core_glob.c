/* test_core_glob.c — rag_glob_match, the include/exclude matcher shared by
 * rag-ingest's scan and ragtop's "not yet ingested" count: `*` and `?` stay
 * in one folder, `**` crosses folders, classes, unterminated classes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rag/glob.h"

static void test_glob_semantics(void **state)
{
    (void)state;
    assert_true(rag_glob_match("**/*.vtt", "a.vtt"));
    assert_true(rag_glob_match("**/*.vtt", "x/y/a.vtt"));
    assert_false(rag_glob_match("*.vtt", "x/a.vtt"));
    assert_true(rag_glob_match("talks/**", "talks/a/b.txt"));
    assert_true(rag_glob_match("t?lk[s-t]/*.md", "talks/x.md"));
    assert_false(rag_glob_match("t?lk[!s]/*.md", "talks/x.md"));
    assert_false(rag_glob_match("**/*.txt", "a.txt.bak"));
    assert_true(rag_glob_match("a/**/b.txt", "a/b.txt"));
    assert_false(rag_glob_match("[abc", "a"));
}

static void test_include_globs(void **state)
{
    (void)state;
    assert_true(rag_glob_match("**/*.txt", "a.txt"));
    assert_true(rag_glob_match("**/*.txt", "x/y/a.txt"));
    assert_false(rag_glob_match("**/*.txt", "a.txt.bak"));
    assert_true(rag_glob_match("*.md", "a.md"));
    assert_false(rag_glob_match("*.md", "x/a.md"));
    assert_true(rag_glob_match("talks/**", "talks/2026/a.vtt"));
    assert_true(rag_glob_match("[ab].srt", "b.srt"));
    assert_false(rag_glob_match("[ab].srt", "c.srt"));
    assert_true(rag_glob_match("?.json", "1.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_semantics),
        cmocka_unit_test(test_include_globs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
