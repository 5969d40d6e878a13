/* fuzz_manifest.c — libFuzzer harness for rag_manifest_parse: any bytes must
 * give RAG_OK or a clean error, never a crash or leak; on error the struct is
 * left zeroed; on success the manifest re-renders (as valid UTF-8) and
 * re-parses identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"
#include "rag/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rag_manifest m;
    rag_error err;
    int rc = rag_manifest_parse("fuzz.json", (const char *)data, size, &m, &err);
    if (rc != RAG_OK) {
        static const rag_manifest zero;
        if (memcmp(&m, &zero, sizeof m) != 0) abort(); /* half-read */
        if (rc != RAG_ECORRUPT && rc != RAG_EVERSION) abort();
        return 0;
    }
    char *s = rag_manifest_render(&m);
    rag_manifest again;
    if (!s || rag_manifest_parse("render", s, strlen(s), &again, &err) != RAG_OK) abort();
    if (rag_utf8_invalid_at(s, strlen(s)) != strlen(s)) abort();
    if (strcmp(again.run_id, m.run_id) != 0 || again.documents != m.documents || again.tokens != m.tokens ||
        again.generated_at_ms != m.generated_at_ms || !cJSON_Compare(again.config, m.config, 1))
        abort();
    rag_manifest_free(&again);
    free(s);
    rag_manifest_free(&m);
    return 0;
}
