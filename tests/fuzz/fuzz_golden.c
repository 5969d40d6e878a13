/* fuzz_golden.c — libFuzzer harness for the golden-queries loader: any bytes
 * give either a valid set (every query with an id, a text and at least one
 * graded source) or a list of problems, never a crash, leak or sanitizer
 * report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/golden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rag_golden g;
    rag_problems problems = {0};
    rag_error err = {0};
    if (rag_golden_load_buffer("fuzz.yaml", (const char *)data, size, &g, &problems, &err) == RAG_OK) {
        if (problems.count != 0 || g.n == 0 || strlen(g.sha256) != 64)
            abort(); /* success must mean no problems, queries and a hash */
        for (size_t i = 0; i < g.n; i++) {
            if (!g.queries[i].id || !g.queries[i].query || g.queries[i].n_relevant == 0)
                abort();
            for (size_t j = 0; j < g.queries[i].n_relevant; j++)
                if (g.queries[i].relevant[j].grade < 1 || g.queries[i].relevant[j].grade > RAG_GOLDEN_MAX_GRADE)
                    abort();
        }
        rag_golden_free(&g);
    } else if (problems.count == 0) {
        abort(); /* a failure must always say why */
    }
    rag_problems_free(&problems);
    return 0;
}
