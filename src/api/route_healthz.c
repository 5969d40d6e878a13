/* route_healthz.c — /healthz evaluation and rendering (see route_healthz.h
 * and docs/specs/healthz.md). The overall status is the worst check status;
 * stale data makes /healthz warn or fail but never stops the process. */
#include "route_healthz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rag/confighash.h"
#include "rag/golden.h"
#include "rag/index.h"
#include "rag/timeutil.h"

enum { ST_PASS = 0, ST_WARN = 1, ST_FAIL = 2 };
static const char *const st_names[] = {"pass", "warn", "fail"};

struct api_healthz_cache {
    pthread_mutex_t lock;
    char *body;
    size_t len;
    int status;
    int64_t built_mono_ms;
    uint64_t store_version;
    uint64_t conf_version;
    uint64_t body_version; /* bumps on every rebuild */
};

api_healthz_cache *api_healthz_cache_new(void)
{
    api_healthz_cache *c = rag_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void api_healthz_cache_free(api_healthz_cache *c)
{
    if (!c) return;
    free(c->body);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static cJSON *check(cJSON *checks, const char *name, int st, const char *output)
{
    cJSON *c = cJSON_AddObjectToObject(checks, name);
    cJSON_AddStringToObject(c, "status", st_names[st]);
    if (output) cJSON_AddStringToObject(c, "output", output);
    return c;
}

static void add_time(cJSON *obj, const char *key, int64_t ms)
{
    if (ms <= 0) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    char buf[RAG_TIME_BUFSZ];
    rag_time_format(ms, buf);
    cJSON_AddStringToObject(obj, key, buf);
}

typedef struct {
    cJSON *arr;
} diff_sink;

static void on_diff(const char *key, const char *old_value, const char *new_value, void *ud)
{
    diff_sink *d = ud;
    char *line = rag_xasprintf("%s: %s -> %s", key, old_value, new_value);
    cJSON_AddItemToArray(d->arr, cJSON_CreateString(line));
    free(line);
}

static int worst(int a, int b) { return a > b ? a : b; }

/* The served generation's retrieval quality (the manifest's "quality")
 * against quality.min_ndcg / quality.warn_ndcg as the config file says now:
 * fail below min_ndcg, warn below warn_ndcg or when the generation was
 * published with --force past the gate; pass with the figures otherwise.
 * Not measured (no golden file) passes and says so. */
static int quality_check(cJSON *checks, const api_served_info *info, const api_health_settings *hs)
{
    char msg[512];
    const api_quality_info *q = &info->quality;
    cJSON *c;
    if (!q->present) {
        c = check(checks, "quality", ST_PASS,
                  "not measured: no golden queries were evaluated for the served generation (no golden file; "
                  "quality.golden)");
        cJSON_AddNullToObject(c, "observed_value");
    } else {
        int st = ST_PASS;
        char figures[200];
        snprintf(figures, sizeof figures, "nDCG@10 %.3f, recall@%d %.3f, MRR %.3f on %lld golden queries (%lld failing)",
                 q->ndcg_at_10, q->k, q->recall_at_k, q->mrr, (long long)q->queries, (long long)q->failed);
        switch (rag_quality_judge(q->ndcg_at_10, q->gate, hs->min_ndcg, hs->warn_ndcg)) {
        case RAG_QUALITY_BELOW_MIN:
            st = ST_FAIL;
            snprintf(msg, sizeof msg, "%s: below quality.min_ndcg %.3f; roll back (rag-ingest --rollback)", figures,
                     hs->min_ndcg);
            break;
        case RAG_QUALITY_BELOW_WARN:
            st = ST_WARN;
            snprintf(msg, sizeof msg, "%s: below quality.warn_ndcg %.3f", figures, hs->warn_ndcg);
            break;
        case RAG_QUALITY_FORCED:
            st = ST_WARN;
            snprintf(msg, sizeof msg, "%s: published with --force although the quality gate refused it", figures);
            break;
        default:
            snprintf(msg, sizeof msg, "%s", figures);
        }
        c = check(checks, "quality", st, msg);
        cJSON_AddNumberToObject(c, "observed_value", q->ndcg_at_10);
        cJSON_AddStringToObject(c, "observed_unit", "ndcg_at_10");
        cJSON_AddNumberToObject(c, "recall_at_k", q->recall_at_k);
        cJSON_AddNumberToObject(c, "k", q->k);
        cJSON_AddNumberToObject(c, "mrr", q->mrr);
        cJSON_AddNumberToObject(c, "queries", (double)q->queries);
        cJSON_AddNumberToObject(c, "failed", (double)q->failed);
        cJSON *ids = cJSON_AddArrayToObject(c, "failed_ids");
        for (int i = 0; i < q->n_failed_ids; i++) cJSON_AddItemToArray(ids, cJSON_CreateString(q->failed_ids[i]));
        cJSON_AddStringToObject(c, "mode", q->mode);
        cJSON_AddStringToObject(c, "gate", q->gate);
        add_time(c, "evaluated_at", q->evaluated_at_ms);
        cJSON_AddNumberToObject(c, "warn_ndcg", hs->warn_ndcg);
        cJSON_AddNumberToObject(c, "min_ndcg", hs->min_ndcg);
        return st;
    }
    cJSON_AddNumberToObject(c, "warn_ndcg", hs->warn_ndcg);
    cJSON_AddNumberToObject(c, "min_ndcg", hs->min_ndcg);
    return ST_PASS;
}

char *api_healthz_render(api_app *app, int *status)
{
    const int64_t now = rag_now_ms();
    const int64_t mono = rag_mono_ms();
    api_served_info info;
    api_store_info(app->store, &info);
    int overall = ST_PASS;
    char msg[768];

    cJSON *root = cJSON_CreateObject();
    cJSON *status_item = cJSON_AddStringToObject(root, "status", "pass");
    cJSON_AddStringToObject(root, "service", "rag-api");
    cJSON_AddStringToObject(root, "version", RAG_VERSION);
    cJSON_AddNumberToObject(root, "uptime_s", (double)((mono - app->started_mono_ms) / 1000));
    add_time(root, "started_at", app->started_ms);
    add_time(root, "time", now);

    cJSON *index = cJSON_AddObjectToObject(root, "index");
    cJSON *checks = cJSON_CreateObject();

    /* The config file as it is now: its hash and the limits judged by. */
    api_config_view view;
    api_confwatch_get(app->confwatch, mono, true, &view);
    const api_health_settings *hs = &view.health;

    /* latest.json itself: gone or unreadable is its own check. */
    if (info.manifest_state == API_MANIFEST_OK) {
        cJSON *c = check(checks, "manifest", ST_PASS, NULL);
        cJSON_AddStringToObject(c, "path", app->manifest_path);
    } else {
        const bool missing = info.manifest_state == API_MANIFEST_MISSING;
        int st = info.present ? ST_WARN : ST_FAIL;
        if (info.present)
            snprintf(msg, sizeof msg, "%s: %.400s; still serving %s", missing ? "latest.json is missing" :
                     "latest.json is unreadable", info.manifest_error, info.generation);
        else
            snprintf(msg, sizeof msg, "%s: %.400s; nothing can be served", missing ? "latest.json is missing" :
                     "latest.json is unreadable", info.manifest_error);
        cJSON *c = check(checks, "manifest", st, msg);
        cJSON_AddStringToObject(c, "path", app->manifest_path);
        add_time(c, "since", info.manifest_since_ms);
        overall = worst(overall, st);
    }

    /* index present */
    if (!info.present) {
        cJSON_AddNullToObject(index, "run_id");
        cJSON_AddNullToObject(index, "generation");
        cJSON_AddNullToObject(index, "rollback_from");
        cJSON_AddNullToObject(index, "generated_at");
        cJSON_AddNullToObject(index, "checked_at");
        cJSON_AddNullToObject(index, "config_hash");
        cJSON_AddNullToObject(index, "chunk_count");
        cJSON_AddNullToObject(index, "documents");
        cJSON_AddNullToObject(index, "age_s");
        cJSON_AddNullToObject(index, "loaded_at");
        cJSON_AddNullToObject(index, "schema_version");
        if (info.last_error[0])
            snprintf(msg, sizeof msg, "no index yet: %s failed to open: %s", info.failed_generation, info.last_error);
        else
            snprintf(msg, sizeof msg, "no index yet: waiting for %s (run rag-ingest / make ingest)", app->manifest_path);
        cJSON_AddStringToObject(root, "output", msg);
        check(checks, "index_present", ST_FAIL, msg);
        overall = ST_FAIL;
    } else {
        int64_t age_ms = now - info.checked_at_ms;
        const int64_t ahead_ms = age_ms < 0 ? -age_ms : 0; /* checked_at in the future */
        if (age_ms < 0) age_ms = 0;
        cJSON_AddStringToObject(index, "run_id", info.run_id);
        cJSON_AddStringToObject(index, "generation", info.generation);
        if (info.rollback_from[0]) cJSON_AddStringToObject(index, "rollback_from", info.rollback_from);
        else cJSON_AddNullToObject(index, "rollback_from");
        add_time(index, "generated_at", info.generated_at_ms);
        add_time(index, "checked_at", info.checked_at_ms);
        cJSON_AddStringToObject(index, "config_hash", info.config_hash);
        cJSON_AddNumberToObject(index, "chunk_count", (double)info.chunk_count);
        cJSON_AddNumberToObject(index, "documents", (double)info.documents);
        cJSON_AddNumberToObject(index, "age_s", (double)(age_ms / 1000));
        add_time(index, "loaded_at", info.loaded_at_ms);
        cJSON_AddNumberToObject(index, "schema_version", info.schema_version);

        cJSON *c = check(checks, "index_present", ST_PASS, NULL);
        cJSON_AddStringToObject(c, "observed_value", info.generation);

        int st = ST_PASS;
        char age[40], limit[32];
        rag_ago_format(age_ms, age, sizeof age);
        if (ahead_ms > RAG_CLOCK_SKEW_MAX_MS) {
            st = ST_WARN;
            rag_age_format(ahead_ms, limit, sizeof limit);
            snprintf(msg, sizeof msg,
                     "the manifest's checked_at is %s in the future: this host's clock and the ingest host's "
                     "disagree, so the index age cannot be judged",
                     limit);
        } else if (hs->error_after_ms > 0 && age_ms >= hs->error_after_ms) {
            st = ST_FAIL;
            rag_age_format(hs->error_after_ms, limit, sizeof limit);
            snprintf(msg, sizeof msg, "index last confirmed %s, beyond error_after (%s)", age, limit);
        } else if (hs->warn_after_ms > 0 && age_ms >= hs->warn_after_ms) {
            st = ST_WARN;
            rag_age_format(hs->warn_after_ms, limit, sizeof limit);
            snprintf(msg, sizeof msg, "index last confirmed %s, beyond warn_after (%s)", age, limit);
        } else {
            snprintf(msg, sizeof msg, "index last confirmed %s", age);
        }
        c = check(checks, "index_age", st, msg);
        cJSON_AddNumberToObject(c, "observed_value", (double)(age_ms / 1000));
        cJSON_AddStringToObject(c, "observed_unit", "s");
        cJSON_AddNumberToObject(c, "warn_after_s", (double)(hs->warn_after_ms / 1000));
        cJSON_AddNumberToObject(c, "error_after_s", (double)(hs->error_after_ms / 1000));
        overall = worst(overall, st);

        /* the served generation answers queries (a storage error flips it) */
        if (info.broken_error[0]) {
            snprintf(msg, sizeof msg, "queries on %s fail: %.400s (restore the file and send SIGHUP, or publish a new "
                     "generation)", info.generation, info.broken_error);
            c = check(checks, "generation", ST_FAIL, msg);
            add_time(c, "since", info.broken_ms);
            overall = ST_FAIL;
        } else {
            c = check(checks, "generation", ST_PASS, NULL);
        }
        cJSON_AddStringToObject(c, "observed_value", info.generation);

        /* config hash: served generation vs the config file as it is now */
        if (!view.ok) {
            st = ST_WARN;
            snprintf(msg, sizeof msg, "cannot compare: the config file does not load: %s", view.error);
            c = check(checks, "config_hash", st, msg);
            cJSON_AddStringToObject(c, "served", info.config_hash);
            cJSON_AddNullToObject(c, "current");
        } else if (strcmp(view.hash, info.config_hash) != 0) {
            st = ST_WARN;
            if (info.rollback_from[0]) /* ingesting now would publish what the rollback undid */
                snprintf(msg, sizeof msg, "the served index was rolled back (from %.128s) to a generation built from a "
                         "different config: revert the config change, or run rag-ingest (make ingest) to publish "
                         "with the config as it is", info.rollback_from);
            else
                snprintf(msg, sizeof msg, "the served index was built from a different config; run rag-ingest (make ingest)");
            c = check(checks, "config_hash", st, msg);
            cJSON_AddStringToObject(c, "served", info.config_hash);
            cJSON_AddStringToObject(c, "current", view.hash);
            cJSON *diffs = cJSON_AddArrayToObject(c, "differences");
            api_generation *g = api_store_acquire(app->store);
            if (g && g->config && view.canonical) {
                diff_sink d = {diffs};
                rag_json_diff(g->config, view.canonical, on_diff, &d);
            }
            api_generation_release(g);
        } else {
            st = ST_PASS;
            c = check(checks, "config_hash", st, NULL);
            cJSON_AddStringToObject(c, "served", info.config_hash);
            cJSON_AddStringToObject(c, "current", view.hash);
        }
        overall = worst(overall, st);

        st = info.schema_version >= RAG_INDEX_SCHEMA_OLDEST && info.schema_version <= RAG_INDEX_SCHEMA_VERSION ? ST_PASS
                                                                                                                 : ST_FAIL;
        c = check(checks, "schema_version", st, NULL);
        cJSON_AddNumberToObject(c, "observed_value", info.schema_version);
        cJSON_AddNumberToObject(c, "supported", RAG_INDEX_SCHEMA_VERSION);
        overall = worst(overall, st);

        st = quality_check(checks, &info, hs);
        overall = worst(overall, st);
    }

    /* request totals since start (all routes; errors = 5xx responses) */
    api_stats_snap *snap = rag_xmalloc(sizeof *snap);
    api_stats_snapshot(app->stats, snap);
    uint64_t total = 0, errors = 0, queries = 0, query_errors = 0;
    for (int r = 0; r < API_ROUTE_COUNT; r++)
        for (int i = 0; i < API_CODE_COUNT; i++) {
            const uint64_t n = snap->requests[r][i];
            const bool is_5xx = api_stats_codes[i] >= 500;
            total += n;
            if (is_5xx) errors += n;
            if (r == API_ROUTE_QUERY) {
                queries += n;
                if (is_5xx) query_errors += n;
            }
        }
    free(snap);
    cJSON *requests = cJSON_AddObjectToObject(root, "requests");
    cJSON_AddNumberToObject(requests, "total", (double)total);
    cJSON_AddNumberToObject(requests, "errors", (double)errors);
    cJSON_AddNumberToObject(requests, "queries", (double)queries);
    cJSON_AddNumberToObject(requests, "query_errors", (double)query_errors);

    /* recent errors */
    uint64_t recent = api_stats_recent_errors(app->stats, now);
    int threshold = hs->api_error_threshold > 0 ? hs->api_error_threshold : 1;
    int est = recent >= (uint64_t)threshold ? ST_WARN : ST_PASS;
    cJSON *c = check(checks, "recent_errors", est, NULL);
    cJSON_AddNumberToObject(c, "observed_value", (double)recent);
    cJSON_AddNumberToObject(c, "window_s", API_ERROR_WINDOW_S);
    cJSON_AddNumberToObject(c, "threshold", threshold);
    overall = worst(overall, est);

    /* settings read only at start that the config file now changes */
    if (view.ok && view.restart_keys[0]) {
        snprintf(msg, sizeof msg, "the config file changes settings read at start (%s): restart rag-api to apply them",
                 view.restart_keys);
        c = check(checks, "restart_pending", ST_WARN, msg);
        overall = worst(overall, ST_WARN);
    } else {
        c = check(checks, "restart_pending", ST_PASS, NULL);
    }

    /* the log: lines that could not be written are lost to every reader
     * (the console, /status, ragtop watch): said until writes succeed again */
    rag_log_writes lw;
    rag_log_write_state(app->log, &lw);
    if (lw.failing) {
        snprintf(msg, sizeof msg, "cannot append to %s: %s; %llu log line%s lost since start",
                 rag_log_path(app->log), lw.last_error, (unsigned long long)lw.failures, lw.failures == 1 ? "" : "s");
        c = check(checks, "log_writes", ST_WARN, msg);
        add_time(c, "time", lw.last_failure_ms);
        overall = worst(overall, ST_WARN);
    } else {
        c = check(checks, "log_writes", ST_PASS, NULL);
    }
    cJSON_AddNumberToObject(c, "failures", (double)lw.failures);

    /* last reload attempt */
    if (info.last_error[0]) {
        snprintf(msg, sizeof msg, "%s failed to open, %s: %s", info.failed_generation,
                 info.present ? "still serving the previous generation" : "nothing to serve", info.last_error);
        c = check(checks, "reload", ST_WARN, msg);
        add_time(c, "time", info.last_failure_ms);
        overall = worst(overall, ST_WARN);
    } else {
        c = check(checks, "reload", ST_PASS, NULL);
        add_time(c, "time", info.loaded_at_ms);
    }
    cJSON_AddNumberToObject(c, "reloads", (double)info.reloads);
    cJSON_AddNumberToObject(c, "failures", (double)info.reload_failures);

    cJSON_Delete(view.canonical);
    cJSON_AddItemToObject(root, "checks", checks);
    cJSON_SetValuestring(status_item, st_names[overall]);
    char *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    *status = overall == ST_FAIL ? 503 : 200;
    return body;
}

/* Rebuild the cached body if it is stale; call with c->lock held. */
static void refresh_locked(api_app *app, api_healthz_cache *c)
{
    const int64_t mono = rag_mono_ms();
    api_served_info info;
    api_store_info(app->store, &info);
    uint64_t cv = api_confwatch_version(app->confwatch, mono);
    if (c->body && mono - c->built_mono_ms < 250 && c->store_version == info.version && c->conf_version == cv) return;
    int st = 503;
    char *body = api_healthz_render(app, &st);
    if (!body) return;
    free(c->body);
    c->body = body;
    c->len = strlen(body);
    c->status = st;
    c->built_mono_ms = mono;
    c->store_version = info.version;
    c->conf_version = cv;
    c->body_version++;
}

static char *copy_locked(api_healthz_cache *c, size_t *len, int *status)
{
    if (!c->body) return NULL;
    char *copy = rag_xmalloc(c->len + 1);
    memcpy(copy, c->body, c->len + 1);
    *len = c->len;
    *status = c->status;
    return copy;
}

char *api_healthz_refresh(api_app *app, uint64_t *version, size_t *len, int *status)
{
    api_healthz_cache *c = app->healthz;
    pthread_mutex_lock(&c->lock);
    refresh_locked(app, c);
    char *copy = NULL;
    if (*version != c->body_version) {
        copy = copy_locked(c, len, status);
        if (copy) *version = c->body_version;
    }
    pthread_mutex_unlock(&c->lock);
    return copy;
}
