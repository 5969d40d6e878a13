/* route_status.h — GET /status on the admin listener: what ragtop reads from
 * disk, in one read-only JSON answer, so a stack can be monitored without a
 * shared disk (docs/specs/status.md). Off unless api.status_token_env names
 * a set environment variable; then a bearer token is required. */
#ifndef API_ROUTE_STATUS_H
#define API_ROUTE_STATUS_H

#include "app.h"

#define API_STATUS_METRICS_LINES 32  /* last lines of ingestion_metrics.jsonl */
#define API_STATUS_LOG_EVENTS 200    /* newest warn/error events of the logs */

/* Read the token from the variable api.status_token_env names (once, at
 * start; the value is never logged). Sets app->status_token or
 * app->status_off_why (and logs why /status is off when it was asked for). */
void api_status_setup(api_app *app);
/* Answer one request: authorization is the Authorization header (may be
 * NULL). Returns a malloc'd JSON body and sets *status (200, 401, 404). */
char *api_status_handle(api_app *app, const char *authorization, int *status);

#endif
