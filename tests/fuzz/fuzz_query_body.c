/* fuzz_query_body.c — libFuzzer harness for the /query request parsers:
 * arbitrary bytes as a POST body (api_query_parse_json) and, split at NULs,
 * as GET arguments q, k, mode, group (api_query_parse_args), and whole (NULs
 * included) as a GET q. Accepted requests must satisfy the contract:
 * non-empty trimmed valid UTF-8 text without NULs within the limit, k within
 * 1..max_k, a known mode (auto = not given) and group; a rejection's message
 * is non-empty (it is the 400's JSON message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"

#include "../../src/api/query_body.h"

static void check(const api_query_req *r)
{
    size_t n = strlen(r->q);
    if (n == 0 || n > API_QUERY_MAX_TEXT || r->q[0] == ' ' || r->q[n - 1] == ' ') abort();
    if (r->k < 1 || r->k > 50) abort();
    if (r->mode != API_MODE_AUTO && r->mode != API_MODE_HYBRID && r->mode != API_MODE_BM25 &&
        r->mode != API_MODE_VECTOR)
        abort();
    if (r->group != API_GROUP_CHUNK && r->group != API_GROUP_DOCUMENT) abort();
    for (size_t i = 0; i < n;) {
        size_t k = rag_utf8_seq((const unsigned char *)r->q + i, n - i);
        if (k == 0) abort(); /* never accept (and echo) invalid UTF-8 */
        i += k;
    }
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
    char *copy = malloc(size + 4);
    if (!copy) return 0;
    memcpy(copy, data, size);
    copy[size] = copy[size + 1] = copy[size + 2] = copy[size + 3] = '\0';
    /* q, k, mode, group: successive NUL-separated pieces; past the data = absent */
    const char *end = copy + size + 1;
    const char *q = copy;
    const char *k = q + strlen(q) + 1;
    const char *mode = k < end ? k + strlen(k) + 1 : end;
    const char *group = mode < end ? mode + strlen(mode) + 1 : end;
    if (k >= end) k = NULL;
    if (mode >= end) mode = NULL;
    if (group >= end) group = NULL;
    if (api_query_parse_args(q, strlen(q), k, mode, group, 5, 50, &r, msg, sizeof msg) == 0) {
        check(&r);
        api_query_req_free(&r);
    }
    msg[0] = '\0';
    if (api_query_parse_args(copy, size, NULL, NULL, NULL, 5, 50, &r, msg, sizeof msg) == 0) {
        if (memchr(data, '\0', size)) abort(); /* a NUL must never be cut off silently */
        check(&r);
        api_query_req_free(&r);
    } else if (msg[0] == '\0') {
        abort();
    }
    free(copy);
    return 0;
}
