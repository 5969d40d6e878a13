/* vector_stage.c — see vector_stage.h. */
#include "vector_stage.h"

#include <string.h>
#include <unistd.h>


void vector_stage_init(vector_stage *vs, const rag_config *cfg, rag_log *log)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    vs->s = (rag_vindex_settings){.min_chunks = cfg->embedding.ann_min_chunks, .threads = cores > 0 ? (int)cores : 1,
                                  .sparse_queries = !strcmp(cfg->embedding.provider, "hashing")};
    vs->log = log;
}

int vector_stage_build(const vector_stage *vs, sqlite3 *db, const char *path, rag_error *err)
{
    if (!vs) return RAG_OK;
    rag_vindex_info info;
    int rc = rag_vindex_build(db, path, &vs->s, &info, err);
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
