/* once.c — `ragtop --once` and `--once --json`: collect_all, status_evaluate,
 * print, exit with the Nagios code of the overall status. Colour only on a
 * terminal and without NO_COLOR / --no-color; text from files and services
 * is escaped before it reaches a terminal. */
#include "once.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "contexts.h"
#include "fleet.h"
#include "escape.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

#define ONCE_SCHEMA_VERSION 1

static const char *sev_color(rt_severity s)
{
    switch (s) {
    case RT_OK: return "\033[32m";
    case RT_WARN: return "\033[33m";
    case RT_CRIT: return "\033[1;31m";
    default: return "\033[35m";
    }
}

static void put_time(cJSON *o, const char *k, int64_t ms)
{
    if (ms <= 0) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    char buf[RAG_TIME_BUFSZ];
    rag_time_format(ms, buf);
    cJSON_AddStringToObject(o, k, buf);
}

static void put_num(cJSON *o, const char *k, int64_t v)
{
    if (v < 0) cJSON_AddNullToObject(o, k);
    else cJSON_AddNumberToObject(o, k, (double)v);
}

static void put_str(cJSON *o, const char *k, const char *v)
{
    if (v && *v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

/* index.quality: the manifest's figures, null when not measured. */
static void put_quality(cJSON *ix, const rag_manifest *m)
{
    if (!m->quality.present) {
        cJSON_AddNullToObject(ix, "quality");
        return;
    }
    cJSON *q = cJSON_AddObjectToObject(ix, "quality");
    cJSON_AddNumberToObject(q, "ndcg_at_10", m->quality.ndcg_at_10);
    cJSON_AddNumberToObject(q, "recall_at_k", m->quality.recall_at_k);
    cJSON_AddNumberToObject(q, "k", m->quality.k);
    cJSON_AddNumberToObject(q, "mrr", m->quality.mrr);
    put_num(q, "queries", m->quality.queries);
    put_num(q, "failed", m->quality.failed);
    /* id, query, ndcg_at_10 of each, made valid UTF-8 (the manifest is outside input) */
    cJSON *fq = cJSON_AddArrayToObject(q, "failed_queries");
    const cJSON *e;
    cJSON_ArrayForEach(e, m->quality.failed_queries) {
        cJSON *o = cJSON_CreateObject();
        static const char *const keys[] = {"id", "query"};
        for (size_t k = 0; k < 2; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, keys[k]);
            if (!cJSON_IsString(v)) { cJSON_AddNullToObject(o, keys[k]); continue; }
            char *clean = rag_utf8_sanitize(v->valuestring, strlen(v->valuestring), NULL);
            cJSON_AddStringToObject(o, keys[k], clean);
            free(clean);
        }
        const cJSON *nd = cJSON_GetObjectItemCaseSensitive(e, "ndcg_at_10");
        if (cJSON_IsNumber(nd)) cJSON_AddNumberToObject(o, "ndcg_at_10", nd->valuedouble);
        else cJSON_AddNullToObject(o, "ndcg_at_10");
        cJSON_AddItemToArray(fq, o);
    }
    put_str(q, "mode", m->quality.mode);
    put_str(q, "gate", m->quality.gate);
    put_time(q, "evaluated_at", m->quality.evaluated_at_ms);
}

/* A replicated service's instances, each with its own probe. */
static void add_instances(cJSON *o, const rt_probe *p)
{
    put_num(o, "instances_up", (int64_t)p->n_inst_up);
    put_num(o, "instances_found", (int64_t)p->n_inst_found);
    cJSON *a = cJSON_AddArrayToObject(o, "instances");
    for (size_t i = 0; i < p->n_inst; i++) {
        const rt_instance *in = &p->inst[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", in->name);
        cJSON_AddBoolToObject(x, "up", in->up);
        put_num(x, "http_code", in->up ? in->http_code : -1);
        put_num(x, "latency_ms", in->latency_ms);
        put_str(x, "health", in->status);
        put_str(x, "error", in->error);
        put_str(x, "generation", in->generation);
        put_time(x, "loaded_at", in->loaded_at_ms);
        cJSON_AddItemToArray(a, x);
    }
}

cJSON *once_json(const rt_snapshot *s, const rt_status *st, int64_t now_ms)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema_version", ONCE_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "tool", "ragtop");
    cJSON_AddStringToObject(root, "version", RAG_VERSION);
    put_time(root, "generated_at", now_ms);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    cJSON_AddStringToObject(root, "host", host);
    put_str(root, "project", s->config.rc == RAG_OK ? s->config.cfg.project : NULL);
    cJSON_AddStringToObject(root, "status", rt_severity_name(st->overall));
    cJSON_AddNumberToObject(root, "exit_code", (int)st->overall);
    cJSON_AddStringToObject(root, "headline", st->headline);

    cJSON *checks = cJSON_AddArrayToObject(root, "checks");
    for (size_t i = 0; i < st->n; i++) {
        const rt_check *c = &st->checks[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "status", rt_severity_name(c->severity));
        cJSON_AddStringToObject(o, "summary", c->summary);
        cJSON *d = cJSON_AddArrayToObject(o, "details");
        char *copy = rag_xstrdup(c->details), *save = NULL;
        for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save))
            cJSON_AddItemToArray(d, cJSON_CreateString(ln));
        free(copy);
        put_str(o, "fix", c->fix);
        const rag_action *fa = status_fix_action(s, c, NULL);
        if (fa) {
            cJSON *argv = cJSON_AddArrayToObject(o, "fix_argv");
            for (size_t k = 0; k < fa->argc; k++) cJSON_AddItemToArray(argv, cJSON_CreateString(fa->argv[k]));
        } else {
            cJSON_AddNullToObject(o, "fix_argv");
        }
        put_str(o, "fix_target", c->target[0] && c->fix[0] ? c->target : NULL);
        if (c->instances[0]) cJSON_AddItemToObject(o, "instances", status_instances_json(c));
        cJSON_AddItemToArray(checks, o);
    }

    cJSON *cfg = cJSON_AddObjectToObject(root, "config");
    put_str(cfg, "path", s->config.path);
    put_str(cfg, "hash", s->config.hash);
    put_str(cfg, "error", s->config.rc == RAG_OK ? NULL : s->config.error);
    if (s->config.rc == RAG_OK) {
        put_num(cfg, "warn_after_ms", s->config.cfg.freshness.warn_after_ms);
        put_num(cfg, "error_after_ms", s->config.cfg.freshness.error_after_ms);
        cJSON_AddNumberToObject(cfg, "quality_warn_ndcg", s->config.cfg.quality.warn_ndcg);
        cJSON_AddNumberToObject(cfg, "quality_min_ndcg", s->config.cfg.quality.min_ndcg);
    }

    if (s->manifest.rc == RAG_OK) {
        const rag_manifest *m = &s->manifest.m;
        cJSON *ix = cJSON_AddObjectToObject(root, "index");
        cJSON_AddStringToObject(ix, "manifest", s->manifest.path);
        cJSON_AddStringToObject(ix, "run_id", m->run_id);
        cJSON_AddStringToObject(ix, "generation", m->generation);
        put_time(ix, "generated_at", m->generated_at_ms);
        put_time(ix, "checked_at", m->checked_at_ms);
        put_num(ix, "age_ms", status_index_age_ms(s, now_ms));
        cJSON_AddStringToObject(ix, "config_hash", m->config_hash);
        put_num(ix, "documents", m->documents);
        put_num(ix, "chunks", m->chunks);
        put_num(ix, "tokens", m->tokens);
        put_quality(ix, m);
    } else {
        cJSON_AddNullToObject(root, "index");
    }

    cJSON *sv = cJSON_AddArrayToObject(root, "services");
    if (s->services_rc == RAG_OK) {
        for (size_t i = 0; i < s->services.count; i++) {
            const rag_service *svc = &s->services.items[i];
            const rt_probe *p = i < s->n_probes ? &s->probes[i] : NULL;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", svc->name);
            cJSON_AddStringToObject(o, "kind", svc->kind == RAG_SERVICE_SERVER ? "server" : "job");
            put_str(o, "health_url", svc->health_url);
            bool probed = p && p->probed;
            cJSON_AddBoolToObject(o, "probed", probed);
            if (probed) {
                cJSON_AddBoolToObject(o, "up", p->up);
                put_num(o, "http_code", p->up ? p->http_code : -1);
                put_num(o, "latency_ms", p->latency_ms);
                put_str(o, "health", p->status);
                put_str(o, "error", p->error);
                put_str(o, "version", p->version);
                put_num(o, "uptime_s", p->uptime_s);
                put_num(o, "requests", p->requests);
                put_num(o, "errors", p->errors);
                put_str(o, "generation", p->generation);
                put_str(o, "config_hash", p->config_hash);
                if (p->replicated) add_instances(o, p);
            }
            cJSON_AddItemToArray(sv, o);
        }
    }

    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    size_t first = s->n_runs > 10 ? s->n_runs - 10 : 0;
    for (size_t i = first; i < s->n_runs; i++) {
        const rt_run *r = &s->runs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "run_id", r->run_id);
        cJSON_AddStringToObject(o, "status", r->status);
        put_time(o, "started_at", r->started_ms);
        put_num(o, "duration_ms", r->duration_ms);
        put_num(o, "files", r->files);
        put_num(o, "chunks", r->chunks);
        put_num(o, "errors", r->errors);
        put_str(o, "generation", r->generation);
        cJSON_AddBoolToObject(o, "rollback", r->rollback); /* a rag-ingest --rollback line, not an ingest */
        put_str(o, "rollback_from", r->rollback_from);
        /* the run's golden-query figures (metrics-line quality_*), null when it has none */
        const double qv[] = {r->quality_ndcg, r->quality_recall, r->quality_mrr};
        static const char *const qk[] = {"quality_ndcg_at_10", "quality_recall_at_k", "quality_mrr"};
        for (size_t k = 0; k < 3; k++) {
            if (r->has_quality && qv[k] >= 0) cJSON_AddNumberToObject(o, qk[k], qv[k]);
            else cJSON_AddNullToObject(o, qk[k]);
        }
        put_num(o, "quality_failed", r->has_quality ? r->quality_failed : -1);
        put_str(o, "quality_gate", r->quality_gate);
        cJSON_AddItemToArray(runs, o);
    }

    if (s->sources.rc == RAG_OK) {
        cJSON *src = cJSON_AddObjectToObject(root, "sources");
        put_num(src, "total", s->sources.total);
        put_num(src, "added", s->sources.added);
        put_num(src, "changed", s->sources.changed);
        put_num(src, "removed", s->sources.removed);
        put_num(src, "unreadable", s->sources.unreadable);
        cJSON_AddBoolToObject(src, "exact", s->sources.exact);
    } else {
        cJSON_AddNullToObject(root, "sources");
    }
    if (s->disk.checked && s->disk.rc == RAG_OK) {
        cJSON *d = cJSON_AddObjectToObject(root, "disk");
        put_str(d, "path", s->disk.path);
        put_num(d, "avail_bytes", (int64_t)s->disk.avail_bytes);
        put_num(d, "total_bytes", (int64_t)s->disk.total_bytes);
        put_num(d, "generation_bytes", s->disk.generation_bytes); /* null when unknown */
    } else {
        cJSON_AddNullToObject(root, "disk");
    }
    if (s->remote.on) {
        cJSON *r = cJSON_AddObjectToObject(root, "remote");
        cJSON_AddStringToObject(r, "url", s->remote.url);
        cJSON_AddBoolToObject(r, "ok", s->remote.rc == RAG_OK);
        put_num(r, "http_code", s->remote.http_code ? s->remote.http_code : -1);
        put_str(r, "error", s->remote.rc == RAG_OK ? NULL : s->remote.error);
        put_num(r, "latency_ms", s->remote.latency_ms);
    } else {
        cJSON_AddNullToObject(root, "remote");
    }
    return root;
}

char *once_render_json(const rt_snapshot *s, const rt_status *st, int64_t now_ms)
{
    cJSON *root = once_json(s, st, now_ms);
    char *out = rag_json_print(root, true, NULL);
    cJSON_Delete(root);
    return out;
}

static void put_line(FILE *f, bool color, const char *col, const char *text)
{
    /* ANSI is only ever ours; the text itself is escaped. */
    char *safe = escape_dup(text);
    if (color) fprintf(f, "%s%s\033[0m", col, safe);
    else fputs(safe, f);
    free(safe);
}

void once_render_text(FILE *f, const rt_snapshot *s, const rt_status *st, int64_t now_ms, bool color)
{
    char host[256] = "", ts[RAG_TIME_BUFSZ];
    gethostname(host, sizeof host - 1);
    rag_time_format(now_ms, ts);
    char head[512];
    rt_fmt(head, sizeof head, "ragtop %s  %s@%s  %s", RAG_VERSION,
             s->config.rc == RAG_OK && s->config.cfg.project ? s->config.cfg.project : "-", host, ts);
    put_line(f, color, "\033[1m", head);
    fputc('\n', f);
    int name_w = 16; /* the name column fits the longest name ("service:rag_ingest_cron") */
    for (size_t i = 0; i < st->n; i++)
        if ((int)strlen(st->checks[i].name) > name_w) name_w = (int)strlen(st->checks[i].name);
    for (size_t i = 0; i < st->n; i++) {
        const rt_check *c = &st->checks[i];
        char mark[16];
        rt_fmt(mark, sizeof mark, "%-7s", rt_severity_name(c->severity));
        put_line(f, color, sev_color(c->severity), mark);
        /* the fix with the command it runs (services.yml), as the console's fix keys run it */
        char fix[256] = "";
        const rag_action *fa = status_fix_action(s, c, NULL);
        if (c->fix[0]) {
            size_t l = (size_t)snprintf(fix, sizeof fix, "  [fix: %s", c->fix);
            for (size_t k = 0; fa && k < fa->argc && l < sizeof fix; k++)
                l += (size_t)snprintf(fix + l, sizeof fix - l, "%s%s", k ? " " : ": ", fa->argv[k]);
            if (l < sizeof fix) snprintf(fix + l, sizeof fix - l, "]");
        }
        char line[768];
        rt_fmt(line, sizeof line, " %-*s %s%s", name_w, c->name, c->summary, fix);
        put_line(f, false, "", line);
        fputc('\n', f);
        char *copy = rag_xstrdup(c->details), *save = NULL;
        for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
            fprintf(f, "%*s", 7 + 1 + name_w + 1, "");
            put_line(f, false, "", ln);
            fputc('\n', f);
        }
        free(copy);
    }
    put_line(f, color, sev_color(st->overall), st->headline);
    fputc('\n', f);
}

/* The worse of two overall results in the console's order (CRIT > UNKNOWN >
 * WARN > OK), so a context that cannot be read never hides a CRIT one. */
static rt_severity worse(rt_severity a, rt_severity b)
{
    static const int rank[] = {[RT_OK] = 0, [RT_WARN] = 1, [RT_UNKNOWN] = 2, [RT_CRIT] = 3};
    return rank[b] > rank[a] ? b : a;
}

/* --once --context all: one section per context (text), or one document
 * keyed by context name (--json); the exit code is the worst. */
static int once_all(const rt_options *o, const rt_contexts *cs)
{
    const char *nc = getenv("NO_COLOR");
    bool color = !o->json && isatty(STDOUT_FILENO) && !(nc && *nc) && !o->no_color;
    rt_severity all = RT_OK;
    rt_fleet_row rows[RT_CONTEXTS_MAX];
    cJSON *doc = NULL, *by = NULL;
    if (o->json) {
        doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "schema_version", ONCE_SCHEMA_VERSION);
        by = cJSON_CreateObject();
    }
    for (size_t i = 0; i < cs->n; i++) {
        rt_snapshot s;
        snapshot_init(&s);
        rt_inputs in;
        contexts_inputs(&cs->items[i], &in);
        collect_all(&s, &in);
        int64_t now = rag_now_ms();
        rt_status st;
        status_evaluate(&s, now, &st);
        all = worse(all, st.overall);
        fleet_row_of(cs->items[i].name, cs->items[i].remote, &s, &st, now, &rows[i]);
        if (o->json) {
            cJSON_AddItemToObject(by, cs->items[i].name, once_json(&s, &st, now));
        } else {
            char head[128];
            if (i) fputc('\n', stdout);
            rt_fmt(head, sizeof head, "== context %s (%s) ==", cs->items[i].name, cs->items[i].remote ? "remote" : "local");
            put_line(stdout, color, "\033[1m", head);
            fputc('\n', stdout);
            once_render_text(stdout, &s, &st, now, color);
        }
        status_free(&st);
        snapshot_free(&s);
    }
    if (o->json) {
        cJSON_AddStringToObject(doc, "status", rt_severity_name(all));
        cJSON_AddNumberToObject(doc, "exit_code", (int)all);
        cJSON_AddItemToObject(doc, "contexts", by);
        char *js = rag_json_print(doc, true, NULL);
        cJSON_Delete(doc);
        fputs(js, stdout);
        fputc('\n', stdout);
        free(js);
    } else {
        fputc('\n', stdout);
        fleet_print(stdout, rows, cs->n);
        char tail[96];
        rt_fmt(tail, sizeof tail, "fleet: %s (%zu contexts)", rt_severity_name(all), cs->n);
        put_line(stdout, color, sev_color(all), tail);
        fputc('\n', stdout);
    }
    fflush(stdout);
    return (int)all;
}

int once_run(const rt_options *o)
{
    rt_inputs in = {.services_path = o->services_path, .config_path = o->config_path};
    rt_contexts *cs = NULL;
    if (o->context) {
        cs = rag_xcalloc(1, sizeof *cs);
        const rt_context *ctx = NULL;
        char why[700];
        if (contexts_resolve(o->context, cs, &ctx, why, sizeof why) != 0) {
            fprintf(stderr, "ragtop: --context %s: %s\n", o->context, why);
            free(cs);
            return RT_UNKNOWN;
        }
        if (!ctx) {
            int rc = once_all(o, cs);
            free(cs);
            return rc;
        }
        contexts_inputs(ctx, &in);
    }
    rt_snapshot s;
    snapshot_init(&s);
    collect_all(&s, &in);
    int64_t now = rag_now_ms();
    rt_status st;
    status_evaluate(&s, now, &st);
    if (o->json) {
        char *js = once_render_json(&s, &st, now);
        fputs(js, stdout);
        fputc('\n', stdout);
        free(js);
    } else {
        const char *nc = getenv("NO_COLOR");
        bool color = isatty(STDOUT_FILENO) && !(nc && *nc) && !o->no_color;
        once_render_text(stdout, &s, &st, now, color);
    }
    fflush(stdout);
    int rc = (int)st.overall;
    status_free(&st);
    snapshot_free(&s);
    free(cs);
    return rc;
}
