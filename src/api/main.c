/* main.c — rag-api: loads config/params.yaml, binds 127.0.0.1:8088 (api.*
 * or --listen) and the admin listener 127.0.0.1:8089 (api.admin_listen), serves /query, /healthz and /metrics from the newest
 * published index generation, and hot-reloads new ones (inotify, stat
 * fallback, SIGHUP). SIGTERM/SIGINT: stop accepting, let requests in flight
 * finish (api.shutdown_grace), exit 0. Exit 78 on a bad config, 1 when the
 * server cannot start (e.g. port taken), 2 on bad usage. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rag/common.h"
#include "rag/config.h"
#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

#include "accesslog.h"
#include "route_status.h"
#include "app.h"
#include "listen_group.h"
#include "query.h"
#include "reload.h"
#include "route_healthz.h"
#include "server.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rag-api [--config PATH] [--listen HOST:PORT] [--pidfile PATH] [--log-probes]\n"
            "               [--print-settings]\n"
            "       rag-api --version | --help\n"
            "Serves /query, /healthz and /metrics from the newest index generation.\n"
            "  --config PATH      config file (default $RAG_CONFIG or config/params.yaml)\n"
            "  --listen HOST:PORT override api.listen (numeric IP; [::1]:PORT for IPv6)\n"
            "  --pidfile PATH     write our pid there while running (removed on exit)\n"
            "  --log-probes       also log each successful /healthz and /metrics request\n"
            "                     (by default they are only counted in the summary)\n"
            "  --print-settings   print listen address, URL, artifact folders and the default\n"
            "                     query mode, then exit\n"
            "Signals: SIGHUP re-reads the manifest; SIGTERM/SIGINT stop gracefully.\n"
            "Exit status: 0 stopped by a signal, 1 cannot start (e.g. a port taken), 2 usage,\n"
            "78 invalid configuration.\n");
}

static int parse_listen(const char *s, char *host, size_t hostsz, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return -1;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!end || *end || p < 1 || p > 65535) return -1;
    size_t n = (size_t)(colon - s);
    if (s[0] == '[' && n > 2 && s[n - 1] == ']') { s++; n -= 2; }
    if (n >= hostsz) return -1;
    memcpy(host, s, n);
    host[n] = '\0';
    *port = (int)p;
    return 0;
}

static void remove_pidfile(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    if (rag_read_file(path, 64, &buf, &len, NULL) == RAG_OK && atol(buf) == (long)getpid()) unlink(path);
    free(buf);
}

int main(int argc, char **argv)
{
    const char *config_path = rag_config_default_path();
    const char *listen_arg = NULL, *pidfile = NULL;
    int print_settings = 0;
    bool log_probes = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--config") || !strcmp(a, "-c")) && i + 1 < argc) config_path = argv[++i];
        else if (!strncmp(a, "--config=", 9)) config_path = a + 9;
        else if (!strcmp(a, "--listen") && i + 1 < argc) listen_arg = argv[++i];
        else if (!strncmp(a, "--listen=", 9)) listen_arg = a + 9;
        else if (!strcmp(a, "--pidfile") && i + 1 < argc) pidfile = argv[++i];
        else if (!strncmp(a, "--pidfile=", 10)) pidfile = a + 10;
        else if (!strcmp(a, "--print-settings")) print_settings = 1;
        else if (!strcmp(a, "--log-probes")) log_probes = true;
        else if (!strcmp(a, "--version")) { printf("rag-api %s\n", RAG_VERSION); return RAG_EXIT_OK; }
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return RAG_EXIT_OK; }
        else {
            fprintf(stderr, "rag-api: unknown or incomplete argument: %s\n", a);
            usage(stderr);
            return RAG_EXIT_USAGE;
        }
    }

    rag_config cfg;
    rag_error err = {0};
    if (rag_config_load_or_report(config_path, &cfg, &err) != RAG_EXIT_OK) {
        fprintf(stderr, "rag-api: invalid configuration %s; not starting\n", config_path);
        return RAG_EXIT_CONFIG;
    }

    api_app app;
    memset(&app, 0, sizeof app);
    app.cfg = &cfg;
    app.log_probes = log_probes;
    snprintf(app.listen_host, sizeof app.listen_host, "%s", cfg.api.listen_host ? cfg.api.listen_host : "127.0.0.1");
    app.listen_port = cfg.api.port > 0 ? cfg.api.port : 8088;
    if (listen_arg && parse_listen(listen_arg, app.listen_host, sizeof app.listen_host, &app.listen_port)) {
        fprintf(stderr, "rag-api: --listen %s: expected HOST:PORT, e.g. 127.0.0.1:8088\n", listen_arg);
        rag_config_free(&cfg);
        return RAG_EXIT_USAGE;
    }
    char *logs_dir = rag_config_logs_dir(&cfg);
    char *run_dir = rag_config_run_dir(&cfg);
    if (print_settings) {
        const bool v6 = strchr(app.listen_host, ':') != NULL;
        printf("listen=%s%s%s:%d\n", v6 ? "[" : "", app.listen_host, v6 ? "]" : "", app.listen_port);
        printf("url=http://%s%s%s:%d\n", v6 ? "[" : "", app.listen_host, v6 ? "]" : "", app.listen_port);
        if (cfg.api.admin_port > 0) {
            const bool av6 = strchr(cfg.api.admin_host, ':') != NULL;
            printf("admin_url=http://%s%s%s:%d\n", av6 ? "[" : "", cfg.api.admin_host, av6 ? "]" : "", cfg.api.admin_port);
        } else {
            printf("admin_url=\n");
        }
        printf("run_dir=%s\nlogs_dir=%s\n", run_dir, logs_dir);
        /* what a /query without "mode" gets, for the configured embedder (a
         * query follows the served generation's, the same unless the config
         * changed since its ingest) */
        api_query_req settings = {0};
        api_query_req_settings(&settings, &cfg);
        printf("default_mode=%s\ndefault_mode_setting=%s\nhybrid_vector_weight=%g\n",
               api_mode_name(api_mode_resolve(API_MODE_AUTO, settings.default_mode, cfg.embedding.provider)),
               cfg.api.default_mode, cfg.api.hybrid_vector_weight);
        free(logs_dir);
        free(run_dir);
        rag_config_free(&cfg);
        return RAG_EXIT_OK;
    }

    /* Signals are taken synchronously by this thread (sigtimedwait below);
     * every thread started later inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* past a file-size limit a log write fails (counted, /healthz warns), not the process */

    /* No global allocation statistics: they take a mutex on every malloc. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    int rc = RAG_EXIT_FAIL;
    char *log_path = rag_path_join(logs_dir, "api.jsonl");
    app.log = rag_log_open(log_path, "rag-api", &err);
    if (!app.log) {
        fprintf(stderr, "rag-api: cannot open the log %s: %s\n", log_path, err.msg);
        goto out_paths;
    }
    int fd = api_listen_bind(app.listen_host, app.listen_port, true, &err);
    if (fd < 0) {
        fprintf(stderr, "rag-api: %s\n", err.msg);
        rag_log_event(app.log, RAG_LEVEL_ERROR, "start_failed", err.msg, NULL);
        goto out_log;
    }

    int admin_fd = -1;
    if (cfg.api.admin_port > 0) {
        admin_fd = api_listen_bind(cfg.api.admin_host, cfg.api.admin_port, false, &err);
        if (admin_fd < 0) {
            fprintf(stderr, "rag-api: admin listener (api.admin_listen): %s\n", err.msg);
            rag_log_event(app.log, RAG_LEVEL_ERROR, "start_failed", err.msg, NULL);
            close(fd);
            goto out_log;
        }
    }

    app.manifest_path = rag_config_manifest_path(&cfg);
    app.index_dir = rag_config_index_dir(&cfg);
    app.checkpoints_dir = rag_config_checkpoints_dir(&cfg);
    app.logs_dir = rag_xstrdup(logs_dir);
    api_status_setup(&app);
    if (cfg.api.threads == 0) { /* one thread per core: more only adds scheduling latency */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.api.threads = cores > 0 ? (int)(cores < 256 ? cores : 256) : 2;
    }
    app.workers = cfg.api.threads;
    app.stats = api_stats_new();
    app.store = api_store_new();
    app.confwatch = api_confwatch_new(cfg.path ? cfg.path : config_path, &cfg);
    char *ingest_metrics_path = rag_path_join(logs_dir, "ingestion_metrics.jsonl");
    app.lastrun = api_lastrun_new(ingest_metrics_path);
    free(ingest_metrics_path);
    app.healthz = api_healthz_cache_new();
    app.started_ms = rag_now_ms();
    app.started_mono_ms = rag_mono_ms();
    atomic_init(&app.inflight, 0);

    api_reloader *reloader = api_reloader_new(&app);
    api_reloader_check(reloader, true);
    if (api_reloader_start(reloader, &err) != RAG_OK) {
        fprintf(stderr, "rag-api: %s\n", err.msg);
        close(fd);
        if (admin_fd >= 0) close(admin_fd);
        api_reloader_free(reloader);
        goto out_app;
    }
    api_server *srv = api_server_start(&app, fd, admin_fd, &err);
    if (!srv) {
        fprintf(stderr, "rag-api: %s\n", err.msg);
        rag_log_event(app.log, RAG_LEVEL_ERROR, "start_failed", err.msg, NULL);
        api_reloader_free(reloader);
        goto out_app;
    }
    if (pidfile) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (rag_atomic_write(pidfile, pid, (size_t)n, &err) != RAG_OK)
            fprintf(stderr, "rag-api: warning: cannot write pidfile: %s\n", err.msg);
    }
    {
        api_served_info info;
        api_store_info(app.store, &info);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "listen", app.listen_host);
        cJSON_AddNumberToObject(p, "port", app.listen_port);
        cJSON_AddNumberToObject(p, "pid", (double)getpid());
        if (cfg.api.admin_port > 0) {
            cJSON_AddStringToObject(p, "admin_listen", cfg.api.admin_host);
            cJSON_AddNumberToObject(p, "admin_port", cfg.api.admin_port);
        }
        cJSON_AddStringToObject(p, "config", config_path);
        cJSON_AddStringToObject(p, "generation", info.present ? info.generation : "");
        rag_log_eventf(app.log, RAG_LEVEL_INFO, "started", p, "listening on http://%s:%d (%s)", app.listen_host,
                       app.listen_port, info.present ? info.generation : "no index yet");
        fprintf(stderr, "rag-api %s: listening on http://%s:%d, serving %s\n", RAG_VERSION, app.listen_host,
                app.listen_port, info.present ? info.generation : "nothing yet (no index; /healthz is fail)");
        if (cfg.api.admin_port > 0)
            fprintf(stderr, "rag-api: admin listener (/healthz, /metrics%s) on http://%s:%d\n",
                    app.status_token ? ", /status" : "", cfg.api.admin_host, cfg.api.admin_port);
    }

    api_summary summary;
    api_summary_init(&summary, app.stats, rag_now_ms());
    int64_t next_summary = rag_mono_ms() + 60000;
    int stop_sig = 0;
    while (!stop_sig) {
        struct timespec ts = {1, 0};
        siginfo_t si;
        int s = sigtimedwait(&sigs, &si, &ts);
        if (s == SIGHUP) api_reloader_trigger(reloader);
        else if (s == SIGTERM || s == SIGINT) stop_sig = s;
        if (rag_mono_ms() >= next_summary) {
            api_summary_emit(&summary, app.stats, app.log, rag_now_ms());
            next_summary += 60000;
        }
    }
    rag_log_eventf(app.log, RAG_LEVEL_INFO, "stopping", NULL, "%s: no new connections; finishing %d request(s) in flight",
                   strsignal(stop_sig), atomic_load(&app.inflight));
    int64_t grace = cfg.api.shutdown_grace_ms > 0 ? cfg.api.shutdown_grace_ms : 10000;
    int left = api_server_shutdown(srv, grace);
    api_reloader_free(reloader);
    api_summary_emit(&summary, app.stats, app.log, rag_now_ms());
    if (left) rag_log_eventf(app.log, RAG_LEVEL_WARN, "stopped", NULL, "%d request(s) cut off after the grace period", left);
    else rag_log_event(app.log, RAG_LEVEL_INFO, "stopped", "all requests finished", NULL);
    if (pidfile) remove_pidfile(pidfile);
    rc = RAG_EXIT_OK;
out_app:
    api_healthz_cache_free(app.healthz);
    api_confwatch_free(app.confwatch);
    api_lastrun_free(app.lastrun);
    api_store_free(app.store);
    api_stats_free(app.stats);
    free(app.manifest_path);
    free(app.index_dir);
    free(app.checkpoints_dir);
    free(app.logs_dir);
    free(app.status_token);
out_log:
    rag_log_close(app.log);
out_paths:
    free(log_path);
    free(logs_dir);
    free(run_dir);
    rag_config_free(&cfg);
    return rc;
}
