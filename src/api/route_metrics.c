/* route_metrics.c — renders /metrics from a stats snapshot and the store's
 * served-generation info. Every family has HELP and TYPE lines, counters end
 * in _total, histogram buckets are cumulative and end with le="+Inf", and
 * label values are escaped, so `promtool check metrics` accepts the output. */
#include "route_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <string.h>

#include "rag/timeutil.h"

typedef struct {
    char *buf;
    size_t len, cap;
} out_buf;

static void put(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_buf *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        o->cap = (o->cap + (size_t)n + 1) * 2;
        o->buf = rag_xrealloc(o->buf, o->cap);
    }
}

/* Label value escaping: backslash, double quote and newline. */
static void escape_label(const char *in, char *out, size_t outsz)
{
    size_t w = 0;
    for (; *in && w + 3 < outsz; in++) {
        if (*in == '\\' || *in == '"') { out[w++] = '\\'; out[w++] = *in; }
        else if (*in == '\n') { out[w++] = '\\'; out[w++] = 'n'; }
        else out[w++] = *in;
    }
    out[w] = '\0';
}

static void family(out_buf *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The served generation's figures on the golden queries (absent, not 0,
 * when it was not measured) and the thresholds /healthz judges them by,
 * from the config file as it is now (0 = off), for the alert rules. */
static void quality_gauges(out_buf *o, const api_quality_info *q, const api_health_settings *hs)
{
    family(o, "rag_api_quality_warn_ndcg", "gauge", "quality.warn_ndcg of the config file now: warn below this nDCG@10 (0 = off).");
    put(o, "rag_api_quality_warn_ndcg %g\n", hs->warn_ndcg);
    family(o, "rag_api_quality_min_ndcg", "gauge", "quality.min_ndcg of the config file now: fail below this nDCG@10 (0 = off).");
    put(o, "rag_api_quality_min_ndcg %g\n", hs->min_ndcg);
    if (!q->present) return;
    family(o, "rag_api_quality_ndcg_at_10", "gauge", "Mean nDCG@10 of the served generation on the golden queries.");
    put(o, "rag_api_quality_ndcg_at_10 %.6f\n", q->ndcg_at_10);
    family(o, "rag_api_quality_recall_at_k", "gauge", "Mean recall@k of the served generation on the golden queries (k = quality.k at evaluation).");
    put(o, "rag_api_quality_recall_at_k{k=\"%d\"} %.6f\n", q->k, q->recall_at_k);
    family(o, "rag_api_quality_mrr", "gauge", "Mean reciprocal rank of the served generation on the golden queries.");
    put(o, "rag_api_quality_mrr %.6f\n", q->mrr);
    family(o, "rag_api_quality_queries", "gauge", "Golden queries the served generation was evaluated on.");
    put(o, "rag_api_quality_queries %lld\n", (long long)q->queries);
    family(o, "rag_api_quality_failed_queries", "gauge", "Golden queries with none of their expected sources in the top k.");
    put(o, "rag_api_quality_failed_queries %lld\n", (long long)q->failed);
    family(o, "rag_api_quality_evaluated_timestamp_seconds", "gauge", "When the served generation was evaluated.");
    put(o, "rag_api_quality_evaluated_timestamp_seconds %.3f\n", (double)q->evaluated_at_ms / 1000.0);
    char mode[64], gate[64];
    escape_label(q->mode, mode, sizeof mode);
    escape_label(q->gate, gate, sizeof gate);
    family(o, "rag_api_quality_info", "gauge", "How the served generation was evaluated and published (gate: passed, forced, off; value is always 1).");
    put(o, "rag_api_quality_info{mode=\"%s\",gate=\"%s\"} 1\n", mode, gate);
}

char *api_metrics_render(api_app *app, size_t *len)
{
    api_stats_snap s;
    api_stats_snapshot(app->stats, &s);
    api_served_info info;
    api_store_info(app->store, &info);
    const int64_t now = rag_now_ms();
    out_buf o = {rag_xmalloc(8192), 0, 8192};

    family(&o, "rag_api_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (int r = 0; r < API_ROUTE_COUNT; r++)
        for (int c = 0; c < API_CODE_COUNT; c++) {
            if (s.requests[r][c] == 0 && !(c == 0 && r != API_ROUTE_OTHER)) continue;
            char code[16];
            if (api_stats_codes[c]) snprintf(code, sizeof code, "%d", api_stats_codes[c]);
            else snprintf(code, sizeof code, "other");
            put(&o, "rag_api_requests_total{route=\"%s\",code=\"%s\"} %llu\n", api_route_name((api_route)r), code,
                (unsigned long long)s.requests[r][c]);
        }

    family(&o, "rag_api_request_duration_seconds", "histogram",
           "Time from request arrival to response queued, by route.");
    for (int r = 0; r < API_ROUTE_COUNT; r++) {
        const char *route = api_route_name((api_route)r);
        uint64_t cum = 0;
        for (int b = 0; b < API_LAT_BUCKETS; b++) {
            cum += s.lat_buckets[r][b];
            put(&o, "rag_api_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", route,
                api_latency_bounds[b], (unsigned long long)cum);
        }
        cum += s.lat_buckets[r][API_LAT_BUCKETS];
        put(&o, "rag_api_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", route, (unsigned long long)cum);
        put(&o, "rag_api_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route, (double)s.lat_sum_us[r] / 1e6);
        put(&o, "rag_api_request_duration_seconds_count{route=\"%s\"} %llu\n", route, (unsigned long long)s.lat_count[r]);
    }

    family(&o, "rag_api_response_bytes_total", "counter", "Response body bytes sent, by route.");
    for (int r = 0; r < API_ROUTE_COUNT; r++)
        put(&o, "rag_api_response_bytes_total{route=\"%s\"} %llu\n", api_route_name((api_route)r),
            (unsigned long long)s.bytes[r]);

    family(&o, "rag_api_errors_total", "counter", "Errors by kind (client errors, overload, failed queries, failed reloads).");
    for (int k = 0; k < API_ERR_KIND_COUNT; k++)
        put(&o, "rag_api_errors_total{kind=\"%s\"} %llu\n", api_error_kind_name((api_error_kind)k),
            (unsigned long long)s.errors[k]);

    family(&o, "rag_api_connections_refused_total", "counter",
           "Connections closed on arrival because a connection limit was reached, by limit.");
    for (int k = 0; k < API_REFUSE_COUNT; k++)
        put(&o, "rag_api_connections_refused_total{limit=\"%s\"} %llu\n", api_refuse_reason_name((api_refuse_reason)k),
            (unsigned long long)s.refused[k]);
    family(&o, "rag_api_request_deadline_closed_total", "counter",
           "Connections closed because no complete request arrived within api.request_deadline.");
    put(&o, "rag_api_request_deadline_closed_total %llu\n", (unsigned long long)s.deadline_closed);
    family(&o, "rag_api_protocol_errors_total", "counter",
           "Requests libmicrohttpd rejected before rag-api saw them (malformed, too large, bad HTTP version).");
    put(&o, "rag_api_protocol_errors_total %llu\n", (unsigned long long)s.protocol_errors);
    family(&o, "rag_api_query_embed_requests_total", "counter",
           "Requests to the embedding provider for query texts (hybrid and vector queries), by outcome.");
    for (int i = 0; i < 2; i++)
        put(&o, "rag_api_query_embed_requests_total{outcome=\"%s\"} %llu\n", i ? "failed" : "ok",
            (unsigned long long)s.embed_requests[i]);
    family(&o, "rag_api_query_embed_texts_total", "counter",
           "Query texts those requests carried, by outcome (texts / requests = the mean batch).");
    for (int i = 0; i < 2; i++)
        put(&o, "rag_api_query_embed_texts_total{outcome=\"%s\"} %llu\n", i ? "failed" : "ok",
            (unsigned long long)s.embed_texts[i]);
    family(&o, "rag_api_recent_errors", "gauge", "Server-side errors in the last 5 minutes (what /healthz checks).");
    put(&o, "rag_api_recent_errors %llu\n", (unsigned long long)api_stats_recent_errors(app->stats, now));

    family(&o, "rag_api_in_flight_requests", "gauge", "Requests received and not yet completed.");
    put(&o, "rag_api_in_flight_requests %d\n", atomic_load(&app->inflight));

    struct statvfs vfs;
    if (app->index_dir && statvfs(app->index_dir, &vfs) == 0) {
        family(&o, "rag_api_index_fs_avail_bytes", "gauge",
               "Bytes free to an unprivileged writer on the index folder's file system (statvfs f_bavail, df's Avail): "
               "room for the next ingest.");
        put(&o, "rag_api_index_fs_avail_bytes %llu\n", (unsigned long long)vfs.f_bavail * vfs.f_frsize);
    }

    family(&o, "rag_api_index_loaded", "gauge", "1 when an index generation is being served, 0 before the first one.");
    put(&o, "rag_api_index_loaded %d\n", info.present ? 1 : 0);

    if (info.present) {
        family(&o, "rag_api_index_age_seconds", "gauge",
               "Seconds since the served index was last confirmed by a successful ingest run (checked_at).");
        put(&o, "rag_api_index_age_seconds %.3f\n", (double)(now - info.checked_at_ms) / 1000.0);
        family(&o, "rag_api_index_generated_timestamp_seconds", "gauge", "When the served generation was built.");
        put(&o, "rag_api_index_generated_timestamp_seconds %.3f\n", (double)info.generated_at_ms / 1000.0);
        family(&o, "rag_api_index_chunks", "gauge", "Chunks in the served generation.");
        put(&o, "rag_api_index_chunks %lld\n", (long long)info.chunk_count);
        family(&o, "rag_api_index_documents", "gauge", "Documents in the served generation.");
        put(&o, "rag_api_index_documents %lld\n", (long long)info.documents);
        if (info.bytes >= 0) {
            family(&o, "rag_api_index_bytes", "gauge",
                   "Bytes of the served generation on disk, its file and its segments: what a full rebuild writes anew.");
            put(&o, "rag_api_index_bytes %lld\n", (long long)info.bytes);
        }
        char run_id[160], gen[300], hash[160];
        escape_label(info.run_id, run_id, sizeof run_id);
        escape_label(info.generation, gen, sizeof gen);
        escape_label(info.config_hash, hash, sizeof hash);
        family(&o, "rag_api_vector_segments", "gauge",
               "Segments of the served generation by vector search: through an approximate index (graph) or the exact scan.");
        put(&o, "rag_api_vector_segments{search=\"graph\"} %d\n", info.vector_segments_graph);
        put(&o, "rag_api_vector_segments{search=\"exact\"} %d\n", info.vector_segments_exact);
        family(&o, "rag_api_vector_chunks", "gauge",
               "Live chunks of the served generation by vector search: through an approximate index (graph) or the exact scan.");
        put(&o, "rag_api_vector_chunks{search=\"graph\"} %lld\n", (long long)info.vector_chunks_graph);
        put(&o, "rag_api_vector_chunks{search=\"exact\"} %lld\n", (long long)info.vector_chunks_exact);
        family(&o, "rag_api_vector_graph_tombstoned", "gauge",
               "Vectors of deleted or replaced chunks still in the served generation's graphs (skipped by queries; gone at the next merge).");
        put(&o, "rag_api_vector_graph_tombstoned %lld\n", (long long)info.vector_graph_tombstoned);
        family(&o, "rag_api_vector_graph_bytes", "gauge", "Memory held by the served generation's approximate vector indexes.");
        put(&o, "rag_api_vector_graph_bytes %lld\n", (long long)info.vector_graph_bytes);
        family(&o, "rag_api_index_info", "gauge", "The served generation (value is always 1).");
        put(&o, "rag_api_index_info{run_id=\"%s\",generation=\"%s\",config_hash=\"%s\"} 1\n", run_id, gen, hash);
        family(&o, "rag_api_last_reload_timestamp_seconds", "gauge", "When the served generation was swapped in.");
        put(&o, "rag_api_last_reload_timestamp_seconds %.3f\n", (double)info.loaded_at_ms / 1000.0);
        /* the same cached comparison /healthz checks.config_hash makes */
        api_config_view view;
        api_confwatch_get(app->confwatch, rag_mono_ms(), false, &view);
        family(&o, "rag_api_config_hash_match", "gauge",
               "1 when the served generation's config hash equals the config file's current hash, else 0.");
        put(&o, "rag_api_config_hash_match %d\n", view.ok && strcmp(view.hash, info.config_hash) == 0 ? 1 : 0);
        quality_gauges(&o, &info.quality, &view.health);
        /* the limits /healthz judges the index age by, as the config file
         * says now: alert rules compare with these, not with a copy */
        family(&o, "rag_api_freshness_warn_after_seconds", "gauge",
               "freshness.warn_after of the config file now: /healthz index_age warns past this age.");
        put(&o, "rag_api_freshness_warn_after_seconds %.3f\n", (double)view.health.warn_after_ms / 1000.0);
        family(&o, "rag_api_freshness_error_after_seconds", "gauge",
               "freshness.error_after of the config file now: /healthz index_age fails past this age.");
        put(&o, "rag_api_freshness_error_after_seconds %.3f\n", (double)view.health.error_after_ms / 1000.0);
    }

    int last_run = app->lastrun ? api_lastrun_get(app->lastrun, rag_mono_ms()) : -1;
    if (last_run >= 0) {
        family(&o, "rag_api_ingest_last_run_success", "gauge",
               "1 when the newest ingestion_metrics.jsonl line is a successful run (published/unchanged), 0 when failed.");
        put(&o, "rag_api_ingest_last_run_success %d\n", last_run);
    }

    family(&o, "rag_api_reloads_total", "counter", "Generations swapped in since start.");
    put(&o, "rag_api_reloads_total %llu\n", (unsigned long long)info.reloads);
    family(&o, "rag_api_reload_failures_total", "counter", "Generations that failed to open (the previous one kept serving).");
    put(&o, "rag_api_reload_failures_total %llu\n", (unsigned long long)info.reload_failures);
    rag_log_writes lw;
    rag_log_write_state(app->log, &lw);
    family(&o, "rag_api_log_write_failures_total", "counter",
           "Log lines rag-api could not append to api.jsonl (no space, I/O error) since start.");
    put(&o, "rag_api_log_write_failures_total %llu\n", (unsigned long long)lw.failures);
    family(&o, "rag_api_reload_failing", "gauge",
           "1 while the last reload failed and nothing newer loaded since (/healthz checks.reload warns), else 0.");
    put(&o, "rag_api_reload_failing %d\n", info.last_error[0] ? 1 : 0);

    family(&o, "rag_api_start_timestamp_seconds", "gauge", "When this rag-api process started.");
    put(&o, "rag_api_start_timestamp_seconds %.3f\n", (double)app->started_ms / 1000.0);
    family(&o, "rag_api_build_info", "gauge", "Build information (value is always 1).");
    put(&o, "rag_api_build_info{version=\"%s\",program=\"rag-api\"} 1\n", RAG_VERSION);

    *len = o.len;
    return o.buf;
}
