/* route_metrics.h — GET /metrics: Prometheus text exposition (format 0.0.4)
 * of rag-api's counters, latency histogram, errors, index age, chunk count,
 * last reload time and build info. Names and meanings: docs/specs/metrics.md. */
#ifndef API_ROUTE_METRICS_H
#define API_ROUTE_METRICS_H

#include <stddef.h>

#include "app.h"

/* malloc'd body, *len bytes. */
char *api_metrics_render(api_app *app, size_t *len);

#endif
