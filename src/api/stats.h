/* stats.h — rag-api's in-process counters: requests by route and status
 * code, a latency histogram per route, errors by kind (totals and a 5-minute
 * sliding window for /healthz), bytes sent, and connection-level events
 * (refusals by limit, request-deadline closes, libmicrohttpd rejections). Lock-free on the request path
 * (relaxed atomics); snapshots feed /metrics and the minutely log summary. */
#ifndef API_STATS_H
#define API_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    API_ROUTE_QUERY = 0,
    API_ROUTE_HEALTHZ,
    API_ROUTE_METRICS,
    API_ROUTE_STATUS,
    API_ROUTE_OTHER,
    API_ROUTE_COUNT
} api_route;

/* Status codes we count individually; anything else lands in "other". */
#define API_CODE_COUNT 10
extern const int api_stats_codes[API_CODE_COUNT]; /* last entry 0 = other */

typedef enum {
    API_ERR_BAD_REQUEST = 0, /* 400 */
    API_ERR_NOT_FOUND,       /* 404 */
    API_ERR_METHOD,          /* 405 */
    API_ERR_TOO_LARGE,       /* 413 */
    API_ERR_NO_INDEX,        /* 503, nothing to serve yet */
    API_ERR_BUSY,            /* 503, query queue full */
    API_ERR_QUERY,           /* 500, a query failed inside SQLite/embedder */
    API_ERR_RELOAD,          /* a new generation failed to open */
    API_ERR_KIND_COUNT
} api_error_kind;

/* Why a connection was refused before it could send a request. */
typedef enum {
    API_REFUSE_MAX_CONNECTIONS = 0, /* api.max_connections reached on the main port */
    API_REFUSE_PER_IP,              /* api.max_connections_per_ip reached for that address */
    API_REFUSE_ADMIN,               /* the admin listener's budget is full */
    API_REFUSE_COUNT
} api_refuse_reason;
const char *api_refuse_reason_name(api_refuse_reason reason);

/* Server-side kinds count toward /healthz "errors in the last 5 minutes";
 * client mistakes (400/404/405/413) and "no index yet" do not. */
int api_error_kind_is_server(api_error_kind kind);
const char *api_error_kind_name(api_error_kind kind);
const char *api_route_name(api_route route);

/* Latency histogram upper bounds in seconds (Prometheus "le"). */
#define API_LAT_BUCKETS 13
extern const double api_latency_bounds[API_LAT_BUCKETS];

#define API_ERROR_WINDOW_S 300

typedef struct api_stats api_stats;

typedef struct api_stats_snap {
    uint64_t requests[API_ROUTE_COUNT][API_CODE_COUNT];
    uint64_t lat_buckets[API_ROUTE_COUNT][API_LAT_BUCKETS + 1]; /* non-cumulative, last = +Inf */
    uint64_t lat_sum_us[API_ROUTE_COUNT];
    uint64_t lat_count[API_ROUTE_COUNT];
    uint64_t bytes[API_ROUTE_COUNT];
    uint64_t errors[API_ERR_KIND_COUNT];
    uint64_t refused[API_REFUSE_COUNT];
    uint64_t deadline_closed;  /* connections closed: no complete request within api.request_deadline */
    uint64_t protocol_errors;  /* requests libmicrohttpd rejected itself (malformed, too large, ...) */
    uint64_t embed_requests[2]; /* query-embedding requests to the provider: [0] answered, [1] failed */
    uint64_t embed_texts[2];    /* the query texts they carried */
} api_stats_snap;

api_stats *api_stats_new(void);
void api_stats_free(api_stats *s);
/* One finished request. */
void api_stats_request(api_stats *s, api_route route, int status, int64_t latency_us, uint64_t bytes);
/* One error event at wall time now_ms. */
void api_stats_error(api_stats *s, api_error_kind kind, int64_t now_ms);
/* Connection-level events (counted, logged only in the minutely summary). */
void api_stats_refused(api_stats *s, api_refuse_reason reason);
void api_stats_deadline_closed(api_stats *s);
void api_stats_protocol_error(api_stats *s);
/* One query-embedding request to the provider carrying `texts` query texts
 * (embedq.h): answered (ok) or failed. */
void api_stats_embed_request(api_stats *s, size_t texts, int ok);
/* Server-side errors within the last API_ERROR_WINDOW_S seconds. */
uint64_t api_stats_recent_errors(api_stats *s, int64_t now_ms);
void api_stats_snapshot(api_stats *s, api_stats_snap *out);
/* Index of status in api_stats_codes. */
int api_stats_code_index(int status);

#endif
