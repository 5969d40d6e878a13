/* collect_remote.c — the remote source: one GET of a rag-api /status
 * endpoint (docs/specs/status.md) fills the same snapshot parts the local
 * collectors read from disk (config, manifest, runs, the API's health), so
 * every pane, --once and the status evaluation work unchanged. The bearer
 * token is read from the named environment variable at each request and
 * goes only into the Authorization header: it is never copied into the
 * snapshot, an error message or a log. */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "probe.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

#define REMOTE_TIMEOUT_MS 5000
#define REMOTE_BODY_MAX (16u << 20)
#define STATUS_SCHEMA_MAX 1

typedef struct rbuf { char *p; size_t n; bool cut; } rbuf;

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    rbuf *b = ud;
    size_t n = sz * nm;
    if (b->n + n > REMOTE_BODY_MAX) {
        b->cut = true;
        return 0; /* abort: an answer this large is not /status */
    }
    b->p = rag_xrealloc(b->p, b->n + n + 1);
    memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

void collect_remote_url(const char *url, char out[512])
{
    size_t l = strlen(url);
    while (l > 0 && url[l - 1] == '/') l--;
    if (l >= 7 && strncmp(url + l - 7, "/status", 7) == 0) rt_fmt(out, 512, "%.*s", (int)l, url);
    else rt_fmt(out, 512, "%.*s/status", (int)l, url);
}

/* One service, "rag_api", standing for the API behind the URL (no actions:
 * a remote stack is watched, not driven). */
void collect_remote_services(rt_snapshot *s, const char *url)
{
    rag_services *r = &s->services;
    memset(r, 0, sizeof *r);
    r->path = rag_xstrdup(url);
    r->base_dir = rag_xstrdup(".");
    r->items = rag_xcalloc(1, sizeof *r->items);
    r->count = 1;
    rag_service *a = &r->items[0];
    a->name = rag_xstrdup("rag_api");
    a->kind = RAG_SERVICE_SERVER;
    a->description = rag_xstrdup("rag-api, read through /status");
    a->health_url = rag_xstrdup(url);
    a->health_interval_ms = 5000;
    a->health_timeout_ms = REMOTE_TIMEOUT_MS;
    s->services_rc = RAG_OK;
    rt_fmt(s->services_path, sizeof s->services_path, "%s", url);
}

static int64_t num(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? rag_clamp_i64(v->valuedouble, -RAG_EXACT_INT, RAG_EXACT_INT) : dflt;
}

static void fill_config(rt_config_info *c, const cJSON *cj, const char *url)
{
    memset(c, 0, sizeof *c);
    rt_fmt(c->path, sizeof c->path, "%s (config)", url);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(cj, "ok");
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(cj, "hash");
    if (!cJSON_IsTrue(ok) || !cJSON_IsString(hash)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(cj, "error");
        c->rc = RAG_ERR;
        rt_fmt(c->error, sizeof c->error, "%s", cJSON_IsString(e) ? e->valuestring : "no config in /status");
        return;
    }
    c->rc = RAG_OK;
    rag_config_defaults(&c->cfg, ".");
    const cJSON *proj = cJSON_GetObjectItemCaseSensitive(cj, "project");
    if (cJSON_IsString(proj) && proj->valuestring[0]) {
        free(c->cfg.project);
        c->cfg.project = rag_xstrdup(proj->valuestring);
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(cj, "freshness");
    c->cfg.freshness.warn_after_ms = num(f, "warn_after_ms", c->cfg.freshness.warn_after_ms);
    c->cfg.freshness.error_after_ms = num(f, "error_after_ms", c->cfg.freshness.error_after_ms);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(cj, "watch");
    c->cfg.watch.api_error_threshold = (int)num(w, "api_error_threshold", c->cfg.watch.api_error_threshold);
    c->cfg.watch.ingest_overdue_ms = num(w, "ingest_overdue_ms", 0);
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(cj, "quality");
    const cJSON *qv = cJSON_GetObjectItemCaseSensitive(q, "warn_ndcg");
    c->cfg.quality.warn_ndcg = cJSON_IsNumber(qv) ? qv->valuedouble : 0;
    qv = cJSON_GetObjectItemCaseSensitive(q, "min_ndcg");
    c->cfg.quality.min_ndcg = cJSON_IsNumber(qv) ? qv->valuedouble : 0;
    qv = cJSON_GetObjectItemCaseSensitive(q, "golden");
    free(c->cfg.quality.golden);
    c->cfg.quality.golden = rag_xstrdup(cJSON_IsString(qv) ? qv->valuestring : "");
    rt_fmt(c->hash, sizeof c->hash, "%s", hash->valuestring);
    const cJSON *canon = cJSON_GetObjectItemCaseSensitive(cj, "canonical");
    if (cJSON_IsObject(canon)) c->canonical = cJSON_Duplicate(canon, true);
}

static void fill_manifest(rt_manifest_info *m, const cJSON *mj, const char *url)
{
    memset(m, 0, sizeof *m);
    rt_fmt(m->path, sizeof m->path, "%s (latest.json)", url);
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(mj, "document");
    if (!cJSON_IsObject(doc)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(mj, "error");
        m->rc = RAG_ENOENT;
        rt_fmt(m->error, sizeof m->error, "%s: %s", url, cJSON_IsString(e) ? e->valuestring : "no manifest");
        return;
    }
    char *text = cJSON_PrintUnformatted(doc);
    rag_error err = {0};
    m->rc = rag_manifest_parse(m->path, text, strlen(text), &m->m, &err);
    if (m->rc != RAG_OK) rt_fmt(m->error, sizeof m->error, "%s", err.msg[0] ? err.msg : "manifest unreadable");
    free(text);
}

static size_t fill_runs(rt_run *runs, size_t max, const cJSON *arr)
{
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        char *line = cJSON_PrintUnformatted(it);
        rt_run r;
        if (collect_runs_parse_line(line, strlen(line), &r)) {
            if (n == max) {
                memmove(runs, runs + 1, (max - 1) * sizeof *runs);
                n--;
            }
            runs[n++] = r;
        }
        free(line);
    }
    return n;
}

static void fill_logs(rt_remote_logs *logs, const cJSON *arr)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(it, "source");
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(it, "entry");
        if (!cJSON_IsObject(entry)) continue;
        logs->lines = rag_xrealloc(logs->lines, (logs->n + 1) * sizeof *logs->lines);
        logs->sources = rag_xrealloc(logs->sources, (logs->n + 1) * sizeof *logs->sources);
        logs->lines[logs->n] = cJSON_PrintUnformatted(entry);
        logs->sources[logs->n] = rag_xstrdup(cJSON_IsString(src) ? src->valuestring : "remote");
        logs->n++;
    }
}

void collect_remote_logs_free(rt_remote_logs *logs)
{
    for (size_t i = 0; i < logs->n; i++) {
        free(logs->lines[i]);
        free(logs->sources[i]);
    }
    free(logs->lines);
    free(logs->sources);
    memset(logs, 0, sizeof *logs);
}

/* The server's own error message, when its error body has one. */
static void server_message(const rbuf *b, char *out, size_t n)
{
    out[0] = '\0';
    cJSON *o = b->p ? rag_json_parse_showing_nul(b->p, b->n, NULL) : NULL; /* a \u0000 shown as ␀ */
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(msg)) rt_fmt(out, n, "%s", msg->valuestring);
    cJSON_Delete(o);
}

void collect_remote_parse(rt_snapshot *s, const char *body, size_t len, rt_remote_logs *logs)
{
    rt_remote_info *ri = &s->remote;
    rt_probe *p = s->n_probes ? &s->probes[0] : NULL;
    cJSON *root = body ? rag_json_parse_showing_nul(body, len, NULL) : NULL; /* log events: a \u0000 as ␀ */
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    if (!cJSON_IsObject(root) || !cJSON_IsNumber(ver)) {
        rt_fmt(ri->error, sizeof ri->error, "the answer is not a /status document (%s)", ri->url);
        cJSON_Delete(root);
        return;
    }
    if (ver->valuedouble > STATUS_SCHEMA_MAX) {
        rt_fmt(ri->error, sizeof ri->error, "/status schema_version %.0f is newer than this ragtop reads (%d): upgrade ragtop (%s)",
               ver->valuedouble > 1e6 ? 1e6 : ver->valuedouble, STATUS_SCHEMA_MAX, ri->url);
        cJSON_Delete(root);
        return;
    }
    ri->rc = RAG_OK;
    config_info_free(&s->config);
    fill_config(&s->config, cJSON_GetObjectItemCaseSensitive(root, "config"), ri->url);
    manifest_info_free(&s->manifest);
    fill_manifest(&s->manifest, cJSON_GetObjectItemCaseSensitive(root, "manifest"), ri->url);
    s->n_runs = fill_runs(s->runs, RT_MAX_RUNS, cJSON_GetObjectItemCaseSensitive(root, "metrics_lines"));
    const cJSON *hz = cJSON_GetObjectItemCaseSensitive(root, "healthz");
    if (p && cJSON_IsObject(hz)) {
        char *text = cJSON_PrintUnformatted(hz);
        size_t n = strlen(text);
        probe_parse_healthz(text, n, p);
        rt_fmt(p->body, sizeof p->body, "%s", text);
        p->body_cut = n >= sizeof p->body;
        free(text);
        p->http_code = strcmp(p->status, "fail") == 0 ? 503 : 200; /* what /healthz answers */
    }
    if (logs) fill_logs(logs, cJSON_GetObjectItemCaseSensitive(root, "log_events"));
    cJSON_Delete(root);
}

void collect_remote_init(rt_snapshot *s, const char *url)
{
    rt_remote_info *ri = &s->remote;
    memset(ri, 0, sizeof *ri);
    ri->on = true;
    ri->rc = RAG_ERR;
    collect_remote_url(url, ri->url);
    collect_remote_services(s, ri->url);
    s->n_probes = 1;
    s->probes = rag_xcalloc(1, sizeof *s->probes);
}

void collect_remote(rt_snapshot *s, const char *url, const char *token_env, rt_remote_logs *logs)
{
    collect_remote_init(s, url);
    rt_remote_info *ri = &s->remote;
    rt_fmt(ri->token_env, sizeof ri->token_env, "%s", token_env ? token_env : "");
    rt_probe *p = &s->probes[0];
    rt_fmt(p->service, sizeof p->service, "rag_api");
    p->probed = true;
    p->probed_at_ms = rag_now_ms();
    p->uptime_s = p->requests = p->errors = p->recent_errors = p->chunk_count = -1;
    s->config.rc = RAG_ENOENT;
    rt_fmt(s->config.error, sizeof s->config.error, "config unknown: %s not read", ri->url);
    rt_fmt(s->config.path, sizeof s->config.path, "%s (config)", ri->url);
    s->manifest.rc = RAG_ERR;
    rt_fmt(s->manifest.error, sizeof s->manifest.error, "manifest unknown: %s not read", ri->url);
    s->sources.rc = RAG_ERR;
    rt_fmt(s->sources.error, sizeof s->sources.error, "transcripts are not visible through /status");

    const char *token = token_env && *token_env ? getenv(token_env) : NULL;
    if (token_env && *token_env && (!token || !*token)) {
        rt_fmt(ri->error, sizeof ri->error, "the token variable %s is not set (contexts.yaml token_env): not asking %s", token_env, ri->url);
        rt_fmt(p->error, sizeof p->error, "not asked: %s is not set", token_env);
        p->up = false;
        s->collected_at_ms = rag_now_ms();
        return;
    }
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    rbuf b = {0};
    if (token) {
        char *line = rag_xasprintf("Authorization: Bearer %s", token);
        hdr = curl_slist_append(hdr, line);
        memset(line, 0, strlen(line)); /* no copy of the secret outlives the request */
        free(line);
    }
    curl_easy_setopt(h, CURLOPT_URL, ri->url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)REMOTE_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)REMOTE_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect must not carry the token elsewhere */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ragtop/" RAG_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    int64_t t0 = rag_mono_ms();
    CURLcode cc = curl_easy_perform(h);
    ri->latency_ms = rag_mono_ms() - t0;
    p->latency_ms = ri->latency_ms;
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ri->http_code);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    s->collected_at_ms = rag_now_ms();

    if (cc != CURLE_OK) {
        const char *why = b.cut ? "answer larger than 16 MiB" : curl_easy_strerror(cc);
        if (cc == CURLE_OPERATION_TIMEDOUT)
            rt_fmt(ri->error, sizeof ri->error, "no answer within %ds (%s)", REMOTE_TIMEOUT_MS / 1000, ri->url);
        else rt_fmt(ri->error, sizeof ri->error, "%s (%s)", why, ri->url);
        rt_fmt(p->error, sizeof p->error, "%s", cc == CURLE_OPERATION_TIMEDOUT ? "timeout" : why);
        free(b.p);
        return;
    }
    p->up = true;
    p->http_code = ri->http_code;
    if (ri->http_code != 200) {
        char msg[256];
        server_message(&b, msg, sizeof msg);
        if (ri->http_code == 401 && token)
            rt_fmt(ri->error, sizeof ri->error, "401 Unauthorized: the token in $%s was not accepted (%s)", token_env, ri->url);
        else if (ri->http_code == 401)
            rt_fmt(ri->error, sizeof ri->error, "401 Unauthorized: a token is required: token_env in contexts.yaml (%s)", ri->url);
        else
            rt_fmt(ri->error, sizeof ri->error, "HTTP %ld%s%s (%s)", ri->http_code, msg[0] ? ": " : "", msg, ri->url);
        rt_fmt(p->error, sizeof p->error, "/status HTTP %ld", ri->http_code);
        free(b.p);
        return;
    }
    collect_remote_parse(s, b.p, b.n, logs);
    free(b.p);
}
