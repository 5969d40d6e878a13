/* route_healthz.h — GET /healthz: status pass|warn|fail (HTTP 200/200/503)
 * with the served generation's flat fields and one entry per check (index
 * present, index age vs freshness thresholds, config-hash match, schema
 * version, recent errors, last reload). Shape: docs/specs/healthz.md. The
 * rendered body is cached for up to 250 ms and rebuilt at once when the
 * served generation or the config file changes. */
#ifndef API_ROUTE_HEALTHZ_H
#define API_ROUTE_HEALTHZ_H

#include <stddef.h>

#include "app.h"

api_healthz_cache *api_healthz_cache_new(void);
void api_healthz_cache_free(api_healthz_cache *c);

/* Fresh (uncached) evaluation; malloc'd body, *status = 200 or 503. */
char *api_healthz_render(api_app *app, int *status);
/* Cached body copied into a malloc'd buffer (*len bytes), *status as above. */
char *api_healthz_get(api_app *app, size_t *len, int *status);

#endif
