/* pipeline.c — ordered worker pool (see pipeline.h). Results go into a ring
 * of `depth` numbered slots: item i lives in slot i % depth. A worker may
 * claim item i only while i < consumed + depth, so its slot is free; the
 * consumer waits for the slot of the next item in order. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "pipeline.h"
#include "rag/common.h"

typedef struct worker_arg {
    pipeline *p;
    int id;
} worker_arg;

struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t ready; /* a slot was filled */
    pthread_cond_t space; /* a slot was consumed, or stop */
    size_t n, depth;
    size_t next_claim, next_consume;
    void **slot;
    bool *filled;
    bool stop;
    int threads;
    pthread_t *tid;
    worker_arg *args;
    pipeline_produce_fn produce;
    pipeline_discard_fn discard;
    void *ud;
};

static void *worker_main(void *arg)
{
    worker_arg *a = arg;
    pipeline *p = a->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->next_claim < p->n && p->next_claim >= p->next_consume + p->depth)
            pthread_cond_wait(&p->space, &p->mu);
        if (p->stop || p->next_claim >= p->n)
            break;
        size_t item = p->next_claim++;
        pthread_mutex_unlock(&p->mu);
        void *r = p->produce(p->ud, a->id, item);
        pthread_mutex_lock(&p->mu);
        p->slot[item % p->depth] = r;
        p->filled[item % p->depth] = true;
        pthread_cond_broadcast(&p->ready);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

pipeline *pipeline_start(size_t n, int workers, size_t depth, pipeline_produce_fn produce,
                         pipeline_discard_fn discard, void *ud)
{
    pipeline *p = rag_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->ready, NULL);
    pthread_cond_init(&p->space, NULL);
    p->n = n;
    p->depth = depth ? depth : 1;
    p->slot = rag_xcalloc(p->depth, sizeof *p->slot);
    p->filled = rag_xcalloc(p->depth, sizeof *p->filled);
    p->produce = produce;
    p->discard = discard;
    p->ud = ud;
    if (workers < 1)
        workers = 1;
    p->tid = rag_xcalloc((size_t)workers, sizeof *p->tid);
    p->args = rag_xcalloc((size_t)workers, sizeof *p->args);
    for (int i = 0; i < workers && (size_t)i < n; i++) {
        p->args[i] = (worker_arg){ p, i };
        if (pthread_create(&p->tid[i], NULL, worker_main, &p->args[i]) != 0)
            break;
        p->threads++;
    }
    return p;
}

int pipeline_threads(const pipeline *p) { return p->threads; }

void *pipeline_next(pipeline *p)
{
    if (p->next_consume >= p->n)
        return NULL;
    if (p->threads == 0) /* no thread could be started: produce here */
        return p->produce(p->ud, 0, p->next_consume++);
    size_t k = p->next_consume % p->depth;
    pthread_mutex_lock(&p->mu);
    while (!p->filled[k])
        pthread_cond_wait(&p->ready, &p->mu);
    void *r = p->slot[k];
    p->slot[k] = NULL;
    p->filled[k] = false;
    p->next_consume++;
    pthread_cond_broadcast(&p->space);
    pthread_mutex_unlock(&p->mu);
    return r;
}

void pipeline_finish(pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->space);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->threads; i++)
        pthread_join(p->tid[i], NULL);
    for (size_t k = 0; k < p->depth; k++)
        if (p->filled[k] && p->discard)
            p->discard(p->ud, p->slot[k]);
    pthread_cond_destroy(&p->ready);
    pthread_cond_destroy(&p->space);
    pthread_mutex_destroy(&p->mu);
    free(p->slot);
    free(p->filled);
    free(p->tid);
    free(p->args);
    free(p);
}

int pipeline_default_workers(int configured)
{
    long n = configured > 0 ? configured : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 64 ? 64 : (int)n;
}
