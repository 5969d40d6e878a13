/* api_query.c — test fixture: runs queries through the code /query runs
 * (api_generation_open + api_query_run) on the generation latest.json names,
 * without HTTP, and prints one line per query: the response's "results"
 * array with the fields that identify a result (chunk_id, source, text,
 * score, ranks). Used to compare a segmented generation with a full rebuild.
 * Usage: api_query --config C [--mode bm25|vector|hybrid] [--k K] QUERY... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/api/index_store.h"
#include "../../src/api/query.h"
#include "rag/config.h"
#include "rag/fsutil.h"
#include "rag/manifest.h"

int main(int argc, char **argv)
{
    const char *conf = NULL, *mode = "bm25";
    int k = 10, first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) conf = argv[++i];
        else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) mode = argv[++i];
        else if (strcmp(argv[i], "--k") == 0 && i + 1 < argc) k = atoi(argv[++i]);
        else { first = i; break; }
    }
    if (!conf) {
        fprintf(stderr, "usage: api_query --config C [--mode M] [--k K] QUERY...\n");
        return 64;
    }
    rag_config cfg;
    rag_error err = {0};
    if (rag_config_load_or_report(conf, &cfg, &err) != RAG_OK) return 78;
    char *mp = rag_config_manifest_path(&cfg), *dir = rag_config_index_dir(&cfg);
    rag_manifest m;
    if (rag_manifest_load(mp, &m, &err) != RAG_OK) {
        fprintf(stderr, "api_query: %s\n", err.msg);
        return 1;
    }
    char *gp = rag_path_join(dir, m.generation);
    api_generation *g = api_generation_open(gp, &m, &cfg, 1, &err);
    if (!g) {
        fprintf(stderr, "api_query: %s\n", err.msg);
        return 1;
    }
    int rc = 0;
    for (int i = first; i < argc; i++) {
        api_query_req req = {0};
        api_query_req_settings(&req, &cfg);
        req.q = argv[i];
        req.k = k;
        req.mode = (api_mode)api_mode_parse(mode, 0);
        char *body = NULL;
        if (api_query_run(g, 0, &req, m.run_id, 0, &body, &err) != RAG_OK) {
            fprintf(stderr, "api_query: %s: %s\n", argv[i], err.msg);
            rc = 1;
            continue;
        }
        cJSON *doc = cJSON_Parse(body);
        cJSON *out = cJSON_CreateArray(), *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "results")) {
            cJSON *o = cJSON_CreateObject();
            const char *keep[] = {"chunk_id", "source", "text", "score", "bm25_rank", "vector_rank"};
            for (size_t j = 0; j < sizeof keep / sizeof *keep; j++) {
                cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keep[j]);
                if (v) cJSON_AddItemToObject(o, keep[j], cJSON_Duplicate(v, 1));
            }
            cJSON_AddItemToArray(out, o);
        }
        char *line = cJSON_PrintUnformatted(out);
        printf("%s\n", line);
        free(line);
        cJSON_Delete(out);
        cJSON_Delete(doc);
        free(body);
    }
    api_generation_release(g);
    rag_manifest_free(&m);
    free(gp);
    free(mp);
    free(dir);
    rag_config_free(&cfg);
    return rc;
}
