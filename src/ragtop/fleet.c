/* fleet.c — the fleet overview rows (see fleet.h): the evaluation of each
 * context reduced to verdict, worst check, served generation and age, the
 * text table of `--once --context all`, and the console's worker thread
 * that keeps the rows fresh while the Contexts overlay is open. */
#include "fleet.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "rag/timeutil.h"

void fleet_row_of(const char *name, bool remote, const rt_snapshot *s, const rt_status *st, int64_t now_ms,
                  rt_fleet_row *row)
{
    memset(row, 0, sizeof *row);
    rt_fmt(row->name, sizeof row->name, "%s", name);
    row->remote = remote;
    row->done = true;
    row->overall = st->overall;
    const rt_check *worst = NULL;
    for (size_t i = 0; i < st->n; i++)
        if (status_rank(&st->checks[i]) > (worst ? status_rank(worst) : 0)) worst = &st->checks[i];
    if (worst) {
        rt_fmt(row->worst, sizeof row->worst, "%s", worst->name);
        rt_fmt(row->worst_summary, sizeof row->worst_summary, "%s", worst->summary);
    }
    for (size_t i = 0; i < s->n_probes && !row->generation[0]; i++)
        if (s->probes[i].up && s->probes[i].generation[0])
            rt_fmt(row->generation, sizeof row->generation, "%s", s->probes[i].generation);
    if (!row->generation[0] && s->manifest.rc == RAG_OK)
        rt_fmt(row->generation, sizeof row->generation, "%s", s->manifest.m.generation);
    row->age_ms = status_index_age_ms(s, now_ms);
}

void fleet_print(FILE *f, const rt_fleet_row *rows, size_t n)
{
    fprintf(f, "%-16s %-6s %-7s %-22s %-40s %s\n", "CONTEXT", "KIND", "STATUS", "WORST CHECK", "GENERATION", "AGE");
    for (size_t i = 0; i < n; i++) {
        const rt_fleet_row *r = &rows[i];
        char age[40] = "-";
        if (r->age_ms >= 0) rag_age_format(r->age_ms, age, sizeof age);
        char line[512];
        rt_fmt(line, sizeof line, "%-16s %-6s %-7s %-22s %-40s %s", r->name, r->remote ? "remote" : "local",
               rt_severity_name(r->overall), r->worst[0] ? r->worst : "-", r->generation[0] ? r->generation : "-", age);
        char *safe = escape_dup(line);
        fprintf(f, "%s\n", safe);
        free(safe);
    }
}

struct fleet {
    rt_model *m;
    rt_contexts cs;
    int64_t interval_ms;
    pthread_mutex_t mu;
    rt_fleet_row rows[RT_CONTEXTS_MAX];
    int stop_rd, stop_wr;
    pthread_t tid;
    bool have_tid;
    int active;                /* atomic: evaluate (the overlay is open) or idle */
};

static void *fleet_main(void *arg)
{
    fleet *f = arg;
    for (;;) {
        if (!__atomic_load_n(&f->active, __ATOMIC_RELAXED)) {
            struct pollfd p = {f->stop_rd, POLLIN, 0};
            if (poll(&p, 1, 100) > 0) return NULL;
            continue;
        }
        int64_t t0 = rag_mono_ms();
        for (size_t i = 0; i < f->cs.n; i++) {
            rt_snapshot s;
            snapshot_init(&s);
            rt_inputs in;
            contexts_inputs(&f->cs.items[i], &in);
            collect_all(&s, &in);
            rt_status st;
            int64_t now = rag_now_ms();
            status_evaluate(&s, now, &st);
            rt_fleet_row row;
            fleet_row_of(f->cs.items[i].name, f->cs.items[i].remote, &s, &st, now, &row);
            status_free(&st);
            snapshot_free(&s);
            pthread_mutex_lock(&f->mu);
            f->rows[i] = row;
            pthread_mutex_unlock(&f->mu);
            model_lock(f->m);
            f->m->version++;
            model_unlock(f->m);
            model_wake(f->m);
            struct pollfd p = {f->stop_rd, POLLIN, 0};
            if (poll(&p, 1, 0) > 0) return NULL;
        }
        /* the next round after the interval, in steps so a pause is seen */
        for (int64_t left; (left = t0 + f->interval_ms - rag_mono_ms()) > 0 &&
                           __atomic_load_n(&f->active, __ATOMIC_RELAXED);) {
            struct pollfd p = {f->stop_rd, POLLIN, 0};
            if (poll(&p, 1, left > 100 ? 100 : (int)left) > 0) return NULL;
        }
    }
}

fleet *fleet_start(rt_model *m, const rt_contexts *cs, int64_t interval_ms)
{
    fleet *f = rag_xcalloc(1, sizeof *f);
    f->m = m;
    f->cs = *cs;
    f->interval_ms = interval_ms < 1000 ? 1000 : interval_ms;
    f->active = 1;
    pthread_mutex_init(&f->mu, NULL);
    for (size_t i = 0; i < cs->n; i++) {
        rt_fmt(f->rows[i].name, sizeof f->rows[i].name, "%s", cs->items[i].name);
        f->rows[i].remote = cs->items[i].remote;
        f->rows[i].age_ms = -1;
    }
    int fds[2];
    if (pipe(fds) != 0) return f; /* no thread: rows stay "checking" */
    f->stop_rd = fds[0];
    f->stop_wr = fds[1];
    f->have_tid = pthread_create(&f->tid, NULL, fleet_main, f) == 0;
    return f;
}

bool fleet_same(const fleet *f, const rt_contexts *cs)
{
    if (f->cs.n != cs->n) return false;
    return memcmp(f->cs.items, cs->items, cs->n * sizeof *cs->items) == 0;
}

void fleet_set_active(fleet *f, bool on) { __atomic_store_n(&f->active, on ? 1 : 0, __ATOMIC_RELAXED); }

size_t fleet_rows(fleet *f, rt_fleet_row *out, size_t max)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->cs.n < max ? f->cs.n : max;
    memcpy(out, f->rows, n * sizeof *out);
    pthread_mutex_unlock(&f->mu);
    return n;
}

void fleet_stop(fleet *f)
{
    if (!f) return;
    if (f->have_tid) {
        char b = 1;
        ssize_t w = write(f->stop_wr, &b, 1);
        (void)w;
        pthread_join(f->tid, NULL);
    }
    if (f->have_tid || f->stop_wr) {
        close(f->stop_rd);
        close(f->stop_wr);
    }
    pthread_mutex_destroy(&f->mu);
    free(f);
}
