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
/* The cached body, for callers that keep their own copy: returns a malloc'd
 * copy (*len bytes, *status as above; *version updated) only when the
 * cached body is not the one the caller's *version names (start with 0);
 * NULL when the caller's copy is still current. */
char *api_healthz_refresh(api_app *app, uint64_t *version, size_t *len, int *status);

#endif
