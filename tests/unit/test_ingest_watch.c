/* test_ingest_watch.c — rag-ingest --watch's daily schedule: milliseconds
 * until the next occurrence of a "HH:MM" time, -1 for a malformed one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/ingest/watch.h"

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
        cmocka_unit_test(test_daily_schedule_counts_to_the_next_occurrence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
