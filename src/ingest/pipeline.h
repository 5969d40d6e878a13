/* pipeline.h — an ordered pool of worker threads: items 0..n-1 are produced
 * by the workers (in any order, with any timing) and handed to one consumer
 * thread strictly in item order. At most `depth` items are produced and not
 * yet consumed, so memory stays bounded by depth results. rag-ingest uses it
 * to read, hash, parse, chunk and embed files beside its single SQLite
 * writer; because the writer consumes in source order, the generation is
 * the same whatever the thread timing (docs/architecture.md). */
#ifndef INGEST_PIPELINE_H
#define INGEST_PIPELINE_H

#include <stddef.h>

typedef struct pipeline pipeline;

/* Produce the result of item (never NULL) on worker thread `worker`
 * (0 .. workers-1: an index for per-worker state). */
typedef void *(*pipeline_produce_fn)(void *ud, int worker, size_t item);
/* Free a produced result nobody consumed. */
typedef void (*pipeline_discard_fn)(void *ud, void *result);

/* Start `workers` threads (>= 1) over n items with at most depth (>= 1)
 * results waiting. When no thread can be started the items are produced
 * on the consumer's thread by pipeline_next (same results, no overlap). */
pipeline *pipeline_start(size_t n, int workers, size_t depth, pipeline_produce_fn produce,
                         pipeline_discard_fn discard, void *ud);
/* The result of the next item in order (waits for it); NULL after the last. */
void *pipeline_next(pipeline *p);
/* Stop: workers finish the item at hand and take no more; results not
 * consumed are discarded; threads joined; p freed. NULL is ignored. */
void pipeline_finish(pipeline *p);
/* Threads started (0 = producing on the consumer's thread). */
int pipeline_threads(const pipeline *p);

/* The worker count to use: configured when > 0, else the number of online
 * CPUs (sysconf _SC_NPROCESSORS_ONLN), at most 64. */
int pipeline_default_workers(int configured);

#endif
