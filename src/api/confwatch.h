/* confwatch.h — the config file as it is now, for /healthz: its config
 * hash and the settings /healthz judges by (freshness limits, the error
 * threshold, the quality thresholds), so editing them takes effect without a restart. The file is stat()ed at most once per second and re-loaded and
 * re-hashed only when its mtime, size or inode changed, so /healthz never
 * does file I/O on its own. */
#ifndef API_CONFWATCH_H
#define API_CONFWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "rag/config.h"

typedef struct api_confwatch api_confwatch;

/* The settings /healthz judges by. */
typedef struct api_health_settings {
    int64_t warn_after_ms;
    int64_t error_after_ms;
    int api_error_threshold;
    double warn_ndcg;   /* quality.warn_ndcg: warn below (0 = off) */
    double min_ndcg;    /* quality.min_ndcg: fail below (0 = off) */
    int64_t ingest_overdue_ms; /* watch.ingest_overdue (/status: what a remote ragtop judges by) */
} api_health_settings;

typedef struct api_config_view {
    bool ok;              /* the file loaded and validated */
    char hash[65];        /* its config hash when ok */
    char error[512];      /* why not ok */
    cJSON *canonical;     /* copy of its canonical subtree (caller frees), NULL when !ok */
    api_health_settings health; /* from the file as it is now; the last values that loaded when !ok */
    char restart_keys[512];     /* start-time settings the file changes ("api.max_k, …"; "" = none):
                                 * a restart applies them */
} api_config_view;

/* initial: the config rag-api started with (its health settings apply
 * until the file is first re-read). */
api_confwatch *api_confwatch_new(const char *config_path, const rag_config *initial);
void api_confwatch_free(api_confwatch *w);
/* Current view; now_mono_ms paces the stat(). want_tree: also copy the
 * canonical subtree (for explaining a mismatch). */
void api_confwatch_get(api_confwatch *w, int64_t now_mono_ms, bool want_tree, api_config_view *out);
/* Bumps whenever the view changed (for response caches). */
uint64_t api_confwatch_version(api_confwatch *w, int64_t now_mono_ms);

#endif
