/* pane_alerts.c — the console's Alerts overlay (key A): whether ragtop
 * watch runs (the holder of its lock), firing alerts from
 * the watcher's persisted state, pending deliveries with their next retry,
 * the last deliveries, and the receivers (URLs redacted). The collector
 * thread reads the files (pane_alerts_collect); the UI thread only draws the
 * copy kept here under this module's mutex — no disk access while drawing. */
#include "pane_alerts.h"

#include <curses.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertstate.h"
#include "ui.h"
#include "rag/fsutil.h"
#include "rag/outbox.h"
#include "rag/timeutil.h"

#define MAX_FIRING 32
#define MAX_LAST 6
#define MAX_RECEIVERS 8

typedef struct alerts_view {
    bool loaded;
    char error[1100];
    bool watching;             /* ragtop watch holds watch.lock (rag_lock_peek) */
    rag_lock_holder watcher;   /* ... its pid and since when */
    bool state_seen;           /* watch-state.json exists: a watcher ran here */
    alert_entry firing[MAX_FIRING]; size_t n_firing; /* details not kept */
    rag_delivery *pending; size_t n_pending;
    rag_delivery last[MAX_LAST]; size_t n_last;      /* sent and expired, newest first */
    bool last_expired[MAX_LAST];
    char receivers[MAX_RECEIVERS][160]; size_t n_receivers;
} alerts_view;

static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static alerts_view view;

static void view_free(alerts_view *v)
{
    free(v->pending);
    memset(v, 0, sizeof *v);
}

/* Merge the newest of sent/ and expired/ into v->last, newest first. */
static void take_last(alerts_view *v, rag_delivery *sent, size_t ns, rag_delivery *exp, size_t ne)
{
    size_t i = ns, j = ne;
    while (v->n_last < MAX_LAST && (i > 0 || j > 0)) {
        bool use_sent = j == 0 || (i > 0 && sent[i - 1].done_ms >= exp[j - 1].done_ms);
        v->last_expired[v->n_last] = !use_sent;
        v->last[v->n_last++] = use_sent ? sent[--i] : exp[--j];
    }
}

void pane_alerts_collect(const rt_config_info *ci)
{
    alerts_view v;
    memset(&v, 0, sizeof v);
    if (!ci) {
        snprintf(v.error, sizeof v.error, "a remote context: the watcher's alerts are not visible through /status "
                                          "(look where ragtop watch runs, or at its receivers)");
    } else if (ci->rc != RAG_OK) {
        snprintf(v.error, sizeof v.error, "config not loaded: alerts unknown");
    } else {
        char *run = rag_config_run_dir(&ci->cfg);
        char *lock_path = rag_path_join(run, "watch.lock");
        v.watching = rag_lock_peek(lock_path, &v.watcher);
        free(lock_path);
        char *state_path = rag_path_join(run, "watch-state.json");
        alertstate st;
        alertstate_policy pol = { 1, 1, 0, true };
        alertstate_init(&st, &pol, ci->cfg.project);
        rag_error err = {0};
        int rc = alertstate_load(&st, state_path, &err);
        v.state_seen = rc != RAG_ENOENT;
        if (rc == RAG_OK) {
            for (size_t i = 0; i < st.count && v.n_firing < MAX_FIRING; i++) {
                if (st.items[i].phase != ALERT_FIRING && st.items[i].phase != ALERT_RESOLVING) continue;
                v.firing[v.n_firing] = st.items[i];
                v.firing[v.n_firing++].details = NULL;
            }
        } else if (rc != RAG_ENOENT) {
            snprintf(v.error, sizeof v.error, "%s", err.msg);
        }
        alertstate_free(&st);
        free(state_path);
        rag_outbox_list(run, "pending", &v.pending, &v.n_pending, NULL);
        rag_delivery *sent = NULL, *exp = NULL;
        size_t ns = 0, ne = 0;
        rag_outbox_list(run, "sent", &sent, &ns, NULL);
        rag_outbox_list(run, "expired", &exp, &ne, NULL);
        take_last(&v, sent, ns, exp, ne);
        free(sent);
        free(exp);
        free(run);
        for (size_t i = 0; i < ci->cfg.watch.n_receivers && i < MAX_RECEIVERS; i++) {
            const rag_receiver *r = &ci->cfg.watch.receivers[i];
            char *url = rag_receiver_url(r, NULL);
            char red[128] = "";
            if (url) rag_url_redact(url, red, sizeof red);
            else snprintf(red, sizeof red, "$%s not set", r->url_env);
            free(url);
            /* only the redacted form is ever kept for the screen */
            snprintf(v.receivers[v.n_receivers++], sizeof v.receivers[0], "%s (%s) %s", r->name, r->format, red);
        }
        v.loaded = true;
    }
    pthread_mutex_lock(&view_lock);
    view_free(&view);
    view = v;
    pthread_mutex_unlock(&view_lock);
}

static void line_firing(int y, int x, int w, const alert_entry *e, int64_t now)
{
    char age[32];
    rag_age_format(e->started_ms > 0 ? now - e->started_ms : 0, age, sizeof age);
    theme_role role = e->severity == RAG_SEVERITY_CRIT ? ROLE_FAIL : ROLE_WARN;
    ui_printf(y, x, 6, role, "%s", e->severity == RAG_SEVERITY_CRIT ? "CRIT" : "WARN");
    ui_printf(y, x + 6, w - 6, ROLE_NORMAL, "%-22s %-9s %s  %s", e->check,
              e->phase == ALERT_RESOLVING ? "resolving" : "firing", age, e->summary);
}

void pane_alerts_draw(ui *u)
{
    int h = LINES - 2, w = COLS - 4;
    rect r = { 1, 2, h, w };
    for (int y = r.y; y < r.y + r.h; y++) ui_fill(y, r.x, r.w, ROLE_NORMAL);
    ui_box(u, r, "Alerts (ragtop watch; any key closes)", true);
    int x = r.x + 2, cw = r.w - 4, y = r.y + 1, end = r.y + r.h - 1;
    int64_t now = rag_now_ms();
    pthread_mutex_lock(&view_lock);
    const alerts_view *v = &view;
    if (!v->loaded) {
        ui_text(y++, x, cw, ROLE_MUTED, v->error[0] ? v->error : "collecting...");
        pthread_mutex_unlock(&view_lock);
        return;
    }
    /* nobody watching: no alert fires, whatever is wrong — never a green "none" */
    if (v->watching) {
        char since[32];
        ui_clock(v->watcher.started_ms, since, sizeof since, true);
        ui_printf(y++, x, cw, ROLE_OK, "ragtop watch is running (pid %ld, since %s)", v->watcher.pid, since);
    } else if (v->state_seen) {
        ui_text(y++, x, cw, ROLE_FAIL, "ragtop watch is NOT running: no check is evaluated, no alert is sent; below is what it left");
    } else {
        ui_text(y++, x, cw, ROLE_FAIL, "ragtop watch has not run here (no watch-state.json): no check is evaluated, no alert is sent");
    }
    if (v->error[0] && y < end) ui_text(y++, x, cw, ROLE_WARN, v->error);
    if (y < end) ui_printf(y++, x, cw, ROLE_TITLE, "Firing (%zu)", v->n_firing);
    if (v->n_firing == 0 && y < end) ui_text(y++, x + 2, cw - 2, v->watching ? ROLE_OK : ROLE_MUTED, "none");
    for (size_t i = 0; i < v->n_firing && y < end; i++) line_firing(y++, x + 2, cw - 2, &v->firing[i], now);

    if (y + 1 < end) { y++; ui_printf(y++, x, cw, ROLE_TITLE, "Pending deliveries (%zu)", v->n_pending); }
    if (v->n_pending == 0 && y < end) ui_text(y++, x + 2, cw - 2, ROLE_OK, "none");
    for (size_t i = 0; i < v->n_pending && y < end; i++) {
        const rag_delivery *d = &v->pending[i];
        char next[32];
        int64_t in = d->next_attempt_ms - now;
        if (in <= 0) snprintf(next, sizeof next, "due now");
        else rag_duration_format(in, next, sizeof next);
        ui_printf(y++, x + 2, cw - 2, d->attempts ? ROLE_WARN : ROLE_NORMAL,
                  "%-10s %-9s %-22s attempt %d, next retry in %s%s%s", d->receiver, d->status, d->check,
                  d->attempts, next, d->last_error[0] ? ": " : "", d->last_error);
    }

    if (y + 1 < end) { y++; ui_text(y++, x, cw, ROLE_TITLE, "Last deliveries"); }
    if (v->n_last == 0 && y < end) ui_text(y++, x + 2, cw - 2, ROLE_MUTED, "none yet");
    for (size_t i = 0; i < v->n_last && y < end; i++) {
        const rag_delivery *d = &v->last[i];
        char when[32];
        ui_clock(d->done_ms, when, sizeof when, true);
        ui_printf(y++, x + 2, cw - 2, v->last_expired[i] ? ROLE_FAIL : ROLE_NORMAL, "%s %-10s %-9s %-22s %s",
                  when, d->receiver, d->status, d->check,
                  v->last_expired[i] ? "EXPIRED (not delivered)" : "delivered");
    }

    if (y + 1 < end) { y++; ui_printf(y++, x, cw, ROLE_TITLE, "Receivers (%zu)", v->n_receivers); }
    if (v->n_receivers == 0 && y < end) ui_text(y++, x + 2, cw - 2, ROLE_MUTED, "none configured (watch.receivers)");
    for (size_t i = 0; i < v->n_receivers && y < end; i++) ui_text(y++, x + 2, cw - 2, ROLE_NORMAL, v->receivers[i]);
    pthread_mutex_unlock(&view_lock);
}
