/* detail.c — what Enter opens in the text view: a service (its entry in
 * services.yml, its state and its last /healthz answer pretty-printed), a
 * run (the metrics line, its failure and the files that failed, from
 * ingest.jsonl), the index's quality (figures, the failing golden queries,
 * the trend over the runs) and the last action's full output. Runs on the UI thread on
 * a key press, without the model lock held (each takes it to copy what it
 * needs); the run and output views read a bounded tail of one file. */
#include "ui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

typedef struct buf { char *s; size_t len; } buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *piece = NULL;
    int n = vasprintf(&piece, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    b->s = rag_xrealloc(b->s, b->len + (size_t)n + 1);
    memcpy(b->s + b->len, piece, (size_t)n + 1);
    b->len += (size_t)n;
    free(piece);
}

void detail_service(ui *u, int idx)
{
    model_lock(u->m);
    const rt_snapshot *s = &u->m->snap;
    if (s->services_rc != RAG_OK || idx < 0 || (size_t)idx >= s->services.count) {
        model_unlock(u->m);
        return;
    }
    const rag_service *svc = &s->services.items[idx];
    const rt_probe *p = (size_t)idx < s->n_probes ? &s->probes[idx] : NULL;
    buf b = {0};
    add(&b, "%s (%s%s)%s%s\n", svc->name, svc->kind == RAG_SERVICE_JOB ? "job" : "server",
        svc->optional ? ", optional" : "", svc->description[0] ? ": " : "", svc->description);
    for (size_t i = 0; i < svc->n_actions; i++) {
        char argv[512];
        action_argv_text(&svc->actions[i], argv, sizeof argv);
        add(&b, "action %-8s %s%s\n", svc->actions[i].name, argv, svc->actions[i].confirm ? "  (asks first)" : "");
    }
    if (svc->pidfile) {
        add(&b, "pidfile        %s\n", svc->pidfile);
        if (p && p->pid_state == RT_PID_RUNNING) {
            char t[32], ago[40];
            ui_clock(p->pid_since_ms, t, sizeof t, true);
            rag_ago_format(rag_now_ms() - p->pid_since_ms, ago, sizeof ago);
            add(&b, "state          running, pid %ld, since %s (%s)\n", p->pid, t, ago);
        } else if (p && p->pid_state == RT_PID_STOPPED) {
            add(&b, "state          stopped (%s)\n", p->pid_note);
        }
    }
    if (!svc->health_url) {
        add(&b, "%s\n", svc->pidfile ? "no health URL: state from the pidfile" : "no health URL and no pidfile: state unknown");
    } else {
        add(&b, "health URL     %s\n", svc->health_url);
        if (!p || !p->probed) add(&b, "not probed yet%s\n", p && p->probing ? " (probing...)" : "");
        else {
            char t[32];
            ui_clock(p->probed_at_ms, t, sizeof t, true);
            if (p->up) add(&b, "last probe     %s: HTTP %ld in %lldms\n", t, p->http_code, (long long)p->latency_ms);
            else add(&b, "last probe     %s: %s\n", t, p->error);
            if (p->replicated) {
                add(&b, "instances      %zu/%zu up%s (%s)\n", p->n_inst_up, p->n_inst,
                    p->n_inst_found > p->n_inst ? ", more not probed" : "",
                    svc->health_dns ? "every address of the URL's host" : "health.urls");
                for (size_t i = 0; i < p->n_inst; i++) {
                    const rt_instance *in = &p->inst[i];
                    if (in->up) add(&b, "  %-24s %-4s HTTP %ld %5lldms  %s\n", in->name, in->status, in->http_code,
                                    (long long)in->latency_ms, in->generation[0] ? in->generation : "-");
                    else add(&b, "  %-24s DOWN %s\n", in->name, in->error);
                }
            }
            if (p->up) {
                add(&b, "\nlast /healthz answer%s%s:\n", p->replicated ? " of an instance serving the most common generation" : "",
                    p->body_cut ? " (cut at 4 KiB)" : "");
                cJSON *j = rag_json_parse_showing_nul(p->body, strlen(p->body), NULL); /* a \u0000 shown as ␀ */
                char *pretty = j ? cJSON_Print(j) : NULL;
                add(&b, "%s\n", pretty ? pretty : p->body);
                free(pretty);
                cJSON_Delete(j);
            }
        }
    }
    char title[128];
    rt_fmt(title, sizeof title, "Service %s", svc->name);
    model_unlock(u->m);
    overlay_open_text(u, title, b.s ? b.s : "");
    free(b.s);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void detail_run(ui *u, int k)
{
    model_lock(u->m);
    const rt_snapshot *s = &u->m->snap;
    if (k < 0 || (size_t)k >= s->n_runs) {
        model_unlock(u->m);
        return;
    }
    const rt_run run = s->runs[s->n_runs - 1 - (size_t)k], *r = &run;
    char path[PATH_MAX];
    rt_fmt(path, sizeof path, "%s/ingest.jsonl", s->config.rc == RAG_OK ? s->config.logs_dir : "artifacts/logs");
    model_unlock(u->m);
    buf b = {0};
    char t[32], d[32];
    ui_clock(r->started_ms, t, sizeof t, true);
    rag_duration_format(r->duration_ms, d, sizeof d);
    add(&b, "run %s: %s\nstarted %s, took %s\n", r->run_id, r->status, t, d);
    add(&b, "%lld files, %lld chunks, %lld tokens, %lld errors\n", (long long)r->files, (long long)r->chunks,
        (long long)r->tokens, (long long)r->errors);
    add(&b, "generation %s\n", r->generation[0] ? r->generation : "(none published)");
    if (r->rollback) add(&b, "a rollback (rag-ingest --rollback)%s%s\n", r->rollback_from[0] ? ": replaced " : "", r->rollback_from);
    if (r->first_error[0]) add(&b, "\nfirst error: %s\n", r->first_error);
    /* the run's failure and failed files from the ingest log */
    rag_tail tail = {0};
    rag_error err = {0};
    size_t failed = 0;
    if (rag_tail_lines(path, 20000, 64 * 1024, 8 * 1024 * 1024, &tail, &err) == RAG_OK) {
        for (size_t i = 0; i < tail.count; i++) {
            if (!memmem(tail.lines[i].s, tail.lines[i].len, r->run_id, strlen(r->run_id))) continue;
            rag_log_entry e;
            if (!rag_log_parse_line(tail.lines[i].s, tail.lines[i].len, &e) || strcmp(e.run_id, r->run_id) != 0) {
                rag_log_entry_free(&e);
                continue;
            }
            const cJSON *pl = cJSON_GetObjectItemCaseSensitive(e.json, "payload");
            if (strcmp(e.event, "file_failed") == 0) {
                if (!failed++) add(&b, "\nfailed files:\n");
                const cJSON *line = cJSON_GetObjectItemCaseSensitive(pl, "line");
                const char *reason = jstr(pl, "reason");
                add(&b, "  %s", jstr(pl, "path") ? jstr(pl, "path") : "?");
                if (cJSON_IsNumber(line)) add(&b, ":%d", line->valueint);
                add(&b, ": %s\n", reason ? reason : (e.msg ? e.msg : ""));
            } else if (strcmp(e.event, "run_failed") == 0) {
                add(&b, "\nrun failed: %s\n", e.msg ? e.msg : "");
            }
            rag_log_entry_free(&e);
        }
        rag_tail_free(&tail);
        if (!failed && r->errors > 0) add(&b, "\n(no file_failed events of this run left in %s)\n", path);
    } else {
        add(&b, "\n(cannot read %s: %s)\n", path, err.msg);
    }
    char title[128];
    rt_fmt(title, sizeof title, "Run %s", r->run_id);
    overlay_open_text(u, title, b.s ? b.s : "");
    free(b.s);
}

void detail_quality(ui *u)
{
    model_lock(u->m);
    const rt_snapshot *s = &u->m->snap;
    const rt_check *qc = status_find(&u->st, "quality");
    buf b = {0};
    if (s->manifest.rc != RAG_OK) {
        add(&b, "no index: %s\n", s->manifest.error);
    } else if (!s->manifest.m.quality.present) {
        add(&b, "%s: not measured\n\nrag-ingest evaluates the golden queries (quality.golden in the config) before it "
                "publishes a generation; this one was published without them (no golden file).\n",
            s->manifest.m.generation);
    } else {
        const rag_manifest *m = &s->manifest.m;
        const double warn = s->config.rc == RAG_OK ? s->config.cfg.quality.warn_ndcg : 0;
        const double min = s->config.rc == RAG_OK ? s->config.cfg.quality.min_ndcg : 0;
        char t[32], lim[96] = "";
        ui_clock(m->quality.evaluated_at_ms, t, sizeof t, true);
        if (warn > 0 || min > 0)
            rt_fmt(lim, sizeof lim, "  (warn below %.3f, fail below %.3f; 0 = off)", warn, min);
        add(&b, "generation   %s\n", m->generation);
        if (qc) add(&b, "state        %s: %s\n", rt_severity_name(qc->severity), qc->summary);
        add(&b, "evaluated    %s, mode %s, golden file sha256 %.12s\n", t, m->quality.mode, m->quality.golden_sha256);
        add(&b, "gate         %s\n", m->quality.gate);
        add(&b, "nDCG@10      %.3f%s\n", m->quality.ndcg_at_10, lim);
        add(&b, "recall@%-5d %.3f\n", m->quality.k, m->quality.recall_at_k);
        add(&b, "MRR          %.3f\n", m->quality.mrr);
        add(&b, "queries      %lld, %lld failing (none of their expected sources in the top %d)\n",
            (long long)m->quality.queries, (long long)m->quality.failed, m->quality.k);
        int shown = cJSON_GetArraySize(m->quality.failed_queries);
        add(&b, "\nfailing golden queries%s:\n", shown < m->quality.failed ? " (the first ones the manifest keeps)" : "");
        if (shown == 0) add(&b, "  (none)\n");
        add(&b, "%s", shown ? "  nDCG@10  ID                 QUERY\n" : "");
        const cJSON *q;
        cJSON_ArrayForEach(q, m->quality.failed_queries) {
            const cJSON *nd = cJSON_GetObjectItemCaseSensitive(q, "ndcg_at_10");
            /* as written: the view escapes every line (ui_text), so it is shown inert */
            add(&b, "  %7.3f  %-18s %s\n", cJSON_IsNumber(nd) ? nd->valuedouble : 0.0, jstr(q, "id") ? jstr(q, "id") : "?",
                jstr(q, "query") ? jstr(q, "query") : "");
        }
        if (qc && qc->severity != RT_OK) add(&b, "\nfix: %s\n", strrchr(qc->details, '\n') ? strrchr(qc->details, '\n') + 1 : qc->details);
    }
    bool any = false;
    for (size_t i = s->n_runs; i-- > 0;) {
        const rt_run *r = &s->runs[i];
        if (!r->has_quality && !r->quality_gate[0]) continue;
        if (!any) add(&b, "\nruns, newest first:\n  %-26s %-9s %-8s %7s %7s %7s %6s\n", "RUN", "STATUS", "GATE", "nDCG@10", "RECALL", "MRR", "FAILED");
        any = true;
        if (r->has_quality)
            add(&b, "  %-26s %-9s %-8s %7.3f %7.3f %7.3f %6lld\n", r->run_id, r->status, r->quality_gate[0] ? r->quality_gate : "-",
                r->quality_ndcg, r->quality_recall, r->quality_mrr, (long long)r->quality_failed);
        else
            add(&b, "  %-26s %-9s %-8s %7s %7s %7s %6s\n", r->run_id, r->status, r->quality_gate, "-", "-", "-", "-");
    }
    model_unlock(u->m);
    overlay_open_text(u, "Quality: golden queries", b.s ? b.s : "");
    free(b.s);
}

void detail_action_output(ui *u)
{
    model_lock(u->m);
    const rt_action_state act = u->m->action, *a = &act;
    model_unlock(u->m);
    if (a->phase == RT_ACT_IDLE || !a->output_path[0]) {
        model_set_notice(u->m, "no action has run yet: nothing to show");
        return;
    }
    buf b = {0};
    add(&b, "$ %s\n", a->argv);
    rag_tail tail = {0};
    rag_error err = {0};
    int rc = rag_tail_lines(a->output_path, 2000, 64 * 1024, 1024 * 1024, &tail, &err);
    if (rc == RAG_OK) {
        for (size_t i = 0; i < tail.count; i++) add(&b, "%.*s\n", (int)tail.lines[i].len, tail.lines[i].s);
        if (!tail.count) add(&b, "(no output yet)\n");
        rag_tail_free(&tail);
    } else {
        add(&b, "(cannot read %s: %s)\n", a->output_path, err.msg);
    }
    if (a->phase == RT_ACT_DONE) add(&b, "== %s\n", a->result);
    else add(&b, "== still running\n");
    add(&b, "(full output: %s)\n", a->output_path);
    char title[160];
    rt_fmt(title, sizeof title, "Output of %s", a->label);
    overlay_open_text(u, title, b.s);
    free(b.s);
}
