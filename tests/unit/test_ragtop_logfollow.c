/* test_ragtop_logfollow.c — the log follower on real files: starts at the
 * end with only the last lines, follows appends without losing a line,
 * survives rename-rotation (the rest of the old file first) and truncation,
 * waits for a partial line to complete, picks up a file created later, and
 * keeps the model's ring within its line and byte bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/ragtop/logfollow.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

static char dir[64];

static void append(const char *name, const char *fmt, int from, int to)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    for (int i = from; i <= to; i++) fprintf(f, fmt, i);
    fclose(f);
}

static uint64_t total(rt_model *m)
{
    model_lock(m);
    uint64_t n = m->log_lines_total;
    model_unlock(m);
    return n;
}

static bool wait_total(rt_model *m, uint64_t want)
{
    int64_t until = rag_mono_ms() + 5000;
    while (rag_mono_ms() < until) {
        if (total(m) >= want) return total(m) == want;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static const char *newest(rt_model *m)
{
    static char buf[256];
    model_lock(m);
    const rt_log_line *l = &m->ring[m->log_seq % m->ring_cap];
    snprintf(buf, sizeof buf, "%s", l->raw ? l->raw : "(none)");
    model_unlock(m);
    return buf;
}

static void test_follower_tails_rotates_truncates_and_loses_nothing(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ragtop-lf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    append("a.log", "line %d\n", 1, 1000);
    rt_model m;
    assert_int_equal(model_init(&m), RAG_OK);
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/a.log", dir);
    snprintf(b, sizeof b, "%s/late.log", dir);
    char *paths[] = {a, b, a}; /* a duplicate is followed once */
    logfollow *lf = logfollow_start(&m, paths, 3, 200);
    assert_non_null(lf);
    assert_true(wait_total(&m, 200));
    assert_string_equal(newest(&m), "line 1000");
    assert_int_equal(m.n_log_sources, 2);

    append("a.log", "line %d\n", 1001, 1500);
    assert_true(wait_total(&m, 700));
    assert_string_equal(newest(&m), "line 1500");

    /* rotation: lines written just before the rename must not be lost */
    append("a.log", "line %d\n", 1501, 1510);
    char rotated[140];
    snprintf(rotated, sizeof rotated, "%s.1", a);
    assert_int_equal(rename(a, rotated), 0);
    append("a.log", "new %d\n", 1, 20);
    assert_true(wait_total(&m, 730));
    assert_string_equal(newest(&m), "new 20");

    /* truncation: start again from the top */
    assert_int_equal(truncate(a, 0), 0);
    append("a.log", "after truncate %d\n", 1, 5);
    assert_true(wait_total(&m, 735));
    assert_string_equal(newest(&m), "after truncate 5");

    /* a file that did not exist at start is read from its beginning */
    append("late.log", "late %d\n", 1, 3);
    assert_true(wait_total(&m, 738));
    assert_string_equal(newest(&m), "late 3");

    /* a partial line waits for its end. Every wake-up checks a.log, then
     * late.log: once two lines written to late.log after the partial one
     * have been read one after the other, a.log has been checked since the
     * partial line was there (and a line read from it too soon would make
     * a count overshoot: wait_total wants it exact) */
    append("a.log", "partial-%d", 1, 1);
    append("late.log", "late %d\n", 4, 4);
    assert_true(wait_total(&m, 739));
    append("late.log", "late %d\n", 5, 5);
    assert_true(wait_total(&m, 740));
    assert_string_equal(newest(&m), "late 5");
    append("a.log", "-rest %d\n", 2, 2);
    assert_true(wait_total(&m, 741));
    assert_string_equal(newest(&m), "partial-1-rest 2");

    logfollow_stop(lf);
    model_destroy(&m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* k-th newest line's raw text (0 = newest) */
static const char *nth_newest(rt_model *m, uint64_t k)
{
    static char buf[256];
    model_lock(m);
    const rt_log_line *l = &m->ring[(m->log_seq - k) % m->ring_cap];
    snprintf(buf, sizeof buf, "%s", l->raw ? l->raw : "(none)");
    model_unlock(m);
    return buf;
}

/* A log path that is a FIFO (or becomes one) is skipped, never waited on:
 * the other logs are read and followed, and stopping returns (the alarm
 * turns a hang into a failure). Plain-text lines (a program's stderr) read
 * at start stay in file order at the time of their file, not before every
 * other log's lines, without a trailing CR. */
static void test_fifo_logs_are_skipped_and_plain_lines_keep_their_place(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ragtop-lf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    /* an old JSON log, then a plain stderr file written now */
    append("api.jsonl", "{\"ts\":\"2020-01-01T00:00:0%d.000Z\",\"level\":\"info\",\"component\":\"rag-api\",\"event\":\"e\"}\n", 1, 3);
    append("cron.out", "plain %d\r\n", 1, 2);
    char api[128], cron[128], fifo[128];
    snprintf(api, sizeof api, "%s/api.jsonl", dir);
    snprintf(cron, sizeof cron, "%s/cron.out", dir);
    snprintf(fifo, sizeof fifo, "%s/hostile.log", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    rt_model m;
    assert_int_equal(model_init(&m), RAG_OK);
    char *paths[] = {fifo, api, cron};
    alarm(20);
    logfollow *lf = logfollow_start(&m, paths, 3, 50);
    assert_non_null(lf);
    assert_true(wait_total(&m, 5));
    assert_string_equal(nth_newest(&m, 0), "plain 2");
    assert_string_equal(nth_newest(&m, 1), "plain 1");
    assert_non_null(strstr(nth_newest(&m, 2), "2020-01-01T00:00:03"));

    /* a followed log replaced by a FIFO: the others keep coming */
    assert_int_equal(unlink(api), 0);
    assert_int_equal(mkfifo(api, 0600), 0);
    append("cron.out", "plain %d\n", 3, 3);
    assert_true(wait_total(&m, 6));
    assert_string_equal(newest(&m), "plain 3");
    logfollow_stop(lf);
    alarm(0);
    model_destroy(&m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void append_bytes(const char *name, const char *bytes, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* newest line's shown text */
static const char *newest_text(rt_model *m)
{
    static char buf[512];
    model_lock(m);
    const rt_log_line *l = &m->ring[m->log_seq % m->ring_cap];
    snprintf(buf, sizeof buf, "%s", l->text ? l->text : "(none)");
    model_unlock(m);
    return buf;
}

/* A NUL inside a line (a raw byte, or a JSON \u0000) does not end it: the
 * line is kept and shown whole, the NUL as U+2400, both in the lines read
 * at start and in those followed; the byte budget counts what is kept. */
static void test_a_nul_does_not_cut_a_line(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ragtop-lf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    static const char first[] = "start\0hidden 1\n";
    append_bytes("a.log", first, sizeof first - 1);
    char a[128];
    snprintf(a, sizeof a, "%s/a.log", dir);
    rt_model m;
    assert_int_equal(model_init(&m), RAG_OK);
    char *paths[] = {a};
    logfollow *lf = logfollow_start(&m, paths, 1, 10);
    assert_non_null(lf);
    assert_true(wait_total(&m, 1));
    assert_string_equal(newest(&m), "start" RAG_NUL_SYMBOL "hidden 1");
    assert_non_null(strstr(newest_text(&m), "start" RAG_NUL_SYMBOL "hidden 1"));

    static const char more[] = "followed\0hidden 2\n"
                               "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"warn\",\"component\":\"c\",\"event\":\"e\","
                               "\"msg\":\"shown\\u0000hidden 3\"}\n";
    append_bytes("a.log", more, sizeof more - 1);
    assert_true(wait_total(&m, 3));
    assert_string_equal(nth_newest(&m, 1), "followed" RAG_NUL_SYMBOL "hidden 2");
    assert_non_null(strstr(newest_text(&m), "c e shown" RAG_NUL_SYMBOL "hidden 3"));
    logfollow_stop(lf);
    size_t bytes = 0;
    for (size_t i = 0; i < m.ring_cap; i++)
        if (m.ring[i].raw) bytes += strlen(m.ring[i].raw) + 1 + strlen(m.ring[i].text) + 1;
    assert_int_equal(bytes, m.log_bytes);
    model_destroy(&m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_ring_keeps_line_and_byte_bounds(void **state)
{
    (void)state;
    rt_model m;
    assert_int_equal(model_init(&m), RAG_OK);
    char line[RT_LOG_LINE_MAX + 100];
    memset(line, 'x', sizeof line);
    for (int i = 0; i < 3 * RT_LOG_RING; i++) model_log_append(&m, 0, line, sizeof line);
    assert_int_equal(m.log_lines_total, 3 * RT_LOG_RING);
    /* the budget counts the raw line and its shown form */
    assert_true(m.log_bytes <= m.log_bytes_max + 3 * RT_LOG_LINE_MAX + 2);
    size_t kept = 0, bytes = 0;
    for (size_t i = 0; i < m.ring_cap; i++)
        if (m.ring[i].raw) {
            kept++;
            bytes += strlen(m.ring[i].raw) + 1 + strlen(m.ring[i].text) + 1;
            assert_true(strlen(m.ring[i].raw) <= RT_LOG_LINE_MAX);
        }
    assert_int_equal(bytes, m.log_bytes);
    assert_int_equal(kept, m.log_seq - m.log_oldest + 1);
    for (int i = 0; i < RT_LOG_RING; i++) model_log_append(&m, 0, "short", 5);
    assert_int_equal(m.log_seq - m.log_oldest + 1, RT_LOG_RING);
    model_destroy(&m);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8"); /* as the console: U+2400 printable */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follower_tails_rotates_truncates_and_loses_nothing),
        cmocka_unit_test(test_fifo_logs_are_skipped_and_plain_lines_keep_their_place),
        cmocka_unit_test(test_a_nul_does_not_cut_a_line),
        cmocka_unit_test(test_ring_keeps_line_and_byte_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
