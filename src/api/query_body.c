/* query_body.c — /query request parsing with cJSON. Strict on purpose:
 * unknown keys, wrong types, a k outside 1..max_k or an empty query are 400s
 * with a message naming the field, so a client's typo is never silently
 * replaced by a default. */
#include "query_body.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rag/common.h"

static const char *const mode_names[] = {"hybrid", "bm25", "vector"};

const char *api_mode_name(api_mode mode)
{
    return (unsigned)mode < 3 ? mode_names[mode] : "hybrid";
}

int api_mode_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, mode_names[i]) == 0) return i;
    return -1;
}

static int fail(char *msg, size_t msgsz, const char *fmt, const char *arg)
{
    snprintf(msg, msgsz, fmt, arg ? arg : "");
    return -1;
}

/* Trim ASCII whitespace; reject empty and over-long text and embedded NULs. */
static int take_text(const char *s, size_t len, api_query_req *req, char *msg, size_t msgsz)
{
    if (memchr(s, '\0', len)) return fail(msg, msgsz, "field \"q\" contains a NUL character%s", "");
    while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) { s++; len--; }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
    if (len == 0) return fail(msg, msgsz, "field \"q\" is empty%s", "");
    if (len > API_QUERY_MAX_TEXT) {
        snprintf(msg, msgsz, "field \"q\" is longer than %d bytes", API_QUERY_MAX_TEXT);
        return -1;
    }
    req->q = rag_xmalloc(len + 1);
    memcpy(req->q, s, len);
    req->q[len] = '\0';
    return 0;
}

static int check_k(double v, int max_k, api_query_req *req, char *msg, size_t msgsz)
{
    if (!isfinite(v) || v != floor(v) || v < 1 || v > max_k) {
        snprintf(msg, msgsz, "field \"k\" must be an integer from 1 to %d", max_k);
        return -1;
    }
    req->k = (int)v;
    return 0;
}

int api_query_parse_json(const char *body, size_t len, int default_k, int max_k,
                         api_query_req *req, char *msg, size_t msgsz)
{
    memset(req, 0, sizeof *req);
    req->k = default_k;
    req->mode = API_MODE_HYBRID;
    if (!body || len == 0) return fail(msg, msgsz, "request body is empty; expected JSON like {\"q\": \"...\"}%s", "");
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root) return fail(msg, msgsz, "request body is not valid JSON%s", "");
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        fail(msg, msgsz, "request body must be a JSON object%s", "");
        goto out;
    }
    const cJSON *q = NULL;
    for (const cJSON *it = root->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        if (strcmp(name, "q") == 0) {
            q = it;
        } else if (strcmp(name, "k") == 0) {
            if (!cJSON_IsNumber(it)) {
                snprintf(msg, msgsz, "field \"k\" must be an integer from 1 to %d", max_k);
                goto out;
            }
            if (check_k(it->valuedouble, max_k, req, msg, msgsz)) goto out;
        } else if (strcmp(name, "mode") == 0) {
            int m = cJSON_IsString(it) ? api_mode_parse(it->valuestring) : -1;
            if (m < 0) {
                fail(msg, msgsz, "field \"mode\" must be \"hybrid\", \"bm25\" or \"vector\"%s", "");
                goto out;
            }
            req->mode = (api_mode)m;
        } else {
            char shown[64];
            snprintf(shown, sizeof shown, "%.40s", name);
            fail(msg, msgsz, "unknown field \"%s\" (expected q, k, mode)", shown);
            goto out;
        }
    }
    if (!q) {
        fail(msg, msgsz, "field \"q\" is required%s", "");
        goto out;
    }
    if (!cJSON_IsString(q) || !q->valuestring) {
        fail(msg, msgsz, "field \"q\" must be a string%s", "");
        goto out;
    }
    if (take_text(q->valuestring, strlen(q->valuestring), req, msg, msgsz)) goto out;
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc) api_query_req_free(req);
    return rc;
}

int api_query_parse_args(const char *q, const char *k, const char *mode, int default_k, int max_k,
                         api_query_req *req, char *msg, size_t msgsz)
{
    memset(req, 0, sizeof *req);
    req->k = default_k;
    req->mode = API_MODE_HYBRID;
    if (!q) return fail(msg, msgsz, "argument \"q\" is required (GET /query?q=...&k=5)%s", "");
    if (k) {
        char *end = NULL;
        errno = 0;
        long v = strtol(k, &end, 10);
        if (errno || end == k || *end != '\0' || v < 1 || v > max_k) {
            snprintf(msg, msgsz, "argument \"k\" must be an integer from 1 to %d", max_k);
            return -1;
        }
        req->k = (int)v;
    }
    if (mode) {
        int m = api_mode_parse(mode);
        if (m < 0) return fail(msg, msgsz, "argument \"mode\" must be hybrid, bm25 or vector%s", "");
        req->mode = (api_mode)m;
    }
    return take_text(q, strlen(q), req, msg, msgsz);
}

void api_query_req_free(api_query_req *req)
{
    if (!req) return;
    free(req->q);
    req->q = NULL;
}
