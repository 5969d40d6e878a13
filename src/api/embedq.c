/* embedq.c — see embedq.h. One FIFO list of waiting jobs under one lock;
 * a stage thread takes the oldest job and every later one of the same
 * generation (up to max_batch, in arrival order), embeds their texts in
 * one call and hands each job back through its done callback. */
#include "embedq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/timeutil.h"

struct api_embedq {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    api_embed_job *head, *tail;
    bool stopping;
    int max_batch;
    int workers;
    api_embedq_backlog_fn backlog;
    void *backlog_arg;
    api_stats *stats;
    atomic_size_t in_flight;  /* texts in requests out (changed under lock; read without by demand) */
    int64_t round_trip_us;    /* moving average of a request's time */
    atomic_size_t enough;     /* the last "enough ahead" a waiting thread computed */
    atomic_bool waiting;      /* a thread waits for the workers to need more */
    int n_threads;
    pthread_t threads[API_EMBEDQ_REQUESTS];
};

/* Unlink and return the oldest job and up to max - 1 later jobs of its
 * generation, in arrival order (linked through next); *n gets the count.
 * Call with the lock held and the queue non-empty. */
static api_embed_job *take_batch(api_embedq *q, size_t max, size_t *n)
{
    api_embed_job *first = q->head, *last = first, *prev = NULL;
    q->head = first->next;
    *n = 1;
    for (api_embed_job *j = q->head; j && *n < max;) {
        api_embed_job *next = j->next;
        if (j->gen == first->gen) {
            if (prev) prev->next = next;
            else q->head = next;
            last->next = j;
            last = j;
            (*n)++;
        } else {
            prev = j;
        }
        j = next;
    }
    last->next = NULL;
    q->tail = q->head;
    while (q->tail && q->tail->next) q->tail = q->tail->next;
    return first;
}

/* With the lock held: may a free thread send a request now? Yes unless the
 * workers hold enough embedded queries to keep busy until it is back.
 * Before it looks at the workers' backlog it says it is about to wait
 * (waiting, with the "enough" it will judge by): a worker whose backlog
 * falls after that look then finds the flag in api_embedq_demand and wakes
 * a thread, and one whose backlog fell before it is seen here. Both sides
 * are sequentially consistent (each stores, then loads what the other
 * stored), so a wake-up is never lost in between. */
static bool workers_need_more(api_embedq *q)
{
    size_t ready = 0;
    int64_t query_us = 0;
    q->backlog(q->backlog_arg, &ready, &query_us);
    size_t enough = 2 * (size_t)q->workers;
    if (query_us > 0) enough += (size_t)(q->round_trip_us / query_us);
    atomic_store(&q->enough, enough);
    atomic_store(&q->waiting, true);
    q->backlog(q->backlog_arg, &ready, &query_us); /* the backlog after the flag is up */
    return ready + atomic_load(&q->in_flight) < enough;
}

static void fail_job(api_embed_job *j, const char *why)
{
    j->vec = NULL;
    snprintf(j->error, sizeof j->error, "%s", why);
}

/* Embed the n jobs of batch (one generation) into fresh vectors. */
static void embed_batch(api_embedq *q, api_embed_job *batch, size_t n)
{
    api_generation *g = batch->gen;
    const size_t dims = (size_t)g->dims;
    const char **texts = malloc(n * sizeof *texts);
    float *out = malloc(n * dims * sizeof *out);
    if (!texts || !out) {
        for (api_embed_job *j = batch; j; j = j->next) fail_job(j, "out of memory");
        free(texts);
        free(out);
        return;
    }
    size_t i = 0;
    for (api_embed_job *j = batch; j; j = j->next) texts[i++] = j->text;
    rag_error err = {0};
    const int64_t t0 = rag_mono_us();
    const int rc = rag_embedder_embed(g->embedder, texts, n, out, &err);
    const int64_t took = rag_mono_us() - t0;
    api_stats_embed_request(q->stats, n, rc == RAG_OK);
    if (rc == RAG_OK) {
        pthread_mutex_lock(&q->lock);
        q->round_trip_us = q->round_trip_us ? q->round_trip_us + (took - q->round_trip_us) / 8 : took;
        pthread_mutex_unlock(&q->lock);
        i = 0;
        for (api_embed_job *j = batch; j; j = j->next, i++) {
            j->vec = malloc(dims * sizeof *j->vec);
            if (j->vec) memcpy(j->vec, out + i * dims, dims * sizeof *j->vec);
            else fail_job(j, "out of memory");
        }
    } else if (rc == RAG_EREFUSED && n > 1) {
        /* refused for what it carried: each text alone, so only the one
         * the provider refuses fails */
        for (api_embed_job *j = batch; j; j = j->next) {
            api_embed_job *rest = j->next;
            j->next = NULL;
            embed_batch(q, j, 1);
            j->next = rest;
        }
    } else {
        for (api_embed_job *j = batch; j; j = j->next) fail_job(j, err.msg);
    }
    free(texts);
    free(out);
}

static void *stage_main(void *p)
{
    api_embedq *q = p;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        /* wait for a text, and for the workers to need it (when stopping,
         * the last texts go at once) */
        while (!q->stopping && (!q->head || !workers_need_more(q))) {
            if (!q->head) atomic_store(&q->waiting, false); /* nothing to send: no wake-up needed */
            pthread_cond_wait(&q->wake, &q->lock);
        }
        atomic_store(&q->waiting, false);
        if (!q->head) break; /* stopping, and nothing left */
        size_t n = 0;
        api_embed_job *batch = take_batch(q, (size_t)q->max_batch, &n);
        atomic_fetch_add(&q->in_flight, n);
        if (q->head) pthread_cond_signal(&q->wake); /* more than a batch, or another generation's */
        pthread_mutex_unlock(&q->lock);
        embed_batch(q, batch, n);
        for (api_embed_job *j = batch; j;) {
            api_embed_job *next = j->next; /* done may free j */
            j->next = NULL;
            j->done(j);
            j = next;
        }
        pthread_mutex_lock(&q->lock);
        atomic_fetch_sub(&q->in_flight, n);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

api_embedq *api_embedq_new(int max_batch, int workers, api_embedq_backlog_fn backlog, void *arg, api_stats *stats,
                           rag_error *err)
{
    api_embedq *q = rag_xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    q->max_batch = max_batch > 0 ? max_batch : 1;
    q->workers = workers > 0 ? workers : 1;
    q->backlog = backlog;
    q->backlog_arg = arg;
    q->stats = stats;
    for (int i = 0; i < API_EMBEDQ_REQUESTS; i++) {
        int e = pthread_create(&q->threads[i], NULL, stage_main, q);
        if (e != 0) {
            rag_error_set(err, RAG_ERR, "cannot start a query-embedding thread: %s", strerror(e));
            api_embedq_free(q);
            return NULL;
        }
        q->n_threads++;
    }
    return q;
}

void api_embedq_submit(api_embedq *q, api_embed_job *job)
{
    job->next = NULL;
    job->vec = NULL;
    job->error[0] = '\0';
    pthread_mutex_lock(&q->lock);
    /* the first text wakes an idle thread; with texts already waiting, the
     * threads wait for the workers, which a new text does not change */
    if (!q->head) pthread_cond_signal(&q->wake);
    if (q->tail) q->tail->next = job;
    else q->head = job;
    q->tail = job;
    pthread_mutex_unlock(&q->lock);
}

void api_embedq_demand(api_embedq *q, size_t ready)
{
    /* cheap when no thread waits for the workers, or they still have
     * plenty counting the texts already out (the stage's own test: a
     * thread woken then would find the same and wait again) */
    if (!q || !atomic_load(&q->waiting) || ready + atomic_load(&q->in_flight) >= atomic_load(&q->enough)) return;
    pthread_mutex_lock(&q->lock);
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

void api_embedq_free(api_embedq *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->n_threads; i++) pthread_join(q->threads[i], NULL);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
