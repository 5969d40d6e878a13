/* fuzz_query_body.c — libFuzzer harness for the /query request parsers:
 * arbitrary bytes as a POST body (api_query_parse_json) and, split at NULs,
 * as GET arguments q, k, mode, group (api_query_parse_args), and whole (NULs
 * included) as a GET q, and as a GET argument list (name=value pieces
 * split at '&', NULs kept) through api_query_args_add: a refusal's message
 * is printable ASCII (it is quoted into JSON). Accepted requests must
 * satisfy the contract:
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
    /* name=value&name=value..., as MHD hands them: decoded, NULs kept, each
     * value NUL-terminated where its piece ends (copy's '&' made NUL) */
    memcpy(copy, data, size);
    copy[size] = '\0';
    api_query_args a = {0};
    for (size_t at = 0; at <= size && !a.error[0];) {
        char *piece = copy + at;
        char *amp = memchr(piece, '&', size - at);
        const size_t plen = amp ? (size_t)(amp - piece) : size - at;
        if (amp) *amp = '\0';
        const char *eq = memchr(piece, '=', plen);
        const size_t klen = eq ? (size_t)(eq - piece) : plen;
        api_query_args_add(&a, piece, klen, eq ? eq + 1 : NULL, eq ? plen - klen - 1 : 0);
        for (const char *c = a.error; *c; c++)
            if (*c < 0x20 || *c > 0x7e) abort(); /* quoted into a JSON message */
        at += plen + 1;
    }
    if (!a.error[0] && api_query_parse_args(a.value[0], a.len[0], a.value[1], a.value[2], a.value[3], 5, 50, &r, msg,
                                            sizeof msg) == 0) {
        check(&r);
        api_query_req_free(&r);
    }
    free(copy);
    return 0;
}
