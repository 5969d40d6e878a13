/* config.h — the stack's configuration (config/params.yaml), loaded with
 * libyaml into a typed struct with defaults, and validated: every problem is
 * reported as "path:line:col: key: what is wrong" (syntax errors, unknown keys
 * with a did-you-mean, wrong types, out-of-range values). Relative paths are
 * resolved against the config file's folder. Secrets are never stored: the
 * file names environment variables (api_key_env, url_env). */
#ifndef RAG_CONFIG_H
#define RAG_CONFIG_H

/* api.ann_ef_search when the config does not set it (docs/specs/config.md) */
#define RAG_ANN_EF_SEARCH_DEFAULT 80

#include <stdbool.h>
#include <stdint.h>
#include "rag/common.h"

#define RAG_CONFIG_SCHEMA_VERSION 1

typedef struct rag_receiver {
    char *name;
    char *format;  /* "slack" | "json" | "alertmanager" */
    char *url_env; /* name of the environment variable holding the URL */
} rag_receiver;

typedef struct rag_config {
    char *path;     /* absolute path of the file loaded */
    char *base_dir; /* its folder; relative paths resolve against it */

    int schema_version;
    char *project; /* display name */

    struct {
        char *transcripts; /* absolute */
        char *artifacts;   /* absolute; index/, checkpoints/, logs/, run/ below */
    } paths;

    struct {
        char **include; size_t n_include; /* glob patterns, relative to transcripts */
        char **exclude; size_t n_exclude;
        int64_t max_file_bytes;
        double max_error_ratio;     /* 0..1 */
        int batch_files;            /* files per batch (>=1) */
        int workers;                /* threads preparing files; 0 = one per online CPU */
        int keep_generations;       /* retention of index generations (>=1) */
        int keep_checkpoints;       /* retention of per-run manifest copies */
        char *legacy_encoding;      /* e.g. "windows-1252", or "" = reject */
        int64_t schedule_interval_ms; /* --watch: run every (0 = off) */
        char *schedule_daily_at;      /* --watch: "HH:MM" local time, "" = off */
        int64_t watch_debounce_ms;
    } ingest;

    struct {
        int target_tokens;
        int overlap_tokens;
    } chunking;

    struct {
        char *provider;   /* "hashing" | "openai" */
        int dimensions;
        char *model;      /* openai: model name */
        char *url;        /* openai: full /v1/embeddings URL */
        char *api_key_env;
        int batch_size;
        int64_t timeout_ms;
        int max_retries;
        char *encoding_format; /* "base64" | "float": how the server is asked to send vectors */
        int64_t ann_min_chunks; /* approximate vector index for files with >= this many chunks; 0 = never.
                                 * Not in the config hash: it speeds search up, it does not change results' source */
    } embedding;

    struct {
        char *listen_host; /* default 127.0.0.1 */
        int port;          /* default 8088 */
        int threads;
        int64_t connection_timeout_ms;
        int max_connections;
        int max_connections_per_ip;
        int64_t max_body_bytes;
        int default_k;
        int max_k;
        int64_t shutdown_grace_ms;
        char *admin_host;           /* admin listener for /healthz and /metrics; NULL = off */
        int admin_port;             /* default 127.0.0.1:8089; 0 = off */
        int64_t request_deadline_ms; /* whole request (headers + body) must arrive within this */
        char *default_mode;          /* mode of a /query that names none: "auto" | "bm25" | "hybrid" | "vector" */
        double hybrid_vector_weight; /* weight of the vector list in hybrid's weighted RRF (bm25's is 1) */
        char *status_token_env;     /* env var holding /status's bearer token; NULL = /status off */
        int ann_ef_search;          /* candidate list of an approximate vector search (HNSW ef); RAG_ANN_EF_SEARCH_DEFAULT */
    } api;

    struct {
        int64_t warn_after_ms;
        int64_t error_after_ms;
    } freshness;

    /* Retrieval quality (docs/specs/quality.md): golden queries evaluated by
     * rag-ingest before publishing and monitored like freshness. Not in the
     * config hash: they judge the index, they do not change it. */
    struct {
        char *golden;      /* absolute path of the golden-queries file; "" = no evaluation */
        int k;             /* cutoff for recall@k and the queries' ranking (1..100) */
        double min_ndcg;   /* gate and /healthz fail: nDCG@10 below this (0 = off) */
        double max_drop;   /* gate: relative drop of nDCG@10 vs the served generation (0..1; 1 = off) */
        double warn_ndcg;  /* /healthz and console warn: nDCG@10 below this (0 = off) */
    } quality;

    struct {
        int64_t interval_ms;
        int failure_threshold;
        int success_threshold;
        int64_t reminder_ms;       /* 0 = off */
        bool send_resolved;
        int64_t ingest_overdue_ms; /* no successful run within this = alert */
        int api_error_threshold;   /* errors in the last 5 minutes */
        int64_t delivery_expire_ms;
        char *instance;            /* alerts' instance label; default: the host name */
        rag_receiver *receivers; size_t n_receivers;
    } watch;
} rag_config;

/* Fill cfg with the built-in defaults (paths relative to base_dir). */
void rag_config_defaults(rag_config *cfg, const char *base_dir);

/* Load and validate path. Returns RAG_OK, or RAG_ENOENT / RAG_ERR with every
 * problem appended to problems (and a summary in err). On failure cfg is
 * freed and zeroed. */
int rag_config_load(const char *path, rag_config *cfg, rag_problems *problems, rag_error *err);

/* rag_config_load for a program's start-up: on failure print every problem
 * (or, when there is none, err's message) to stderr, one a line, and return
 * RAG_EXIT_CONFIG (err keeps the summary); RAG_EXIT_OK when cfg is loaded. */
int rag_config_load_or_report(const char *path, rag_config *cfg, rag_error *err);

/* Same, from an in-memory buffer; name is used in messages and base_dir for
 * relative paths. Used by tests and the fuzz harness. */
int rag_config_load_buffer(const char *name, const char *base_dir, const char *buf, size_t len,
                           rag_config *cfg, rag_problems *problems, rag_error *err);

void rag_config_free(rag_config *cfg);

/* Derived artifact paths (malloc'd): "<artifacts>/index", ".../checkpoints",
 * ".../checkpoints/latest.json", ".../logs", ".../run". */
char *rag_config_index_dir(const rag_config *cfg);
char *rag_config_checkpoints_dir(const rag_config *cfg);
char *rag_config_manifest_path(const rag_config *cfg);
char *rag_config_logs_dir(const rag_config *cfg);
char *rag_config_run_dir(const rag_config *cfg);

/* Default config path: $RAG_CONFIG, else "config/params.yaml". */
const char *rag_config_default_path(void);
/* A valid *_env value: the name of an environment variable ([A-Z_][A-Z0-9_]*). */
bool rag_config_env_name_ok(const char *s);

#endif
