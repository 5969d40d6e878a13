/* accesslog.c — access, error and summary events for api.jsonl. The writer
 * (jsonlog) does one write() per line on an O_APPEND descriptor, so MHD's
 * threads can log concurrently without interleaving. Paths of unknown routes
 * come from clients: they are logged truncated, and escaped by the JSON
 * renderer. */
#include "accesslog.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

void api_log_access(rag_log *log, api_route route, const char *method, const char *path, int status,
                    int64_t latency_us, uint64_t bytes)
{
    if (!log) return;
    char shown[201];
    snprintf(shown, sizeof shown, "%s", path ? path : "");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "route", api_route_name(route));
    cJSON_AddStringToObject(p, "method", method ? method : "");
    cJSON_AddStringToObject(p, "path", shown);
    cJSON_AddNumberToObject(p, "status", status);
    cJSON_AddNumberToObject(p, "latency_ms", (double)latency_us / 1000.0);
    cJSON_AddNumberToObject(p, "bytes", (double)bytes);
    rag_log_event(log, status >= 500 ? RAG_LEVEL_WARN : RAG_LEVEL_INFO, "access", NULL, p);
}

void api_summary_init(api_summary *sum, api_stats *stats, int64_t now_ms)
{
    api_stats_snapshot(stats, &sum->prev);
    sum->prev_ms = now_ms;
}

void api_summary_emit(api_summary *sum, api_stats *stats, rag_log *log, int64_t now_ms)
{
    api_stats_snap cur;
    api_stats_snapshot(stats, &cur);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "interval_s", (double)(now_ms - sum->prev_ms) / 1000.0);
    uint64_t total = 0;
    cJSON *by_route = cJSON_AddObjectToObject(p, "requests_by_route");
    cJSON *buckets = cJSON_AddObjectToObject(p, "latency_buckets");
    uint64_t merged[API_LAT_BUCKETS + 1] = {0};
    for (int r = 0; r < API_ROUTE_COUNT; r++) {
        uint64_t n = cur.lat_count[r] - sum->prev.lat_count[r];
        total += n;
        cJSON_AddNumberToObject(by_route, api_route_name((api_route)r), (double)n);
        for (int b = 0; b <= API_LAT_BUCKETS; b++) merged[b] += cur.lat_buckets[r][b] - sum->prev.lat_buckets[r][b];
    }
    for (int b = 0; b <= API_LAT_BUCKETS; b++) {
        char key[32];
        if (b < API_LAT_BUCKETS) snprintf(key, sizeof key, "le_%gms", api_latency_bounds[b] * 1000.0);
        else snprintf(key, sizeof key, "le_inf");
        cJSON_AddNumberToObject(buckets, key, (double)merged[b]);
    }
    cJSON_AddNumberToObject(p, "requests", (double)total);
    cJSON *errs = cJSON_AddObjectToObject(p, "errors_by_kind");
    uint64_t nerr = 0;
    for (int k = 0; k < API_ERR_KIND_COUNT; k++) {
        uint64_t n = cur.errors[k] - sum->prev.errors[k];
        nerr += n;
        cJSON_AddNumberToObject(errs, api_error_kind_name((api_error_kind)k), (double)n);
    }
    cJSON_AddNumberToObject(p, "errors", (double)nerr);
    cJSON *refused = cJSON_AddObjectToObject(p, "connections_refused");
    for (int k = 0; k < API_REFUSE_COUNT; k++)
        cJSON_AddNumberToObject(refused, api_refuse_reason_name((api_refuse_reason)k),
                                (double)(cur.refused[k] - sum->prev.refused[k]));
    cJSON_AddNumberToObject(p, "deadline_closed", (double)(cur.deadline_closed - sum->prev.deadline_closed));
    cJSON_AddNumberToObject(p, "protocol_errors", (double)(cur.protocol_errors - sum->prev.protocol_errors));
    rag_log_eventf(log, RAG_LEVEL_INFO, "summary", p, "%llu requests, %llu errors in the last minute",
                   (unsigned long long)total, (unsigned long long)nerr);
    sum->prev = cur;
    sum->prev_ms = now_ms;
}
