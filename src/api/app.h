/* app.h — the state one rag-api process shares between its modules: the
 * loaded config, derived paths, counters, the generation store, the config
 * watcher, the log and the in-flight request count. Built once by main.c and
 * passed by pointer (there is no global state). */
#ifndef API_APP_H
#define API_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rag/config.h"
#include "rag/jsonlog.h"

#include "confwatch.h"
#include "index_store.h"
#include "lastrun.h"
#include "stats.h"

typedef struct api_healthz_cache api_healthz_cache;

typedef struct api_app {
    const rag_config *cfg;
    char *manifest_path;
    char *index_dir;
    char *checkpoints_dir;
    char *logs_dir;       /* artifacts/logs: the logs and metrics file /status reads */
    char *status_token;   /* /status bearer token (from api.status_token_env); NULL = /status off */
    char status_off_why[160]; /* why /status is off (for its 404) */
    char listen_host[64];
    int listen_port;
    int workers;          /* query worker threads (and leases per generation) */
    bool log_probes;      /* also log successful /healthz and /metrics requests */
    api_stats *stats;
    api_store *store;
    api_confwatch *confwatch;
    api_lastrun *lastrun; /* newest ingest run outcome, for /metrics */
    api_healthz_cache *healthz;
    rag_log *log;         /* artifacts/logs/api.jsonl */
    int64_t started_ms;   /* wall clock */
    int64_t started_mono_ms;
    atomic_int inflight;  /* requests received and not yet completed */
} api_app;

#endif
