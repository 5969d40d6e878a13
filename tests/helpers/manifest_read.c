/* manifest_read — test helper: load a manifest with rag_manifest_load and
 * print a one-line summary, or the error. Exit 0 ok, 3 missing, 4 corrupt,
 * 5 newer schema, 1 other.
 * Usage: manifest_read PATH [REPEAT]   (REPEAT loads in a loop; any failure stops)
 *        manifest_read --cleanup PATH AGE_MS   (rag_atomic_cleanup; prints count) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/fsutil.h"
#include "rag/manifest.h"

int main(int argc, char **argv)
{
    rag_error err;
    if (argc == 4 && strcmp(argv[1], "--cleanup") == 0) {
        int n = rag_atomic_cleanup(argv[2], atoll(argv[3]), &err);
        if (n < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        printf("%d\n", n);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: manifest_read PATH [REPEAT] | --cleanup PATH AGE_MS\n");
        return 2;
    }
    long repeat = argc > 2 ? atol(argv[2]) : 1;
    for (long i = 0; i < repeat; i++) {
        rag_manifest m;
        int rc = rag_manifest_load(argv[1], &m, &err);
        if (rc != RAG_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return rc == RAG_ENOENT ? 3 : rc == RAG_ECORRUPT ? 4 : rc == RAG_EVERSION ? 5 : 1;
        }
        cJSON *inc = cJSON_GetObjectItem(m.config, "include");
        printf("run_id=%s generation=%s documents=%lld chunks=%lld tokens=%lld errors=%lld includes=%d hash=%.8s\n",
               m.run_id, m.generation, (long long)m.documents, (long long)m.chunks, (long long)m.tokens,
               (long long)m.errors, cJSON_GetArraySize(inc), m.config_hash);
        rag_manifest_free(&m);
    }
    return 0;
}
