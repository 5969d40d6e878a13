/* status.c — the one status evaluation. Each rule reads the snapshot and
 * emits a check {name, severity, summary, details, fix}; the overall status
 * is the worst (CRIT > UNKNOWN > WARN > OK, the Nagios order). The console's
 * marks and colours, --once's exit code and watch's alerts all come from here. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/confighash.h"
#include "rag/golden.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

static rt_check *add(rt_status *st, const char *name, rt_severity sev, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static rt_check *add(rt_status *st, const char *name, rt_severity sev, const char *fix, const char *fmt, ...)
{
    st->checks = rag_xrealloc(st->checks, (st->n + 1) * sizeof *st->checks);
    rt_check *c = &st->checks[st->n++];
    memset(c, 0, sizeof *c);
    rt_fmt(c->name, sizeof c->name, "%s", name);
    c->severity = sev;
    rt_fmt(c->fix, sizeof c->fix, "%s", fix ? fix : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->summary, sizeof c->summary, fmt, ap);
    va_end(ap);
    return c;
}

static void detail(rt_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(rt_check *c, const char *fmt, ...)
{
    size_t l = strlen(c->details);
    if (l && l < sizeof c->details - 1) c->details[l++] = '\n', c->details[l] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->details + l, sizeof c->details - l, fmt, ap);
    va_end(ap);
}

static const rt_fix_def fix_table[] = {
    {"ingest", "run", 'i'},
    {"restart", "restart", 'r'},
    {"start", "start", 'a'},
    {"rollback", "rollback", 'b'},
};

const rt_fix_def *status_fix_def(const char *fix)
{
    for (size_t i = 0; fix && i < sizeof fix_table / sizeof *fix_table; i++)
        if (strcmp(fix_table[i].fix, fix) == 0) return &fix_table[i];
    return NULL;
}

const rag_action *status_fix_action(const rt_snapshot *s, const rt_check *c, const rag_service **svc)
{
    const rt_fix_def *f = status_fix_def(c->fix);
    if (svc) *svc = NULL;
    if (!f || s->services_rc != RAG_OK || !c->target[0]) return NULL;
    const rag_service *t = rag_services_find(&s->services, c->target);
    const rag_action *a = t ? rag_service_action(t, f->action) : NULL;
    if (a && svc) *svc = t;
    return a;
}

int status_rank(const rt_check *c)
{
    if (c->pending) return 1;
    switch (c->severity) {
    case RT_OK: return 0;
    case RT_WARN: return 2;
    case RT_UNKNOWN: return 3;
    default: return 4;
    }
}

/* Give each fix its target and keep only fixes services.yml can run: a
 * service's start/restart needs that action. An ingest is always possible
 * (rag-ingest, `make ingest`); its target is the first job with a run
 * action, none when there is no such job (the console then says so). */
static void resolve_fixes(const rt_snapshot *s, rt_status *st)
{
    const char *ingest_job = NULL;
    for (size_t i = 0; s->services_rc == RAG_OK && i < s->services.count && !ingest_job; i++)
        if (s->services.items[i].kind == RAG_SERVICE_JOB && rag_service_action(&s->services.items[i], "run"))
            ingest_job = s->services.items[i].name;
    for (size_t i = 0; i < st->n; i++) {
        rt_check *c = &st->checks[i];
        if (!c->fix[0]) continue;
        if (strcmp(c->fix, "ingest") == 0) {
            if (ingest_job) rt_fmt(c->target, sizeof c->target, "%s", ingest_job);
            continue;
        }
        if (strcmp(c->fix, "rollback") == 0) { /* always possible: rag-ingest --rollback */
            for (size_t k = 0; s->services_rc == RAG_OK && k < s->services.count && !c->target[0]; k++)
                if (rag_service_action(&s->services.items[k], "rollback"))
                    rt_fmt(c->target, sizeof c->target, "%s", s->services.items[k].name);
            continue;
        }
        if (!status_fix_action(s, c, NULL)) c->fix[0] = '\0';
    }
}

int64_t status_index_age_ms(const rt_snapshot *s, int64_t now_ms)
{
    if (s->manifest.rc != RAG_OK) return -1;
    int64_t t = s->manifest.m.checked_at_ms ? s->manifest.m.checked_at_ms : s->manifest.m.generated_at_ms;
    int64_t age = now_ms - t;
    return age < 0 ? 0 : age;
}

static void diff_cb(const char *key, const char *old_value, const char *new_value, void *ud)
{
    detail(ud, "%s %s -> %s", key, old_value, new_value);
}

static void eval_services_file(const rt_snapshot *s, rt_status *st)
{
    if (s->services_rc == RAG_OK && s->services_stale[0]) { /* the console: see services_recheck */
        rt_check *c = add(st, "services_file", RT_UNKNOWN, NULL, "services file %s", s->services_stale);
        detail(c, "still using the %zu services read before from %s; it is read again when it changes",
               s->services.count, s->services_path);
    } else if (s->services_rc == RAG_OK)
        add(st, "services_file", RT_OK, NULL, "%zu services in %s", s->services.count, s->services_path);
    else if (s->services_rc == RAG_ENOENT)
        add(st, "services_file", RT_UNKNOWN, NULL, "no services file (%s): nothing to probe",
            s->services_path[0] ? s->services_path : "services.yml");
    else
        add(st, "services_file", RT_UNKNOWN, NULL, "services file invalid: %s", s->services_error);
}

static void eval_config(const rt_snapshot *s, rt_status *st)
{
    const rt_config_info *c = &s->config;
    if (c->rc == RAG_OK) add(st, "config", RT_OK, NULL, "%s hash %.12s", c->path, c->hash);
    else if (c->rc == RAG_ENOENT) add(st, "config", RT_UNKNOWN, NULL, "%s", c->error[0] ? c->error : "no config file");
    else add(st, "config", RT_CRIT, NULL, "config invalid: %s", c->error);
}

static void eval_index(const rt_snapshot *s, int64_t now, rt_status *st)
{
    const rt_manifest_info *m = &s->manifest;
    if (m->rc != RAG_OK) {
        if (s->config.rc != RAG_OK) add(st, "index", RT_UNKNOWN, NULL, "index unknown: config not loaded");
        else add(st, "index", RT_CRIT, "ingest", "%s", m->error);
        return;
    }
    rt_check *ic = add(st, "index", RT_OK, NULL, "%s: %lld documents, %lld chunks, %lld tokens%s%s%s", m->m.generation,
                       (long long)m->m.documents, (long long)m->m.chunks, (long long)m->m.tokens,
                       m->m.rollback_from[0] ? " (rolled back from " : "", m->m.rollback_from,
                       m->m.rollback_from[0] ? ")" : "");
    if (m->m.rollback_from[0]) /* a rollback's manifest names the run that did it */
        detail(ic, "served again by rollback run %s", m->m.run_id);

    int64_t age = status_index_age_ms(s, now);
    char a[40], w[32], e[32];
    rag_ago_format(age, a, sizeof a);
    int64_t warn = s->config.rc == RAG_OK ? s->config.cfg.freshness.warn_after_ms : 0;
    int64_t err = s->config.rc == RAG_OK ? s->config.cfg.freshness.error_after_ms : 0;
    rag_age_format(warn, w, sizeof w);
    rag_age_format(err, e, sizeof e);
    const int64_t t = m->m.checked_at_ms ? m->m.checked_at_ms : m->m.generated_at_ms;
    if (t - now > RAG_CLOCK_SKEW_MAX_MS) { /* age reads 0: say why it cannot be judged */
        char ahead[32];
        rag_age_format(t - now, ahead, sizeof ahead);
        add(st, "freshness", RT_WARN, NULL,
            "index checked_at is %s in the future: this host's clock and the ingest host's disagree", ahead);
    } else if (err > 0 && age >= err)
        add(st, "freshness", RT_CRIT, "ingest", "index checked %s (error after %s)", a, e);
    else if (warn > 0 && age >= warn)
        add(st, "freshness", RT_WARN, "ingest", "index checked %s (warn after %s)", a, w);
    else
        add(st, "freshness", RT_OK, NULL, "index checked %s (warn %s, error %s)", a, w, e);
}

/* Retrieval quality of the generation on disk (the manifest's "quality",
 * measured by rag-ingest on the golden queries) against quality.min_ndcg
 * (CRIT below) and quality.warn_ndcg (WARN below) as the config says now;
 * a generation published with --force past the gate WARNs. The fix is a
 * rollback to the previous generation. Not measured is OK and says so. */
static void eval_quality(const rt_snapshot *s, rt_status *st)
{
    if (s->manifest.rc != RAG_OK) return;
    const rag_manifest *m = &s->manifest.m;
    const bool cfg_ok = s->config.rc == RAG_OK;
    if (!m->quality.present) {
        add(st, "quality", RT_OK, NULL, "not measured: no golden queries evaluated for %s (%s)", m->generation,
            cfg_ok && !s->config.cfg.quality.golden[0] ? "quality.golden is off" : "no golden file");
        return;
    }
    const double warn = cfg_ok ? s->config.cfg.quality.warn_ndcg : 0, min = cfg_ok ? s->config.cfg.quality.min_ndcg : 0;
    const double ndcg = m->quality.ndcg_at_10;
    char fig[160];
    rt_fmt(fig, sizeof fig, "nDCG@10 %.3f, recall@%d %.3f, MRR %.3f", ndcg, m->quality.k, m->quality.recall_at_k,
           m->quality.mrr);
    rt_check *c;
    switch (rag_quality_judge(ndcg, m->quality.gate, min, warn)) {
    case RAG_QUALITY_BELOW_MIN:
        c = add(st, "quality", RT_CRIT, "rollback", "%s below quality.min_ndcg %.3f", fig, min);
        break;
    case RAG_QUALITY_BELOW_WARN:
        c = add(st, "quality", RT_WARN, "rollback", "%s below quality.warn_ndcg %.3f", fig, warn);
        break;
    case RAG_QUALITY_FORCED:
        c = add(st, "quality", RT_WARN, "rollback", "%s: published with --force past the quality gate", fig);
        break;
    default:
        c = add(st, "quality", RT_OK, NULL, "%s on %lld golden queries", fig, (long long)m->quality.queries);
    }
    if (m->quality.failed > 0) {
        char ids[400] = "";
        size_t used = 0, shown = 0;
        const cJSON *q;
        cJSON_ArrayForEach(q, m->quality.failed_queries) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(q, "id");
            if (!cJSON_IsString(id)) continue;
            size_t len;
            char *clean = rag_utf8_sanitize(id->valuestring, strlen(id->valuestring), &len); /* outside input */
            if (used + len + 3 < sizeof ids)
                used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%s", shown++ ? ", " : "", clean);
            free(clean);
        }
        detail(c, "%lld of %lld golden queries fail%s%s", (long long)m->quality.failed, (long long)m->quality.queries,
               shown ? ": " : "", ids);
    }
    if (c->severity != RT_OK)
        detail(c, "roll back to the previous generation (make rollback, rag-ingest --rollback); if the golden file "
                  "is what is wrong, fix %s and ingest (rag-ingest --force publishes past the gate)",
               cfg_ok && s->config.cfg.quality.golden[0] ? s->config.cfg.quality.golden : "it");
}

static void eval_hashes(const rt_snapshot *s, rt_status *st)
{
    if (s->config.rc != RAG_OK || s->manifest.rc != RAG_OK) return;
    const char *now = s->config.hash, *disk = s->manifest.m.config_hash;
    /* after a rollback an ingest would publish what the rollback undid: no one-key fix */
    const char *rolled = s->manifest.m.rollback_from;
    if (strcmp(now, disk) != 0 && rolled[0]) {
        rt_check *c = add(st, "config_hash", RT_WARN, NULL,
                          "config changed since the served generation was built (%.8s on disk, %.8s now), and it was "
                          "rolled back from %s: revert the config, or ingest to publish with it", disk, now, rolled);
        if (s->manifest.m.config && s->config.canonical)
            rag_json_diff(s->manifest.m.config, s->config.canonical, diff_cb, c);
    } else if (strcmp(now, disk) != 0) {
        rt_check *c = add(st, "config_hash", RT_WARN, "ingest",
                          "config changed since the index was built (%.8s on disk, %.8s now): ingest", disk, now);
        if (s->manifest.m.config && s->config.canonical)
            rag_json_diff(s->manifest.m.config, s->config.canonical, diff_cb, c);
    } else {
        add(st, "config_hash", RT_OK, NULL, "index built from the current config (%.12s)", now);
    }
    for (size_t i = 0; i < s->n_probes; i++) {
        const rt_probe *p = &s->probes[i];
        if (!p->up || (!p->generation[0] && !p->config_hash[0])) continue;
        char name[80];
        rt_fmt(name, sizeof name, "served:%s", p->service);
        bool gen_differs = p->generation[0] && strcmp(p->generation, s->manifest.m.generation) != 0;
        bool hash_differs = p->config_hash[0] && strcmp(p->config_hash, now) != 0;
        if (gen_differs) {
            rt_check *c = add(st, name, RT_WARN, "restart", "%s serves %s, newest on disk is %s: restart %s",
                              p->service, p->generation, s->manifest.m.generation, p->service);
            rt_fmt(c->target, sizeof c->target, "%s", p->service);
            if (hash_differs) detail(c, "served config hash %.12s, config now %.12s", p->config_hash, now);
        } else if (hash_differs) {
            rt_check *c = add(st, name, RT_WARN, strcmp(disk, now) != 0 ? (rolled[0] ? NULL : "ingest") : "restart",
                              "%s serves an index built from config %.8s, config now %.8s", p->service, p->config_hash, now);
            if (strcmp(c->fix, "restart") == 0) rt_fmt(c->target, sizeof c->target, "%s", p->service);
        } else {
            add(st, name, RT_OK, NULL, "%s serves %s", p->service, p->generation[0] ? p->generation : "the current index");
        }
    }
}

static void eval_sources(const rt_snapshot *s, rt_status *st)
{
    const rt_sources *src = &s->sources;
    if (s->config.rc != RAG_OK || s->remote.on) return; /* /status does not show the transcripts */
    if (src->rc != RAG_OK) {
        add(st, "sources", RT_WARN, NULL, "cannot scan transcripts: %s", src->error);
        return;
    }
    int64_t pending = src->added + src->changed;
    if (src->unreadable) { /* never "all ingested" while part of the folder cannot be listed */
        rt_check *c = add(st, "sources", RT_WARN, NULL, "%lld entr%s of the transcripts folder cannot be read",
                          (long long)src->unreadable, src->unreadable == 1 ? "y" : "ies");
        detail(c, "%s", src->first_unreadable);
        detail(c, "of %lld transcripts: %lld added, %lld changed, %lld removed", (long long)src->total,
               (long long)src->added, (long long)src->changed, (long long)src->removed);
        return;
    }
    if (pending + src->removed == 0) {
        const rag_manifest *m = &s->manifest.m;
        int64_t failed = s->manifest.rc == RAG_OK ? m->errors : 0;
        if (failed == 0) {
            add(st, "sources", RT_OK, NULL, "%lld transcripts, all ingested", (long long)src->total);
            return;
        }
        /* failed files are not in the index: transient ones are retried by
         * the next run, content ones once the file changes */
        rt_check *c = add(st, "sources", RT_WARN, "ingest", "%lld transcripts, %lld failed (%lld will be retried)",
                          (long long)src->total, (long long)failed, (long long)m->failed_transient);
        if (m->failed_content)
            detail(c, "%lld failed on their content: skipped until the file changes (rag-ingest --retry-failed)",
                   (long long)m->failed_content);
        return;
    }
    rt_check *c = add(st, "sources", RT_WARN, "ingest", "%lld transcript%s not yet ingested%s",
                      (long long)pending, pending == 1 ? "" : "s",
                      src->removed ? " (and removals)" : "");
    detail(c, "%lld added, %lld changed, %lld removed of %lld", (long long)src->added,
           (long long)src->changed, (long long)src->removed, (long long)src->total);
}

/* Room on the artifacts' file system for what ingest writes next. WARN
 * when less is free than the served generation takes: a full rebuild (a
 * config change, --full) writes a whole new one beside it, and a merge
 * rewrites up to all of its segments. CRIT under RT_DISK_MIN_FREE: even a
 * small run needs room for a segment, its logs and the metrics line, and a
 * full disk fails every run. How full the disk is in percent is left to
 * the host's own monitoring (node_exporter): this answers whether the
 * next ingest fits. */
#define RT_DISK_MIN_FREE (16ULL << 20)
static void eval_disk(const rt_snapshot *s, rt_status *st)
{
    const rt_disk_info *d = &s->disk;
    if (!d->checked || s->remote.on) return;
    if (d->rc != RAG_OK) {
        add(st, "disk", RT_UNKNOWN, NULL, "cannot read the artifacts' file system: %s", d->error);
        return;
    }
    char avail[32], total[32], gen[32] = "", min[32];
    rag_size_format(d->avail_bytes, avail, sizeof avail);
    rag_size_format(d->total_bytes, total, sizeof total);
    rag_size_format(RT_DISK_MIN_FREE, min, sizeof min);
    if (d->generation_bytes >= 0) rag_size_format((uint64_t)d->generation_bytes, gen, sizeof gen);
    const double pct = d->total_bytes ? 100.0 * (double)d->avail_bytes / (double)d->total_bytes : 100.0;
    rt_check *c;
    if (d->avail_bytes < RT_DISK_MIN_FREE)
        c = add(st, "disk", RT_CRIT, NULL, "disk almost full: %s free (under %s): ingest runs are likely to fail",
                avail, min);
    else if (d->generation_bytes >= 0 && d->avail_bytes < (uint64_t)d->generation_bytes)
        c = add(st, "disk", RT_WARN, NULL,
                "%s free, less than the served generation's %s: a full rebuild (a config change, --full) would fail",
                avail, gen);
    else
        c = add(st, "disk", RT_OK, NULL, "%s free of %s (%.0f%%)", avail, total, pct);
    if (c->severity == RT_OK) return; /* a healthy status stays one line (--json has the figures) */
    detail(c, "file system of %s: %s free of %s", d->path, avail, total);
    if (gen[0]) detail(c, "the served generation takes %s (its file and segments)", gen);
    detail(c, "free space there (ingest.keep_checkpoints prunes older generations; old logs), or grow the file system");
}

/* The newest metrics line; a rollback (rag-ingest --rollback) is said as
 * one, and is not an ingest: after a rollback the newest ingest line still
 * decides whether the ingest is failing. */
static void eval_runs(const rt_snapshot *s, rt_status *st)
{
    if (s->runs_error[0]) { /* unreadable is not "none": the last run may have failed */
        add(st, "last_run", RT_WARN, NULL, "cannot read the run history: %s", s->runs_error);
        return;
    }
    if (s->n_runs == 0) {
        add(st, "last_run", RT_OK, NULL, "no ingestion runs recorded");
        return;
    }
    const rt_run *r = &s->runs[s->n_runs - 1], *ing = NULL;
    for (size_t i = s->n_runs; i-- > 0 && !ing;)
        if (!s->runs[i].rollback) ing = &s->runs[i];
    if (r->rollback && !r->ok) {
        rt_check *c = add(st, "last_run", RT_WARN, NULL, "last run %s: rollback failed, nothing changed", r->run_id);
        if (r->first_error[0]) detail(c, "%s", r->first_error);
    } else if (r->rollback && ing && !ing->ok) {
        rt_check *c = add(st, "last_run", RT_WARN, "ingest", "last ingest %s %s (%lld errors); run %s since rolled back to %s",
                          ing->run_id, ing->status, (long long)ing->errors, r->run_id, r->generation);
        if (ing->first_error[0]) detail(c, "%s", ing->first_error);
    } else if (r->rollback) {
        add(st, "last_run", RT_OK, NULL, "last run %s rolled back to %s%s%s%s", r->run_id, r->generation,
            r->rollback_from[0] ? " (was " : "", r->rollback_from, r->rollback_from[0] ? ")" : "");
    } else if (r->ok) {
        add(st, "last_run", RT_OK, NULL, "last run %s %s: %lld files, %lld chunks", r->run_id, r->status,
            (long long)r->files, (long long)r->chunks);
    } else {
        rt_check *c = add(st, "last_run", RT_WARN, "ingest", "last run %s %s (%lld errors)", r->run_id, r->status,
                          (long long)r->errors);
        if (r->first_error[0]) detail(c, "%s", r->first_error);
    }
}

/* Dead man's switch (added for watch): no successful run — recorded in the
 * metrics file (a rollback is none) or confirmed by the manifest's checked_at — within
 * watch.ingest_overdue. Silent when nothing has ever run (index covers it). */
static void eval_overdue(const rt_snapshot *s, int64_t now, rt_status *st)
{
    if (s->config.rc != RAG_OK || s->config.cfg.watch.ingest_overdue_ms <= 0) return;
    int64_t last = s->manifest.rc == RAG_OK ? s->manifest.m.checked_at_ms : 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        const rt_run *r = &s->runs[i];
        int64_t end = r->started_ms + (r->duration_ms > 0 ? r->duration_ms : 0);
        if (r->ok && !r->rollback && end > last) last = end; /* a rollback ingests nothing */
    }
    if (last <= 0) return;
    char a[32], lim[32];
    char ago[40];
    rag_age_format(now - last > 0 ? now - last : 0, a, sizeof a);
    rag_ago_format(now - last, ago, sizeof ago);
    rag_age_format(s->config.cfg.watch.ingest_overdue_ms, lim, sizeof lim);
    if (now - last > s->config.cfg.watch.ingest_overdue_ms)
        add(st, "ingest_overdue", RT_WARN, "ingest", "no successful ingest run for %s (expected within %s)", a, lim);
    else
        add(st, "ingest_overdue", RT_OK, NULL, "last successful ingest %s (expected within %s)", ago, lim);
}

/* Recent errors reported by a service's /healthz (added for watch) against
 * watch.api_error_threshold. */
static void eval_api_errors(const rt_snapshot *s, rt_status *st)
{
    if (s->config.rc != RAG_OK) return;
    int limit = s->config.cfg.watch.api_error_threshold;
    for (size_t i = 0; i < s->n_probes; i++) {
        const rt_probe *p = &s->probes[i];
        if (!p->up || p->recent_errors < 0) continue;
        char name[80];
        rt_fmt(name, sizeof name, "api_errors:%s", p->service);
        if (limit > 0 && p->recent_errors >= limit)
            add(st, name, RT_WARN, NULL, "%s: %lld recent errors (threshold %d)", p->service,
                (long long)p->recent_errors, limit);
        else
            add(st, name, RT_OK, NULL, "%s: %lld recent errors", p->service, (long long)p->recent_errors);
    }
}

/* A service without a health URL that names a pidfile: running or stopped. */
static void eval_pidfile_service(const rag_service *svc, const rt_probe *p, int64_t now, rt_status *st)
{
    char name[80];
    rt_fmt(name, sizeof name, "service:%s", svc->name);
    rt_check *c;
    if (!p || p->pid_state == RT_PID_NONE) {
        c = add(st, name, RT_UNKNOWN, NULL, "%s not checked yet", svc->name);
        c->pending = true;
    } else if (p->pid_state == RT_PID_RUNNING) {
        char ago[40];
        rag_ago_format(now - p->pid_since_ms, ago, sizeof ago);
        c = add(st, name, RT_OK, NULL, "%s running (pid %ld, started %s)", svc->name, p->pid, ago);
        if (p->pid_note[0]) detail(c, "%s", p->pid_note); /* an old-format pidfile, honoured */
    } else if (svc->optional) {
        c = add(st, name, RT_OK, "start", "%s not running (optional): %s", svc->name, p->pid_note);
    } else {
        c = add(st, name, RT_CRIT, "start", "%s stopped: %s", svc->name, p->pid_note);
    }
    rt_fmt(c->target, sizeof c->target, "%s", svc->name);
}

/* Append an instance name to a check's instances ("a,b"). */
static void add_instance(rt_check *c, const char *name)
{
    size_t l = strlen(c->instances);
    rt_fmt(c->instances + l, sizeof c->instances - l, "%s%s", l ? "," : "", name);
}

/* A replicated service: "3/3 up"; some instances down warns and names them,
 * none up is the service down (CRIT, or OK when optional). */
static void eval_replicated_service(const rag_service *svc, const rt_probe *p, rt_status *st)
{
    char name[80];
    rt_fmt(name, sizeof name, "service:%s", svc->name);
    rt_check *c;
    size_t n = p->n_inst, up = p->n_inst_up;
    if (!p->up) {
        if (svc->optional) c = add(st, name, RT_OK, "start", "%s not running (optional): %s", svc->name, p->error);
        else c = add(st, name, RT_CRIT, "start", "%s down: %s", svc->name, p->error);
        rt_fmt(c->target, sizeof c->target, "%s", svc->name);
        for (size_t i = 0; i < n; i++) add_instance(c, p->inst[i].name);
    } else if (up < n) {
        const rt_instance *d = NULL;
        for (size_t i = 0; i < n && !d; i++)
            if (!p->inst[i].up) d = &p->inst[i];
        c = add(st, name, svc->optional ? RT_OK : RT_WARN, NULL, "%s %zu/%zu up: %s down (%s)%s", svc->name, up, n,
                d->name, d->error, n - up > 1 ? " and more" : "");
        for (size_t i = 0; i < n; i++)
            if (!p->inst[i].up) {
                add_instance(c, p->inst[i].name);
                detail(c, "%s down: %s", p->inst[i].name, p->inst[i].error);
            }
    } else {
        int worst = 0; /* 0 pass, 1 warn, 2 fail */
        for (size_t i = 0; i < n; i++) {
            const rt_instance *in = &p->inst[i];
            int r = strcmp(in->status, "fail") == 0 || in->http_code >= 500 ? 2
                  : strcmp(in->status, "warn") == 0 || in->http_code >= 400 ? 1 : 0;
            if (r > worst) worst = r;
        }
        c = add(st, name, worst == 2 ? RT_CRIT : worst == 1 ? RT_WARN : RT_OK, NULL, "%s %zu/%zu up%s, %lldms",
                svc->name, up, n, worst == 2 ? ", failing" : worst == 1 ? ", warning" : "", (long long)p->latency_ms);
        for (size_t i = 0; worst && i < n; i++)
            if (strcmp(p->inst[i].status, "pass") != 0) {
                add_instance(c, p->inst[i].name);
                detail(c, "%s %s (HTTP %ld)", p->inst[i].name, p->inst[i].status, p->inst[i].http_code);
            }
    }
    if (p->n_inst_found > n)
        detail(c, "%zu more instances not probed (at most %d per service)", p->n_inst_found - n, RT_MAX_INSTANCES);
}

cJSON *status_instances_json(const rt_check *c)
{
    cJSON *a = cJSON_CreateArray();
    char *copy = rag_xstrdup(c->instances), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(a, cJSON_CreateString(t));
    free(copy);
    return a;
}

static void gen_short(const char *gen, char *out, size_t n)
{
    size_t l = strlen(gen);
    const char *ext = ".sqlite";
    if (l > 7 && strcmp(gen + l - 7, ext) == 0) l -= 7;
    rt_fmt(out, n, "%.*s", (int)l, gen);
}

static bool newer_gen(const rt_instance *a, const rt_instance *b)
{
    if (a->generated_at_ms != b->generated_at_ms) return a->generated_at_ms > b->generated_at_ms;
    return strcmp(a->generation, b->generation) > 0;
}

bool status_rollout(const rt_probe *p, rt_rollout *r)
{
    memset(r, 0, sizeof *r);
    if (!p || !p->replicated) return false;
    const rt_instance *newest = NULL, *oldest = NULL;
    for (size_t i = 0; i < p->n_inst; i++) {
        const rt_instance *in = &p->inst[i];
        if (!in->up || !in->generation[0]) continue;
        if (!newest || newer_gen(in, newest)) newest = in;
        if (!oldest || newer_gen(oldest, in)) oldest = in;
    }
    r->n_total = p->n_inst;
    if (!newest) return false;
    rt_fmt(r->target, sizeof r->target, "%s", newest->generation);
    rt_fmt(r->other, sizeof r->other, "%s", oldest->generation);
    /* the disagreement began when the last of the generations served now
     * came into service: per generation the earliest loaded_at of its
     * instances (its build time when no instance reports one) */
    for (size_t i = 0; i < p->n_inst; i++) {
        const rt_instance *in = &p->inst[i];
        if (!in->up || !in->generation[0]) continue;
        bool seen = false; /* an earlier instance serves the same generation */
        for (size_t j = 0; j < i && !seen; j++)
            seen = p->inst[j].up && strcmp(p->inst[j].generation, in->generation) == 0;
        if (strcmp(in->generation, r->target) == 0) r->n_target++;
        else r->n_other++, r->n_other_gens += !seen;
        int64_t first = 0;
        for (size_t j = 0; j < p->n_inst; j++) {
            const rt_instance *o = &p->inst[j];
            if (!o->up || strcmp(o->generation, in->generation) != 0) continue;
            int64_t t = o->loaded_at_ms ? o->loaded_at_ms : o->generated_at_ms;
            if (t && (!first || t < first)) first = t;
        }
        if (first > r->since_ms) r->since_ms = first;
    }
    if (r->n_other == 0) r->since_ms = 0;
    return true;
}

void status_rollout_text(const rt_rollout *r, int64_t now_ms, char *out, size_t n)
{
    char t[128], o[128], age[48] = "";
    gen_short(r->target, t, sizeof t);
    gen_short(r->other, o, sizeof o);
    size_t down = r->n_total - r->n_target - r->n_other;
    char rest[64] = "";
    if (down) rt_fmt(rest, sizeof rest, ", %zu not reporting", down);
    if (r->n_other == 0) {
        rt_fmt(out, n, "%zu/%zu serve %s%s", r->n_target, r->n_total, t, rest);
        return;
    }
    if (now_ms > 0) {
        char a[32];
        int64_t ms = now_ms - r->since_ms;
        if (r->since_ms > 0) {
            if (ms < 1000) rt_fmt(a, sizeof a, "<1s");
            else rag_age_format(ms, a, sizeof a);
        }
        rt_fmt(age, sizeof age, " (for %s)", r->since_ms > 0 ? a : "an unknown time");
    }
    if (r->n_other_gens > 1)
        rt_fmt(out, n, "%zu/%zu serve %s, %zu serve %zu older generations (oldest %s)%s%s", r->n_target, r->n_total, t,
               r->n_other, r->n_other_gens, o, age, rest);
    else
        rt_fmt(out, n, "%zu/%zu serve %s, %zu serve%s %s%s%s", r->n_target, r->n_total, t, r->n_other,
               r->n_other == 1 ? "s" : "", o, age, rest);
}

/* Rollout convergence of a replicated service: instances serving different
 * generations for longer than health.rollout_grace warn, naming them. */
static void eval_rollout(const rag_service *svc, const rt_probe *p, int64_t now, rt_status *st)
{
    rt_rollout r;
    if (!p || !p->probed || !status_rollout(p, &r)) return;
    char name[80], text[320], grace[32];
    rt_fmt(name, sizeof name, "rollout:%s", svc->name);
    status_rollout_text(&r, now, text, sizeof text);
    rag_age_format(svc->rollout_grace_ms, grace, sizeof grace);
    if (r.n_other == 0) {
        add(st, name, RT_OK, NULL, "%s: %s", svc->name, text);
        return;
    }
    bool over = r.since_ms <= 0 || now - r.since_ms >= svc->rollout_grace_ms;
    rt_check *c = over ? add(st, name, RT_WARN, "restart", "%s: %s, longer than the rollout grace (%s)", svc->name, text, grace)
                       : add(st, name, RT_OK, NULL, "%s rolling out: %s (grace %s)", svc->name, text, grace);
    rt_fmt(c->target, sizeof c->target, "%s", svc->name);
    for (size_t i = 0; i < p->n_inst; i++) {
        const rt_instance *in = &p->inst[i];
        if (!in->up || !in->generation[0] || strcmp(in->generation, r.target) == 0) continue;
        add_instance(c, in->name);
        char g[128];
        gen_short(in->generation, g, sizeof g);
        detail(c, "%s serves %s", in->name, g);
    }
    if (over) { /* the summary names them too: it is what every alert format shows first */
        size_t l = strlen(c->summary);
        rt_fmt(c->summary + l, sizeof c->summary - l, ": %s", c->instances);
    }
}

static void eval_service(const rag_service *svc, const rt_probe *p, int64_t now, rt_status *st)
{
    if (!svc->health_url) {
        if (svc->pidfile) eval_pidfile_service(svc, p, now, st);
        return;
    }
    char name[80];
    rt_fmt(name, sizeof name, "service:%s", svc->name);
    rt_check *c;
    if (!p || !p->probed) {
        c = add(st, name, RT_UNKNOWN, NULL, "%s %s", svc->name, p && p->probing ? "probing..." : "not probed yet");
        c->pending = p && p->probing;
        return;
    }
    if (p->replicated) {
        eval_replicated_service(svc, p, st);
        eval_rollout(svc, p, now, st);
        return;
    }
    if (!p->up) {
        /* a timeout: something holds the port but does not answer (a hung
         * process): starting does nothing for it, restarting does */
        const bool hung = strncmp(p->error, "timeout", 7) == 0 && rag_service_action(svc, "restart");
        const char *fix = hung ? "restart" : "start";
        if (svc->optional) c = add(st, name, RT_OK, fix, "%s not running (optional): %s", svc->name, p->error);
        else if (hung) c = add(st, name, RT_CRIT, fix, "%s not answering: %s", svc->name, p->error);
        else c = add(st, name, RT_CRIT, fix, "%s down: %s", svc->name, p->error);
        rt_fmt(c->target, sizeof c->target, "%s", svc->name);
        return;
    }
    if (strcmp(p->status, "fail") == 0 || p->http_code >= 500)
        c = add(st, name, RT_CRIT, NULL, "%s fail (HTTP %ld)", svc->name, p->http_code);
    else if (strcmp(p->status, "warn") == 0)
        c = add(st, name, RT_WARN, NULL, "%s warn (HTTP %ld)", svc->name, p->http_code);
    else if (p->http_code >= 400)
        c = add(st, name, RT_WARN, NULL, "%s HTTP %ld", svc->name, p->http_code);
    else
        c = add(st, name, RT_OK, NULL, "%s up, %lldms", svc->name, (long long)p->latency_ms);
    if (p->failing[0]) detail(c, "checks: %s", p->failing);
}

/* A remote context: whether /status answered. Not reachable is CRIT (like
 * a service down); reachable but not readable (401, 404, a newer schema)
 * is UNKNOWN: nothing is known about the stack. */
static void eval_remote(const rt_snapshot *s, rt_status *st)
{
    const rt_remote_info *r = &s->remote;
    if (!r->on) return;
    if (r->rc == RAG_OK) add(st, "remote", RT_OK, NULL, "read %s in %lldms", r->url, (long long)r->latency_ms);
    else add(st, "remote", r->http_code ? RT_UNKNOWN : RT_CRIT, NULL, "%s", r->error);
}

void status_evaluate(const rt_snapshot *s, int64_t now_ms, rt_status *st)
{
    memset(st, 0, sizeof *st);
    eval_remote(s, st);
    eval_services_file(s, st);
    eval_config(s, st);
    eval_index(s, now_ms, st);
    eval_quality(s, st);
    eval_hashes(s, st);
    eval_sources(s, st);
    eval_disk(s, st);
    if (!s->remote.on || s->remote.rc == RAG_OK) eval_runs(s, st); /* unread /status: runs unknown, not "none" */
    eval_overdue(s, now_ms, st);
    eval_api_errors(s, st);
    if (s->services_rc == RAG_OK)
        for (size_t i = 0; i < s->services.count; i++)
            eval_service(&s->services.items[i], i < s->n_probes ? &s->probes[i] : NULL, now_ms, st);
    resolve_fixes(s, st);

    st->overall = RT_OK;
    const rt_check *worst = NULL;
    size_t bad = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->checks[i].severity != RT_OK) bad++;
        if (status_rank(&st->checks[i]) > (worst ? status_rank(worst) : 0)) worst = &st->checks[i];
    }
    if (worst) st->overall = worst->severity;
    if (!worst) rt_fmt(st->headline, sizeof st->headline, "OK: %zu checks pass", st->n);
    else if (bad > 1)
        rt_fmt(st->headline, sizeof st->headline, "%s: %s (+%zu more)", rt_severity_name(st->overall), worst->summary, bad - 1);
    else rt_fmt(st->headline, sizeof st->headline, "%s: %s", rt_severity_name(st->overall), worst->summary);
}

void status_free(rt_status *st)
{
    free(st->checks);
    memset(st, 0, sizeof *st);
}

const rt_check *status_find(const rt_status *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->checks[i].name, name) == 0) return &st->checks[i];
    return NULL;
}
