/* metrics.h — the per-run line appended to
 * <artifacts>/logs/ingestion_metrics.jsonl (docs/specs/metrics-line.md),
 * written with one write() on an O_APPEND descriptor. */
#ifndef INGEST_METRICS_H
#define INGEST_METRICS_H

#include "run.h"

cJSON *metrics_json(const run_stats *s);
int metrics_append(const char *path, const run_stats *s, rag_error *err);

#endif
