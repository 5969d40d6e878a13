/* test_core_timeutil.c — RFC 3339 timestamps, durations, sizes, ages and run
 * durations: exact formats, every accepted notation, every rejected one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rag/timeutil.h"

static int64_t parse_time_ok(const char *s)
{
    int64_t ms = -42;
    if (rag_time_parse(s, &ms) != 0) fail_msg("rag_time_parse rejected valid \"%s\"", s);
    return ms;
}

static void test_time_format_is_utc_with_milliseconds(void **state)
{
    (void)state;
    char buf[RAG_TIME_BUFSZ];
    rag_time_format(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    rag_time_format(1795873500123LL, buf); /* 2026-11-28T13:45:00.123Z */
    assert_string_equal(buf, "2026-11-28T13:45:00.123Z");
    rag_time_format(951782400000LL + 86399999LL, buf); /* leap day 2000-02-29, last ms */
    assert_string_equal(buf, "2000-02-29T23:59:59.999Z");
    rag_time_format(-1, buf); /* before the epoch rounds toward the past */
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

static void test_time_format_agrees_with_gmtime_over_many_instants(void **state)
{
    (void)state;
    /* Cross-check the calendar code against libc across ~130 years. */
    for (int64_t t = -86400LL * 365 * 20; t < 86400LL * 365 * 110; t += 86400LL * 37 + 3671) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char want[64], got[RAG_TIME_BUFSZ];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.007Z", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        rag_time_format(t * 1000 + 7, got);
        assert_string_equal(got, want);
        assert_int_equal(parse_time_ok(got), t * 1000 + 7);
    }
}

static void test_time_parse_roundtrips_format(void **state)
{
    (void)state;
    int64_t now = rag_now_ms();
    char buf[RAG_TIME_BUFSZ];
    rag_time_format(now, buf);
    assert_int_equal(parse_time_ok(buf), now);
}

static void test_time_parse_accepts_offsets_and_optional_fraction(void **state)
{
    (void)state;
    const int64_t base = 1795873500000LL; /* 2026-11-28T13:45:00Z */
    assert_int_equal(parse_time_ok("2026-11-28T13:45:00Z"), base);
    assert_int_equal(parse_time_ok("2026-11-28T13:45:00.123Z"), base + 123);
    assert_int_equal(parse_time_ok("2026-11-28T13:45:00.5Z"), base + 500);
    assert_int_equal(parse_time_ok("2026-11-28T13:45:00.123456789Z"), base + 123);
    assert_int_equal(parse_time_ok("2026-11-28T15:45:00+02:00"), base);
    assert_int_equal(parse_time_ok("2026-11-28T08:15:00.250-05:30"), base + 250);
    assert_int_equal(parse_time_ok("2026-11-28T13:45:00+00:00"), base);
    assert_int_equal(parse_time_ok("2026-11-28t13:45:00z"), base);
    assert_int_equal(parse_time_ok("2026-11-29T00:45:00+11:00"), base); /* crosses midnight */
}

static void test_time_parse_rejects_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "2026", "2026-11-28", "2026-11-28T13:45:00", /* no zone */
        "2026-11-28T13:45Z", "2026-11-28T13:45:00.Z", "2026-11-28T13:45:00ZZ",
        "2026-11-28T13:45:00Z ", " 2026-11-28T13:45:00Z", "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z", /* not a leap year */
        "2026-04-31T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T13:60:00Z",
        "2026-11-28T13:45:61Z", "2026-11-28T13:45:00+24:00", "2026-11-28T13:45:00+02",
        "2026-11-28T13:45:00+0200", "26-11-28T13:45:00Z", "2026/11/28T13:45:00Z",
        "2026-11-28X13:45:00Z", "abcd-ef-ghTij:kl:mnZ", "2026-1-28T13:45:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 0;
        if (rag_time_parse(bad[i], &ms) != -1) fail_msg("accepted invalid timestamp \"%s\"", bad[i]);
    }
    int64_t ms;
    assert_int_equal(rag_time_parse(NULL, &ms), -1);
}

static void test_time_parse_accepts_leap_day_and_leap_second(void **state)
{
    (void)state;
    assert_int_equal(parse_time_ok("2024-02-29T00:00:00Z"), 1709164800000LL);
    assert_int_equal(parse_time_ok("2000-02-29T00:00:00Z"), 951782400000LL);
    /* 23:59:60 folds into the next second */
    assert_int_equal(parse_time_ok("2016-12-31T23:59:60Z"), 1483228800000LL);
}

static void test_clocks_advance(void **state)
{
    (void)state;
    int64_t w0 = rag_now_ms(), m0 = rag_mono_ms(), u0 = rag_mono_us();
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    int64_t u1 = rag_mono_us(), w1 = rag_now_ms(), m1 = rag_mono_ms();
    assert_true(m1 - m0 >= 20);
    assert_true(u1 - u0 >= 20000);
    /* the same clock: the microseconds fall within the milliseconds read around them */
    assert_true(u0 / 1000 >= m0 && u1 / 1000 <= m1);
    assert_true(w1 - w0 >= 15); /* wall clock may be slewed a little */
    assert_true(w0 > 1700000000000LL);
}

static int64_t ts_us(struct timespec t) { return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000; }

static void test_timespec_in_is_that_far_ahead_on_the_clock_given(void **state)
{
    (void)state;
    const int64_t waits[] = {0, 1, 250, 999, 1000, 1999, 10000};
    for (size_t i = 0; i < sizeof waits / sizeof *waits; i++) {
        const int64_t before = rag_mono_us();
        const struct timespec t = rag_timespec_in(CLOCK_MONOTONIC, waits[i]);
        const int64_t after = rag_mono_us();
        assert_true(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L); /* normalised, as timedwait requires */
        assert_true(ts_us(t) >= before + waits[i] * 1000 && ts_us(t) <= after + waits[i] * 1000);
    }
    const int64_t now = rag_now_ms();
    const struct timespec w = rag_timespec_in(CLOCK_REALTIME, 1500);
    assert_true(ts_us(w) / 1000 >= now + 1500 && ts_us(w) / 1000 <= rag_now_ms() + 1500);
}

static int64_t dur_ok(const char *s)
{
    int64_t ms = -1;
    if (rag_duration_parse(s, &ms) != 0) fail_msg("rag_duration_parse rejected valid \"%s\"", s);
    return ms;
}

static void test_duration_parse_accepts_each_unit(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("250ms"), 250);
    assert_int_equal(dur_ok("30s"), 30000);
    assert_int_equal(dur_ok("5m"), 300000);
    assert_int_equal(dur_ok("24h"), 86400000);
    assert_int_equal(dur_ok("7d"), 604800000);
    assert_int_equal(dur_ok("0s"), 0);
    assert_int_equal(dur_ok("0"), 0);
}

static void test_duration_parse_bare_integer_means_seconds(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("90"), 90000);
    assert_int_equal(dur_ok("1"), 1000);
}

static void test_duration_parse_rejects_negative_empty_overflow_junk(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "-5s", "-1", "+5s", "s", "ms", "5 s", " 5s", "5s ", "5x", "5sec", "5S", "5M",
        "1.5h", "5m30s", "1e3", "0x10", "abc", "9223372036854775807d", "9223372036854775807s",
        "99999999999999999999", "9223372036854775808ms",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 0;
        if (rag_duration_parse(bad[i], &ms) != -1) fail_msg("accepted invalid duration \"%s\"", bad[i]);
    }
    int64_t ms;
    assert_int_equal(rag_duration_parse(NULL, &ms), -1);
    /* the largest representable value is still accepted */
    assert_int_equal(dur_ok("9223372036854775807ms"), INT64_MAX);
}

static void test_size_format_in_binary_units_as_df(void **state)
{
    (void)state;
    static const struct { uint64_t b; const char *want; } cases[] = {
        {0, "0 B"}, {812, "812 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {46387, "45.3 KiB"},
        {1048063, "1023 KiB"}, {1048064, "1.0 MiB"}, /* 1023.5 KiB: never "1024 KiB" */
        {530ULL << 20, "530 MiB"}, {99ULL << 20, "99.0 MiB"}, {(99ULL << 20) + (99ULL << 20) / 100, "100 MiB"},
        {1288490189ULL, "1.2 GiB"}, {3ULL << 40, "3.0 TiB"}, {UINT64_MAX, "16.0 EiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[32];
        rag_size_format(cases[i].b, out, sizeof out);
        if (strcmp(out, cases[i].want) != 0) fail_msg("%llu bytes: \"%s\", want \"%s\"", (unsigned long long)cases[i].b, out, cases[i].want);
    }
    char small[4];
    rag_size_format(530ULL << 20, small, sizeof small); /* cut, terminated */
    assert_string_equal(small, "530");
}

static int64_t size_ok(const char *s)
{
    int64_t b = -1;
    if (rag_size_parse(s, &b) != 0) fail_msg("rag_size_parse rejected valid \"%s\"", s);
    return b;
}

static void test_size_parse_accepts_binary_and_decimal_units(void **state)
{
    (void)state;
    assert_int_equal(size_ok("512"), 512);
    assert_int_equal(size_ok("512B"), 512);
    assert_int_equal(size_ok("64KiB"), 65536);
    assert_int_equal(size_ok("16MiB"), 16777216);
    assert_int_equal(size_ok("1GiB"), 1073741824LL);
    assert_int_equal(size_ok("2TiB"), 2199023255552LL);
    assert_int_equal(size_ok("64KB"), 64000);
    assert_int_equal(size_ok("16MB"), 16000000);
    assert_int_equal(size_ok("1GB"), 1000000000LL);
    assert_int_equal(size_ok("0"), 0);
}

static void test_size_parse_rejects_negative_empty_overflow_junk(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "-1", "-64KiB", "KiB", "64 KiB", "64kib", "64Ki", "64K", "1.5MiB", "64KiBs",
        "abc", "9223372036854775807KiB", "99999999999999999999", "16MiB ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t b = 0;
        if (rag_size_parse(bad[i], &b) != -1) fail_msg("accepted invalid size \"%s\"", bad[i]);
    }
}

static void check_age(int64_t ms, const char *want)
{
    char buf[32];
    rag_age_format(ms, buf, sizeof buf);
    if (strcmp(buf, want) != 0) fail_msg("age %lld ms: got \"%s\", want \"%s\"", (long long)ms, buf, want);
}

static void test_age_format_uses_two_largest_units(void **state)
{
    (void)state;
    check_age(0, "now");
    check_age(999, "now");
    check_age(-5000, "now"); /* future (clock skew) is shown as now, not negative */
    check_age(1000, "1s");
    check_age(42000, "42s");
    check_age(59999, "59s");
    check_age(60000, "1m");
    check_age(5 * 60000 + 59000, "5m");
    check_age(3 * 3600000 + 12 * 60000 + 30000, "3h 12m");
    check_age(3600000, "1h 0m");
    check_age(3 * 86400000LL + 4 * 3600000 + 59 * 60000, "3d 4h");
    check_age(400 * 86400000LL, "400d 0h");
}

static void test_age_format_truncates_to_buffer(void **state)
{
    (void)state;
    char buf[4];
    rag_age_format(3 * 3600000 + 12 * 60000, buf, sizeof buf);
    assert_string_equal(buf, "3h ");
}

static void check_ago(int64_t ms, const char *want)
{
    char buf[32];
    rag_ago_format(ms, buf, sizeof buf);
    if (strcmp(buf, want) != 0) fail_msg("ago %lld ms: got \"%s\", want \"%s\"", (long long)ms, buf, want);
}

static void test_ago_format_says_just_now_not_now_ago(void **state)
{
    (void)state;
    check_ago(0, "just now");
    check_ago(999, "just now");
    check_ago(-5000, "just now"); /* future (clock skew) */
    check_ago(1000, "1s ago");
    check_ago(5 * 60000 + 59000, "5m ago");
    check_ago(3 * 3600000 + 12 * 60000 + 30000, "3h 12m ago");
    check_ago(3 * 86400000LL + 4 * 3600000, "3d 4h ago");
}

static void test_ago_format_truncates_to_buffer(void **state)
{
    (void)state;
    char buf[6];
    rag_ago_format(3 * 3600000 + 12 * 60000, buf, sizeof buf);
    assert_string_equal(buf, "3h 12");
    rag_ago_format(0, buf, sizeof buf);
    assert_string_equal(buf, "just ");
}

static void check_dur(int64_t ms, const char *want)
{
    char buf[32];
    rag_duration_format(ms, buf, sizeof buf);
    if (strcmp(buf, want) != 0) fail_msg("duration %lld ms: got \"%s\", want \"%s\"", (long long)ms, buf, want);
}

static void test_duration_format_for_run_times(void **state)
{
    (void)state;
    check_dur(0, "0ms");
    check_dur(850, "850ms");
    check_dur(999, "999ms");
    check_dur(1000, "1.0s");
    check_dur(12345, "12.3s");
    check_dur(59999, "59.9s");
    check_dur(60000, "1m 00s");
    check_dur(4 * 60000 + 5000, "4m 05s");
    check_dur(3599999, "59m 59s");
    check_dur(3600000 + 2 * 60000, "1h 02m");
    check_dur(-10, "0ms");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_format_is_utc_with_milliseconds),
        cmocka_unit_test(test_time_format_agrees_with_gmtime_over_many_instants),
        cmocka_unit_test(test_time_parse_roundtrips_format),
        cmocka_unit_test(test_time_parse_accepts_offsets_and_optional_fraction),
        cmocka_unit_test(test_time_parse_rejects_malformed),
        cmocka_unit_test(test_time_parse_accepts_leap_day_and_leap_second),
        cmocka_unit_test(test_clocks_advance),
        cmocka_unit_test(test_timespec_in_is_that_far_ahead_on_the_clock_given),
        cmocka_unit_test(test_duration_parse_accepts_each_unit),
        cmocka_unit_test(test_duration_parse_bare_integer_means_seconds),
        cmocka_unit_test(test_duration_parse_rejects_negative_empty_overflow_junk),
        cmocka_unit_test(test_size_parse_accepts_binary_and_decimal_units),
        cmocka_unit_test(test_size_parse_rejects_negative_empty_overflow_junk),
        cmocka_unit_test(test_age_format_uses_two_largest_units),
        cmocka_unit_test(test_age_format_truncates_to_buffer),
        cmocka_unit_test(test_ago_format_says_just_now_not_now_ago),
        cmocka_unit_test(test_ago_format_truncates_to_buffer),
        cmocka_unit_test(test_duration_format_for_run_times),
        cmocka_unit_test(test_size_format_in_binary_units_as_df),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
