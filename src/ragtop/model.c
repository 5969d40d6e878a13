/* model.c — the state model: snapshot ownership and the live, mutex-guarded
 * model the console's threads publish into. Publishing swaps a finished part
 * in under the lock (no I/O while locked) and wakes the UI via the self-pipe. */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/timeutil.h"
#include "logline.h"

const char *rt_severity_name(rt_severity s)
{
    switch (s) {
    case RT_OK: return "OK";
    case RT_WARN: return "WARN";
    case RT_CRIT: return "CRIT";
    default: return "UNKNOWN";
    }
}

void rt_fmt(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

void snapshot_init(rt_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->services_rc = RAG_ENOENT;
    s->config.rc = RAG_ENOENT;
    s->manifest.rc = RAG_ENOENT;
    s->sources.rc = RAG_ERR;
}

void config_info_free(rt_config_info *c)
{
    if (c->rc == RAG_OK) rag_config_free(&c->cfg);
    if (c->canonical) cJSON_Delete(c->canonical);
    memset(c, 0, sizeof *c);
    c->rc = RAG_ENOENT;
}

void manifest_info_free(rt_manifest_info *m)
{
    if (m->rc == RAG_OK) rag_manifest_free(&m->m);
    memset(m, 0, sizeof *m);
    m->rc = RAG_ENOENT;
}

void snapshot_free(rt_snapshot *s)
{
    if (s->services_rc == RAG_OK) rag_services_free(&s->services);
    config_info_free(&s->config);
    manifest_info_free(&s->manifest);
    free(s->probes);
    snapshot_init(s);
}

int model_init(rt_model *m)
{
    memset(m, 0, sizeof *m);
    snapshot_init(&m->snap);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return RAG_ERR;
    m->wake_rd = fds[0];
    m->wake_wr = fds[1];
    pthread_mutex_init(&m->lock, NULL);
    m->action.exit_status = 0;
    m->log_source_w = 10;
    model_set_ring_size(m, RT_LOG_RING);
    return RAG_OK;
}

void model_destroy(rt_model *m)
{
    snapshot_free(&m->snap);
    for (size_t i = 0; i < m->n_retired; i++) rag_services_free(&m->retired[i]);
    free(m->retired);
    free(m->hist);
    for (size_t i = 0; i < m->ring_cap; i++) {
        free(m->ring[i].raw);
        free(m->ring[i].text);
    }
    free(m->ring);
    for (size_t i = 0; i < m->n_log_sources; i++) free(m->log_sources[i]);
    free(m->log_sources);
    close(m->wake_rd);
    close(m->wake_wr);
    pthread_mutex_destroy(&m->lock);
}

int model_log_source(rt_model *m, const char *label)
{
    for (size_t i = 0; i < m->n_log_sources; i++)
        if (strcmp(m->log_sources[i], label) == 0) return (int)i;
    m->log_sources = rag_xrealloc(m->log_sources, (m->n_log_sources + 1) * sizeof *m->log_sources);
    m->log_sources[m->n_log_sources++] = rag_xstrdup(label);
    model_log_source_width(m);
    return (int)m->n_log_sources - 1;
}

void model_log_source_width(rt_model *m)
{
    int w = 6;
    for (size_t i = 0; i < m->n_log_sources; i++) {
        int len = (int)strlen(m->log_sources[i]);
        if (len > w) w = len;
    }
    m->log_source_w = w > 16 ? 16 : w;
}

void model_publish_remote(rt_model *m, const rt_remote_info *in)
{
    model_lock(m);
    m->snap.remote = *in;
    m->version++;
    model_unlock(m);
    model_wake(m);
}

void model_reset_stack(rt_model *m)
{
    model_lock(m);
    if (m->snap.services_rc == RAG_OK) { /* other threads may still point into it */
        m->retired = rag_xrealloc(m->retired, (m->n_retired + 1) * sizeof *m->retired);
        m->retired[m->n_retired++] = m->snap.services;
        m->snap.services_rc = RAG_ENOENT;
    }
    snapshot_free(&m->snap);
    free(m->hist);
    m->hist = NULL;
    m->n_hist = 0;
    for (size_t i = 0; i < m->ring_cap; i++) {
        free(m->ring[i].raw);
        free(m->ring[i].text);
        m->ring[i].raw = m->ring[i].text = NULL;
    }
    m->log_oldest = m->log_seq + 1; /* seq numbers keep growing: caches stay valid */
    m->log_bytes = 0;
    m->log_lines_total = m->log_malformed = 0;
    for (size_t i = 0; i < m->n_log_sources; i++) free(m->log_sources[i]);
    free(m->log_sources);
    m->log_sources = NULL;
    m->n_log_sources = 0;
    m->log_source_w = 10;
    memset(&m->action, 0, sizeof m->action);
    m->version++;
    model_unlock(m);
    model_wake(m);
}

void model_lock(rt_model *m) { pthread_mutex_lock(&m->lock); }
void model_unlock(rt_model *m) { pthread_mutex_unlock(&m->lock); }

void model_wake(rt_model *m)
{
    char c = 1;
    ssize_t r = write(m->wake_wr, &c, 1);
    (void)r; /* EAGAIN: the UI has wake-ups pending already */
}

void model_drain(rt_model *m)
{
    char buf[256];
    while (read(m->wake_rd, buf, sizeof buf) > 0) {
    }
}

void model_publish_config(rt_model *m, rt_config_info *in)
{
    rt_config_info old;
    model_lock(m);
    old = m->snap.config;
    m->snap.config = *in;
    m->version++;
    model_unlock(m);
    memset(in, 0, sizeof *in);
    in->rc = RAG_ENOENT;
    config_info_free(&old);
    model_wake(m);
}

void model_publish_manifest(rt_model *m, rt_manifest_info *in)
{
    rt_manifest_info old;
    model_lock(m);
    old = m->snap.manifest;
    m->snap.manifest = *in;
    m->version++;
    model_unlock(m);
    memset(in, 0, sizeof *in);
    in->rc = RAG_ENOENT;
    manifest_info_free(&old);
    model_wake(m);
}

void model_publish_runs(rt_model *m, const rt_run *runs, size_t n, const char *error)
{
    if (n > RT_MAX_RUNS) n = RT_MAX_RUNS;
    model_lock(m);
    memcpy(m->snap.runs, runs, n * sizeof *runs);
    m->snap.n_runs = n;
    snprintf(m->snap.runs_error, sizeof m->snap.runs_error, "%s", error ? error : "");
    m->version++;
    model_unlock(m);
    model_wake(m);
}

void model_publish_sources(rt_model *m, const rt_sources *in)
{
    model_lock(m);
    m->snap.sources = *in;
    m->version++;
    model_unlock(m);
    model_wake(m);
}

void model_publish_disk(rt_model *m, const rt_disk_info *in)
{
    model_lock(m);
    m->snap.disk = *in;
    m->version++;
    model_unlock(m);
    model_wake(m);
}

/* Under the lock, before in replaces the registry: every service's last
 * probe and history (sparkline, last change) follow it by name to its row
 * in in; a new service starts with none. Kept by row, a reordered
 * services.yml showed one service's probes on another's row. */
static void follow_by_name(rt_model *m, const rag_services *in)
{
    const rag_services *old = &m->snap.services;
    const bool had = m->snap.services_rc == RAG_OK;
    size_t n = in->count;
    rt_probe *probes = rag_xcalloc(n ? n : 1, sizeof *probes);
    rt_service_hist *hist = rag_xcalloc(n ? n : 1, sizeof *hist);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; had && j < old->count; j++) {
            if (strcmp(old->items[j].name, in->items[i].name) != 0) continue;
            if (j < m->snap.n_probes) probes[i] = m->snap.probes[j];
            if (j < m->n_hist) hist[i] = m->hist[j];
            break;
        }
    free(m->snap.probes);
    m->snap.probes = probes;
    m->snap.n_probes = n;
    free(m->hist);
    m->hist = hist;
    m->n_hist = n;
}

void model_publish_services(rt_model *m, rag_services *in)
{
    model_lock(m);
    follow_by_name(m, in);
    if (m->snap.services_rc == RAG_OK) {
        m->retired = rag_xrealloc(m->retired, (m->n_retired + 1) * sizeof *m->retired);
        m->retired[m->n_retired++] = m->snap.services;
    }
    m->snap.services = *in;
    m->snap.services_rc = RAG_OK;
    m->snap.services_error[0] = '\0';
    m->snap.services_stale[0] = '\0';
    m->services_gen++;
    m->version++;
    model_unlock(m);
    memset(in, 0, sizeof *in);
    model_wake(m);
}

bool model_services_unloadable(rt_model *m, int rc, const char *why)
{
    model_lock(m);
    const bool kept = m->snap.services_rc == RAG_OK;
    if (kept) {
        rt_fmt(m->snap.services_stale, sizeof m->snap.services_stale, "%s: %s",
               rc == RAG_ENOENT ? "gone" : "invalid", why);
    } else {
        m->snap.services_rc = rc == RAG_ENOENT ? RAG_ENOENT : RAG_ERR;
        rt_fmt(m->snap.services_error, sizeof m->snap.services_error, "%s", why);
    }
    m->version++;
    model_unlock(m);
    model_wake(m);
    return kept;
}

void model_publish_probes(rt_model *m, const rt_probe *probes, size_t n)
{
    int64_t now = rag_now_ms();
    model_lock(m);
    const rag_services *svcs = m->snap.services_rc == RAG_OK ? &m->snap.services : NULL;
    if (svcs && n != svcs->count) { /* a prober of a registry replaced meanwhile */
        model_unlock(m);
        return;
    }
    if (m->snap.n_probes != n) {
        free(m->snap.probes);
        m->snap.probes = rag_xcalloc(n ? n : 1, sizeof *probes);
        m->snap.n_probes = n;
    }
    if (m->n_hist != n) {
        free(m->hist);
        m->hist = rag_xcalloc(n ? n : 1, sizeof *m->hist);
        m->n_hist = n;
    }
    for (size_t i = 0; i < n; i++) {
        const rt_probe *p = &probes[i];
        if (svcs && p->service[0] && strcmp(p->service, svcs->items[i].name) != 0)
            continue; /* ... or its rows in another order: not this row's */
        bool changed = p->probed_at_ms != m->snap.probes[i].probed_at_ms;
        m->snap.probes[i] = *p;
        if (!p->probed || !changed) continue;
        rt_service_hist *h = &m->hist[i];
        int64_t v = p->up ? p->latency_ms : -1;
        if (h->n == RT_SPARK_LEN) {
            memmove(h->latency, h->latency + 1, (RT_SPARK_LEN - 1) * sizeof h->latency[0]);
            h->n--;
        }
        h->latency[h->n++] = v;
        if (!h->have_last || h->last_up != p->up) {
            h->changed_at_ms = now;
            h->last_up = p->up;
            h->have_last = true;
        }
    }
    m->version++;
    model_unlock(m);
    model_wake(m);
}

void model_set_ring_size(rt_model *m, size_t lines)
{
    if (lines < RT_LOG_RING_MIN) lines = RT_LOG_RING_MIN;
    if (lines > RT_LOG_RING_MAX) lines = RT_LOG_RING_MAX;
    if (m->log_seq) return;
    free(m->ring);
    m->ring = rag_xcalloc(lines, sizeof *m->ring);
    m->ring_cap = lines;
    /* room for lines of ~400 bytes (raw + shown), at least RT_LOG_BYTES_MAX */
    m->log_bytes_max = lines * 400 > RT_LOG_BYTES_MAX ? lines * 400 : RT_LOG_BYTES_MAX;
}

uint64_t model_log_kept(const rt_model *m)
{
    return m->log_seq && m->log_oldest <= m->log_seq ? m->log_seq - m->log_oldest + 1 : 0;
}

void model_log_append(rt_model *m, int source, const char *line, size_t len)
{
    if (len > RT_LOG_LINE_MAX) len = RT_LOG_LINE_MAX;
    rag_log_entry e;
    bool ok = rag_log_parse_line(line, len, &e);
    char *raw = e.raw; /* the whole line, a NUL in it shown as ␀ */
    e.raw = NULL;
    int level = ok ? (int)e.level : -1;
    int64_t ts = ok ? e.ts_ms : 0;

    /* progress of a running ingest, from its batch_done events */
    int64_t done = -1, total = -1;
    if (ok && strcmp(e.event, "batch_done") == 0 && e.json) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e.json, "payload");
        if (!p) p = e.json;
        static const char *done_keys[] = {"files_done", "done", "batch", "batches_done", "files_processed"};
        static const char *total_keys[] = {"files_total", "total", "batches", "batches_total", "files_seen"};
        for (size_t i = 0; i < sizeof done_keys / sizeof *done_keys && done < 0; i++) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, done_keys[i]);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, total_keys[i]);
            if (cJSON_IsNumber(d) && cJSON_IsNumber(t)) {
                done = rag_clamp_i64(d->valuedouble, 0, RAG_EXACT_INT);
                total = rag_clamp_i64(t->valuedouble, 0, RAG_EXACT_INT);
            }
        }
    }
    rag_log_entry_free(&e);
    /* the shown form, once per line (filters and search run on it); the
     * labels do not change while a follower runs */
    const char *label = source >= 0 && (size_t)source < m->n_log_sources ? m->log_sources[source] : "?";
    char shown[RT_LOG_LINE_MAX * 2];
    size_t tlen = logline_format_w(line, len, label, m->log_source_w, shown, sizeof shown);
    char *text = rag_xmalloc(tlen + 1);
    memcpy(text, shown, tlen + 1);
    size_t bytes = strlen(raw) + 1 + tlen + 1;

    model_lock(m);
    uint64_t seq = ++m->log_seq;
    if (m->log_oldest == 0) m->log_oldest = 1;
    rt_log_line *slot = &m->ring[seq % m->ring_cap];
    char *old_raw = slot->raw, *old_text = slot->text;
    if (old_raw) {
        m->log_bytes -= strlen(old_raw) + 1 + (old_text ? strlen(old_text) + 1 : 0);
        if (m->log_oldest <= slot->seq) m->log_oldest = slot->seq + 1;
    }
    m->log_bytes += bytes;
    /* byte budget: drop the oldest lines (freed here, under the lock, in
     * memory only) until the new one fits */
    char *drop[128];
    size_t ndrop = 0;
    while (m->log_bytes > m->log_bytes_max && m->log_oldest < seq && ndrop < 128) {
        rt_log_line *o = &m->ring[m->log_oldest % m->ring_cap];
        if (o->raw && o->seq == m->log_oldest) {
            m->log_bytes -= strlen(o->raw) + 1 + (o->text ? strlen(o->text) + 1 : 0);
            drop[ndrop++] = o->raw;
            drop[ndrop++] = o->text;
            o->raw = o->text = NULL;
        }
        m->log_oldest++;
    }
    slot->seq = seq;
    slot->source = source;
    slot->level = level;
    slot->ts_ms = ts;
    slot->raw = raw;
    slot->text = text;
    slot->fgen = slot->sgen = 0;
    m->log_lines_total++;
    if (level < 0) m->log_malformed++;
    if (done >= 0 && m->action.phase == RT_ACT_RUNNING) {
        m->action.done = done;
        m->action.total = total;
        m->action.progress_at_ms = rag_mono_ms();
    }
    model_unlock(m);
    free(old_raw);
    free(old_text);
    for (size_t i = 0; i < ndrop; i++) free(drop[i]);
}

void model_set_notice(rt_model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    model_lock(m);
    vsnprintf(m->notice, sizeof m->notice, fmt, ap);
    m->version++;
    model_unlock(m);
    va_end(ap);
    model_wake(m);
}
