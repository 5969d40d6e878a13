/* test_ingest_metrics.c — the per-run metrics line has a size bound that
 * holds whatever the run's messages (every buffer full of characters that
 * escape to six bytes, five huge errors and warnings): that bound is what
 * the room reserved past the file's end is sized by; long messages are cut
 * at a character boundary and marked; metrics_reserve allocates that room
 * without changing the file's size, and an append lands in it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/ingest/metrics.h"
#include "rag/jsonlog.h"

static void fill(char *buf, size_t size, char c)
{
    memset(buf, c, size - 1);
    buf[size - 1] = '\0';
}

static char *repeat(const char *unit, size_t times)
{
    size_t n = strlen(unit);
    char *s = malloc(n * times + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * n, unit, n);
    s[n * times] = '\0';
    return s;
}

static void test_worst_case_line_is_under_the_bound(void **state)
{
    (void)state;
    run_stats st;
    memset(&st, 0, sizeof st);
    /* \x01 is written as \u0001: six bytes for one */
    fill(st.run_id, sizeof st.run_id, '\x01');
    fill(st.status, sizeof st.status, '\x01');
    fill(st.full_reason, sizeof st.full_reason, '\x01');
    fill(st.generation, sizeof st.generation, '\x01');
    fill(st.config_hash, sizeof st.config_hash, '\x01');
    fill(st.failure, sizeof st.failure, '\x01');
    fill(st.rollback_from, sizeof st.rollback_from, '\x01');
    fill(st.quality.gate, sizeof st.quality.gate, '\x01');
    st.full = st.rollback = st.published = st.quality.have = true;
    int64_t big = INT64_MIN;
    st.started_ms = st.finished_ms = big;
    st.seen = st.processed = st.unchanged = st.failed = st.deleted = big;
    st.failed_content = st.failed_transient = st.file_warnings = st.batches = big;
    st.documents = st.chunks = st.tokens = st.chunks_new = st.tokens_new = big;
    st.chunks_embedded = st.chunks_reused = st.bytes_processed = st.n_errors = st.n_warnings = big;
    st.quality.failed = big;
    st.quality.ndcg_at_10 = st.quality.recall_at_k = st.quality.mrr = -1.2345678901234567e-300;
    for (int i = 0; i < RUN_MAX_ERRORS; i++) {
        st.errors[i] = repeat("\x01", 100000);
        st.warnings[i] = repeat("\xff", 100000); /* invalid UTF-8: U+FFFD, three bytes each */
    }
    cJSON *o = metrics_json(&st);
    size_t len = 0;
    char *line = rag_json_print(o, false, &len);
    cJSON_Delete(o);
    assert_non_null(line);
    assert_true(len + 1 <= METRICS_LINE_MAX);
    assert_true(METRICS_RESERVE >= 2 * (len + 1));
    /* and it is still one valid JSON object */
    cJSON *back = cJSON_Parse(line);
    assert_non_null(back);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "errors"), "first")), 5);
    cJSON_Delete(back);
    free(line);
    for (int i = 0; i < RUN_MAX_ERRORS; i++) {
        free(st.errors[i]);
        free(st.warnings[i]);
    }
}

static void test_long_message_cut_at_a_character(void **state)
{
    (void)state;
    run_stats st;
    memset(&st, 0, sizeof st);
    /* "é" is two bytes: 600 of them are 1200 bytes, over the 512 allowed */
    st.errors[0] = repeat("\xc3\xa9", 600);
    st.errors[1] = (char *)"short.txt:3: bad cue";
    st.n_errors = 2;
    cJSON *o = metrics_json(&st);
    cJSON *first = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "errors"), "first");
    const char *cut = cJSON_GetArrayItem(first, 0)->valuestring;
    size_t n = strlen(cut);
    assert_true(n <= METRICS_MESSAGE_MAX);
    assert_true(n > METRICS_MESSAGE_MAX - 8);
    assert_string_equal(cut + n - 3, "\xe2\x80\xa6"); /* … */
    assert_int_equal(rag_utf8_invalid_at(cut, n), n);
    assert_string_equal(cJSON_GetArrayItem(first, 1)->valuestring, "short.txt:3: bad cue");
    cJSON_Delete(o);
    free(st.errors[0]);
}

static void test_reserve_keeps_the_size_and_the_line_lands_in_it(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ragtop-metrics.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char path[256];
    snprintf(path, sizeof path, "%s/logs/ingestion_metrics.jsonl", dir);
    rag_error err = { 0 };
    assert_int_equal(metrics_reserve(path, &err), RAG_OK); /* the folder and the file are created */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    int fd = open(path, O_WRONLY);
    bool supported = fd >= 0 && fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1) == 0;
    if (fd >= 0)
        close(fd);
    if (supported)
        assert_true((int64_t)sb.st_blocks * 512 >= METRICS_RESERVE);
    run_stats st;
    memset(&st, 0, sizeof st);
    snprintf(st.status, sizeof st.status, "failed");
    assert_int_equal(metrics_append(path, &st, &err), RAG_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 0 && sb.st_size < METRICS_LINE_MAX);
    if (supported) /* room for the next line again */
        assert_true((int64_t)sb.st_blocks * 512 >= sb.st_size + METRICS_RESERVE);
    /* a folder in the file's place: the error names the file and why */
    unlink(path);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(metrics_reserve(path, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "ingestion_metrics.jsonl: cannot open to reserve room"));
    assert_non_null(strstr(err.msg, "Is a directory"));
    rmdir(path);
    snprintf(path, sizeof path, "%s/logs", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worst_case_line_is_under_the_bound),
        cmocka_unit_test(test_long_message_cut_at_a_character),
        cmocka_unit_test(test_reserve_keeps_the_size_and_the_line_lands_in_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
