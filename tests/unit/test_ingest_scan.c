/* test_ingest_scan.c — the folder scan (globs, hidden files, symlinks that
 * stay inside or leave the folder, stable order) and the daily schedule. */
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
#include <time.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "../../src/ingest/scan.h"
#include "../../src/ingest/watch.h"

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
    scan_result r;
    rag_error err = { 0 };
    assert_int_equal(scan_folder(root, inc, 3, exc, 1, &r, &err), RAG_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.files[0].rel, "a/z.vtt");
    assert_string_equal(r.files[1].rel, "b.txt");
    assert_string_equal(r.files[2].rel, "link-in.txt");
    assert_int_equal(r.skipped_hidden, 2);
    assert_int_equal(r.skipped_links, 3); /* outside, folder link, dangling */
    assert_int_equal(r.skipped_excluded, 2); /* y.md (exclude), notes.pdf */
    assert_int_equal(r.files[1].size, 1);
    scan_free(&r);
    assert_int_equal(scan_folder("/nonexistent/folder", inc, 3, NULL, 0, &r, &err), RAG_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/folder"));
    assert_int_equal(nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(in); free(out); free(dl); free(dangling); free(root);
}

static void test_daily_schedule_counts_to_the_next_occurrence(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    int64_t now = 1764331200000LL + 30 * 60000; /* 2025-11-28 12:30:00 UTC */
    assert_int_equal(watch_ms_until_daily("13:00", now), 30 * 60000);
    assert_int_equal(watch_ms_until_daily("12:00", now), (int64_t)23 * 3600000 + 30 * 60000);
    assert_int_equal(watch_ms_until_daily("12:30", now), (int64_t)24 * 3600000);
    assert_int_equal(watch_ms_until_daily("", now), -1);
    assert_int_equal(watch_ms_until_daily("25:00", now), -1);
    assert_int_equal(watch_ms_until_daily("7:5x", now), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_skips_hidden_and_outside_links_in_stable_order),
        cmocka_unit_test(test_daily_schedule_counts_to_the_next_occurrence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
