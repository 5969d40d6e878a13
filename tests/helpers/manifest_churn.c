/* manifest_churn — test helper: rewrites a manifest as fast as it can,
 * alternating two distinct valid manifests ("A" and "B"), so a test can
 * SIGKILL it at random moments and check readers only ever see A or B whole.
 * Usage: manifest_churn PATH [COUNT]   (COUNT writes, 0 = until killed)
 * Prints "ready" on stdout after the first write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/manifest.h"

static void fill(rag_manifest *m, int which)
{
    memset(m, 0, sizeof *m);
    m->schema_version = RAG_MANIFEST_SCHEMA_VERSION;
    snprintf(m->run_id, sizeof m->run_id, "20261128T134500Z-%s", which ? "bbbbbb" : "aaaaaa");
    snprintf(m->generation, sizeof m->generation, "gen-20261128T134500Z-%s.sqlite", which ? "bbbbbb" : "aaaaaa");
    m->generated_at_ms = which ? 1795873500222LL : 1795873500111LL;
    m->checked_at_ms = m->generated_at_ms + 1000;
    memset(m->config_hash, which ? 'b' : 'a', 64);
    memset(m->source_fingerprint, which ? 'd' : 'c', 64);
    /* B is much larger than A, so a torn file could not pass for either. */
    m->config = cJSON_CreateObject();
    cJSON *inc = cJSON_AddArrayToObject(m->config, "include");
    for (int i = 0; i < (which ? 400 : 3); i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "folder-%03d/**/*.%s", i, which ? "vtt" : "txt");
        cJSON_AddItemToArray(inc, cJSON_CreateString(pat));
    }
    m->documents = which ? 222 : 111;
    m->chunks = which ? 2222 : 1111;
    m->tokens = which ? 222222 : 111111;
    m->errors = which;
    snprintf(m->tool_version, sizeof m->tool_version, "0.1.0");
    m->index_schema_version = 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: manifest_churn PATH [COUNT]\n");
        return 2;
    }
    long count = argc > 2 ? atol(argv[2]) : 0;
    rag_manifest m[2];
    fill(&m[0], 0);
    fill(&m[1], 1);
    rag_error err;
    for (long i = 0; count == 0 || i < count; i++) {
        if (rag_manifest_write(argv[1], &m[i & 1], &err) != RAG_OK) {
            fprintf(stderr, "manifest_churn: %s\n", err.msg);
            return 1;
        }
        if (i == 0) {
            printf("ready\n");
            fflush(stdout);
        }
    }
    rag_manifest_free(&m[0]);
    rag_manifest_free(&m[1]);
    return 0;
}
