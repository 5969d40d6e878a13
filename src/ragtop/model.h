/* model.h — the console's state model: one snapshot struct holding
 * everything ragtop knows (config now, manifest on disk, probe results with
 * parsed /healthz fields, recent ingestion runs, pending sources), plus the
 * live model the interactive console shares between threads (the snapshot,
 * probe histories, the log ring, the action state) under one mutex, with a
 * self-pipe that wakes the UI. Collectors build their part outside the lock
 * and publish it with one model_publish_* call (swap + free old). */
#ifndef RAGTOP_MODEL_H
#define RAGTOP_MODEL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "rag/config.h"
#include "rag/jsonlog.h"
#include "rag/manifest.h"
#include "rag/services.h"

/* Severity of a check; numeric values are the Nagios exit codes. */
typedef enum { RT_OK = 0, RT_WARN = 1, RT_CRIT = 2, RT_UNKNOWN = 3 } rt_severity;
const char *rt_severity_name(rt_severity s); /* "OK" "WARN" "CRIT" "UNKNOWN" */

/* snprintf into a fixed buffer, truncating silently (display text). */
void rt_fmt(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* config/params.yaml as it is now. */
typedef struct rt_config_info {
    int rc;                   /* RAG_OK, RAG_ENOENT or RAG_ERR (invalid) */
    char error[512];          /* first problem when rc != RAG_OK */
    char path[PATH_MAX];
    rag_config cfg;           /* valid when rc == RAG_OK (owned) */
    char hash[65];            /* canonical config hash, "" when not loaded */
    cJSON *canonical;         /* canonical subtree (owned), NULL when not loaded */
    char manifest_path[PATH_MAX];
    char index_dir[PATH_MAX];
    char logs_dir[PATH_MAX];
} rt_config_info;

/* artifacts/checkpoints/latest.json as it is on disk. */
typedef struct rt_manifest_info {
    int rc;                   /* RAG_OK, RAG_ENOENT, RAG_ECORRUPT, RAG_EVERSION, RAG_ERR */
    char error[512];
    char path[PATH_MAX];
    rag_manifest m;           /* valid when rc == RAG_OK (owned) */
} rt_manifest_info;

/* The artifacts' file system (collect_disk.c): room left, and what the
 * served generation takes. */
typedef struct rt_disk_info {
    bool checked;             /* a local config named an artifacts folder that was looked at */
    int rc;                   /* RAG_OK, or RAG_ERR when statvfs failed (error says why) */
    char error[PATH_MAX + 64];
    char path[PATH_MAX];      /* the folder asked: the index folder, or the nearest one above it that exists */
    uint64_t avail_bytes;     /* free to an unprivileged writer (statvfs f_bavail), as df's "Avail" */
    uint64_t total_bytes;
    int64_t generation_bytes; /* the served generation's file plus its segments, -1 when unknown */
} rt_disk_info;

/* One instance (replica) of a replicated service: its own probe. */
#define RT_MAX_INSTANCES 32   /* instances probed per service; more are counted, not probed */
typedef struct rt_instance {
    char name[80];            /* "127.0.0.1:8101" (host:port of its URL, or address:port from DNS) */
    bool up;                  /* an HTTP response arrived */
    long http_code;
    int64_t latency_ms;
    char error[160];          /* transport error when not up */
    char status[16];          /* /healthz "pass" | "warn" | "fail" */
    char generation[128];     /* the generation it serves, "" when not reported */
    int64_t generated_at_ms;  /* that generation's build time */
    int64_t loaded_at_ms;     /* when this instance started serving it (/healthz index.loaded_at) */
    int64_t uptime_s, requests, errors, recent_errors;
} rt_instance;

/* One health probe of one service (GET health_url). */
typedef struct rt_probe {
    char service[RAG_SERVICE_NAME_MAX + 1];
    bool probed;              /* the service has a health URL and was probed */
    bool up;                  /* an HTTP response arrived (any code) */
    long http_code;
    int64_t latency_ms;
    int64_t probed_at_ms;
    char error[256];          /* transport error ("connection refused", "timeout after 2s") */
    /* parsed /healthz body (empty / -1 when absent) */
    char status[16];          /* "pass" | "warn" | "fail" */
    char version[32];
    int64_t uptime_s;
    int64_t requests, errors; /* totals reported by the service */
    int64_t recent_errors;
    char run_id[64];
    char generation[128];
    char config_hash[65];
    int64_t generated_at_ms, checked_at_ms, chunk_count;
    int64_t loaded_at_ms;     /* index.loaded_at: when it started serving the generation */
    char failing[256];        /* names of failing/warning checks, "," separated */
    char body[4096];          /* the /healthz body as received (cut at 4 KiB), for the detail view */
    bool body_cut;            /* the body was longer than body[] */
    bool probing;             /* console: this service's first probe is still in flight */
    /* services without a health URL that name a pidfile */
    int pid_state;            /* RT_PID_NONE, RT_PID_STOPPED, RT_PID_RUNNING */
    long pid;                 /* the live pid (RT_PID_RUNNING) or the stale one */
    int64_t pid_since_ms;     /* mtime of the pidfile: when the program was started */
    char pid_note[192];       /* why it reads stopped ("no pidfile", "stale pidfile: pid 123 is gone"), or an old-format pidfile honoured */
    /* replicated services (health.urls / health.dns): each instance probed on
     * its own; the fields above are then the aggregate (up = any instance up,
     * requests/errors summed, latency the slowest, the rest from the instance
     * serving the most common generation) */
    bool replicated;
    rt_instance inst[RT_MAX_INSTANCES]; size_t n_inst; /* in URL / address order */
    size_t n_inst_found;      /* instances named or resolved (> n_inst when over the limit) */
    size_t n_inst_up;
} rt_probe;

enum { RT_PID_NONE = 0, RT_PID_STOPPED, RT_PID_RUNNING };

/* One line of ingestion_metrics.jsonl. */
typedef struct rt_run {
    char run_id[64];
    char status[24];          /* "success" | "failed" | ... as written */
    bool ok;                  /* status means success */
    int64_t started_ms, duration_ms;
    int64_t files, chunks, tokens, errors;
    char generation[128];     /* published generation, "" when none */
    bool rollback;            /* a rag-ingest --rollback line (metrics-line.md "rollback"): not an ingest */
    char rollback_from[128];  /* the generation it replaced, "" when none */
    char first_error[256];
    /* the golden-query evaluation of the run's candidate (metrics-line.md
     * quality_*); has_quality false when the line carries none */
    bool has_quality;
    double quality_ndcg, quality_recall, quality_mrr;
    int64_t quality_failed;
    char quality_gate[16];    /* passed | refused | forced | off | skipped, "" when absent */
} rt_run;

/* Transcripts on disk compared with the documents of the current generation. */
typedef struct rt_sources {
    int rc;                   /* RAG_OK or RAG_ERR */
    char error[256];
    bool exact;               /* compared against the index's documents table;
                                 false = mtime vs manifest checked_at */
    int64_t total, added, changed, removed;
    int64_t unreadable;       /* folders and entries the scan could not read, FIFOs, sockets, devices */
    char first_unreadable[256]; /* "path: why" of the first */
} rt_sources;

#define RT_MAX_RUNS 32

/* The stack read from a rag-api /status endpoint (docs/specs/status.md)
 * instead of local files: a remote context. */
typedef struct rt_remote_info {
    bool on;                  /* this snapshot came from /status */
    char url[512];            /* the /status URL asked */
    char token_env[64];       /* the variable holding the bearer token ("" = none sent) */
    int rc;                   /* RAG_OK: /status answered 200 with a body we read */
    long http_code;           /* 0 = no HTTP answer */
    char error[512];          /* why not (never contains the token) */
    int64_t latency_ms;
} rt_remote_info;

/* Everything one collection pass learned. Owns its members; free with
 * snapshot_free. Probes are in services order (one per service). */
typedef struct rt_snapshot {
    int64_t collected_at_ms;
    char services_path[PATH_MAX];
    int services_rc;           /* RAG_OK, RAG_ENOENT, RAG_ERR */
    char services_error[512];
    rag_services services;     /* valid when services_rc == RAG_OK (owned) */
    char services_stale[560];  /* the console only: services.yml on disk no longer loads
                                  ("invalid: <why>", "gone: <why>") while services is
                                  still the one read before; "" = it is what is on disk */
    rt_config_info config;
    rt_manifest_info manifest;
    rt_probe *probes; size_t n_probes;
    rt_run runs[RT_MAX_RUNS]; size_t n_runs; /* oldest first */
    char runs_error[256];      /* why the run history could not be read ("" when it could, or is absent) */
    rt_sources sources;
    rt_disk_info disk;         /* not checked in a remote context */
    rt_remote_info remote;     /* remote.on: everything above came from /status */
} rt_snapshot;

void snapshot_init(rt_snapshot *s);
void snapshot_free(rt_snapshot *s);
void config_info_free(rt_config_info *c);
void manifest_info_free(rt_manifest_info *m);

/* ------------------------------------------------------------------ live model
 * Used by the interactive console only. */

#define RT_SPARK_LEN 32        /* points kept per sparkline */
#define RT_LOG_RING 20000      /* log lines kept by default (settings: log_lines) */
#define RT_LOG_RING_MIN 100
#define RT_LOG_RING_MAX 1000000
#define RT_LOG_LINE_MAX 8192   /* bytes kept per raw log line */
#define RT_LOG_BYTES_MAX (8u << 20) /* and at least this many bytes of lines (raw + shown) */

typedef struct rt_log_line {
    uint64_t seq;              /* 1, 2, ... in arrival order */
    int source;                /* index into model.log_sources */
    int level;                 /* rag_level, or -1 when not a valid log line */
    int64_t ts_ms;
    char *raw;                 /* the line as read (unescaped) */
    char *text;                /* as shown (logline_format: escaped, inert) */
    /* UI thread's cache of filter / search results (generation + result) */
    uint32_t fgen, sgen;
    bool fmatch, smatch;
} rt_log_line;

typedef struct rt_service_hist {
    int64_t latency[RT_SPARK_LEN]; /* -1 = probe failed */
    size_t n;
    bool last_up; bool have_last;
    int64_t changed_at_ms;     /* when up/down last changed */
} rt_service_hist;

typedef enum { RT_ACT_IDLE = 0, RT_ACT_RUNNING, RT_ACT_DONE } rt_action_phase;

typedef struct rt_action_state {
    rt_action_phase phase;
    char label[96];            /* "ingest (ingest run)" */
    int64_t started_ms, finished_ms;
    int exit_status;           /* -1 = killed / spawn failed */
    char result[512];          /* "ingest run: done (exit 0) in 4.2s" / "...: FAILED, exit 78 ...: <reason>" */
    char argv[512];            /* the command as run, words joined by spaces */
    char output_path[PATH_MAX];/* the action's full output (stdout+stderr) */
    char last_line[256];       /* its last non-empty output line so far */
    int real_exit;             /* the program's own exit status behind make's ("Error 78"), else exit_status */
    bool detached;             /* left running when ragtop quit */
    /* progress from batch_done events (0 when unknown) */
    int64_t done, total;
    int64_t progress_at_ms;
} rt_action_state;

typedef struct rt_model {
    pthread_mutex_t lock;
    int wake_rd, wake_wr;      /* self-pipe: writers wake the UI */
    uint64_t version;          /* bumped on every publish */
    rt_snapshot snap;
    uint64_t services_gen;     /* bumped when services.yml was re-read */
    rag_services *retired; size_t n_retired; /* replaced registries: other threads may
                                                still point into them; freed at exit */
    rt_service_hist *hist; size_t n_hist;
    /* log ring */
    rt_log_line *ring; size_t ring_cap; /* model_set_ring_size */
    size_t log_bytes_max;
    uint64_t log_seq;          /* seq of the newest line (0 = none) */
    uint64_t log_oldest;       /* seq of the oldest line still kept (1 when none) */
    size_t log_bytes;          /* bytes held by the kept lines */
    uint64_t log_lines_total;  /* lines read since start */
    uint64_t log_malformed;
    char **log_sources; size_t n_log_sources; /* labels: the service's name ("api", "api:extra") */
    int log_source_w;          /* width of the source column (the longest label, capped) */
    /* actions */
    rt_action_state action;     /* the running or last action */
    char notice[512];           /* last message for the status line */
    int64_t first_log_frame_ms; /* for benchmarks */
} rt_model;

int model_init(rt_model *m);
void model_destroy(rt_model *m);
void model_lock(rt_model *m);
void model_unlock(rt_model *m);
/* Write one byte to the self-pipe (non-blocking; a full pipe is fine). */
void model_wake(rt_model *m);
/* Drain the self-pipe (UI thread). */
void model_drain(rt_model *m);

/* Publish parts (takes ownership of *in and zeroes it; old value freed). */
void model_publish_config(rt_model *m, rt_config_info *in);
void model_publish_manifest(rt_model *m, rt_manifest_info *in);
void model_publish_runs(rt_model *m, const rt_run *runs, size_t n, const char *error);
void model_publish_sources(rt_model *m, const rt_sources *in);
void model_publish_disk(rt_model *m, const rt_disk_info *in);
/* A re-read services.yml (valid): replaces the registry, keeps the old one
 * alive until model_destroy, bumps services_gen. */
void model_publish_services(rt_model *m, rag_services *in);
/* services.yml re-read and does not load: rc RAG_ENOENT (gone) or RAG_ERR
 * (invalid), why the reason. A registry loaded before stays (the console
 * still probes and acts on it; returns true) and services_stale says the
 * file differs; without one, services_rc and services_error say it. */
bool model_services_unloadable(rt_model *m, int rc, const char *why);
/* Probes: one per service, updates histories (latency sparkline, last change). */
void model_publish_probes(rt_model *m, const rt_probe *probes, size_t n);
/* Size the log ring (lines kept, clamped to RT_LOG_RING_MIN..MAX); only
 * before the first line arrives. model_init sizes it to RT_LOG_RING. */
void model_set_ring_size(rt_model *m, size_t lines);
/* Lines kept now (newest - oldest + 1, 0 when none). Caller holds the lock. */
uint64_t model_log_kept(const rt_model *m);
/* Append one log line (copied, truncated to RT_LOG_LINE_MAX) with its shown
 * form. The oldest lines are dropped beyond ring_cap lines or log_bytes_max
 * bytes (raw + shown). Does not wake; callers wake once per batch. */
void model_log_append(rt_model *m, int source, const char *line, size_t len);
/* Forget the stack shown (snapshot, histories, log lines and sources, the
 * last action) before showing another context; the registry is retired
 * (kept alive until model_destroy). Workers must be stopped. */
void model_reset_stack(rt_model *m);
/* The log source labelled label (added when new); caller holds the lock. */
int model_log_source(rt_model *m, const char *label);
/* Size the source column to the longest label (6..16); caller holds the lock. */
void model_log_source_width(rt_model *m);
/* A remote collection's /status outcome. */
void model_publish_remote(rt_model *m, const rt_remote_info *in);
void model_set_notice(rt_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
