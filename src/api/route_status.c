/* route_status.c — GET /status: the manifest as served, the last metrics
 * lines, recent warning/error log events, the config hash and canonical
 * config, and the /healthz verdict, for a ragtop that has no access to the
 * stack's disk. The bearer token is compared in constant time (SHA-256 of
 * both sides, CRYPTO_memcmp), never logged or echoed. Shape:
 * docs/specs/status.md. */
#include "route_status.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "rag/fsutil.h"
#include "rag/timeutil.h"
#include "route_healthz.h"
#include "router.h"

#define STATUS_SCHEMA_VERSION 1
#define TAIL_BYTES (256 * 1024)
#define MANIFEST_MAX (1024 * 1024)

void api_status_setup(api_app *app)
{
    const char *var = app->cfg->api.status_token_env;
    if (!var) {
        snprintf(app->status_off_why, sizeof app->status_off_why,
                 "/status is off: set api.status_token_env in the config to enable it");
        return;
    }
    const char *tok = getenv(var);
    if (!tok || !*tok) {
        snprintf(app->status_off_why, sizeof app->status_off_why,
                 "/status is off: api.status_token_env names %.60s, which is not set", var);
        rag_log_eventf(app->log, RAG_LEVEL_WARN, "status_off", NULL, "%s", app->status_off_why);
        return;
    }
    app->status_token = rag_xstrdup(tok);
}

static void sha256(const char *s, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    EVP_Digest(s, n, out, &len, EVP_sha256(), NULL);
}

/* "Bearer <token>" matching the configured token, in constant time. */
static bool authorized(const char *want, const char *header)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) return false;
    const char *got = header + 7;
    while (*got == ' ') got++;
    unsigned char a[32], b[32];
    sha256(want, strlen(want), a);
    sha256(got, strlen(got), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

static void add_config(cJSON *root, api_app *app)
{
    api_config_view v;
    api_confwatch_get(app->confwatch, rag_mono_ms(), true, &v);
    cJSON *c = cJSON_AddObjectToObject(root, "config");
    cJSON_AddBoolToObject(c, "ok", v.ok);
    if (v.ok) cJSON_AddStringToObject(c, "hash", v.hash);
    else cJSON_AddNullToObject(c, "hash");
    if (v.ok) cJSON_AddNullToObject(c, "error");
    else cJSON_AddStringToObject(c, "error", v.error);
    if (v.canonical) cJSON_AddItemToObject(c, "canonical", v.canonical);
    else cJSON_AddNullToObject(c, "canonical");
    cJSON *f = cJSON_AddObjectToObject(c, "freshness");
    cJSON_AddNumberToObject(f, "warn_after_ms", (double)v.health.warn_after_ms);
    cJSON_AddNumberToObject(f, "error_after_ms", (double)v.health.error_after_ms);
    cJSON *w = cJSON_AddObjectToObject(c, "watch");
    cJSON_AddNumberToObject(w, "api_error_threshold", v.health.api_error_threshold);
    cJSON_AddNumberToObject(w, "ingest_overdue_ms", (double)v.health.ingest_overdue_ms);
    cJSON *q = cJSON_AddObjectToObject(c, "quality");
    cJSON_AddNumberToObject(q, "warn_ndcg", v.health.warn_ndcg);
    cJSON_AddNumberToObject(q, "min_ndcg", v.health.min_ndcg);
    cJSON_AddStringToObject(q, "golden", app->cfg->quality.golden ? app->cfg->quality.golden : "");
    cJSON_AddStringToObject(c, "project", app->cfg->project ? app->cfg->project : "");
}

/* latest.json as it is on disk now (what the reloader serves from). */
static void add_manifest(cJSON *root, api_app *app)
{
    cJSON *m = cJSON_AddObjectToObject(root, "manifest");
    char *buf = NULL;
    size_t len = 0;
    rag_error err = {0};
    int rc = rag_read_file(app->manifest_path, MANIFEST_MAX, &buf, &len, &err);
    cJSON *doc = rc == RAG_OK ? cJSON_ParseWithLength(buf, len) : NULL;
    if (doc) {
        cJSON_AddNullToObject(m, "error");
        cJSON_AddItemToObject(m, "document", doc);
    } else {
        char why[1100];
        if (rc == RAG_ENOENT) snprintf(why, sizeof why, "no manifest yet (run an ingest)");
        else if (rc != RAG_OK) snprintf(why, sizeof why, "%s", err.msg);
        else snprintf(why, sizeof why, "latest.json is not valid JSON");
        char *clean = rag_utf8_sanitize(why, strlen(why), NULL);
        cJSON_AddStringToObject(m, "error", clean);
        free(clean);
        cJSON_AddNullToObject(m, "document");
    }
    free(buf);
}

static void add_metrics_lines(cJSON *root, api_app *app)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "metrics_lines");
    char *path = rag_path_join(app->logs_dir, "ingestion_metrics.jsonl");
    rag_tail t;
    if (rag_tail_lines(path, API_STATUS_METRICS_LINES, TAIL_BYTES, TAIL_BYTES, &t, NULL) == RAG_OK) {
        size_t first = t.count > API_STATUS_METRICS_LINES ? t.count - API_STATUS_METRICS_LINES : 0;
        for (size_t i = first; i < t.count; i++) {
            cJSON *o = cJSON_ParseWithLength(t.lines[i].s, t.lines[i].len);
            if (cJSON_IsObject(o)) cJSON_AddItemToArray(arr, o);
            else cJSON_Delete(o); /* malformed lines are skipped, as ragtop skips them */
        }
        rag_tail_free(&t);
    }
    free(path);
}

typedef struct log_pick { int64_t ts; const char *source; cJSON *entry; } log_pick;

static int by_time(const void *a, const void *b)
{
    const log_pick *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The newest warn/error events of ingest.jsonl and api.jsonl, oldest first. */
static void add_log_events(cJSON *root, api_app *app)
{
    static const char *const files[][2] = {{"ingest.jsonl", "ingest"}, {"api.jsonl", "api"}};
    log_pick *picks = NULL;
    size_t n = 0, cap = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char *path = rag_path_join(app->logs_dir, files[f][0]);
        rag_tail t;
        if (rag_tail_lines(path, SIZE_MAX, TAIL_BYTES, TAIL_BYTES, &t, NULL) == RAG_OK) {
            size_t kept = 0;
            for (size_t i = t.count; i-- > 0 && kept < API_STATUS_LOG_EVENTS;) {
                rag_log_entry e;
                if (rag_log_parse_line(t.lines[i].s, t.lines[i].len, &e) && e.level >= RAG_LEVEL_WARN) {
                    if (n == cap) picks = rag_xrealloc(picks, (cap = cap ? cap * 2 : 64) * sizeof *picks);
                    picks[n++] = (log_pick){e.ts_ms, files[f][1], e.json};
                    e.json = NULL;
                    kept++;
                }
                rag_log_entry_free(&e);
            }
            rag_tail_free(&t);
        }
        free(path);
    }
    if (n) qsort(picks, n, sizeof *picks, by_time);
    size_t first = n > API_STATUS_LOG_EVENTS ? n - API_STATUS_LOG_EVENTS : 0;
    cJSON *arr = cJSON_AddArrayToObject(root, "log_events");
    for (size_t i = 0; i < n; i++) {
        if (i < first) {
            cJSON_Delete(picks[i].entry);
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "source", picks[i].source);
        cJSON_AddItemToObject(o, "entry", picks[i].entry);
        cJSON_AddItemToArray(arr, o);
    }
    free(picks);
}

char *api_status_handle(api_app *app, const char *authorization, int *status)
{
    if (!app->status_token) {
        *status = 404;
        return api_error_body(404, "status_off", app->status_off_why);
    }
    if (!authorized(app->status_token, authorization)) {
        *status = 401;
        return api_error_body(401, "unauthorized",
                              authorization ? "the bearer token was not accepted"
                                            : "an Authorization: Bearer token is required (see docs/specs/status.md)");
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema_version", STATUS_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "version", RAG_VERSION);
    char ts[RAG_TIME_BUFSZ];
    rag_time_format(rag_now_ms(), ts);
    cJSON_AddStringToObject(root, "generated_at", ts);
    add_config(root, app);
    add_manifest(root, app);
    add_metrics_lines(root, app);
    add_log_events(root, app);
    int hz_status = 0;
    char *hz = api_healthz_render(app, &hz_status);
    cJSON *hzj = hz ? cJSON_Parse(hz) : NULL;
    free(hz);
    if (hzj) cJSON_AddItemToObject(root, "healthz", hzj);
    else cJSON_AddNullToObject(root, "healthz");
    char *raw = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    /* files may hold invalid UTF-8 inside strings: the answer never does */
    char *out = rag_utf8_sanitize(raw, strlen(raw), NULL);
    free(raw);
    *status = 200;
    return out;
}
