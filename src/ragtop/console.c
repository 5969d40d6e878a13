/* console.c — the interactive console: setup, worker threads, the UI loop.
 * The UI thread is the only one calling ncurses. It poll()s the terminal,
 * the model's wake pipe and its clock; collectors (config, manifest, runs,
 * sources), the prober, the log follower and action workers run in their
 * own threads and publish into the model. Signals only set flags: the loop
 * restores the terminal, stops the threads and the running actions. */
#include "console.h"

#include <curses.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "collect.h"
#include "contexts.h"
#include "escape.h"
#include "fleet.h"
#include "keys.h"
#include "logfollow.h"
#include "pane_alerts.h"
#include "probe.h"
#include "settings.h"
#include "theme.h"
#include "ui.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"
#include "rag/yamldoc.h"

#define CTRL_KEY(c) ((c) & 0x1f)

static volatile sig_atomic_t got_quit_signal;

static void on_signal(int sig) { got_quit_signal = sig; }

typedef struct workers {
    rt_model *m;
    char services_path[PATH_MAX];
    struct stat services_stat; /* services.yml when last read (collector thread; zero: none was there) */
    char config_path[PATH_MAX];
    int64_t interval_ms;   /* atomic */
    int stop_rd, stop_wr;  /* never read: readable = stop */
    int kick_rd, kick_wr;  /* collect now */
    pthread_t collector;
    bool have_collector;
    /* settings.yaml: the UI hands a copy over (model lock), the collector
     * writes it (an fsync'ed atomic write must not stall a key press) */
    char settings_file[PATH_MAX];
    rt_settings settings_pending;
    bool settings_dirty;
    /* probers: one thread per service of probe_svcs, so a hung URL delays
     * only itself; restarted when services.yml is re-read */
    rag_services probe_svcs;   /* shallow copy: replaced registries stay alive until exit */
    pthread_mutex_t probe_mu;
    pthread_cond_t probe_cv;   /* kicks and stop */
    uint64_t probe_kicks;      /* bumped by prober_kick: probe every service now */
    int probe_stop;            /* set under probe_mu, read atomically by probe_run_stoppable */
    rt_probe *probes;          /* the latest result of each service (under probe_mu) */
    pthread_t *probers; bool *have_prober;
    /* a remote context: the collector reads everything from <url>/status */
    bool remote;
    char remote_url[512];
    char token_env[64];
    char *remote_last;         /* the newest log event appended (collector thread) */
} workers;

static int64_t interval_of(workers *w) { return __atomic_load_n(&w->interval_ms, __ATOMIC_RELAXED); }

/* Wait for interval, a stop or (when kick_fd >= 0) a kick. false = stop. */
static bool wait_next(workers *w, int64_t since, int kick_fd)
{
    for (;;) {
        int64_t left = since + interval_of(w) - rag_mono_ms();
        if (left <= 0) return true;
        struct pollfd p[2] = {{w->stop_rd, POLLIN, 0}, {kick_fd, POLLIN, 0}};
        int r = poll(p, kick_fd >= 0 ? 2 : 1, (int)(left > 1000 ? 1000 : left));
        if (r > 0 && p[0].revents) return false;
        if (r > 0 && kick_fd >= 0 && p[1].revents) {
            char buf[64];
            while (read(kick_fd, buf, sizeof buf) > 0) {
            }
            return true;
        }
    }
}

/* The registry as it is now (a shallow copy: replaced registries stay
 * alive until exit, so its pointers stay valid). */
static rag_services services_now(rt_model *m)
{
    static const rag_services empty;
    model_lock(m);
    rag_services s = m->snap.services_rc == RAG_OK ? m->snap.services : empty;
    model_unlock(m);
    return s;
}

/* Re-read services.yml when it appeared or its inode, size or mtime
 * changed (last: as stack_open read it, then as re-read). A file that is
 * gone or broken keeps the registry loaded before (still probed, still
 * acted on) and the snapshot says so: the services_file check is what the
 * file on disk is, as `ragtop --once` would report it. */
static void services_recheck(workers *w, struct stat *last)
{
    struct stat st;
    if (stat(w->services_path, &st) != 0) {
        if (last->st_ino == 0) return; /* was not there either: said already */
        const int e = errno;
        memset(last, 0, sizeof *last); /* whatever comes back is read */
        char why[PATH_MAX + 64];
        rt_fmt(why, sizeof why, "%s: %s", w->services_path, strerror(e));
        if (model_services_unloadable(w->m, e == ENOENT ? RAG_ENOENT : RAG_ERR, why))
            model_set_notice(w->m, "services.yml is gone: still using the one read before (%s)", why);
        else model_set_notice(w->m, "services.yml is gone (%s)", why);
        return;
    }
    bool same = st.st_ino == last->st_ino && st.st_size == last->st_size &&
                st.st_mtim.tv_sec == last->st_mtim.tv_sec && st.st_mtim.tv_nsec == last->st_mtim.tv_nsec;
    if (same) return;
    *last = st;
    rt_snapshot tmp;
    snapshot_init(&tmp);
    collect_services(&tmp, w->services_path);
    if (tmp.services_rc == RAG_OK) {
        size_t n = tmp.services.count;
        model_publish_services(w->m, &tmp.services);
        tmp.services_rc = RAG_ENOENT;
        model_set_notice(w->m, "services.yml changed: re-read, %zu services", n);
    } else {
        if (model_services_unloadable(w->m, tmp.services_rc, tmp.services_error))
            model_set_notice(w->m, "services.yml changed but is not valid: still using the one read before (%s)",
                             tmp.services_error);
        else model_set_notice(w->m, "services.yml changed but is not valid (%s)", tmp.services_error);
    }
    snapshot_free(&tmp);
}

/* Write settings.yaml when the UI changed a setting (collector thread, and
 * once more at exit). */
static void settings_flush(workers *w)
{
    model_lock(w->m);
    bool dirty = w->settings_dirty;
    rt_settings st = w->settings_pending;
    w->settings_dirty = false;
    model_unlock(w->m);
    char why[300];
    if (dirty && settings_save(w->settings_file, &st, why, sizeof why) != 0)
        model_set_notice(w->m, "settings not saved: %s", why);
}

/* Append the log events of a /status answer that are newer than the last
 * one appended (all of them when it is no longer in the answer). */
static void remote_logs_publish(workers *w, rt_remote_logs *lg)
{
    size_t start = 0;
    for (size_t i = lg->n; w->remote_last && i-- > 0;)
        if (strcmp(lg->lines[i], w->remote_last) == 0) { start = i + 1; break; }
    if (start >= lg->n) return;
    for (size_t i = start; i < lg->n; i++) {
        model_lock(w->m);
        int src = model_log_source(w->m, lg->sources[i]);
        model_unlock(w->m);
        model_log_append(w->m, src, lg->lines[i], strlen(lg->lines[i]));
    }
    free(w->remote_last);
    w->remote_last = rag_xstrdup(lg->lines[lg->n - 1]);
    model_wake(w->m);
}

/* One pass of a remote context: GET /status, publish every part. */
static void remote_collect(workers *w)
{
    rt_snapshot s;
    snapshot_init(&s);
    rt_remote_logs lg = {0};
    collect_remote(&s, w->remote_url, w->token_env[0] ? w->token_env : NULL, &lg);
    model_publish_sources(w->m, &s.sources);
    model_publish_runs(w->m, s.runs, s.n_runs, s.runs_error);
    model_publish_manifest(w->m, &s.manifest);
    model_publish_config(w->m, &s.config);
    model_publish_probes(w->m, s.probes, s.n_probes);
    model_publish_remote(w->m, &s.remote);
    remote_logs_publish(w, &lg);
    collect_remote_logs_free(&lg);
    pane_alerts_collect(NULL);
    snapshot_free(&s);
}

static void *collector_main(void *arg)
{
    workers *w = arg;
    static rt_run runs[RT_MAX_RUNS];
    for (;;) {
        int64_t t0 = rag_mono_ms();
        settings_flush(w);
        if (w->remote) {
            remote_collect(w);
            if (!wait_next(w, t0, w->kick_rd)) break;
            continue;
        }
        services_recheck(w, &w->services_stat);
        rag_services svcs = services_now(w->m);
        rt_config_info ci;
        collect_config(&ci, w->config_path);
        rt_manifest_info mi;
        collect_manifest(&mi, &ci);
        rt_sources src;
        collect_sources(&src, &ci, &mi);
        rt_disk_info disk;
        collect_disk(&disk, &ci, &mi);
        char rpath[PATH_MAX];
        collect_runs_path(&svcs, &ci, rpath);
        char runs_error[256];
        size_t n = collect_runs(rpath, runs, RT_MAX_RUNS, runs_error, sizeof runs_error);
        pane_alerts_collect(&ci);
        model_publish_sources(w->m, &src);
        model_publish_disk(w->m, &disk);
        model_publish_runs(w->m, runs, n, runs_error);
        model_publish_manifest(w->m, &mi);
        model_publish_config(w->m, &ci);
        if (!wait_next(w, t0, w->kick_rd)) break;
    }
    return NULL;
}

typedef struct prober_arg { workers *w; size_t idx; } prober_arg;

/* One service's prober: probe it on its own health.interval from
 * services.yml (the console's refresh interval when it has none; pidfile
 * services on the refresh interval), publish each result as soon as it
 * arrives, and probe again at once on a kick (after every action). While
 * its first probe is in flight the service reads "probing" (status.c keeps
 * that from hiding known problems). One thread per service: a hung health
 * URL delays nobody else's results, nor the re-probe after an action. */
static void *prober_main(void *arg)
{
    prober_arg *pa = arg;
    workers *w = pa->w;
    size_t n = w->probe_svcs.count, i = pa->idx;
    const rag_service *svc = &w->probe_svcs.items[i];
    rt_probe *fresh = rag_xcalloc(n, sizeof *fresh);
    bool *due = rag_xcalloc(n, sizeof *due);
    due[i] = true;
    pthread_mutex_lock(&w->probe_mu);
    if (svc->health_url) {
        rt_fmt(w->probes[i].service, sizeof w->probes[i].service, "%s", svc->name);
        w->probes[i].probing = true;
        model_publish_probes(w->m, w->probes, n);
    }
    while (!w->probe_stop) {
        pthread_mutex_unlock(&w->probe_mu);
        probe_run_stoppable(&w->probe_svcs, due, fresh, &w->probe_stop);
        pthread_mutex_lock(&w->probe_mu);
        w->probes[i] = fresh[i];
        model_publish_probes(w->m, w->probes, n);
        int64_t since = rag_mono_ms();
        uint64_t seen = w->probe_kicks;
        while (!w->probe_stop && w->probe_kicks == seen) {
            /* re-read each time: + and - change the refresh interval */
            int64_t iv = svc->health_url && svc->health_interval_ms > 0 ? svc->health_interval_ms : interval_of(w);
            int64_t left = since + iv - rag_mono_ms();
            if (left <= 0) break;
            if (left > 1000) left = 1000;
            const struct timespec ts = rag_timespec_in(CLOCK_MONOTONIC, left);
            pthread_cond_timedwait(&w->probe_cv, &w->probe_mu, &ts);
        }
    }
    pthread_mutex_unlock(&w->probe_mu);
    free(due);
    free(fresh);
    free(pa);
    return NULL;
}

/* Start one prober per service of the registry as it is now. */
static void probers_start(workers *w)
{
    static const rag_services none;
    w->probe_svcs = w->remote ? none : services_now(w->m); /* remote: /status carries the health */
    w->probe_stop = 0;
    size_t n = w->probe_svcs.count;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->probe_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->probe_mu, NULL);
    w->probes = rag_xcalloc(n ? n : 1, sizeof *w->probes);
    w->probers = rag_xcalloc(n ? n : 1, sizeof *w->probers);
    w->have_prober = rag_xcalloc(n ? n : 1, sizeof *w->have_prober);
    for (size_t i = 0; i < n; i++) {
        prober_arg *pa = rag_xcalloc(1, sizeof *pa);
        *pa = (prober_arg){w, i};
        w->have_prober[i] = pthread_create(&w->probers[i], NULL, prober_main, pa) == 0;
        if (!w->have_prober[i]) free(pa);
    }
}

static void prober_kick(workers *w)
{
    pthread_mutex_lock(&w->probe_mu);
    w->probe_kicks++;
    pthread_cond_broadcast(&w->probe_cv);
    pthread_mutex_unlock(&w->probe_mu);
}

static void probers_stop(workers *w)
{
    pthread_mutex_lock(&w->probe_mu);
    __atomic_store_n(&w->probe_stop, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&w->probe_cv);
    pthread_mutex_unlock(&w->probe_mu);
    for (size_t i = 0; i < w->probe_svcs.count; i++)
        if (w->have_prober[i]) pthread_join(w->probers[i], NULL);
    free(w->probers);
    free(w->have_prober);
    free(w->probes);
    pthread_cond_destroy(&w->probe_cv);
    pthread_mutex_destroy(&w->probe_mu);
}

/* ------------------------------------------------------------------ layout */

/* Wide screens (>= 160 columns, >= 33 rows): Freshness, Config and
 * Services side by side on top, Runs below them, the logs the full width
 * and every row that is left. Otherwise the panes stack (layout). */
static bool layout_wide(ui *u, int top, int h, size_t nsvc, size_t nruns, int rollout_rows)
{
    if (COLS < 160 || h < 30) return false;
    int top_h = (int)nsvc + 3;
    if (top_h < 10 + rollout_rows) top_h = 10 + rollout_rows;
    if (top_h > h / 3) top_h = h / 3;
    int runs_h = (nruns > 8 ? 8 : (int)(nruns ? nruns : 1)) + 3;
    int fw = COLS * 3 / 10;
    int y = top;
    u->pane[PANE_FRESHNESS] = (rect){y, 0, top_h, fw};
    u->pane[PANE_CONFIG] = (rect){y, fw, top_h, fw};
    u->pane[PANE_SERVICES] = (rect){y, 2 * fw, top_h, COLS - 2 * fw};
    y += top_h;
    u->pane[PANE_RUNS] = (rect){y, 0, runs_h, COLS};
    y += runs_h;
    u->pane[PANE_LOGS] = (rect){y, 0, top + h - y, COLS};
    for (int i = 0; i < PANE_COUNT; i++) u->visible[i] = true;
    return true;
}

static void layout(ui *u)
{
    u->rows = LINES;
    u->cols = COLS;
    u->too_small = COLS < 50 || LINES < 12;
    memset(u->visible, 0, sizeof u->visible);
    u->pane[PANE_HEADER] = (rect){0, 0, 1, COLS}; /* the verdict line takes focus too */
    u->visible[PANE_HEADER] = !u->too_small;
    if (u->too_small) return;
    int top = 1, h = LINES - 3;
    if (u->zoom) {
        u->pane[u->focus] = (rect){top, 0, h, COLS};
        u->visible[u->focus] = true;
        return;
    }
    size_t nsvc = u->m->snap.services_rc == RAG_OK ? u->m->snap.services.count : 1;
    size_t nruns = u->m->snap.n_runs;
    /* replicas: Rollout rows in Freshness and Config (one per part of
     * "2/3 serve gen-X, 1 serves gen-W (for 4m), 1 not reporting"; at most 4
     * more rows), and the Services pane grows by the instances shown */
    int rollout_rows = 0;
    for (size_t i = 0; i < u->m->snap.n_probes; i++) {
        const rt_probe *p = &u->m->snap.probes[i];
        rt_rollout r;
        if (!p->replicated) continue;
        if (status_rollout(p, &r))
            rollout_rows += 1 + (r.n_other > 0) + (r.n_total > r.n_target + r.n_other);
        if (rollout_rows > 4) rollout_rows = 4;
        nsvc += (size_t)pane_services_instance_rows(u, &u->m->snap, i);
    }
    if (layout_wide(u, top, h, nsvc, nruns, rollout_rows)) return;
    int top_h = 10 + rollout_rows; /* Freshness: 8 rows + rollout */
    int svc_h = (int)nsvc + 3;
    if (svc_h > 10) svc_h = 10;
    int max_runs = h >= 34 ? 6 : 3; /* tall screens show more runs */
    int runs_h = ((int)nruns > max_runs ? max_runs : (int)(nruns ? nruns : 1)) + 3;
    const int logs_min = h >= 20 ? 5 : 3;
    if (h < 18) top_h = 0; /* short terminal: the header carries the verdict */
    if (h - top_h - svc_h - runs_h < logs_min) runs_h = 0;
    if (top_h && h - top_h - svc_h - runs_h < logs_min) {
        top_h = h - svc_h - logs_min;
        if (top_h < 5) top_h = 5;
    }
    if (h - top_h - svc_h - runs_h < logs_min) {
        svc_h = h - top_h - logs_min;
        if (svc_h < 3) svc_h = 3;
    }
    if (h - top_h - svc_h - runs_h < 3) top_h = 0;
    int y = top;
    if (top_h) {
        int fw = COLS / 2;
        u->pane[PANE_FRESHNESS] = (rect){y, 0, top_h, fw};
        u->pane[PANE_CONFIG] = (rect){y, fw, top_h, COLS - fw};
        u->visible[PANE_FRESHNESS] = u->visible[PANE_CONFIG] = true;
        y += top_h;
    }
    u->pane[PANE_SERVICES] = (rect){y, 0, svc_h, COLS};
    u->visible[PANE_SERVICES] = true;
    y += svc_h;
    if (runs_h) {
        u->pane[PANE_RUNS] = (rect){y, 0, runs_h, COLS};
        u->visible[PANE_RUNS] = true;
        y += runs_h;
    }
    u->pane[PANE_LOGS] = (rect){y, 0, top + h - y, COLS};
    u->visible[PANE_LOGS] = top + h - y >= 3;
    if (!u->visible[u->focus]) u->focus = PANE_LOGS;
}

static void draw(ui *u)
{
    rt_model *m = u->m;
    model_lock(m);
    layout(u);
    status_free(&u->st);
    status_evaluate(&m->snap, rag_now_ms(), &u->st);
    erase();
    if (u->too_small) {
        overlay_too_small(u);
    } else {
        pane_header_draw(u);
        if (u->visible[PANE_FRESHNESS]) pane_freshness_draw(u, u->pane[PANE_FRESHNESS]);
        if (u->visible[PANE_CONFIG]) pane_config_draw(u, u->pane[PANE_CONFIG]);
        if (u->visible[PANE_SERVICES]) pane_services_draw(u, u->pane[PANE_SERVICES]);
        if (u->visible[PANE_RUNS]) pane_runs_draw(u, u->pane[PANE_RUNS]);
        if (u->visible[PANE_LOGS]) pane_logs_draw(u, u->pane[PANE_LOGS]);
        overlay_draw(u);
        pane_status_draw(u);
    }
    bool first_logs = m->first_log_frame_ms == 0 && m->log_seq > 0 && u->visible[PANE_LOGS];
    if (first_logs) m->first_log_frame_ms = rag_now_ms();
    model_unlock(m);
    curs_set(u->overlay == OVL_PROMPT ? 1 : 0);
    refresh();
    if (first_logs) {
        const char *f = getenv("RAGTOP_BENCH_FIRST_FRAME");
        if (f && *f) {
            FILE *fp = fopen(f, "w");
            if (fp) {
                fprintf(fp, "%lld\n", (long long)m->first_log_frame_ms);
                fclose(fp);
            }
        }
    }
}

/* ------------------------------------------------------------------ actions */

typedef struct console {
    ui u;
    workers w;
    actions *acts;
    logfollow *lf;
    bool quit;
    rt_contexts ctxs;             /* contexts.yaml as last read (key c) */
    fleet *fleet;                 /* the Contexts overlay's rows, NULL until first opened */
    char switch_to[64];           /* a context chosen in the overlay, switched to by the loop */
    rt_settings settings;
    char settings_file[PATH_MAX]; /* "" = no place to keep them */
    char *pending_copy;           /* y: OSC 52 after the next refresh */
    /* the action the confirmation dialog shows, copied when asked: y runs
     * exactly this, or nothing when services.yml changed it meanwhile */
    rag_action confirm_act;
} console;

static const char *cmd_action(key_cmd cmd)
{
    switch (cmd) {
    case CMD_INGEST: return "run";
    case CMD_RESTART: return "restart";
    case CMD_STOP: return "stop";
    case CMD_ROLLBACK: return "rollback";
    default: return "start";
    }
}

static action_kind cmd_kind(key_cmd cmd)
{
    switch (cmd) {
    case CMD_INGEST: return ACT_KIND_INGEST;
    case CMD_ROLLBACK: return ACT_KIND_INGEST; /* one change of the served index at a time */
    case CMD_RESTART: return ACT_KIND_RESTART;
    case CMD_STOP: return ACT_KIND_STOP;
    default: return ACT_KIND_START;
    }
}

/* The service an action key acts on, never another one: `i` runs the
 * ingest job (the highlighted row when it is a job with a run action, else
 * the first such job); r / s / a act on the highlighted row of the Services
 * pane (its first row until you move) or refuse with why. name, when not
 * NULL, names the service (a fix from the Problems view). Call with the
 * model locked: the collector may swap in a re-read services.yml. */
static const rag_service *action_target(console *c, key_cmd cmd, const char *name, char *why, size_t n)
{
    const rt_snapshot *s = &c->u.m->snap;
    const char *action = cmd_action(cmd);
    if (s->remote.on) {
        rt_fmt(why, n, "a remote context is watched through /status: no actions (run them where the stack runs)");
        return NULL;
    }
    if (s->services_rc != RAG_OK) {
        rt_fmt(why, n, "no services file: nothing to %s", action);
        return NULL;
    }
    const rag_service *svc = NULL;
    int sel = pane_services_sel(&c->u, s, 0); /* the service selected, wherever a re-read put it */
    if (name) svc = rag_services_find(&s->services, name);
    else if (cmd == CMD_INGEST) {
        if (c->u.focus == PANE_SERVICES && sel >= 0 && s->services.items[sel].kind == RAG_SERVICE_JOB &&
            rag_service_action(&s->services.items[sel], "run"))
            svc = &s->services.items[sel];
        for (size_t i = 0; !svc && i < s->services.count; i++)
            if (s->services.items[i].kind == RAG_SERVICE_JOB && rag_service_action(&s->services.items[i], "run"))
                svc = &s->services.items[i];
        if (!svc) {
            rt_fmt(why, n, "no job in services.yml has a run action: nothing to ingest with");
            return NULL;
        }
    } else if (cmd == CMD_ROLLBACK) {
        for (size_t i = 0; !svc && i < s->services.count; i++)
            if (rag_service_action(&s->services.items[i], "rollback")) svc = &s->services.items[i];
        if (!svc) {
            rt_fmt(why, n, "no service in services.yml has a rollback action (run make rollback / rag-ingest --rollback)");
            return NULL;
        }
    } else if (sel >= 0) {
        svc = &s->services.items[sel];
    }
    if (!svc) {
        rt_fmt(why, n, "no service %s in services.yml", name ? name : "selected");
        return NULL;
    }
    if (!rag_service_action(svc, action)) {
        if (svc->kind == RAG_SERVICE_JOB && cmd != CMD_INGEST && cmd != CMD_ROLLBACK)
            rt_fmt(why, n, "%s is a job: it has no %s (select a server in Services)", svc->name, action);
        else rt_fmt(why, n, "%s has no %s action in services.yml", svc->name, action);
        return NULL;
    }
    return svc;
}

/* Start act of svc (what action_target found, or the confirmed copy). */
static void start_action(console *c, key_cmd cmd, const rag_service *svc, const rag_action *act)
{
    char why[256], argv[400];
    action_argv_text(act, argv, sizeof argv);
    if (actions_start(c->acts, cmd_kind(cmd), svc, act, why, sizeof why) != 0) model_set_notice(c->u.m, "%s", why);
    else model_set_notice(c->u.m, "started: %s %s: %s", svc->name, act->name, argv);
}

static const key_def *key_of(key_cmd cmd)
{
    size_t nk;
    const key_def *t = keys_table(&nk);
    for (size_t i = 0; i < nk; i++)
        if (t[i].cmd == cmd) return &t[i];
    return NULL;
}

static void confirm_forget(console *c)
{
    rag_action *a = &c->confirm_act;
    for (size_t i = 0; a->argv && i < a->argc; i++) free(a->argv[i]);
    free(a->argv);
    free(a->name);
    memset(a, 0, sizeof *a);
}

static void confirm_remember(console *c, const rag_action *act)
{
    confirm_forget(c);
    rag_action *a = &c->confirm_act;
    *a = *act;
    a->name = rag_xstrdup(act->name);
    a->argv = rag_xcalloc(act->argc + 1, sizeof *a->argv);
    for (size_t i = 0; i < act->argc; i++) a->argv[i] = rag_xstrdup(act->argv[i]);
}

static bool same_action(const rag_action *a, const rag_action *b)
{
    if (a->argc != b->argc || a->timeout_ms != b->timeout_ms) return false;
    for (size_t i = 0; i < a->argc; i++)
        if (strcmp(a->argv[i], b->argv[i]) != 0) return false;
    return true;
}

/* y in the confirmation dialog: run exactly the argv it showed, on the
 * service it named. When services.yml was re-read meanwhile and that
 * action changed or is gone, nothing runs: the operator confirmed what was
 * shown, so the new argv must be shown (asked) before it runs. */
static void run_confirmed(console *c)
{
    ui *u = &c->u;
    key_cmd cmd = (key_cmd)u->confirm_cmd;
    const key_def *k = key_of(cmd);
    const rag_action *shown = &c->confirm_act;
    char why[256];
    model_lock(u->m);
    const rag_service *svc = action_target(c, cmd, u->confirm_svc, why, sizeof why);
    const rag_action *now = svc ? rag_service_action(svc, cmd_action(cmd)) : NULL;
    bool same = now && same_action(now, shown);
    model_unlock(u->m);
    if (!shown->name) return;
    if (!same) {
        model_set_notice(u->m, "%s %s not run: the action %s in services.yml since you were asked; press %s again to see what it runs now",
                         u->confirm_svc, shown->name, now ? "changed" : "is gone", k && k->keys ? k->keys : "its key");
    } else {
        rag_service target = {.name = u->confirm_svc};
        start_action(c, cmd, &target, shown);
    }
    confirm_forget(c);
}

/* An action key (or a fix from the Problems view, name = its service):
 * refuse, ask (destructive keys and confirm: true; the dialog shows the
 * exact argv, remembered: y runs that) or run. */
static void ask_or_run(console *c, key_cmd cmd, const char *name)
{
    ui *u = &c->u;
    if (u->opt->readonly) {
        model_set_notice(u->m, "read-only: actions are disabled (--readonly)");
        return;
    }
    const key_def *k = key_of(cmd);
    char why[256];
    model_lock(u->m);
    const rag_service *svc = action_target(c, cmd, name, why, sizeof why);
    model_unlock(u->m);
    /* a registry replaced by a re-read stays alive until exit: svc and act stay valid */
    const rag_action *act = svc ? rag_service_action(svc, cmd_action(cmd)) : NULL;
    if (!act) {
        model_set_notice(u->m, "%s", why);
        return;
    }
    if ((k && k->destructive) || act->confirm) {
        rt_fmt(u->confirm_text, sizeof u->confirm_text, "%s %s?", k && k->label ? k->label : act->name, svc->name);
        action_argv_text(act, u->confirm_argv, sizeof u->confirm_argv);
        rt_fmt(u->confirm_svc, sizeof u->confirm_svc, "%s", svc->name);
        confirm_remember(c, act);
        u->overlay = OVL_CONFIRM;
        u->confirm_cmd = cmd;
        u->confirm_yes = false; /* Cancel is the default */
        return;
    }
    start_action(c, cmd, svc, act);
}

/* Collect and probe everything now (after an action ends). */
static void kick_collector(console *c)
{
    char b = 1;
    ssize_t r = write(c->w.kick_wr, &b, 1);
    (void)r;
    prober_kick(&c->w);
}

/* ------------------------------------------------------------------ Enter, quit */

/* Enter opens the detail of whatever has focus: the header -> Problems, a
 * service -> its last /healthz, a run -> its failure and failed files, a
 * log line -> its JSON (pane_logs.c), Freshness' Quality row -> the
 * failing golden queries. Freshness and Config otherwise -> Problems,
 * where their checks are shown whole. */
static void console_open_detail(console *c)
{
    ui *u = &c->u;
    switch (u->focus) {
    case PANE_SERVICES: {
        model_lock(u->m);
        int sel = pane_services_sel(u, &u->m->snap, 0);
        model_unlock(u->m);
        detail_service(u, sel);
        break;
    }
    case PANE_RUNS:
        detail_run(u, u->run_sel);
        if (u->overlay != OVL_JSON) model_set_notice(u->m, "no run to show");
        break;
    case PANE_LOGS: pane_logs_open_detail(u); break;
    case PANE_FRESHNESS:
        if (u->fresh_sel == 1) {
            detail_quality(u);
            break;
        }
        /* fall through */
    default: u->overlay = OVL_PROBLEMS; u->prob_sel = 0; u->prob_sel_name[0] = '\0'; u->ovl_scroll = 0; break;
    }
}

static void ask_quit(console *c)
{
    ui *u = &c->u;
    if (!actions_running(c->acts, u->quit_label, sizeof u->quit_label)) {
        c->quit = true;
        return;
    }
    u->overlay = OVL_QUIT;
    u->quit_choice = 0; /* wait is the default */
}

static void quit_choose(console *c, int choice)
{
    ui *u = &c->u;
    u->overlay = OVL_NONE;
    if (choice == 0) {
        u->quit_when_idle = true;
        model_set_notice(u->m, "quitting when %s ends (Esc: stay)", u->quit_label);
    } else if (choice == 1) {
        actions_detach(c->acts);
        c->quit = true;
    } else {
        c->quit = true; /* actions_free stops it */
    }
}

/* Keys of the Problems view: move, run the selected problem's fix, close. */
static void problems_key(console *c, int ch)
{
    ui *u = &c->u;
    model_lock(u->m);
    const rt_check **list = rag_xcalloc(u->st.n + 1, sizeof *list);
    size_t n = problems_list(u, list, u->st.n);
    rt_check sel = {0};
    problems_follow(u, list, n); /* the problem highlighted, wherever it sorts now */
    if ((size_t)u->prob_sel < n) sel = *list[u->prob_sel];
    int to = -2; /* a row to select, -2 none */
    if (ch == KEY_UP || ch == 'k') to = u->prob_sel > 0 ? u->prob_sel - 1 : 0;
    else if (ch == KEY_DOWN || ch == 'j') to = u->prob_sel + 1;
    else if (ch == KEY_HOME || ch == 'g') to = 0;
    else if (ch == KEY_END || ch == 'G') to = (int)n - 1;
    if (to != -2) problems_select(u, list, n, to);
    free(list);
    model_unlock(u->m);
    if (to != -2) return;
    const rt_fix_def *f = status_fix_def(sel.fix);
    bool enter = ch == '\n' || ch == '\r' || ch == KEY_ENTER;
    if (f && (enter || ch == f->key)) {
        overlay_close(u);
        key_cmd cmd = strcmp(f->fix, "ingest") == 0     ? CMD_INGEST
                      : strcmp(f->fix, "rollback") == 0 ? CMD_ROLLBACK
                      : strcmp(f->fix, "restart") == 0  ? CMD_RESTART
                                                        : CMD_START;
        ask_or_run(c, cmd, sel.target[0] ? sel.target : NULL);
        return;
    }
    if (enter) { model_set_notice(u->m, "no action in services.yml fixes %s", sel.name); return; }
    if (ch == 27 || ch == 'q' || ch == '!' || ch == KEY_F(10)) overlay_close(u);
}

/* ------------------------------------------------------------------ keys */

/* Remember the settings the user just changed (settings.yaml). */
static void save_settings(console *c)
{
    ui *u = &c->u;
    if (!c->settings_file[0]) return;
    static const char *const panes[] = {"freshness", "config", "services", "runs", "logs"};
    rt_settings *st = &c->settings;
    st->refresh_ms = u->interval_ms;
    rt_fmt(st->zoom, sizeof st->zoom, "%s", u->zoom && u->focus < PANE_HEADER ? panes[u->focus] : "");
    st->log_level = u->min_level;
    st->wrap = u->wrap;
    model_lock(u->m);
    c->w.settings_pending = *st;
    c->w.settings_dirty = true;
    model_unlock(u->m);
    kick_collector(c);
}

static void open_prompt(ui *u, prompt_kind kind)
{
    u->overlay = OVL_PROMPT;
    u->prompt = kind;
    u->prompt_raw = kind == PROMPT_FILTER && u->filter_on ? u->filter_raw : false;
    lineedit_init(&u->input, ""); /* starts empty; Up recalls the pattern in use */
}

static void prompt_key(ui *u, int ch)
{
    if (ch == 27) { u->overlay = OVL_NONE; return; }
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        u->overlay = OVL_NONE;
        if (u->prompt == PROMPT_SEARCH) pane_logs_set_search(u, u->input.text);
        else pane_logs_set_filter(u, u->input.text, u->prompt_raw);
        return;
    }
    if (ch == KEY_UP) {
        char cur[300];
        if (u->prompt == PROMPT_SEARCH) rt_fmt(cur, sizeof cur, "%s", u->search_on ? u->search : "");
        else rt_fmt(cur, sizeof cur, "%s%s", u->filter_on && u->filter_invert ? "!" : "", u->filter_on ? u->filter : "");
        lineedit_init(&u->input, cur);
        return;
    }
    if (ch == CTRL_KEY('r') && u->prompt == PROMPT_FILTER) { u->prompt_raw = !u->prompt_raw; return; }
    lineedit_key(&u->input, ch);
}

static void focus_step(ui *u, int dir)
{
    for (int i = 0; i < PANE_COUNT; i++) {
        u->focus = (pane_id)(((int)u->focus + dir + PANE_COUNT) % PANE_COUNT);
        if (u->visible[u->focus] || u->zoom) return;
    }
}

static void move_sel(ui *u, int delta)
{
    switch (u->focus) {
    case PANE_SERVICES:
        model_lock(u->m);
        pane_services_sel(u, &u->m->snap, delta);
        model_unlock(u->m);
        break;
    case PANE_RUNS: u->run_sel += delta; if (u->run_sel < 0) u->run_sel = 0; break;
    case PANE_FRESHNESS: u->fresh_sel = delta > 0 ? 1 : delta < 0 ? 0 : u->fresh_sel; break;
    case PANE_LOGS: pane_logs_move(u, delta); break;
    default: break;
    }
}

/* Space on a replicated service of the Services pane: show or hide its
 * instances (one row each, under it). */
static void toggle_instances(ui *u)
{
    char name[RAG_SERVICE_NAME_MAX + 1] = "";
    model_lock(u->m);
    const rt_snapshot *s = &u->m->snap;
    int i = pane_services_sel(u, s, 0);
    bool ok = u->focus == PANE_SERVICES && s->services_rc == RAG_OK && i >= 0 && i < (int)s->services.count;
    bool replicated = ok && rag_service_replicated(&s->services.items[i]);
    if (ok) rt_fmt(name, sizeof name, "%s", s->services.items[i].name);
    model_unlock(u->m);
    if (replicated) pane_services_toggle_expanded(u, name); /* by name, as the selection */
    else if (ok) model_set_notice(u->m, "%s has one instance (health.urls or health.dns in services.yml list replicas)", name);
}

static int page(const ui *u) { int h = u->pane[u->focus].h - 3; return h > 1 ? h : 1; }

static void contexts_open(console *c);
static void contexts_key(console *c, int ch);

static void handle_key(console *c, int ch)
{
    ui *u = &c->u;
    if (ch == KEY_RESIZE) return;
    if (u->too_small && u->overlay != OVL_QUIT) {
        /* only quitting here, and it asks as anywhere else (the question is
         * drawn on this screen): q never stops a running action unasked */
        if (ch == 'q' || ch == KEY_F(10)) ask_quit(c);
        else if (ch == 27 && u->quit_when_idle) {
            u->quit_when_idle = false;
            model_set_notice(u->m, "not quitting");
        }
        return;
    }
    switch (u->overlay) {
    case OVL_HELP:
        if (ch == KEY_UP || ch == 'k') overlay_help_scroll(u, -1);
        else if (ch == KEY_DOWN || ch == 'j') overlay_help_scroll(u, 1);
        else if (ch == KEY_PPAGE || ch == 'b') overlay_help_scroll(u, -(LINES - 6));
        else if (ch == KEY_NPAGE || ch == ' ') overlay_help_scroll(u, LINES - 6);
        else if (ch == KEY_HOME || ch == 'g') overlay_help_scroll(u, -100000);
        else if (ch == KEY_END || ch == 'G') overlay_help_scroll(u, 100000);
        else overlay_close(u);
        return;
    case OVL_ALERTS:
        overlay_close(u);
        return;
    case OVL_JSON:
        if (ch == KEY_UP || ch == 'k') u->ovl_scroll--;
        else if (ch == KEY_DOWN || ch == 'j') u->ovl_scroll++;
        else if (ch == KEY_NPAGE) u->ovl_scroll += LINES / 2;
        else if (ch == KEY_PPAGE) u->ovl_scroll -= LINES / 2;
        else overlay_close(u);
        return;
    case OVL_PROBLEMS:
        problems_key(c, ch);
        return;
    case OVL_CONTEXTS:
        contexts_key(c, ch);
        return;
    case OVL_QUIT:
        if (ch == 'w' || ch == 'W') quit_choose(c, 0);
        else if (ch == 'l' || ch == 'L') quit_choose(c, 1);
        else if (ch == 's' || ch == 'S') quit_choose(c, 2);
        else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == 'q') quit_choose(c, u->quit_choice);
        else if (ch == KEY_RIGHT || ch == '\t') u->quit_choice = (u->quit_choice + 1) % 3;
        else if (ch == KEY_LEFT || ch == KEY_BTAB) u->quit_choice = (u->quit_choice + 2) % 3;
        else if (ch == 27) { u->overlay = OVL_NONE; model_set_notice(u->m, "not quitting"); }
        return;
    case OVL_CONFIRM:
        if (ch == 'y' || ch == 'Y' || ((ch == '\n' || ch == KEY_ENTER || ch == '\r') && u->confirm_yes)) {
            u->overlay = OVL_NONE;
            run_confirmed(c);
        } else if (ch == KEY_LEFT || ch == KEY_RIGHT || ch == '\t' || ch == KEY_BTAB) {
            u->confirm_yes = !u->confirm_yes;
        } else {
            u->overlay = OVL_NONE;
            confirm_forget(c);
            model_set_notice(u->m, "cancelled");
        }
        return;
    case OVL_PROMPT:
        prompt_key(u, ch);
        return;
    default: break;
    }
    if (ch == 27 && u->quit_when_idle) {
        u->quit_when_idle = false;
        model_set_notice(u->m, "not quitting");
        return;
    }
    const key_def *k = keys_lookup(ch);
    if (!k) return;
    switch (k->cmd) {
    case CMD_QUIT: ask_quit(c); break;
    case CMD_PROBLEMS: u->overlay = OVL_PROBLEMS; u->prob_sel = 0; u->prob_sel_name[0] = '\0'; u->ovl_scroll = 0; break;
    case CMD_OUTPUT: detail_action_output(u); break;
    case CMD_HELP: u->overlay = OVL_HELP; u->ovl_scroll = 0; break;
    case CMD_INGEST: case CMD_RESTART: case CMD_STOP: case CMD_START: case CMD_ROLLBACK: ask_or_run(c, k->cmd, NULL); break;
    case CMD_FOCUS_NEXT: focus_step(u, 1); break;
    case CMD_FOCUS_PREV: focus_step(u, -1); break;
    case CMD_UP: move_sel(u, -1); break;
    case CMD_DOWN: move_sel(u, 1); break;
    case CMD_PGUP: move_sel(u, -page(u)); break;
    case CMD_PGDN: move_sel(u, page(u)); break;
    case CMD_HOME:
        if (u->focus == PANE_LOGS) pane_logs_home(u);
        else move_sel(u, -100000);
        break;
    case CMD_END:
        if (u->focus == PANE_LOGS) u->follow = true;
        else move_sel(u, 100000);
        break;
    case CMD_ENTER: console_open_detail(c); break;
    case CMD_EXPAND: toggle_instances(u); break;
    case CMD_FILTER: open_prompt(u, PROMPT_FILTER); break;
    case CMD_SEARCH: open_prompt(u, PROMPT_SEARCH); break;
    case CMD_SEARCH_NEXT: pane_logs_search_next(u, 1); break;
    case CMD_SEARCH_PREV: pane_logs_search_next(u, -1); break;
    case CMD_LEFT: pane_logs_hscroll(u, -1); break;
    case CMD_RIGHT: pane_logs_hscroll(u, 1); break;
    case CMD_COPY: {
        char *raw = NULL;
        if (u->opt->no_osc52) model_set_notice(u->m, "copy is off (--no-osc52)");
        else if (!pane_logs_selected_raw(u, &raw)) model_set_notice(u->m, "no log line to copy");
        else {
            /* as shown: control and format characters escaped, never raw on
             * the clipboard (a pasted CR or ESC would act in a shell) */
            const bool escaped = escape_needed(raw);
            if (escaped) {
                char *safe = escape_dup(raw);
                free(raw);
                raw = safe;
            }
            c->pending_copy = raw; /* sent after the next refresh, outside curses' output */
            raw = NULL;
            model_set_notice(u->m, escaped ? "copied the selected line (OSC 52), control characters escaped"
                                           : "copied the selected line (OSC 52)");
        }
        free(raw);
        break;
    }
    case CMD_FOLLOW:
        if (u->follow) pane_logs_move(u, 0);
        else u->follow = true;
        break;
    case CMD_WRAP: u->wrap = !u->wrap; save_settings(c); break;
    case CMD_LEVEL: u->min_level = u->min_level >= RAG_LEVEL_ERROR ? -1 : u->min_level + 1; save_settings(c); break;
    case CMD_FASTER:
    case CMD_SLOWER: {
        const int64_t iv = keys_refresh_step(u->interval_ms, k->cmd == CMD_FASTER);
        u->interval_ms = iv;
        __atomic_store_n(&c->w.interval_ms, iv, __ATOMIC_RELAXED);
        char d[32];
        rag_duration_format(iv, d, sizeof d);
        model_set_notice(u->m, "refresh every %s", d);
        kick_collector(c);
        save_settings(c);
        break;
    }
    case CMD_PAUSE: u->paused = !u->paused; break;
    case CMD_ZOOM:
        if (u->focus != PANE_HEADER) {
            u->zoom = !u->zoom;
            save_settings(c);
        }
        break;
    case CMD_REDRAW: clearok(curscr, TRUE); break;
    case CMD_ALERTS: u->overlay = OVL_ALERTS; u->ovl_scroll = 0; break;
    case CMD_CONTEXTS: contexts_open(c); break;
    default: break;
    }
}

/* ------------------------------------------------------------------ setup */

static bool terminal_usable(void)
{
    const char *term = getenv("TERM");
    if (!term || !*term || strcmp(term, "dumb") == 0) return false;
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && ui_terminal_known(term);
}

/* Every service's log files, labelled with the service's name ("api"; a
 * second file of the same service adds its stem: "api:extra"). */
static char **followed; /* the paths followed now (UI thread) */
static size_t followed_n;

static void remember_followed(char **paths, size_t n)
{
    for (size_t i = 0; i < followed_n; i++) free(followed[i]);
    free(followed);
    followed = rag_xcalloc(n ? n : 1, sizeof *followed);
    for (size_t i = 0; i < n; i++) followed[i] = rag_xstrdup(paths[i]);
    followed_n = n;
}

static char **log_paths(const rag_services *s, size_t *n, char ***labels)
{
    char **v = NULL;
    *labels = NULL;
    *n = 0;
    for (size_t i = 0; i < s->count; i++)
        for (size_t j = 0; j < s->items[i].n_logs; j++) {
            v = rag_xrealloc(v, (*n + 1) * sizeof *v);
            *labels = rag_xrealloc(*labels, (*n + 1) * sizeof **labels);
            const char *path = s->items[i].logs[j], *base = strrchr(path, '/');
            base = base ? base + 1 : path;
            if (j == 0) (*labels)[*n] = rag_xstrdup(s->items[i].name);
            else (*labels)[*n] = rag_xasprintf("%s:%.*s", s->items[i].name, (int)strcspn(base, "."), base);
            v[(*n)++] = s->items[i].logs[j];
        }
    return v;
}

/* services.yml was re-read: follow its log files now, when they changed.
 * Files followed before continue from their end (lines written in the
 * moment between the two followers may be missed). */
static logfollow *follow_again(rt_model *m, logfollow *lf)
{
    rag_services s = services_now(m);
    size_t n;
    char **labels;
    char **paths = log_paths(&s, &n, &labels);
    bool same = n == followed_n;
    for (size_t i = 0; same && i < n; i++) same = strcmp(paths[i], followed[i]) == 0;
    if (!same) {
        logfollow_stop(lf);
        lf = logfollow_start_labeled(m, paths, labels, n, 0);
        remember_followed(paths, n);
    }
    for (size_t i = 0; i < n; i++) free(labels[i]);
    free(labels);
    free(paths);
    return lf;
}

/* Show a stack: load its registry (a remote context gets the one service
 * standing for its API), open the action log, start the collector, the
 * probers and the log follower. Workers never take signals: they start
 * with everything blocked. */
static void stack_open(console *c, const rt_inputs *in)
{
    rt_model *m = c->u.m;
    workers *w = &c->w;
    w->remote = in->remote_url != NULL;
    char spath[PATH_MAX];
    if (w->remote) {
        collect_remote_url(in->remote_url, w->remote_url);
        rt_fmt(w->token_env, sizeof w->token_env, "%s", in->token_env ? in->token_env : "");
        model_lock(m);
        collect_remote_init(&m->snap, w->remote_url);
        rt_fmt(m->snap.remote.error, sizeof m->snap.remote.error, "%s: reading...", w->remote_url);
        model_unlock(m);
        rt_fmt(spath, sizeof spath, "%s", w->remote_url);
        w->config_path[0] = '\0';
    } else {
        collect_services_path(in->services_path, spath);
        /* stat first: a change after it is seen by the collector's next look */
        if (stat(spath, &w->services_stat) != 0) memset(&w->services_stat, 0, sizeof w->services_stat);
        model_lock(m);
        collect_services(&m->snap, spath);
        model_unlock(m);
        collect_config_path(in->config_path, m->snap.services_rc == RAG_OK ? m->snap.services.base_dir : NULL,
                            w->config_path);
    }
    rt_fmt(w->services_path, sizeof w->services_path, "%s", spath);
    static const rag_services empty;
    const rag_services *svcs = m->snap.services_rc == RAG_OK && !w->remote ? &m->snap.services : &empty;

    /* action log next to the other logs */
    rt_config_info ci;
    collect_config(&ci, w->remote ? "" : w->config_path);
    char *alog = ci.rc == RAG_OK ? rag_xasprintf("%s/actions.log", ci.logs_dir)
                                 : rag_xasprintf("%s/artifacts/logs/actions.log", svcs->base_dir ? svcs->base_dir : ".");
    config_info_free(&ci);
    /* the actions act on the stack shown: its config and services files,
     * in services.yml's folder (also when the file appears only later) */
    char *sdir = NULL;
    if (!w->remote && !svcs->base_dir) {
        char *abs = rag_ydoc_path(NULL, spath);
        sdir = rag_dirname(abs);
        free(abs);
    }
    c->acts = w->remote ? actions_new(m, alog, svcs->base_dir, NULL, NULL)
                        : actions_new(m, alog, sdir ? sdir : svcs->base_dir, w->config_path, w->services_path);
    free(sdir);
    free(alog);

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    w->have_collector = pthread_create(&w->collector, NULL, collector_main, w) == 0;
    probers_start(w);
    size_t nlogs;
    char **labels;
    char **paths = log_paths(svcs, &nlogs, &labels);
    c->lf = logfollow_start_labeled(m, paths, labels, nlogs, 200);
    remember_followed(paths, nlogs);
    for (size_t i = 0; i < nlogs; i++) free(labels[i]);
    free(labels);
    free(paths);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Stop what stack_open started (the collector, probers, log follower) and
 * the action runner (running actions: as actions_free does). */
static void stack_close(console *c)
{
    char b = 1;
    ssize_t wr = write(c->w.stop_wr, &b, 1);
    (void)wr;
    if (c->w.have_collector) pthread_join(c->w.collector, NULL);
    c->w.have_collector = false;
    char buf[16];
    while (read(c->w.stop_rd, buf, sizeof buf) > 0) { /* the next collector starts un-stopped */
    }
    probers_stop(&c->w);
    logfollow_stop(c->lf);
    c->lf = NULL;
    remember_followed(NULL, 0);
    actions_free(c->acts);
    c->acts = NULL;
    free(c->w.remote_last);
    c->w.remote_last = NULL;
}

/* Show the context chosen in the Contexts overlay: close the stack shown,
 * forget its state, open the other one. Refused while an action runs. */
static void switch_context(console *c)
{
    char name[64];
    rt_fmt(name, sizeof name, "%s", c->switch_to);
    c->switch_to[0] = '\0';
    const rt_context *ctx = contexts_find(&c->ctxs, name);
    char label[96];
    if (!ctx) {
        model_set_notice(c->u.m, "no context %s in %s", name, c->ctxs.path);
        return;
    }
    if (actions_running(c->acts, label, sizeof label)) {
        model_set_notice(c->u.m, "%s is running: switch contexts when it ends", label);
        return;
    }
    rt_context chosen = *ctx;
    rt_inputs in;
    contexts_inputs(&chosen, &in);
    stack_close(c);
    model_reset_stack(c->u.m);
    ui *u = &c->u;
    u->svc_sel = u->run_sel = 0;
    u->svc_sel_name[0] = '\0';
    pane_services_forget_expanded(u); /* another stack's services */
    u->follow = true;
    u->log_hscroll = 0;
    rt_fmt(u->context, sizeof u->context, "%s", chosen.name);
    stack_open(c, &in);
    model_set_notice(c->u.m, "context %s (%s)", chosen.name, chosen.remote ? "remote" : "local");
}

/* Key c: the Contexts overlay — contexts.yaml re-read, the fleet rows
 * evaluated by a worker while it is open. */
static void contexts_open(console *c)
{
    char path[PATH_MAX], why[700];
    rt_contexts fresh;
    if (!contexts_path(path, sizeof path) || contexts_load(path, &fresh, why, sizeof why) != 0) {
        model_set_notice(c->u.m, "contexts: %s", contexts_path(path, sizeof path) ? why : "set XDG_CONFIG_HOME or HOME");
        return;
    }
    if (fresh.n == 0) {
        model_set_notice(c->u.m, "contexts: %s names no contexts", path);
        return;
    }
    c->ctxs = fresh;
    if (c->fleet && !fleet_same(c->fleet, &c->ctxs)) {
        fleet_stop(c->fleet);
        c->fleet = NULL;
    }
    if (!c->fleet) c->fleet = fleet_start(c->u.m, &c->ctxs, c->u.interval_ms);
    else fleet_set_active(c->fleet, true);
    c->u.fleet = c->fleet;
    c->u.overlay = OVL_CONTEXTS;
    c->u.ctx_sel = 0;
    for (size_t i = 0; i < c->ctxs.n; i++)
        if (!strcmp(c->ctxs.items[i].name, c->u.context)) c->u.ctx_sel = (int)i;
}

static void contexts_key(console *c, int ch)
{
    ui *u = &c->u;
    int n = (int)c->ctxs.n;
    if (ch == KEY_UP || ch == 'k') { if (u->ctx_sel > 0) u->ctx_sel--; return; }
    if (ch == KEY_DOWN || ch == 'j') { if (u->ctx_sel + 1 < n) u->ctx_sel++; return; }
    if (ch == KEY_HOME || ch == 'g') { u->ctx_sel = 0; return; }
    if (ch == KEY_END || ch == 'G') { u->ctx_sel = n ? n - 1 : 0; return; }
    u->overlay = OVL_NONE;
    fleet_set_active(c->fleet, false);
    if ((ch == '\n' || ch == '\r' || ch == KEY_ENTER) && u->ctx_sel < n) {
        if (strcmp(c->ctxs.items[u->ctx_sel].name, u->context) == 0) model_set_notice(u->m, "already showing %s", u->context);
        else rt_fmt(c->switch_to, sizeof c->switch_to, "%s", c->ctxs.items[u->ctx_sel].name);
    }
}

int console_run(const rt_options *o)
{
    if (!terminal_usable()) {
        const char *term = getenv("TERM") ? getenv("TERM") : "";
        const bool ttys = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
        fprintf(stderr, "ragtop: no usable terminal (TERM=%s%s) for the console; use `ragtop --once` "
                        "(or `ragtop --once --json`) for a snapshot\n",
                term, !isatty(STDOUT_FILENO) ? ", output is not a terminal"
                      : ttys && *term && strcmp(term, "dumb") != 0 ? ", unknown to terminfo" : "");
        return RT_EXIT_USAGE;
    }
    /* remembered settings; the command line wins over them */
    rt_settings settings;
    char settings_file[PATH_MAX] = "", settings_why[400] = "";
    settings_defaults(&settings);
    if (settings_path(settings_file, sizeof settings_file) &&
        settings_load(settings_file, &settings, settings_why, sizeof settings_why) != 0)
        settings_defaults(&settings);
    const char *want_theme = !o->theme_given && settings.theme[0] ? settings.theme : o->theme;
    const char *nc = getenv("NO_COLOR");
    bool colors = !(o->no_color || (nc && *nc));
    theme th;
    rag_error err = {0};
    const char *theme_name = colors ? want_theme : "monochrome";
    if (theme_load(theme_name, &th, &err) != RAG_OK) {
        if (colors && !o->theme_given && settings.theme[0]) {
            /* settings.yaml names a theme that is gone or broken: say so, go on */
            rt_fmt(settings_why, sizeof settings_why, "%s: theme: %s", settings_file, err.msg);
        } else {
            if (err.code == RAG_ENOENT && strcmp(theme_name, o->theme) == 0 && strcmp(o->theme, "default-dark") != 0) {
                fprintf(stderr, "ragtop: --theme: %s\n", err.msg);
                return RT_EXIT_USAGE;
            }
            if (err.code != RAG_ENOENT) {
                fprintf(stderr, "ragtop: %s\n", err.msg);
                return RT_EXIT_USAGE;
            }
        }
        theme_builtin(&th); /* the default theme ships inside the binary too */
    }
    const char *cs = nl_langinfo(CODESET);
    bool ascii = o->ascii || !cs || strcmp(cs, "UTF-8") != 0;

    console *c = rag_xcalloc(1, sizeof *c);
    rt_model *m = rag_xcalloc(1, sizeof *m);
    if (model_init(m) != RAG_OK) {
        fprintf(stderr, "ragtop: cannot create the wake pipe\n");
        free(m);
        free(c);
        return RAG_EXIT_FAIL;
    }
    model_set_ring_size(m, (size_t)settings.log_lines);
    c->settings = settings;
    rt_fmt(c->settings_file, sizeof c->settings_file, "%s", settings_file);
    rt_fmt(c->w.settings_file, sizeof c->w.settings_file, "%s", settings_file);
    rt_fmt(c->settings.theme, sizeof c->settings.theme, "%s", want_theme);
    if (settings_why[0]) model_set_notice(m, "%s: using the defaults", settings_why);
    /* --context NAME: the stack contexts.yaml names */
    rt_inputs in = {.services_path = o->services_path, .config_path = o->config_path};
    if (o->context) {
        const rt_context *ctx = NULL;
        char why[700];
        if (contexts_resolve(o->context, &c->ctxs, &ctx, why, sizeof why) != 0 || !ctx) {
            fprintf(stderr, "ragtop: --context %s: %s\n", o->context, why);
            model_destroy(m);
            free(m);
            free(c);
            return RT_EXIT_USAGE;
        }
        contexts_inputs(ctx, &in);
        rt_fmt(c->u.context, sizeof c->u.context, "%s", ctx->name);
    }

    ui *u = &c->u;
    u->m = m;
    u->opt = o;
    u->ascii = ascii;
    u->colors = colors;
    u->interval_ms = !o->interval_given && settings.refresh_ms > 0 ? settings.refresh_ms : o->interval_ms;
    u->follow = true;
    u->min_level = settings.log_level;
    u->wrap = settings.wrap;
    u->focus = PANE_LOGS;
    static const char *const panes[] = {"freshness", "config", "services", "runs", "logs"};
    for (int i = 0; i < PANE_HEADER; i++) /* the panes a zoom can name */
        if (strcmp(settings.zoom, panes[i]) == 0) { u->zoom = true; u->focus = (pane_id)i; }
    ui_set_ascii(ascii);

    c->w.m = m;
    c->w.interval_ms = u->interval_ms;
    int p1[2], p2[2];
    if (pipe2(p1, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(p2, O_CLOEXEC | O_NONBLOCK) != 0) {
        fprintf(stderr, "ragtop: cannot create pipes\n");
        return RAG_EXIT_FAIL;
    }
    c->w.stop_rd = p1[0]; c->w.stop_wr = p1[1];
    c->w.kick_rd = p2[0]; c->w.kick_wr = p2[1];
    stack_open(c, &in);

    rag_signals_catch(on_signal, true);

    SCREEN *scr = newterm(NULL, stdout, stdin);
    const bool no_terminal = !scr; /* an unknown TERM: exit 64 as for no terminal at all */
    if (!scr) {
        fprintf(stderr, "ragtop: cannot initialise the terminal (TERM=%s); use `ragtop --once`\n", getenv("TERM"));
        c->quit = true;
    } else {
        set_term(scr);
        cbreak();
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(25);
        curs_set(0);
        if (colors && has_colors()) {
            start_color();
            use_default_colors();
        }
        theme_apply(&th, colors && has_colors());
    }

    uint64_t seen_services = 0;
    bool dirty = true, keyed = false; /* keyed: a key was handled, answer it now */
    bool urgent = false;              /* draw now for another reason */
    /* benchmarks: microseconds from reading a key to the refreshed screen */
    const char *keylog_path = getenv("RAGTOP_BENCH_KEYLOG");
    FILE *keylog = keylog_path && *keylog_path ? fopen(keylog_path, "a") : NULL;
    struct timespec key_at = {0, 0};
    int64_t last_draw = 0, last_clock = 0;
    uint64_t seen_version = 0, seen_logs = 0;
    int empty_reads = 0;
    while (!c->quit && !got_quit_signal) {
        if (u->quit_when_idle && !actions_running(c->acts, NULL, 0)) break;
        if (c->switch_to[0]) {
            switch_context(c);
            seen_services = 0;
            seen_version = seen_logs = 0;
            dirty = urgent = true;
        }
        int64_t now = rag_mono_ms();
        if (now - last_clock >= 1000 && !u->paused) { dirty = true; last_clock = now; }
        /* log and model updates draw at most 10 times a second (less for the
         * terminal to process under a flood); a key at once */
        if (dirty && (keyed || urgent || now - last_draw >= 100)) {
            draw(u);
            last_draw = now;
            if (keyed && keylog) {
                struct timespec t;
                clock_gettime(CLOCK_MONOTONIC, &t);
                fprintf(keylog, "%lld\n", (long long)((t.tv_sec - key_at.tv_sec) * 1000000LL + (t.tv_nsec - key_at.tv_nsec) / 1000));
                fflush(keylog);
            }
            dirty = keyed = urgent = false;
        }
        struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {m->wake_rd, POLLIN, 0}};
        int timeout = dirty ? (int)(100 - (rag_mono_ms() - last_draw)) : (int)(1000 - (rag_mono_ms() - last_clock));
        if (timeout < 0) timeout = 0;
        int r = poll(pf, 2, timeout);
        if (r < 0) {
            if (errno == EINTR) { dirty = true; continue; } /* SIGWINCH / SIGCONT: getch reports it */
            break;
        }
        if (pf[0].revents & (POLLHUP | POLLERR | POLLNVAL)) break; /* terminal gone */
        if (pf[1].revents) {
            model_drain(m);
            model_lock(m);
            bool changed = m->version != seen_version || m->log_seq != seen_logs;
            if (seen_logs == 0 && m->log_seq > 0) urgent = true; /* the first log lines: show them at once */
            seen_version = m->version;
            seen_logs = m->log_seq;
            bool new_result = m->action.phase == RT_ACT_DONE && m->action.finished_ms > 0;
            model_unlock(m);
            if (changed && !u->paused) dirty = true;
            model_lock(m);
            bool services_changed = m->services_gen != seen_services;
            seen_services = m->services_gen;
            model_unlock(m);
            if (services_changed) {
                c->lf = follow_again(m, c->lf);
                probers_stop(&c->w); /* probe the services as they are now */
                probers_start(&c->w);
            }
            if (new_result) {
                static int64_t kicked_for;
                if (kicked_for != m->action.finished_ms) {
                    kicked_for = m->action.finished_ms;
                    kick_collector(c);
                }
            }
        }
        if (pf[0].revents & POLLIN) {
            int ch, got = 0;
            while ((ch = getch()) != ERR) {
                got++;
                if (!keyed) clock_gettime(CLOCK_MONOTONIC, &key_at);
                handle_key(c, ch);
                dirty = keyed = true;
                if (c->quit) break;
            }
            if (c->pending_copy) {
                ui_osc52_copy(c->pending_copy);
                free(c->pending_copy);
                c->pending_copy = NULL;
            }
            empty_reads = got ? 0 : empty_reads + 1;
            if (empty_reads > 50) break; /* readable but nothing to read: EOF / EIO */
        }
    }

    if (keylog) fclose(keylog);
    if (scr) {
        endwin();
        delscreen(scr);
    }
    /* stop workers, then running actions */
    stack_close(c);
    settings_flush(&c->w); /* a change the collector had no time to write */
    fleet_stop(c->fleet);
    close(c->w.stop_rd); close(c->w.stop_wr);
    close(c->w.kick_rd); close(c->w.kick_wr);
    overlay_close(u);
    if (u->filter_on) regfree(&u->filter_re);
    if (u->search_on) regfree(&u->search_re);
    pane_services_forget_expanded(u);
    status_free(&u->st);
    confirm_forget(c);
    model_destroy(m);
    free(m);
    free(c);
    if (got_quit_signal == SIGINT || got_quit_signal == SIGTERM) return 128 + got_quit_signal;
    return no_terminal ? RT_EXIT_USAGE : 0;
}
