/* watch.c — `ragtop watch [--config FILE] [--services FILE] [--interval D]
 * [--verbose]`: a loop of collect_all + status_evaluate (the same code as
 * the console and --once), the alert state machine and the outbox. Each
 * round: observe every check, persist the state with its new notices, queue
 * the notices in the outbox (idempotent keys), forget them, persist again,
 * then flush the outbox within a time budget. A crash at any point loses
 * nothing and sends nothing twice. Signals only set a flag. */
#include "watch.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alertstate.h"
#include "collect.h"
#include "options.h"
#include "rag/config.h"
#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/outbox.h"
#include "rag/timeutil.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

bool watch_check_alerts(const rt_check *c)
{
    return strcmp(c->name, "sources") != 0;
}

rag_severity watch_severity(rt_severity s)
{
    return s == RT_CRIT ? RAG_SEVERITY_CRIT : RAG_SEVERITY_WARN;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: ragtop watch [--config FILE] [--services FILE] [--interval DURATION] [--verbose]\n"
            "  Headless health watcher: evaluates every check each interval (watch.interval in the\n"
            "  config), fires and resolves alerts with thresholds, and delivers them to the\n"
            "  receivers in watch.receivers through a persistent, retried outbox.\n"
            "  --config FILE        config (default: $RAG_CONFIG or config/params.yaml)\n"
            "  --services FILE      service registry (default: ./services.yml)\n"
            "  --interval DURATION  override watch.interval (e.g. 500ms, 30s)\n"
            "  --verbose            also copy log lines to stderr\n"
            "  Logs: <artifacts>/logs/watch.jsonl. State: <artifacts>/run/watch-state.json,\n"
            "  <artifacts>/run/outbox/. Stop with SIGTERM or Ctrl-C. See docs/specs/alerts.md.\n");
}

typedef struct watcher {
    rag_config cfg;
    rt_inputs inputs;
    int64_t interval_ms;
    char *state_path;
    rag_log *log;
    rag_outbox *outbox;
    alertstate state;
    char last_headline[256]; /* the round line is logged only when it changes */
} watcher;

static cJSON *check_details(const rt_check *c, const rt_snapshot *s)
{
    cJSON *d = cJSON_CreateObject();
    if (c->details[0]) cJSON_AddStringToObject(d, "details", c->details);
    if (c->fix[0]) cJSON_AddStringToObject(d, "fix", c->fix);
    cJSON_AddStringToObject(d, "status", rt_severity_name(c->severity));
    /* the replicas it is about: "instances": ["127.0.0.1:8103"] */
    if (c->instances[0]) cJSON_AddItemToObject(d, "instances", status_instances_json(c));
    if (strncmp(c->name, "service:", 8) == 0 && s->services_rc == RAG_OK) {
        const rag_service *svc = rag_services_find(&s->services, c->name + 8);
        if (svc && svc->health_url) cJSON_AddStringToObject(d, "health_url", svc->health_url);
    }
    return d;
}

static void log_notice(watcher *w, const alert_notice *n)
{
    const rag_alert *a = &n->alert;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "check", a->check);
    cJSON_AddStringToObject(p, "status", rag_alert_status_name(a->status));
    cJSON_AddStringToObject(p, "severity", rag_severity_name(a->severity));
    cJSON_AddStringToObject(p, "fingerprint", a->fingerprint);
    cJSON_AddStringToObject(p, "key", n->key);
    cJSON_AddNumberToObject(p, "reminder", a->reminder);
    rag_log_event(w->log, a->status == RAG_ALERT_FIRING ? RAG_LEVEL_WARN : RAG_LEVEL_INFO,
                  a->status == RAG_ALERT_FIRING ? (a->reminder ? "alert_reminder" : "alert_firing")
                                                : "alert_resolved",
                  a->summary, p);
}

/* Hand every waiting notice to the outbox (one delivery per receiver) and
 * forget it; state is saved before and after, so a crash in between only
 * re-queues under the same keys, which the outbox ignores. */
static void queue_notices(watcher *w, int64_t now)
{
    if (w->state.n_notices == 0) return;
    rag_error err = {0};
    if (alertstate_save(&w->state, w->state_path, now, &err) != RAG_OK)
        rag_log_event(w->log, RAG_LEVEL_ERROR, "state_save_failed", err.msg, NULL);
    size_t done = 0;
    for (; done < w->state.n_notices; done++) {
        const alert_notice *n = &w->state.notices[done];
        bool ok = true;
        for (size_t r = 0; r < w->cfg.watch.n_receivers; r++) {
            memset(&err, 0, sizeof err);
            if (rag_outbox_enqueue(w->outbox, n->key, &w->cfg.watch.receivers[r], &n->alert, now, NULL, &err) != RAG_OK) {
                rag_log_event(w->log, RAG_LEVEL_ERROR, "alert_queue_failed", err.msg, NULL);
                ok = false;
            }
        }
        if (!ok) break; /* keep it (and what follows) for the next round */
        log_notice(w, n);
    }
    alertstate_drop_notices(&w->state, done);
    memset(&err, 0, sizeof err);
    if (alertstate_save(&w->state, w->state_path, now, &err) != RAG_OK)
        rag_log_event(w->log, RAG_LEVEL_ERROR, "state_save_failed", err.msg, NULL);
}

static void round_once(watcher *w)
{
    rt_snapshot snap;
    snapshot_init(&snap);
    collect_all(&snap, &w->inputs);
    int64_t now = rag_now_ms();
    rt_status st;
    status_evaluate(&snap, now, &st);
    size_t failing = 0;
    for (size_t i = 0; i < st.n; i++) {
        const rt_check *c = &st.checks[i];
        if (!watch_check_alerts(c)) continue;
        cJSON *details = check_details(c, &snap);
        alert_result r = { .check = c->name, .ok = c->severity == RT_OK,
                           .severity = watch_severity(c->severity), .summary = c->summary,
                           .details = details };
        if (!r.ok) failing++;
        alertstate_observe(&w->state, &r, now);
        cJSON_Delete(details);
    }
    alertstate_end_round(&w->state, now);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "overall", rt_severity_name(st.overall));
    cJSON_AddNumberToObject(p, "checks", (double)st.n);
    cJSON_AddNumberToObject(p, "failing", (double)failing);
    cJSON_AddNumberToObject(p, "firing", (double)alertstate_firing_count(&w->state));
    if (strcmp(st.headline, w->last_headline) != 0) {
        rt_fmt(w->last_headline, sizeof w->last_headline, "%s", st.headline);
        rag_log_event(w->log, RAG_LEVEL_INFO, "status_changed", st.headline, p);
    } else {
        cJSON_Delete(p);
    }
    queue_notices(w, now);
    status_free(&st);
    snapshot_free(&snap);
}

static void flush_outbox(watcher *w, int64_t budget_ms)
{
    rag_outbox_stats os;
    rag_error err = {0};
    if (rag_outbox_flush(w->outbox, rag_now_ms(), budget_ms, &os, &err) != RAG_OK)
        rag_log_event(w->log, RAG_LEVEL_ERROR, "outbox_flush_failed", err.msg, NULL);
}

/* Sleep until deadline (monotonic ms) or a signal, waking early when an
 * outbox delivery falls due so retries are not held to the round interval.
 * A flush that leaves the same delivery due (its file could not be
 * rewritten, another process holds the outbox) is not repeated within a
 * second: nothing here ever loops without sleeping. */
static void sleep_until(watcher *w, int64_t deadline)
{
    int64_t flushed_due = 0, flushed_at = 0;
    while (!stop_signal) {
        int64_t now = rag_mono_ms();
        if (now >= deadline) return;
        int64_t due = rag_outbox_next_due(w->outbox);
        if (due > 0 && due <= rag_now_ms() && (due != flushed_due || now - flushed_at >= 1000)) {
            int64_t left = deadline - now;
            flush_outbox(w, left > 1000 ? left : 1000);
            flushed_due = due;
            flushed_at = now;
            continue;
        }
        if (due > 0 && due <= rag_now_ms()) due = rag_now_ms() + 1000 - (now - flushed_at); /* held back: see above */
        int64_t step = deadline - now;
        if (due > 0 && due - rag_now_ms() < step) step = due - rag_now_ms();
        if (step > 200) step = 200;
        if (step < 1) step = 1;
        struct timespec ts = { .tv_sec = step / 1000, .tv_nsec = (step % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static void log_receivers(watcher *w)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < w->cfg.watch.n_receivers; i++) {
        const rag_receiver *r = &w->cfg.watch.receivers[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddStringToObject(o, "format", r->format);
        cJSON_AddStringToObject(o, "url_env", r->url_env);
        char *url = rag_receiver_url(r, NULL);
        char red[256] = "(unset)";
        if (url) rag_url_redact(url, red, sizeof red);
        free(url);
        cJSON_AddStringToObject(o, "url", red);
        cJSON_AddItemToArray(arr, o);
        if (strcmp(red, "(unset)") == 0)
            rag_log_eventf(w->log, RAG_LEVEL_WARN, "receiver_url_unset", NULL,
                           "receiver %s: environment variable %s is not set; its alerts wait in the outbox",
                           r->name, r->url_env);
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddItemToObject(p, "receivers", arr);
    cJSON_AddNumberToObject(p, "interval_ms", (double)w->interval_ms);
    cJSON_AddNumberToObject(p, "failure_threshold", w->cfg.watch.failure_threshold);
    cJSON_AddNumberToObject(p, "success_threshold", w->cfg.watch.success_threshold);
    cJSON_AddNumberToObject(p, "reminder_ms", (double)w->cfg.watch.reminder_ms);
    cJSON_AddBoolToObject(p, "send_resolved", w->cfg.watch.send_resolved);
    cJSON_AddStringToObject(p, "instance", w->cfg.watch.instance);
    cJSON_AddNumberToObject(p, "pid", (double)getpid());
    rag_log_event(w->log, RAG_LEVEL_INFO, "watch_started",
                  w->cfg.watch.n_receivers ? NULL : "no receivers configured: alerts are only logged", p);
}

/* Load the persisted state; a corrupt file is kept aside (renamed) and
 * reported, never silently replaced. */
static void load_state(watcher *w)
{
    rag_error err = {0};
    int rc = alertstate_load(&w->state, w->state_path, &err);
    if (rc == RAG_OK) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "firing", (double)alertstate_firing_count(&w->state));
        cJSON_AddNumberToObject(p, "unqueued_notices", (double)w->state.n_notices);
        rag_log_event(w->log, RAG_LEVEL_INFO, "state_restored", NULL, p);
    } else if (rc != RAG_ENOENT) {
        char *aside = rag_xasprintf("%s.bad-%lld", w->state_path, (long long)rag_now_ms());
        rename(w->state_path, aside);
        rag_log_eventf(w->log, RAG_LEVEL_ERROR, "state_unreadable", NULL,
                       "%s; kept as %s, starting with no alert state", err.msg, aside);
        fprintf(stderr, "ragtop watch: %s; kept as %s\n", err.msg, aside);
        free(aside);
    }
}

int watch_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"services", required_argument, NULL, 's'},
        {"interval", required_argument, NULL, 'i'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_arg = NULL, *services_arg = NULL;
    int64_t interval_override = 0;
    bool verbose = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:s:i:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_arg = optarg; break;
        case 's': services_arg = optarg; break;
        case 'i':
            if (rag_duration_parse(optarg, &interval_override) != 0 || interval_override < 100) {
                fprintf(stderr, "ragtop watch: --interval %s: expected a duration of at least 100ms (500ms, 30s, 5m)\n", optarg);
                return RT_EXIT_USAGE;
            }
            break;
        case 'v': verbose = true; break;
        case 'h': usage(stdout); return RAG_EXIT_OK;
        case ':':
            fprintf(stderr, "ragtop watch: %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return RT_EXIT_USAGE;
        default:
            fprintf(stderr, "ragtop watch: unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return RT_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ragtop watch: unexpected argument %s\n", argv[optind]);
        usage(stderr);
        return RT_EXIT_USAGE;
    }

    watcher w;
    memset(&w, 0, sizeof w);
    w.inputs.config_path = config_arg;
    w.inputs.services_path = services_arg;
    char spath[PATH_MAX], cpath[PATH_MAX];
    collect_services_path(services_arg, spath);
    rag_services svcs = {0};
    char *sdir = NULL;
    if (rag_services_load(spath, &svcs, NULL, NULL) == RAG_OK) sdir = rag_xstrdup(svcs.base_dir);
    rag_services_free(&svcs);
    collect_config_path(config_arg, sdir, cpath);
    free(sdir);
    w.inputs.config_path = cpath;

    rag_error err = {0};
    if (rag_config_load_or_report(cpath, &w.cfg, &err) != RAG_EXIT_OK)
        return RAG_EXIT_CONFIG;
    w.interval_ms = interval_override ? interval_override : w.cfg.watch.interval_ms;

    char *run_dir = rag_config_run_dir(&w.cfg);
    char *logs_dir = rag_config_logs_dir(&w.cfg);
    int rc = RAG_EXIT_OK;
    rag_lock lock = { .fd = -1 };
    if (rag_mkdir_p(run_dir, 0755, &err) != RAG_OK || rag_mkdir_p(logs_dir, 0755, &err) != RAG_OK) {
        fprintf(stderr, "ragtop watch: %s\n", err.msg);
        rc = RAG_EXIT_FAIL;
        goto out;
    }
    char *lock_path = rag_path_join(run_dir, "watch.lock");
    rag_lock_holder holder = {0};
    int lrc = rag_lock_acquire(lock_path, &lock, &holder, &err);
    free(lock_path);
    if (lrc != RAG_OK) {
        fprintf(stderr, "ragtop watch: %s\n", err.msg);
        rc = lrc == RAG_ELOCKED ? RAG_EXIT_TEMPFAIL : RAG_EXIT_FAIL;
        lock.fd = -1;
        goto out;
    }
    char *log_path = rag_path_join(logs_dir, "watch.jsonl");
    w.log = rag_log_open(log_path, "watch", &err);
    free(log_path);
    if (!w.log) {
        fprintf(stderr, "ragtop watch: %s\n", err.msg);
        rc = RAG_EXIT_FAIL;
        goto out;
    }
    rag_log_set_echo(w.log, verbose);
    rag_outbox_policy pol;
    rag_outbox_policy_defaults(&pol);
    pol.expire_ms = w.cfg.watch.delivery_expire_ms;
    w.outbox = rag_outbox_open(run_dir, &pol, w.log, &err);
    if (!w.outbox) {
        rag_log_event(w.log, RAG_LEVEL_ERROR, "outbox_open_failed", err.msg, NULL);
        fprintf(stderr, "ragtop watch: %s\n", err.msg);
        rc = RAG_EXIT_FAIL;
        goto out;
    }
    alertstate_policy ap = { .failure_threshold = w.cfg.watch.failure_threshold,
                             .success_threshold = w.cfg.watch.success_threshold,
                             .reminder_ms = w.cfg.watch.reminder_ms,
                             .send_resolved = w.cfg.watch.send_resolved };
    alertstate_init(&w.state, &ap, w.cfg.project);
    alertstate_set_instance(&w.state, w.cfg.watch.instance);
    w.state_path = rag_path_join(run_dir, "watch-state.json");
    load_state(&w);

    rag_signals_catch(on_signal, true);

    log_receivers(&w);
    while (!stop_signal) {
        int64_t t0 = rag_mono_ms();
        round_once(&w);
        int64_t left = w.interval_ms - (rag_mono_ms() - t0);
        flush_outbox(&w, left > 1000 ? left : 1000);
        sleep_until(&w, t0 + w.interval_ms);
    }
    rag_error serr = {0};
    if (alertstate_save(&w.state, w.state_path, rag_now_ms(), &serr) != RAG_OK)
        rag_log_event(w.log, RAG_LEVEL_ERROR, "state_save_failed", serr.msg, NULL);
    rag_log_eventf(w.log, RAG_LEVEL_INFO, "watch_stopped", NULL, "stopped by signal %d; %zu alert(s) firing",
                   (int)stop_signal, alertstate_firing_count(&w.state));

out:
    alertstate_free(&w.state);
    rag_outbox_close(w.outbox);
    if (w.log) rag_log_close(w.log);
    if (lock.fd >= 0) rag_lock_release(&lock);
    free(w.state_path);
    free(run_dir);
    free(logs_dir);
    rag_config_free(&w.cfg);
    return rc;
}
