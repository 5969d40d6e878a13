/* vector_stage.c — see vector_stage.h. */
#include "vector_stage.h"

#include <string.h>
#include <unistd.h>

#include "run.h"

/* The build has started (added = 0): say so, a 1M-vector graph takes
 * minutes. Test hook RAG_INGEST_TEST_VINDEX_DELAY_MS pauses here (a signal
 * ends the pause) so tests can stop a run in the middle of the build. */
typedef struct build_ctx {
    const vector_stage *vs;
    const char *path;
} build_ctx;

static void on_progress(void *ud, int64_t added, int64_t total)
{
    const build_ctx *c = ud;
    const vector_stage *vs = c->vs;
    if (added != 0) return;
    if (vs->log) {
        const char *slash = strrchr(c->path, '/');
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "segment", slash ? slash + 1 : c->path);
        cJSON_AddNumberToObject(p, "vectors", (double)total);
        cJSON_AddNumberToObject(p, "threads", (double)vs->s.threads);
        rag_log_eventf(vs->log, RAG_LEVEL_INFO, "vector_index_building", p,
                       "building the approximate vector index of %s: %lld vectors", slash ? slash + 1 : c->path,
                       (long long)total);
    }
    ingest_test_pause("RAG_INGEST_TEST_VINDEX_DELAY_MS");
}

void vector_stage_init(vector_stage *vs, const rag_config *cfg, rag_log *log, const volatile int *stop)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    vs->s = (rag_vindex_settings){.min_chunks = cfg->embedding.ann_min_chunks, .threads = cores > 0 ? (int)cores : 1,
                                  .sparse_queries = !strcmp(cfg->embedding.provider, "hashing"),
                                  .interrupt = stop, .progress = on_progress};
    vs->log = log;
}

int vector_stage_build(const vector_stage *vs, sqlite3 *db, const char *path, rag_error *err)
{
    if (!vs) return RAG_OK;
    rag_vindex_info info;
    build_ctx ctx = {vs, path};
    rag_vindex_settings s = vs->s;
    s.progress_ud = &ctx;
    int rc = rag_vindex_build(db, path, &s, &info, err);
    if (rc != RAG_OK || !vs->log) return rc;
    const char *slash = strrchr(path, '/');
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "segment", slash ? slash + 1 : path);
    cJSON_AddBoolToObject(p, "built", info.built);
    cJSON_AddNumberToObject(p, "min_chunks", (double)vs->s.min_chunks);
    if (info.built) {
        cJSON_AddStringToObject(p, "kind", RAG_VINDEX_KIND);
        cJSON_AddNumberToObject(p, "vectors", (double)info.vectors);
        cJSON_AddNumberToObject(p, "bytes", (double)info.bytes);
        cJSON_AddNumberToObject(p, "build_ms", (double)info.build_ms);
        rag_log_eventf(vs->log, RAG_LEVEL_INFO, "vector_index", p,
                       "approximate vector index built for %s: %lld vectors, %.1f MiB in %.1f s", slash ? slash + 1 : path,
                       (long long)info.vectors, (double)info.bytes / 1048576.0, (double)info.build_ms / 1000.0);
    } else if (vs->s.sparse_queries) {
        cJSON_AddStringToObject(p, "reason", "sparse query vectors (hashing embedder): exact search");
        rag_log_event(vs->log, RAG_LEVEL_DEBUG, "vector_index", "no approximate vector index: the hashing embedder's"
                      " query vectors are sparse, exact search is used", p);
    } else {
        rag_log_eventf(vs->log, RAG_LEVEL_DEBUG, "vector_index", p,
                       "no approximate vector index for %s (below embedding.ann_min_chunks = %lld)",
                       slash ? slash + 1 : path, (long long)vs->s.min_chunks);
    }
    return RAG_OK;
}
