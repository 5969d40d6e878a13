/* fuzz_query_body.c — libFuzzer harness for the /query request parsers:
 * arbitrary bytes as a POST body (api_query_parse_json) and, split at NULs,
 * as GET arguments (api_query_parse_args). Accepted requests must satisfy
 * the contract: non-empty trimmed text within the limit, k within 1..max_k. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/query_body.h"

static void check(const api_query_req *r)
{
    size_t n = strlen(r->q);
    if (n == 0 || n > API_QUERY_MAX_TEXT || r->q[0] == ' ' || r->q[n - 1] == ' ') abort();
    if (r->k < 1 || r->k > 50) abort();
    if (r->mode != API_MODE_HYBRID && r->mode != API_MODE_BM25 && r->mode != API_MODE_VECTOR) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_query_req r;
    char msg[256];
    if (api_query_parse_json((const char *)data, size, 5, 50, &r, msg, sizeof msg) == 0) {
        check(&r);
        api_query_req_free(&r);
    } else if (msg[0] == '\0') {
        abort(); /* a rejection always says why */
    }
    char *copy = malloc(size + 3);
    if (!copy) return 0;
    memcpy(copy, data, size);
    copy[size] = copy[size + 1] = copy[size + 2] = '\0';
    const char *q = copy;
    const char *k = q + strlen(q) + 1;
    const char *mode = k < copy + size ? k + strlen(k) + 1 : NULL;
    if (k >= copy + size + 1) k = NULL;
    if (mode && mode >= copy + size + 1) mode = NULL;
    if (api_query_parse_args(q, k, mode, 5, 50, &r, msg, sizeof msg) == 0) {
        check(&r);
        api_query_req_free(&r);
    }
    free(copy);
    return 0;
}
