/* fuzz_embed_response.c — libFuzzer harness for the reader of an
 * OpenAI-compatible /v1/embeddings answer (rag_openai_parse_response,
 * src/core/embed_openai.c): JSON arrays of numbers and base64 float32
 * strings. The first byte picks how many inputs were sent (1..4); any body
 * fills every row with finite unit-length values or fails with a message;
 * never a crash, leak or sanitizer report. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/core/embed_openai.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { DIMS = 4 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const size_t n = 1 + data[0] % 4;
    float out[4 * DIMS];
    rag_error err = {0};
    int rc = rag_openai_parse_response("http://127.0.0.1:1/v1/embeddings", DIMS, (const char *)data + 1, size - 1, n,
                                       out, &err);
    if (rc != RAG_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    for (size_t i = 0; i < n * DIMS; i++)
        if (!isfinite(out[i])) abort();
    return 0;
}
