/* router.h — which route a request path names, which methods each route
 * accepts, and the JSON error body every non-2xx response carries:
 * {"error": {"code": <http status>, "kind": "...", "message": "..."}}. */
#ifndef API_ROUTER_H
#define API_ROUTER_H

#include <stdbool.h>

#include "stats.h"

/* Exact path match ("/query", "/healthz", "/metrics"); anything else is
 * API_ROUTE_OTHER (a 404). */
api_route api_router_match(const char *path);
/* Whether method is accepted on route; *allow gets the Allow header value. */
bool api_router_method_ok(api_route route, const char *method, const char **allow);
/* Render an error body (malloc'd). kind is a short machine word. */
char *api_error_body(int status, const char *kind, const char *message);

#endif
