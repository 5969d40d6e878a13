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
    rag_config *at_start;      /* the file as it was when rag-api started (NULL: it did not load then) */
    char restart_keys[512];    /* settings read only at start that the file now changes (all 16: ~300 bytes) */
};

static bool same_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* The settings rag-api reads only at start (listeners, limits, threads, the
 * /query defaults, /status's token variable) that the file now sets
 * otherwise than it did at start, "api.max_k, api.listen" ("" when none):
 * a restart applies them. Freshness, watch and quality limits are re-read
 * (health_from). */
static void restart_keys_of(const rag_config *run, const rag_config *now, char *out, size_t n)
{
    out[0] = '\0';
    if (!run) return;
    const struct { const char *name; bool differs; } keys[] = {
        {"api.listen", !same_str(run->api.listen_host, now->api.listen_host) || run->api.port != now->api.port},
        {"api.admin_listen", !same_str(run->api.admin_host, now->api.admin_host) || run->api.admin_port != now->api.admin_port},
        {"api.threads", run->api.threads != now->api.threads},
        {"api.connection_timeout", run->api.connection_timeout_ms != now->api.connection_timeout_ms},
        {"api.max_connections", run->api.max_connections != now->api.max_connections},
        {"api.max_connections_per_ip", run->api.max_connections_per_ip != now->api.max_connections_per_ip},
        {"api.max_body", run->api.max_body_bytes != now->api.max_body_bytes},
        {"api.default_k", run->api.default_k != now->api.default_k},
        {"api.max_k", run->api.max_k != now->api.max_k},
        {"api.shutdown_grace", run->api.shutdown_grace_ms != now->api.shutdown_grace_ms},
        {"api.request_deadline", run->api.request_deadline_ms != now->api.request_deadline_ms},
        {"api.default_mode", !same_str(run->api.default_mode, now->api.default_mode)},
        {"api.hybrid_vector_weight", run->api.hybrid_vector_weight != now->api.hybrid_vector_weight},
        {"api.status_token_env", !same_str(run->api.status_token_env, now->api.status_token_env)},
        {"api.ann_ef_search", run->api.ann_ef_search != now->api.ann_ef_search},
        {"paths.artifacts", !same_str(run->paths.artifacts, now->paths.artifacts)},
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!keys[i].differs) continue;
        if (used + strlen(keys[i].name) + 6 >= n) { /* never expected (n holds them all): say more are left out */
            snprintf(out + used, n - used, ", …");
            return;
        }
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "", keys[i].name);
    }
}

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
    /* the file as read at start, not the running settings (flags may
     * override those, and some are resolved at start): a restart applies
     * what the file changes since */
    w->at_start = rag_xcalloc(1, sizeof *w->at_start);
    rag_problems problems = {0};
    rag_error err = {0};
    if (rag_config_load(config_path, w->at_start, &problems, &err) != RAG_OK) {
        free(w->at_start);
        w->at_start = NULL;
    }
    rag_problems_free(&problems);
    pthread_mutex_init(&w->lock, NULL);
    w->path = rag_xstrdup(config_path);
    api_filecheck_init(&w->check);
    return w;
}

void api_confwatch_free(api_confwatch *w)
{
    if (!w) return;
    cJSON_Delete(w->canonical);
    if (w->at_start) rag_config_free(w->at_start);
    free(w->at_start);
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
    restart_keys_of(w->at_start, &cfg, w->restart_keys, sizeof w->restart_keys);
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
    memcpy(out->restart_keys, w->restart_keys, sizeof out->restart_keys);
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
