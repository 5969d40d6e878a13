/* test_api_lastrun.c — the newest ingest run outcome read from the tail of a
 * real ingestion_metrics.jsonl: status mapping, unfinished lines ignored, a
 * line longer than the first tail window, and no re-read while the file's
 * size and mtime are unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/api/lastrun.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lastrun.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/ingestion_metrics.jsonl", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void append(const char *s)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static void test_lastrun_follows_the_newest_complete_line(void **state)
{
    (void)state;
    api_lastrun *w = api_lastrun_new(path);
    int64_t t = 0;
    assert_int_equal(api_lastrun_get(w, t), -1); /* no file yet */
    append("{\"status\":\"published\"}\n");
    assert_int_equal(api_lastrun_get(w, t += 1000), 1);
    append("{\"status\":\"failed\"}\n");
    assert_int_equal(api_lastrun_get(w, t += 1000), 0);
    append("{\"status\":\"unchanged\"}"); /* still being written */
    assert_int_equal(api_lastrun_get(w, t += 1000), 0);
    append("\n");
    assert_int_equal(api_lastrun_get(w, t += 1000), 1);
    append("not json\n");
    assert_int_equal(api_lastrun_get(w, t += 1000), -1);
    api_lastrun_free(w);
}

static void test_lastrun_reads_only_when_the_file_changes(void **state)
{
    (void)state;
    append("{\"status\":\"failed\"}\n");
    api_lastrun *w = api_lastrun_new(path);
    assert_int_equal(api_lastrun_get(w, 0), 0);
    assert_int_equal(api_lastrun_reads(w), 1);
    for (int i = 1; i <= 5; i++) assert_int_equal(api_lastrun_get(w, i * 1000), 0);
    assert_int_equal(api_lastrun_reads(w), 1);
    append("{\"status\":\"published\"}\n");
    assert_int_equal(api_lastrun_get(w, 500), 0); /* within the 1 s pacing: not even stat()ed */
    assert_int_equal(api_lastrun_get(w, 7000), 1);
    assert_int_equal(api_lastrun_reads(w), 2);
    api_lastrun_free(w);
}

static void test_lastrun_handles_a_line_longer_than_the_tail_window(void **state)
{
    (void)state;
    append("{\"status\":\"published\"}\n");
    size_t n = 100 * 1024;
    char *big = malloc(n + 64);
    assert_non_null(big);
    int k = snprintf(big, n + 64, "{\"status\":\"failed\",\"pad\":\"");
    memset(big + k, 'x', n);
    snprintf(big + k + n, 64, "\"}\n");
    append(big);
    free(big);
    api_lastrun *w = api_lastrun_new(path);
    assert_int_equal(api_lastrun_get(w, 0), 0);
    api_lastrun_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lastrun_follows_the_newest_complete_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lastrun_reads_only_when_the_file_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lastrun_handles_a_line_longer_than_the_tail_window, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
