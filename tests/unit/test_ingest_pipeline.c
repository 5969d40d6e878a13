/* test_ingest_pipeline.c — the ordered worker pool rag-ingest prepares files
 * with: results come out in item order whatever the workers' timing, no
 * worker runs more than `depth` items ahead of the consumer, stopping early
 * discards exactly the results nobody consumed, and the worker count
 * defaults to the online CPUs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../../src/ingest/pipeline.h"

typedef struct counters {
    size_t depth;
    atomic_size_t produced, consumed, discarded, ahead_violations;
    atomic_int workers_seen[8];
} counters;

static void *produce(void *ud, int worker, size_t item)
{
    counters *c = ud;
    /* claimed only while a slot is free: item < (results handed out) +
     * depth; `consumed` counts them once the test is done with each, so it
     * may lag by the one in the test's hands (it only grows, so reading it
     * now can only make this easier to hold) */
    if (item > atomic_load(&c->consumed) + c->depth)
        atomic_fetch_add(&c->ahead_violations, 1);
    if (worker >= 0 && worker < 8)
        atomic_store(&c->workers_seen[worker], 1);
    /* uneven, item-dependent work so later items often finish first */
    struct timespec ts = { 0, (long)((item * 7919) % 5) * 200000L };
    nanosleep(&ts, NULL);
    size_t *r = malloc(sizeof *r);
    *r = item;
    atomic_fetch_add(&c->produced, 1);
    return r;
}

static void discard(void *ud, void *result)
{
    counters *c = ud;
    atomic_fetch_add(&c->discarded, 1);
    free(result);
}

/* Take the next n results, each the next item in order. */
static void consume(pipeline *p, counters *c, size_t n)
{
    size_t first = atomic_load(&c->consumed);
    for (size_t i = first; i < first + n; i++) {
        size_t *r = pipeline_next(p);
        assert_non_null(r);
        assert_int_equal(*r, i);
        free(r);
        atomic_fetch_add(&c->consumed, 1);
    }
}

static void test_results_come_in_item_order_whatever_the_timing(void **state)
{
    (void)state;
    counters c = { .depth = 3 };
    pipeline *p = pipeline_start(300, 4, c.depth, produce, discard, &c);
    assert_int_equal(pipeline_threads(p), 4);
    consume(p, &c, 300);
    assert_null(pipeline_next(p));
    pipeline_finish(p);
    assert_int_equal(atomic_load(&c.produced), 300);
    assert_int_equal(atomic_load(&c.discarded), 0);
    assert_int_equal(atomic_load(&c.ahead_violations), 0);
    int seen = 0;
    for (int w = 0; w < 4; w++)
        seen += atomic_load(&c.workers_seen[w]);
    assert_true(seen >= 1);
}

static void test_stopping_early_discards_what_was_not_consumed(void **state)
{
    (void)state;
    counters c = { .depth = 4 };
    pipeline *p = pipeline_start(1000, 2, c.depth, produce, discard, &c);
    consume(p, &c, 10);
    pipeline_finish(p);
    size_t produced = atomic_load(&c.produced);
    assert_int_equal(produced, 10 + atomic_load(&c.discarded));
    assert_true(produced <= 10 + c.depth); /* nobody ran ahead of the bound */
    assert_int_equal(atomic_load(&c.ahead_violations), 0);
}

static void test_no_items_and_one_worker(void **state)
{
    (void)state;
    counters c = { .depth = 1 };
    pipeline *p = pipeline_start(0, 3, 1, produce, discard, &c);
    assert_null(pipeline_next(p));
    pipeline_finish(p);
    p = pipeline_start(5, 1, 1, produce, discard, &c);
    consume(p, &c, 5);
    pipeline_finish(p);
    assert_int_equal(atomic_load(&c.ahead_violations), 0);
    pipeline_finish(NULL);
}

static void test_worker_count_defaults_to_online_cpus(void **state)
{
    (void)state;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(pipeline_default_workers(0), cpus < 1 ? 1 : cpus > 64 ? 64 : cpus);
    assert_int_equal(pipeline_default_workers(3), 3);
    assert_int_equal(pipeline_default_workers(500), 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_come_in_item_order_whatever_the_timing),
        cmocka_unit_test(test_stopping_early_discards_what_was_not_consumed),
        cmocka_unit_test(test_no_items_and_one_worker),
        cmocka_unit_test(test_worker_count_defaults_to_online_cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
