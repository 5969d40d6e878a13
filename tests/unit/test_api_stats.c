/* test_api_stats.c — request counters, the latency histogram and the
 * five-minute error window that /healthz reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/api/stats.h"

static void test_requests_land_in_route_code_and_latency_bucket(void **state)
{
    (void)state;
    api_stats *s = api_stats_new();
    api_stats_request(s, API_ROUTE_QUERY, 200, 3000, 100);   /* 3 ms -> le 0.005 */
    api_stats_request(s, API_ROUTE_QUERY, 200, 7000000, 10); /* 7 s -> +Inf */
    api_stats_request(s, API_ROUTE_HEALTHZ, 503, 50, 5);
    api_stats_request(s, API_ROUTE_OTHER, 418, 50, 5);
    api_stats_snap snap;
    api_stats_snapshot(s, &snap);
    assert_int_equal(snap.requests[API_ROUTE_QUERY][api_stats_code_index(200)], 2);
    assert_int_equal(snap.requests[API_ROUTE_HEALTHZ][api_stats_code_index(503)], 1);
    assert_int_equal(snap.requests[API_ROUTE_OTHER][API_CODE_COUNT - 1], 1);
    int b5ms = 0;
    while (api_latency_bounds[b5ms] < 0.005) b5ms++;
    assert_int_equal(snap.lat_buckets[API_ROUTE_QUERY][b5ms], 1);
    assert_int_equal(snap.lat_buckets[API_ROUTE_QUERY][API_LAT_BUCKETS], 1);
    assert_int_equal(snap.lat_sum_us[API_ROUTE_QUERY], 7003000);
    assert_int_equal(snap.bytes[API_ROUTE_QUERY], 110);
    api_stats_free(s);
}

static void test_recent_errors_count_server_errors_for_five_minutes(void **state)
{
    (void)state;
    api_stats *s = api_stats_new();
    const int64_t t0 = 1800000000000;
    api_stats_error(s, API_ERR_QUERY, t0);
    api_stats_error(s, API_ERR_RELOAD, t0 + 1000);
    api_stats_error(s, API_ERR_BAD_REQUEST, t0 + 1000); /* client mistake: not counted */
    api_stats_error(s, API_ERR_NO_INDEX, t0 + 1000);
    assert_int_equal(api_stats_recent_errors(s, t0 + 2000), 2);
    assert_int_equal(api_stats_recent_errors(s, t0 + 299000), 2);
    assert_int_equal(api_stats_recent_errors(s, t0 + 300500), 1); /* the first fell out */
    assert_int_equal(api_stats_recent_errors(s, t0 + 302000), 0);
    /* a slot reused 300 s later starts from zero */
    api_stats_error(s, API_ERR_BUSY, t0 + 300000);
    assert_int_equal(api_stats_recent_errors(s, t0 + 300000), 2);
    api_stats_snap snap;
    api_stats_snapshot(s, &snap);
    assert_int_equal(snap.errors[API_ERR_BAD_REQUEST], 1);
    assert_int_equal(snap.errors[API_ERR_QUERY], 1);
    api_stats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_land_in_route_code_and_latency_bucket),
        cmocka_unit_test(test_recent_errors_count_server_errors_for_five_minutes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
