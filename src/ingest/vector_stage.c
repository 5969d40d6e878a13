/* vector_stage.c — see vector_stage.h. */
#include "vector_stage.h"

#include <string.h>
#include <unistd.h>

#include "rag/vector_index.h"

int vector_stage(const rag_config *cfg, rag_log *log, const char *path, rag_error *err)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    rag_vindex_settings s = {.min_chunks = cfg->embedding.ann_min_chunks, .threads = cores > 0 ? (int)cores : 1,
                             .sparse_queries = !strcmp(cfg->embedding.provider, "hashing")};
    rag_vindex_info info;
    int rc = rag_vindex_build_file(path, &s, &info, err);
    if (rc != RAG_OK || !log) return rc;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddBoolToObject(p, "built", info.built);
    cJSON_AddNumberToObject(p, "min_chunks", (double)s.min_chunks);
    if (info.built) {
        cJSON_AddStringToObject(p, "kind", RAG_VINDEX_KIND);
        cJSON_AddNumberToObject(p, "vectors", (double)info.vectors);
        cJSON_AddNumberToObject(p, "bytes", (double)info.bytes);
        cJSON_AddNumberToObject(p, "build_ms", (double)info.build_ms);
        rag_log_eventf(log, RAG_LEVEL_INFO, "vector_index", p, "approximate vector index built: %lld vectors, %.1f MiB in %.1f s",
                       (long long)info.vectors, (double)info.bytes / 1048576.0, (double)info.build_ms / 1000.0);
    } else if (s.sparse_queries) {
        cJSON_AddStringToObject(p, "reason", "sparse query vectors (hashing embedder): exact search");
        rag_log_event(log, RAG_LEVEL_DEBUG, "vector_index", "no approximate vector index: the hashing embedder's"
                      " query vectors are sparse, exact search is used", p);
    } else {
        rag_log_eventf(log, RAG_LEVEL_DEBUG, "vector_index", p, "no approximate vector index (below embedding.ann_min_chunks = %lld)",
                       (long long)s.min_chunks);
    }
    return RAG_OK;
}
