/* test_ragtop_logs.c — the console's logs and prompt parts without a
 * terminal: the shared line editor (readline keys), the shown form's source
 * column (service names, cut with an ellipsis), the ring size setting,
 * settings.yaml (round trip, a broken file named with its line, defaults),
 * and REQ/ERR from /healthz (queries only, when the service reports them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/ragtop/lineedit.h"
#include "../../src/ragtop/logline.h"
#include "../../src/ragtop/model.h"
#include "../../src/ragtop/probe.h"
#include "../../src/ragtop/settings.h"

#define CTRL(c) ((c) & 0x1f)

static void type(lineedit *e, const char *s)
{
    for (; *s; s++) assert_true(lineedit_key(e, (unsigned char)*s));
}

static void test_lineedit_readline_keys(void **state)
{
    (void)state;
    lineedit e;
    lineedit_init(&e, NULL);
    type(&e, "error timeout");
    lineedit_key(&e, CTRL('w'));
    assert_string_equal(e.text, "error ");
    lineedit_key(&e, CTRL('w'));
    assert_string_equal(e.text, "");
    type(&e, "abc");
    lineedit_key(&e, CTRL('a'));
    type(&e, "!");
    assert_string_equal(e.text, "!abc");
    assert_int_equal(lineedit_cursor_cols(&e), 1);
    lineedit_key(&e, CTRL('k'));
    assert_string_equal(e.text, "!");
    lineedit_key(&e, CTRL('e'));
    type(&e, "x y");
    lineedit_key(&e, KEY_LEFT);
    lineedit_key(&e, KEY_LEFT);
    lineedit_key(&e, CTRL('u'));
    assert_string_equal(e.text, " y");
    assert_int_equal(e.cur, 0);
    lineedit_key(&e, KEY_END);
    lineedit_key(&e, KEY_BACKSPACE);
    assert_string_equal(e.text, " ");
    lineedit_key(&e, KEY_HOME);
    lineedit_key(&e, KEY_DC);
    assert_string_equal(e.text, "");
    assert_false(lineedit_key(&e, '\n')); /* Enter, Esc are the prompt's */
    assert_false(lineedit_key(&e, 27));
}

static void test_lineedit_keeps_utf8_characters_whole(void **state)
{
    (void)state;
    lineedit e;
    lineedit_init(&e, "caf\xc3\xa9");
    assert_int_equal(lineedit_cursor_cols(&e), 4);
    lineedit_key(&e, KEY_LEFT);
    assert_int_equal(e.cur, 3);
    lineedit_key(&e, KEY_RIGHT);
    lineedit_key(&e, KEY_BACKSPACE);
    assert_string_equal(e.text, "caf");
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lineedit_init(&e, big); /* too long: kept to the buffer */
    assert_int_equal(e.len, LINEEDIT_MAX - 1);
    assert_false(lineedit_key(&e, 'b'));
    /* a full prompt takes a character whole or not at all: typing é (two
     * bytes, as the terminal sends them) past the end never leaves its
     * first byte alone at the end of the pattern */
    lineedit_init(&e, NULL);
    for (int i = 0; i < LINEEDIT_MAX; i++) {
        lineedit_key(&e, 0xc3);
        lineedit_key(&e, 0xa9);
    }
    assert_int_equal(e.len, LINEEDIT_MAX - 1 - (LINEEDIT_MAX - 1) % 2);
    assert_int_equal(rag_utf8_invalid_at(e.text, e.len), e.len);
    for (int i = 0; i < 3; i++) { /* a three-byte € does not fit either */
        lineedit_key(&e, 0xe2);
        lineedit_key(&e, 0x82);
        lineedit_key(&e, 0xac);
    }
    assert_int_equal(rag_utf8_invalid_at(e.text, e.len), e.len);
    lineedit_init(&e, NULL); /* one byte short of full: 'a' fits, é does not */
    for (int i = 0; i < LINEEDIT_MAX - 3; i++) lineedit_key(&e, 'a');
    assert_false(lineedit_key(&e, 0xe2)); /* € needs three */
    assert_false(lineedit_key(&e, 0x82)); /* ... and its rest is not taken alone */
    assert_false(lineedit_key(&e, 0xac));
    assert_true(lineedit_key(&e, 0xc3)); /* é fits: both bytes */
    assert_true(lineedit_key(&e, 0xa9));
    assert_int_equal(e.len, LINEEDIT_MAX - 1);
    assert_int_equal(rag_utf8_invalid_at(e.text, e.len), e.len);
    /* an initial text cut to the buffer is cut between characters */
    for (size_t i = 0; i + 1 < sizeof big; i += 2) memcpy(big + i, "\xc3\xa9", 2);
    big[sizeof big - 1] = '\0';
    lineedit_init(&e, big + 1); /* starts with a continuation byte: odd split */
    assert_true(e.len < LINEEDIT_MAX);
    assert_false((e.text[e.len - 1] & 0xe0) == 0xc0); /* no lead byte without its rest */
}

static void test_shown_form_has_the_service_name_column(void **state)
{
    (void)state;
    char out[512];
    const char *js = "{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"warn\",\"component\":\"api\",\"event\":\"slow\",\"msg\":\"m\"}";
    logline_format_w(js, strlen(js), "api", 6, out, sizeof out);
    assert_string_equal(out, "13:45:00.123 warn  api    api slow m");
    logline_format_w(js, strlen(js), "rag_ingest_cron", 8, out, sizeof out);
    assert_string_equal(out, "13:45:00.123 warn  rag_ing\xe2\x80\xa6 api slow m");
}

static void test_ring_size_is_set_and_kept(void **state)
{
    (void)state;
    rt_model m;
    assert_int_equal(model_init(&m), RAG_OK);
    assert_int_equal(m.ring_cap, RT_LOG_RING);
    model_set_ring_size(&m, 150);
    assert_int_equal(m.ring_cap, 150);
    for (int i = 0; i < 1000; i++) {
        char l[64];
        int n = snprintf(l, sizeof l, "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"info\",\"msg\":\"n%d\"}", i);
        model_log_append(&m, 0, l, (size_t)n);
    }
    assert_int_equal(model_log_kept(&m), 150);
    assert_int_equal(m.log_lines_total, 1000);
    assert_non_null(strstr(m.ring[m.log_oldest % m.ring_cap].text, "n850"));
    model_set_ring_size(&m, 5000); /* too late: lines arrived */
    assert_int_equal(m.ring_cap, 150);
    model_destroy(&m);
}

static char dir[64];

static void test_settings_round_trip_and_broken_file(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ragtop-set-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128], why[300];
    snprintf(path, sizeof path, "%s/deep/ragtop/settings.yaml", dir);
    rt_settings s, r;
    assert_int_equal(settings_load(path, &s, why, sizeof why), 0); /* no file: defaults */
    assert_int_equal(s.log_level, -1);
    assert_int_equal(s.log_lines, RT_LOG_RING);
    snprintf(s.theme, sizeof s.theme, "light");
    s.refresh_ms = 1000; /* written "1s": the parser takes whole units only */
    snprintf(s.zoom, sizeof s.zoom, "logs");
    s.log_level = 2;
    s.wrap = true;
    s.log_lines = 300;
    assert_int_equal(settings_save(path, &s, why, sizeof why), 0);
    assert_int_equal(settings_load(path, &r, why, sizeof why), 0);
    assert_string_equal(r.theme, "light");
    assert_int_equal(r.refresh_ms, 1000);
    s.refresh_ms = 500;
    assert_int_equal(settings_save(path, &s, why, sizeof why), 0);
    assert_int_equal(settings_load(path, &r, why, sizeof why), 0);
    assert_int_equal(r.refresh_ms, 500);
    assert_string_equal(r.zoom, "logs");
    assert_int_equal(r.log_level, 2);
    assert_true(r.wrap);
    assert_int_equal(r.log_lines, 300);

    FILE *f = fopen(path, "w");
    fputs("wrap: true\nlog_level: loud\n", f);
    fclose(f);
    assert_int_equal(settings_load(path, &r, why, sizeof why), -1);
    assert_non_null(strstr(why, "settings.yaml:2"));
    assert_non_null(strstr(why, "log_level"));
    assert_false(r.wrap); /* defaults, not half of the file */
    f = fopen(path, "w");
    fputs("refersh: 1s\n", f);
    fclose(f);
    assert_int_equal(settings_load(path, &r, why, sizeof why), -1);
    assert_non_null(strstr(why, "refresh")); /* did you mean */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_req_err_prefers_queries_over_totals(void **state)
{
    (void)state;
    rt_probe p;
    memset(&p, 0, sizeof p);
    const char *with = "{\"status\":\"pass\",\"requests\":{\"total\":120,\"errors\":4,\"queries\":20,\"query_errors\":1}}";
    probe_parse_healthz(with, strlen(with), &p);
    assert_int_equal(p.requests, 20); /* ragtop's own probes are not the service's traffic */
    assert_int_equal(p.errors, 1);
    const char *without = "{\"status\":\"pass\",\"requests\":{\"total\":120,\"errors\":4}}";
    probe_parse_healthz(without, strlen(without), &p);
    assert_int_equal(p.requests, 120);
    assert_int_equal(p.errors, 4);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lineedit_readline_keys),
        cmocka_unit_test(test_lineedit_keeps_utf8_characters_whole),
        cmocka_unit_test(test_shown_form_has_the_service_name_column),
        cmocka_unit_test(test_ring_size_is_set_and_kept),
        cmocka_unit_test(test_settings_round_trip_and_broken_file),
        cmocka_unit_test(test_req_err_prefers_queries_over_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
