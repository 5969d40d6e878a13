/* fuzz_services.c — libFuzzer harness for the services.yml loader: any bytes
 * must give a registry whose actions all have a non-empty NULL-terminated
 * argv (and whose replica URL lists are consistent), or a list of problems; never a crash, leak or sanitizer report. */
#include <stdint.h>
#include <stdlib.h>

#include "rag/services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rag_services s;
    rag_problems problems = {0};
    rag_error err = {0};
    if (rag_services_load_buffer("fuzz.yml", "/fuzz", (const char *)data, size, &s, &problems, &err) == RAG_OK) {
        if (problems.count != 0 || s.count == 0)
            abort();
        for (size_t i = 0; i < s.count; i++) {
            const rag_service *svc = &s.items[i];
            /* replicas: a URL list names the probe URL and excludes dns */
            if (svc->n_health_urls && (!svc->health_url || svc->health_dns || !svc->health_urls[svc->n_health_urls - 1]))
                abort();
            for (size_t j = 0; j < s.items[i].n_actions; j++) {
                const rag_action *a = &s.items[i].actions[j];
                if (a->argc == 0 || !a->argv[0] || !a->argv[0][0] || a->argv[a->argc] != NULL)
                    abort();
            }
        }
        rag_services_free(&s);
    } else if (problems.count == 0) {
        abort();
    }
    rag_problems_free(&problems);
    return 0;
}
