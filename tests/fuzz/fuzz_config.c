/* fuzz_config.c — libFuzzer harness for the config loader: any bytes must
 * give either a valid config (whose canonical hash can be computed) or a list
 * of problems, never a crash, leak or sanitizer report. */
#include <stdint.h>
#include <stdlib.h>

#include "rag/config.h"
#include "rag/confighash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rag_config cfg;
    rag_problems problems = {0};
    rag_error err = {0};
    if (rag_config_load_buffer("fuzz.yaml", "/fuzz/config", (const char *)data, size, &cfg, &problems, &err) ==
        RAG_OK) {
        char hash[RAG_HASH_HEX];
        rag_config_hash(&cfg, hash);
        if (problems.count != 0 || hash[64] != '\0')
            abort(); /* success must mean no problems and a full hash */
        rag_config_free(&cfg);
    } else if (problems.count == 0) {
        abort(); /* a failure must always say why */
    }
    rag_problems_free(&problems);
    return 0;
}
