/* collect.h — the collectors: plain synchronous functions, callable from any
 * thread, each filling one part of an rt_snapshot from disk. They never fail
 * hard: problems land in the part's rc/error fields. collect_all runs them
 * all plus the probes (concurrently with the disk collectors) — the one entry
 * point `ragtop --once` and `ragtop watch` use. */
#ifndef RAGTOP_COLLECT_H
#define RAGTOP_COLLECT_H

#include "model.h"

/* Where the inputs are. NULL fields mean "use the default". */
typedef struct rt_inputs {
    const char *services_path; /* --services */
    const char *config_path;   /* --config */
    const char *remote_url;    /* a remote context: read the stack from <url>/status instead */
    const char *token_env;     /* and send the token in this variable (NULL = none) */
} rt_inputs;

/* Resolve the services file: explicit path, else $RAG_SERVICES (either
 * one is used as named, existing or not), else ./services.yml, else
 * $XDG_CONFIG_HOME/ragtop/services.yml (or ~/.config/...). Writes the
 * chosen path (./services.yml when none of the defaults exists) into out;
 * returns true when the file exists. The console, --once, watch and
 * validate all find it here. */
bool collect_services_path(const char *explicit_path, char out[PATH_MAX]);
/* Load services.yml into s->services (s->services_rc / _error). */
void collect_services(rt_snapshot *s, const char *path);

/* Resolve the config file: explicit, else $RAG_CONFIG, else
 * ./config/params.yaml, else <services dir>/config/params.yaml. */
void collect_config_path(const char *explicit_path, const char *services_base_dir, char out[PATH_MAX]);
/* Load and hash the config; fills derived artifact paths. */
void collect_config(rt_config_info *out, const char *path);

/* Load the manifest named by the config (or path when cfg is not loaded). */
void collect_manifest(rt_manifest_info *out, const rt_config_info *cfg);

/* Path of ingestion_metrics.jsonl: the metrics_file of the first service
 * that has one, else <logs_dir>/ingestion_metrics.jsonl. "" when unknown. */
void collect_runs_path(const rag_services *svcs, const rt_config_info *cfg, char out[PATH_MAX]);
/* Read the last (up to RT_MAX_RUNS) runs from the end of the metrics file
 * without reading the whole file. Returns the count (0 when none/missing).
 * error (error_len bytes) gets why a file that is there could not be read
 * (a FIFO, a folder, no permission), else "": a run history that cannot be
 * read must not read as "no runs recorded". */
size_t collect_runs(const char *path, rt_run *runs, size_t max, char *error, size_t error_len);
/* Parse one metrics line; false when it is not a run object. */
bool collect_runs_parse_line(const char *line, size_t len, rt_run *out);

/* Compare the transcripts rag-ingest would take (rag_sources_scan with the
 * config's include/exclude) with the documents and failures of the
 * generation the manifest names; fall back to mtime vs checked_at. */
void collect_sources(rt_sources *out, const rt_config_info *cfg, const rt_manifest_info *man);

/* The artifacts' file system (statvfs of the index folder or, before the
 * first ingest made it, of the nearest folder above it that exists) and the
 * served generation's bytes; out->checked false when no config is loaded. */
void collect_disk(rt_disk_info *out, const rt_config_info *cfg, const rt_manifest_info *man);

/* Warning/error log events a /status answer carried, oldest first: the raw
 * JSON line and the log it came from ("ingest", "api"). */
typedef struct rt_remote_logs { char **lines; char **sources; size_t n; } rt_remote_logs;
void collect_remote_logs_free(rt_remote_logs *logs);
/* The /status URL for a context's url: "<url>/status" unless it already
 * ends in /status. */
void collect_remote_url(const char *url, char out[512]);
/* Fill s (snapshot_init'ed) from one GET of <url>/status with the bearer
 * token from $token_env: services (one "rag_api" standing for the API),
 * config, manifest, runs, the API's health (probe), s->remote; sources are
 * not visible remotely (rc = RAG_ERR). Failures land in s->remote.error.
 * logs (may be NULL) receives the log events. */
/* The registry of a remote context: one service, "rag_api", whose health
 * URL is the /status URL (s->services, services_rc, services_path). */
void collect_remote_services(rt_snapshot *s, const char *status_url);
void collect_remote(rt_snapshot *s, const char *url, const char *token_env, rt_remote_logs *logs);
/* The part of collect_remote that reads a 200 answer's body (s->remote.url,
 * the registry and its one probe already set): s->remote.rc = RAG_OK when
 * it is a /status document this ragtop reads, else remote.error says why. */
/* The start of a remote snapshot (s snapshot_init'ed): s->remote for url,
 * the one-service registry and its (empty) probe. */
void collect_remote_init(rt_snapshot *s, const char *url);
void collect_remote_parse(rt_snapshot *s, const char *body, size_t len, rt_remote_logs *logs);

/* Run every collector and probe every service (probes concurrently, each
 * with its own timeout, in a second thread while the disk collectors run).
 * s must be snapshot_init'ed; the caller frees it with snapshot_free. */
void collect_all(rt_snapshot *s, const rt_inputs *in);

#endif
