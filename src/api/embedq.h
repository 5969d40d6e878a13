/* embedq.h — rag-api's query-embedding stage. A hybrid or vector /query
 * over a model behind the network (provider openai) needs its text
 * embedded before it can be ranked. Done on a query worker, that held the
 * worker through the provider's whole round trip (a remote model's
 * 50-300 ms: two workers then served a few dozen queries a second, bm25
 * ones included) and cost a request per query. Here the texts wait in a
 * queue of their own, ahead of the workers' queue; a stage thread takes
 * every waiting text of one generation (up to embedding.batch_size, oldest
 * first) and asks for all of them in one request.
 *
 * When to send: as soon as a stage thread is free, unless the workers
 * already have enough embedded queries to stay busy until a request sent
 * now would come back — queries ready for them plus texts in requests
 * out >= their number x 2 + the provider's round trip / the time the
 * workers take per query (both measured, moving averages). Then the texts
 * wait, and go together, when the workers need them: a lone query is sent
 * at once, a burst rides in one request, and a slow provider keeps up to
 * API_EMBEDQ_REQUESTS requests out at once.
 *
 * A batch the provider refuses for what it carries (HTTP 4xx but 429: one
 * text too long, say) is asked for again one text at a time, so only the
 * query it refuses fails; any other failure fails the batch's queries. */
#ifndef API_EMBEDQ_H
#define API_EMBEDQ_H

#include <stddef.h>
#include <stdint.h>

#include "index_store.h"
#include "stats.h"

/* Provider requests out at once (stage threads). */
#define API_EMBEDQ_REQUESTS 4

typedef struct api_embed_job api_embed_job;
typedef void (*api_embed_done_fn)(api_embed_job *job);

struct api_embed_job {
    /* in */
    const char *text;
    api_generation *gen;    /* embedded with gen->embedder; jobs batch only with the same generation's */
    api_embed_done_fn done; /* called once, on a stage thread, when vec or error is set */
    /* out */
    float *vec;             /* gen->dims floats (malloc'd, the job's owner frees), or NULL when it failed */
    char error[1024];       /* why it failed */
    /* the stage's */
    api_embed_job *next;
};

/* The stage's consumer, the query workers: *ready = queries embedded and
 * waiting for a worker, *query_us = the mean time between two queries
 * finishing on them (0 = not known yet). Called with none of the server's
 * locks held. */
typedef void (*api_embedq_backlog_fn)(void *arg, size_t *ready, int64_t *query_us);

typedef struct api_embedq api_embedq;

/* A stage of API_EMBEDQ_REQUESTS threads sending at most max_batch texts a
 * request, for `workers` query workers whose backlog backlog(arg) tells;
 * counts its requests in stats. NULL when a thread cannot start (err set). */
api_embedq *api_embedq_new(int max_batch, int workers, api_embedq_backlog_fn backlog, void *arg, api_stats *stats,
                           rag_error *err);
/* Queue job (its text and gen stay valid until done is called). */
void api_embedq_submit(api_embedq *q, api_embed_job *job);
/* A worker took a query, leaving `ready` for the others: a stage thread
 * waiting for the workers to need more may send now. */
void api_embedq_demand(api_embedq *q, size_t ready);
/* Finish every queued job, stop the threads and free the stage. */
void api_embedq_free(api_embedq *q);

#endif
