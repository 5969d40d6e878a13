/* stats.c — counters and histograms behind /metrics, /healthz's recent-error
 * check and the minutely summary log event. The request path only does
 * relaxed atomic adds; the error window (rare events) takes a mutex and keeps
 * one slot per second over the last five minutes. */
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"

const int api_stats_codes[API_CODE_COUNT] = {200, 400, 401, 404, 405, 413, 500, 503, 304, 0};
const double api_latency_bounds[API_LAT_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
};

struct api_stats {
    _Atomic uint64_t requests[API_ROUTE_COUNT][API_CODE_COUNT];
    _Atomic uint64_t lat_buckets[API_ROUTE_COUNT][API_LAT_BUCKETS + 1];
    _Atomic uint64_t lat_sum_us[API_ROUTE_COUNT];
    _Atomic uint64_t lat_count[API_ROUTE_COUNT];
    _Atomic uint64_t bytes[API_ROUTE_COUNT];
    _Atomic uint64_t errors[API_ERR_KIND_COUNT];
    _Atomic uint64_t refused[API_REFUSE_COUNT];
    _Atomic uint64_t deadline_closed;
    _Atomic uint64_t protocol_errors;
    _Atomic uint64_t embed_requests[2];
    _Atomic uint64_t embed_texts[2];
    pthread_mutex_t window_lock;
    int64_t window_sec[API_ERROR_WINDOW_S];
    uint64_t window_count[API_ERROR_WINDOW_S];
};

static const char *const kind_names[API_ERR_KIND_COUNT] = {
    "bad_request", "not_found", "method_not_allowed", "too_large",
    "no_index", "busy", "query_failed", "reload_failed",
};
static const char *const route_names[API_ROUTE_COUNT] = {"/query", "/healthz", "/metrics", "/status", "other"};

static const char *const refuse_names[API_REFUSE_COUNT] = {"max_connections", "max_connections_per_ip",
                                                            "admin_max_connections"};

const char *api_refuse_reason_name(api_refuse_reason reason)
{
    return (unsigned)reason < API_REFUSE_COUNT ? refuse_names[reason] : "unknown";
}

void api_stats_refused(api_stats *s, api_refuse_reason reason)
{
    if ((unsigned)reason < API_REFUSE_COUNT) atomic_fetch_add_explicit(&s->refused[reason], 1, memory_order_relaxed);
}

void api_stats_deadline_closed(api_stats *s) { atomic_fetch_add_explicit(&s->deadline_closed, 1, memory_order_relaxed); }

void api_stats_protocol_error(api_stats *s) { atomic_fetch_add_explicit(&s->protocol_errors, 1, memory_order_relaxed); }

void api_stats_embed_request(api_stats *s, size_t texts, int ok)
{
    atomic_fetch_add_explicit(&s->embed_requests[!ok], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->embed_texts[!ok], texts, memory_order_relaxed);
}

int api_error_kind_is_server(api_error_kind kind)
{
    return kind == API_ERR_BUSY || kind == API_ERR_QUERY || kind == API_ERR_RELOAD;
}

const char *api_error_kind_name(api_error_kind kind)
{
    return (unsigned)kind < API_ERR_KIND_COUNT ? kind_names[kind] : "unknown";
}

const char *api_route_name(api_route route)
{
    return (unsigned)route < API_ROUTE_COUNT ? route_names[route] : "other";
}

int api_stats_code_index(int status)
{
    for (int i = 0; i < API_CODE_COUNT - 1; i++)
        if (api_stats_codes[i] == status) return i;
    return API_CODE_COUNT - 1;
}

api_stats *api_stats_new(void)
{
    api_stats *s = rag_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->window_lock, NULL);
    for (int i = 0; i < API_ERROR_WINDOW_S; i++) s->window_sec[i] = -1;
    return s;
}

void api_stats_free(api_stats *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->window_lock);
    free(s);
}

void api_stats_request(api_stats *s, api_route route, int status, int64_t latency_us, uint64_t bytes)
{
    if ((unsigned)route >= API_ROUTE_COUNT) route = API_ROUTE_OTHER;
    if (latency_us < 0) latency_us = 0;
    atomic_fetch_add_explicit(&s->requests[route][api_stats_code_index(status)], 1, memory_order_relaxed);
    double secs = (double)latency_us / 1e6;
    int b = 0;
    while (b < API_LAT_BUCKETS && secs > api_latency_bounds[b]) b++;
    atomic_fetch_add_explicit(&s->lat_buckets[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->lat_sum_us[route], (uint64_t)latency_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->lat_count[route], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bytes[route], bytes, memory_order_relaxed);
}

void api_stats_error(api_stats *s, api_error_kind kind, int64_t now_ms)
{
    if ((unsigned)kind >= API_ERR_KIND_COUNT) return;
    atomic_fetch_add_explicit(&s->errors[kind], 1, memory_order_relaxed);
    if (!api_error_kind_is_server(kind)) return;
    int64_t sec = now_ms / 1000;
    int slot = (int)(sec % API_ERROR_WINDOW_S);
    pthread_mutex_lock(&s->window_lock);
    if (s->window_sec[slot] != sec) {
        s->window_sec[slot] = sec;
        s->window_count[slot] = 0;
    }
    s->window_count[slot]++;
    pthread_mutex_unlock(&s->window_lock);
}

uint64_t api_stats_recent_errors(api_stats *s, int64_t now_ms)
{
    int64_t sec = now_ms / 1000;
    uint64_t total = 0;
    pthread_mutex_lock(&s->window_lock);
    for (int i = 0; i < API_ERROR_WINDOW_S; i++)
        if (s->window_sec[i] >= 0 && s->window_sec[i] > sec - API_ERROR_WINDOW_S && s->window_sec[i] <= sec)
            total += s->window_count[i];
    pthread_mutex_unlock(&s->window_lock);
    return total;
}

void api_stats_snapshot(api_stats *s, api_stats_snap *out)
{
    memset(out, 0, sizeof *out);
    for (int r = 0; r < API_ROUTE_COUNT; r++) {
        for (int c = 0; c < API_CODE_COUNT; c++)
            out->requests[r][c] = atomic_load_explicit(&s->requests[r][c], memory_order_relaxed);
        for (int b = 0; b <= API_LAT_BUCKETS; b++)
            out->lat_buckets[r][b] = atomic_load_explicit(&s->lat_buckets[r][b], memory_order_relaxed);
        out->lat_sum_us[r] = atomic_load_explicit(&s->lat_sum_us[r], memory_order_relaxed);
        out->lat_count[r] = atomic_load_explicit(&s->lat_count[r], memory_order_relaxed);
        out->bytes[r] = atomic_load_explicit(&s->bytes[r], memory_order_relaxed);
    }
    for (int k = 0; k < API_ERR_KIND_COUNT; k++)
        out->errors[k] = atomic_load_explicit(&s->errors[k], memory_order_relaxed);
    for (int k = 0; k < API_REFUSE_COUNT; k++)
        out->refused[k] = atomic_load_explicit(&s->refused[k], memory_order_relaxed);
    out->deadline_closed = atomic_load_explicit(&s->deadline_closed, memory_order_relaxed);
    out->protocol_errors = atomic_load_explicit(&s->protocol_errors, memory_order_relaxed);
    for (int i = 0; i < 2; i++) {
        out->embed_requests[i] = atomic_load_explicit(&s->embed_requests[i], memory_order_relaxed);
        out->embed_texts[i] = atomic_load_explicit(&s->embed_texts[i], memory_order_relaxed);
    }
}
