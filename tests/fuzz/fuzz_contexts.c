/* fuzz_contexts.c — libFuzzer harness for the contexts.yaml parser
 * (src/ragtop/contexts.c): any bytes give either contexts that are each
 * local or remote with valid names, URLs and token variables, or no contexts
 * and a message naming what is wrong; never a crash, leak or sanitizer
 * report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/contexts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rt_contexts cs;
    char why[512];
    int rc = contexts_parse("contexts.yaml", "/base", (const char *)data, size, &cs, why, sizeof why);
    if (rc == 0 && why[0]) abort();
    if (rc != 0 && (!why[0] || cs.n != 0)) abort();
    if (cs.n > RT_CONTEXTS_MAX) abort();
    for (size_t i = 0; i < cs.n; i++) {
        const rt_context *c = &cs.items[i];
        if (!c->name[0] || !strcmp(c->name, "all")) abort();
        if (c->remote && (strncmp(c->url, "http", 4) != 0 || c->services[0] || c->config[0])) abort();
        if (!c->remote && (c->url[0] || c->token_env[0] || (!c->services[0] && !c->config[0]))) abort();
        if (c->services[0] && c->services[0] != '/') abort();
    }
    return 0;
}
