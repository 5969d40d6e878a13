/* accesslog.h — rag-api's events in artifacts/logs/api.jsonl (docs/specs/log.md
 * line format): one "access" event per request (route, method, status,
 * latency, bytes), error events, and once a minute a "summary" event with
 * the requests, latency buckets and errors by kind since the previous one. */
#ifndef API_ACCESSLOG_H
#define API_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "rag/jsonlog.h"

#include "stats.h"

void api_log_access(rag_log *log, api_route route, const char *method, const char *path, int status,
                    int64_t latency_us, uint64_t bytes);

typedef struct api_summary {
    api_stats_snap prev;
    int64_t prev_ms;
} api_summary;

/* Take the baseline (at start). */
void api_summary_init(api_summary *sum, api_stats *stats, int64_t now_ms);
/* Write one summary event covering the interval since the last call. */
void api_summary_emit(api_summary *sum, api_stats *stats, rag_log *log, int64_t now_ms);

#endif
