/* test_api_embedq.c — rag-api's query-embedding stage (src/api/embedq.c)
 * with real threads and the local hashing embedder: a stage thread that
 * finds the workers busy waits, and a worker whose backlog falls wakes it,
 * even when the backlog falls while the thread is still looking at it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rag/embed.h"
#include "rag/timeutil.h"

#include "../../src/api/embedq.h"
#include "../../src/api/stats.h"

#define DIMS 16

typedef struct {
    api_embedq *q;
    atomic_size_t ready; /* what the workers report */
    /* the first look at the backlog lowers it on another thread, as a
     * worker taking a query would, while the stage thread is inside it */
    atomic_int looks;
    pthread_t worker; /* the thread that lowers it (joined at the end) */
    bool lowered;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool job_done;
} world;

static void *worker_lowers_backlog(void *p)
{
    world *w = p;
    atomic_store(&w->ready, 0);
    api_embedq_demand(w->q, 0);
    pthread_mutex_lock(&w->lock);
    w->lowered = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Wait (w->lock, w->cond) until *flag is set or ms have passed; its value. */
static bool wait_for(world *w, const bool *flag, long ms)
{
    const struct timespec until = rag_timespec_in(CLOCK_REALTIME, ms);
    pthread_mutex_lock(&w->lock);
    while (!*flag && pthread_cond_timedwait(&w->cond, &w->lock, &until) == 0) {
    }
    const bool set = *flag;
    pthread_mutex_unlock(&w->lock);
    return set;
}

static _Thread_local bool first_looker; /* this thread looked first */

static void backlog(void *arg, size_t *ready, int64_t *query_us)
{
    world *w = arg;
    *query_us = 0;
    *ready = atomic_load(&w->ready);
    if (atomic_fetch_add(&w->looks, 1) != 0) {
        /* the other stage threads find the workers busy throughout: only
         * the wake-up can get the text sent */
        if (!first_looker) *ready = 100;
        return;
    }
    first_looker = true;
    /* the worker's demand runs now, while this thread holds the stage's
     * lock and has read the old backlog; it is given until it returns or
     * 300 ms (when it waits for that lock: the stage must let it in) */
    assert_int_equal(pthread_create(&w->worker, NULL, worker_lowers_backlog, w), 0);
    wait_for(w, &w->lowered, 300);
}

typedef struct {
    api_embed_job job;
    world *w;
} test_job;

static void job_done(api_embed_job *job)
{
    test_job *tj = (test_job *)job;
    pthread_mutex_lock(&tj->w->lock);
    tj->w->job_done = true;
    pthread_cond_broadcast(&tj->w->cond);
    pthread_mutex_unlock(&tj->w->lock);
}

static void test_a_backlog_falling_while_the_stage_looks_still_wakes_it(void **state)
{
    (void)state;
    rag_embed_settings es = {.provider = "hashing", .dimensions = DIMS, .batch_size = 8};
    rag_error err = {0};
    rag_embedder *e = rag_embedder_new(&es, &err);
    assert_non_null(e);
    api_generation gen;
    memset(&gen, 0, sizeof gen);
    gen.dims = DIMS;
    gen.embedder = e;
    api_stats *stats = api_stats_new();
    world w = {.ready = 100}; /* the workers busy: the text must wait */
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    w.q = api_embedq_new(8, 1, backlog, &w, stats, &err);
    assert_non_null(w.q);
    test_job tj = {.job = {.text = "hello there", .gen = &gen, .done = job_done}, .w = &w};
    api_embedq_submit(w.q, &tj.job);
    /* the worker's demand, met while the stage looked, must still send it */
    const bool done = wait_for(&w, &w.job_done, 10000);
    assert_true(done);
    assert_true(atomic_load(&w.looks) >= 2); /* looked again after the wake-up */
    assert_non_null(tj.job.vec);
    assert_string_equal(tj.job.error, "");
    float want[DIMS];
    const char *texts[1] = {"hello there"};
    assert_int_equal(rag_embedder_embed(e, texts, 1, want, &err), RAG_OK);
    assert_memory_equal(tj.job.vec, want, sizeof want);
    free(tj.job.vec);
    pthread_join(w.worker, NULL);
    api_embedq_free(w.q);
    api_stats_free(stats);
    rag_embedder_free(e);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_backlog_falling_while_the_stage_looks_still_wakes_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
