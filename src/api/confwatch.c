/* confwatch.c — cached config hash with an mtime-paced refresh (see
 * confwatch.h). A config that stops validating is reported, not fatal: the
 * API keeps serving and /healthz says why the hash cannot be compared. */
#include "confwatch.h"
#include "filecheck.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"
#include "rag/config.h"
#include "rag/confighash.h"

struct api_confwatch {
    pthread_mutex_t lock;
    char *path;
    api_filecheck check;
    bool ok;
    char hash[65];
    char error[512];
    cJSON *canonical;
    api_health_settings health;
    uint64_t version;
};

static void health_from(api_health_settings *h, const rag_config *cfg)
{
    h->warn_after_ms = cfg->freshness.warn_after_ms;
    h->error_after_ms = cfg->freshness.error_after_ms;
    h->api_error_threshold = cfg->watch.api_error_threshold;
    h->warn_ndcg = cfg->quality.warn_ndcg;
    h->min_ndcg = cfg->quality.min_ndcg;
    h->ingest_overdue_ms = cfg->watch.ingest_overdue_ms;
}

api_confwatch *api_confwatch_new(const char *config_path, const rag_config *initial)
{
    api_confwatch *w = rag_xcalloc(1, sizeof *w);
    if (initial) health_from(&w->health, initial);
    pthread_mutex_init(&w->lock, NULL);
    w->path = rag_xstrdup(config_path);
    api_filecheck_init(&w->check);
    return w;
}

void api_confwatch_free(api_confwatch *w)
{
    if (!w) return;
    cJSON_Delete(w->canonical);
    free(w->path);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static void reload_locked(api_confwatch *w)
{
    rag_config cfg;
    rag_problems problems = {0};
    rag_error err = {0};
    cJSON_Delete(w->canonical);
    w->canonical = NULL;
    if (rag_config_load(w->path, &cfg, &problems, &err) != RAG_OK) {
        w->ok = false;
        snprintf(w->error, sizeof w->error, "%.500s", problems.count ? problems.items[0] : err.msg);
        rag_problems_free(&problems);
        return;
    }
    rag_problems_free(&problems);
    w->ok = true;
    w->error[0] = '\0';
    rag_config_hash(&cfg, w->hash);
    health_from(&w->health, &cfg);
    w->canonical = rag_config_canonical(&cfg);
    rag_config_free(&cfg);
}

static void refresh_locked(api_confwatch *w, int64_t now_mono_ms)
{
    switch (api_filecheck_poll(&w->check, w->path, now_mono_ms)) {
    case API_FILE_SAME:
        return;
    case API_FILE_GONE:
        w->ok = false;
        snprintf(w->error, sizeof w->error, "%s: cannot read the config file", w->path);
        cJSON_Delete(w->canonical);
        w->canonical = NULL;
        break;
    case API_FILE_CHANGED:
        reload_locked(w);
        break;
    }
    w->version++;
}

void api_confwatch_get(api_confwatch *w, int64_t now_mono_ms, bool want_tree, api_config_view *out)
{
    pthread_mutex_lock(&w->lock);
    refresh_locked(w, now_mono_ms);
    out->ok = w->ok;
    memcpy(out->hash, w->hash, sizeof out->hash);
    memcpy(out->error, w->error, sizeof out->error);
    out->health = w->health;
    out->canonical = want_tree && w->canonical ? cJSON_Duplicate(w->canonical, 1) : NULL;
    pthread_mutex_unlock(&w->lock);
}

uint64_t api_confwatch_version(api_confwatch *w, int64_t now_mono_ms)
{
    pthread_mutex_lock(&w->lock);
    refresh_locked(w, now_mono_ms);
    uint64_t v = w->version;
    pthread_mutex_unlock(&w->lock);
    return v;
}
