/* router.c — route table and error bodies. Paths match exactly: "/query/"
 * or "/healthz?x" (the query string is already split off by the server) are
 * not aliases, so monitoring never probes something that merely looks right. */
#include "router.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rag/common.h"
#include "rag/jsonlog.h"

api_route api_router_match(const char *path)
{
    if (!path) return API_ROUTE_OTHER;
    if (strcmp(path, "/query") == 0) return API_ROUTE_QUERY;
    if (strcmp(path, "/healthz") == 0) return API_ROUTE_HEALTHZ;
    if (strcmp(path, "/metrics") == 0) return API_ROUTE_METRICS;
    if (strcmp(path, "/status") == 0) return API_ROUTE_STATUS;
    return API_ROUTE_OTHER;
}

bool api_router_method_ok(api_route route, const char *method, const char **allow)
{
    const bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    switch (route) {
    case API_ROUTE_QUERY:
        *allow = "GET, HEAD, POST";
        return get || strcmp(method, "POST") == 0;
    case API_ROUTE_HEALTHZ:
    case API_ROUTE_METRICS:
    case API_ROUTE_STATUS:
        *allow = "GET, HEAD";
        return get;
    default:
        *allow = "";
        return true;
    }
}

char *api_error_body(int status, const char *kind, const char *message)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddNumberToObject(e, "status", status);
    cJSON_AddNumberToObject(e, "code", status);
    cJSON_AddStringToObject(e, "kind", kind ? kind : "error");
    /* Messages may quote client text: never let an invalid byte through. */
    char *clean = rag_utf8_sanitize(message ? message : "", message ? strlen(message) : 0, NULL);
    cJSON_AddStringToObject(e, "message", clean);
    free(clean);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s) s = rag_xstrdup("{\"error\":{\"status\":500,\"code\":500,\"kind\":\"internal\",\"message\":\"out of memory\"}}");
    return s;
}
