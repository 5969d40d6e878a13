/* services.h — the service registry (services.yml) the console and the
 * watcher read: per service its kind (server/job), health probe (URL,
 * interval, timeout), log files, metrics file, and actions (start, restart,
 * stop, run) as argv arrays — never a shell string — each with a confirm flag
 * and a timeout. A service may have many instances (replicas): a list of
 * health URLs, or a URL whose host's every A/AAAA record is one instance.
 * Validated with the same quality as the config. See docs/specs/services.md. */
#ifndef RAG_SERVICES_H
#define RAG_SERVICES_H

#include <stdbool.h>
#include <stdint.h>
#include "rag/common.h"

typedef enum { RAG_SERVICE_SERVER = 0, RAG_SERVICE_JOB } rag_service_kind;

typedef struct rag_action {
    char *name;        /* "start" | "restart" | "stop" | "run" */
    char **argv;       /* NULL-terminated */
    size_t argc;
    bool confirm;      /* ask before running (destructive) */
    int64_t timeout_ms;
} rag_action;

typedef struct rag_service {
    char *name;
    rag_service_kind kind;
    char *description;
    bool optional;     /* not running is not a failure */
    char *health_url;  /* NULL when none; with health.urls the first of them */
    int64_t health_interval_ms;
    int64_t health_timeout_ms;
    /* replicas (docs/specs/services.md "Replicas") */
    char **health_urls; size_t n_health_urls; /* health.urls: one instance per URL (0 = not set) */
    bool health_dns;                          /* health.dns: one instance per A/AAAA record of
                                                 health_url's host, resolved on every probe */
    int64_t rollout_grace_ms;                 /* health.rollout_grace: how long instances may
                                                 serve different generations before the rollout
                                                 check warns */
    char **logs; size_t n_logs;       /* absolute paths */
    char *metrics_file;               /* absolute, NULL when none */
    char *pidfile;                    /* absolute, NULL when none: first line a pid, optional
                                         second line the program it must still be running */
    rag_action *actions; size_t n_actions;
} rag_service;

typedef struct rag_services {
    char *path;      /* absolute path of services.yml */
    char *base_dir;  /* relative paths and action cwd resolve against it */
    rag_service *items; size_t count;
} rag_services;

int rag_services_load(const char *path, rag_services *out, rag_problems *problems, rag_error *err);
int rag_services_load_buffer(const char *name, const char *base_dir, const char *buf, size_t len,
                             rag_services *out, rag_problems *problems, rag_error *err);
void rag_services_free(rag_services *s);
/* A valid service (or context) name: 1-RAG_SERVICE_NAME_MAX of A-Z a-z 0-9 _ - .
 * A buffer that holds one is RAG_SERVICE_NAME_MAX + 1 bytes. */
#define RAG_SERVICE_NAME_MAX 64
bool rag_service_name_ok(const char *s);
/* Why u is not a usable http(s) URL (no host, credentials, spaces), NULL when it is. */
const char *rag_http_url_problem(const char *u);
const rag_service *rag_services_find(const rag_services *s, const char *name);
const rag_action *rag_service_action(const rag_service *svc, const char *action);
/* The service has replicas (health.urls or health.dns): probed per instance. */
bool rag_service_replicated(const rag_service *svc);

#endif
