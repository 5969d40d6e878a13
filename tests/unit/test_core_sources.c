/* test_core_sources.c — the transcripts folder scan shared by rag-ingest and
 * ragtop (rag/sources.h): globs, hidden files, symlinks that stay inside or
 * leave the folder, stable order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/sources.h"

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
    /* the literal-tail shortcut: a "/" right after "**" may match nothing */
    assert_true(rag_glob_match("**/", ""));
    assert_true(rag_glob_match("**/", "a/"));
    assert_true(rag_glob_match("**/*.txt", "a/.txt"));
    assert_true(rag_glob_match("**/*x/y.txt", "q/z/x/y.txt"));
    assert_false(rag_glob_match("**/*x/y.txt", "q/x/z/y.txt"));
    assert_true(rag_glob_match("a]b", "a]b"));
    assert_false(rag_glob_match("**/*.txt", "txt"));
    /* the case of ASCII letters is ignored, in literals, tails and classes */
    assert_true(rag_glob_match("**/*.srt", "Talks/Intro.SRT"));
    assert_true(rag_glob_match("**/*.TXT", "a/notes.txt"));
    assert_true(rag_glob_match("talks/**", "TALKS/a.md"));
    assert_true(rag_glob_match("[a-c]x.md", "Bx.md"));
    assert_true(rag_glob_match("[A-C]x.md", "bx.md"));
    assert_false(rag_glob_match("[!b]x.md", "Bx.md"));
    assert_true(rag_glob_match("[q]x.md", "Qx.md"));
    assert_false(rag_glob_match("**/*.srt", "a.s\xC3\xA9rt")); /* only ASCII letters fold */
}

/* Stars retry the rest of the pattern; failed retries are remembered, so many
 * stars against a long name still answer (without the memo this pattern
 * against 200 characters takes longer than any test timeout). */
static void test_glob_many_stars_backtrack_correctly_on_long_names(void **state)
{
    (void)state;
    char name[202];
    memset(name, 'a', 200);
    name[200] = '\0';
    assert_false(rag_glob_match("*a*a*a*a*a*a*a*a*b", name));
    assert_false(rag_glob_match("**a**a**a**a**a**a**b", name));
    name[200] = 'b';
    name[201] = '\0';
    assert_true(rag_glob_match("*a*a*a*a*a*a*a*a*b", name));
    assert_true(rag_glob_match("*a*b*c", "xaybzc"));
    assert_false(rag_glob_match("*a*b*c", "xaybzcd"));
    assert_true(rag_glob_match("**/a*b/**/c*.txt", "x/ayb/z/w/cq.txt"));
    assert_false(rag_glob_match("**/a*b/**/c*.txt", "x/ay/b/z/cq.txt"));
    assert_true(rag_glob_match("*/*/*.vtt", "a/b/c.vtt"));
    assert_false(rag_glob_match("*/*/*.vtt", "a/b/c/d.vtt"));
}

/* the console's former glob tests, now against the one matcher */
static void test_glob_include_patterns_of_the_console(void **state)
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

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void touch(const char *dir, const char *rel, const char *text)
{
    char *p = rag_path_join(dir, rel);
    char *d = rag_dirname(p);
    rag_mkdir_p(d, 0755, NULL);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(d);
    free(p);
}

static void test_scan_skips_hidden_and_outside_links_in_stable_order(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ragtop-scan-XXXXXX";
    char *base = mkdtemp(tmpl);
    assert_non_null(base);
    char *root = rag_path_join(base, "corpus");
    touch(root, "b.txt", "b");
    touch(root, "a/z.vtt", "WEBVTT\n");
    touch(root, "a/y.md", "# y");
    touch(root, ".hidden.txt", "h");
    touch(root, ".git/config.txt", "h");
    touch(root, "notes.pdf", "p");
    touch(base, "outside.txt", "secret");
    char *in = rag_path_join(root, "link-in.txt"), *out = rag_path_join(root, "link-out.txt"),
         *dl = rag_path_join(root, "dirlink"), *dangling = rag_path_join(root, "dangling.txt");
    assert_int_equal(symlink("b.txt", in), 0);
    assert_int_equal(symlink("../outside.txt", out), 0);
    assert_int_equal(symlink("a", dl), 0);
    assert_int_equal(symlink("nowhere.txt", dangling), 0);
    char *inc[] = { "**/*.txt", "**/*.md", "**/*.vtt" };
    char *exc[] = { "**/y.md" };
    rag_sources r;
    rag_error err = { 0 };
    assert_int_equal(rag_sources_scan(root, inc, 3, exc, 1, &r, &err), RAG_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.files[0].rel, "a/z.vtt");
    assert_string_equal(r.files[1].rel, "b.txt");
    assert_string_equal(r.files[2].rel, "link-in.txt");
    assert_int_equal(r.skipped_hidden, 2);
    assert_int_equal(r.skipped_links, 3); /* outside, folder link, dangling */
    assert_int_equal(r.skipped_excluded, 2); /* y.md (exclude), notes.pdf */
    assert_int_equal(r.files[1].size, 1);
    rag_sources_free(&r);
    assert_int_equal(rag_sources_scan("/nonexistent/folder", inc, 3, NULL, 0, &r, &err), RAG_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/folder"));
    assert_int_equal(nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(in); free(out); free(dl); free(dangling); free(root);
}

/* The walk sorts each folder (a folder as "<name>/") instead of the whole
 * list; a folder big enough is stat'ed on several threads. The list must
 * still be in strcmp order with every file's own size, whatever the names. */
static void test_scan_large_folder_and_tricky_names_in_strcmp_order(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ragtop-scan-XXXXXX";
    char *base = mkdtemp(tmpl);
    assert_non_null(base);
    char *root = rag_path_join(base, "corpus");
    /* '.' (0x2e) and '-' (0x2d) sort before '/' (0x2f), '0' after it */
    const char *tricky[] = { "a.txt", "a/x.txt", "a-b/x.txt", "a.b/x.txt", "a0.txt", "ab/x.txt", "a/b/c.txt",
                             "a/b.txt", "a/b-c.txt", "\xc3\xa9t\xc3\xa9.txt", "Z.txt", "z.txt" };
    size_t n_tricky = sizeof tricky / sizeof tricky[0];
    for (size_t i = 0; i < n_tricky; i++)
        touch(root, tricky[i], tricky[i]);
    enum { BIG = 700 };
    for (int i = 0; i < BIG; i++) {
        char rel[64], text[64];
        snprintf(rel, sizeof rel, "big/f%04d.txt", (i * 389) % BIG); /* created out of order */
        snprintf(text, sizeof text, "%*d", 1 + (i * 389) % BIG % 50, 7);
        touch(root, rel, text);
    }
    char *inc[] = { "**/*.txt" };
    rag_sources r;
    rag_error err = { 0 };
    assert_int_equal(rag_sources_scan(root, inc, 1, NULL, 0, &r, &err), RAG_OK);
    assert_int_equal(r.n, n_tricky + BIG);
    for (size_t i = 1; i < r.n; i++)
        assert_true(strcmp(r.files[i - 1].rel, r.files[i].rel) < 0);
    for (size_t i = 0; i < r.n; i++) {
        int k;
        if (sscanf(r.files[i].rel, "big/f%d.txt", &k) == 1)
            assert_int_equal(r.files[i].size, 1 + k % 50);
        else
            assert_int_equal(r.files[i].size, (int64_t)strlen(r.files[i].rel));
    }
    rag_sources_free(&r);
    assert_int_equal(nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_semantics),
        cmocka_unit_test(test_glob_include_patterns_of_the_console),
        cmocka_unit_test(test_glob_many_stars_backtrack_correctly_on_long_names),
        cmocka_unit_test(test_scan_skips_hidden_and_outside_links_in_stable_order),
        cmocka_unit_test(test_scan_large_folder_and_tricky_names_in_strcmp_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
