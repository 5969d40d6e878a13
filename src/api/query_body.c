/* query_body.c — /query request parsing with cJSON. Strict on purpose:
 * unknown keys, wrong types, a k outside 1..max_k or an empty query are 400s
 * with a message naming the field, so a client's typo is never silently
 * replaced by a default. */
#include "query_body.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rag/common.h"
#include "rag/jsonlog.h"

static const char *const mode_names[] = {"auto", "hybrid", "bm25", "vector"};
static const char *const group_names[] = {"chunk", "document"};

const char *api_mode_name(api_mode mode)
{
    return (unsigned)mode < 4 ? mode_names[mode] : "auto";
}

int api_mode_parse(const char *s, int allow_auto)
{
    for (int i = allow_auto ? 0 : 1; i < 4; i++)
        if (s && strcmp(s, mode_names[i]) == 0) return i;
    return -1;
}

const char *api_group_name(api_group group)
{
    return (unsigned)group < 2 ? group_names[group] : "chunk";
}

static int group_parse(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (s && strcmp(s, group_names[i]) == 0) return i;
    return -1;
}

static int fail(char *msg, size_t msgsz, const char *fmt, const char *arg)
{
    snprintf(msg, msgsz, fmt, arg ? arg : "");
    return -1;
}

/* The first problem in the raw text of a JSON body that cJSON would let
 * through: invalid UTF-8, a raw control character inside a string, or a
 * \u0000 escape (cJSON would silently cut the string there). 0 = none. */
static int scan_json_text(const char *body, size_t len, char *msg, size_t msgsz)
{
    bool in_string = false, escaped = false; /* escaped: the character after a backslash */
    for (size_t i = 0; i < len;) {
        const unsigned char c = (unsigned char)body[i];
        size_t k = rag_utf8_seq((const unsigned char *)body + i, len - i);
        if (k == 0) {
            snprintf(msg, msgsz, "request body is not valid UTF-8 (byte 0x%02x at byte offset %zu)", c, i);
            return -1;
        }
        if (c == 0) {
            snprintf(msg, msgsz, "request body contains a NUL byte at byte offset %zu", i);
            return -1;
        }
        if (in_string) {
            if (c < 0x20) {
                snprintf(msg, msgsz, "control character 0x%02x inside a string at byte offset %zu (escape it)", c, i);
                return -1;
            }
            if (escaped) {
                escaped = false; /* checked as any character (UTF-8, NUL, control), never the string's end */
            } else if (c == '"') {
                in_string = false;
            } else if (c == '\\') {
                if (i + 6 <= len && body[i + 1] == 'u' && memcmp(body + i + 2, "0000", 4) == 0) {
                    snprintf(msg, msgsz, "a string contains a NUL character (\\u0000) at byte offset %zu", i);
                    return -1;
                }
                escaped = true;
            }
        } else if (c == '"') {
            in_string = true;
        }
        i += k;
    }
    return 0;
}

/* Trim ASCII whitespace; reject empty and over-long text and embedded NULs. */
static int take_text(const char *s, size_t len, api_query_req *req, char *msg, size_t msgsz)
{
    const char *nul = memchr(s, '\0', len);
    if (nul) {
        snprintf(msg, msgsz, "\"q\" contains a NUL character at byte offset %zu", (size_t)(nul - s));
        return -1;
    }
    for (size_t i = 0; i < len;) {
        size_t k = rag_utf8_seq((const unsigned char *)s + i, len - i);
        if (k == 0) {
            snprintf(msg, msgsz, "\"q\" is not valid UTF-8 (byte 0x%02x at byte offset %zu)", (unsigned char)s[i], i);
            return -1;
        }
        i += k;
    }
    while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) { s++; len--; }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
    if (len == 0) return fail(msg, msgsz, "field \"q\" is empty%s", "");
    if (len > API_QUERY_MAX_TEXT) {
        snprintf(msg, msgsz, "field \"q\" is longer than %d bytes", API_QUERY_MAX_TEXT);
        return -1;
    }
    req->q = rag_xmemdup(s, len);
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
    if (!body || len == 0) return fail(msg, msgsz, "request body is empty; expected JSON like {\"q\": \"...\"}%s", "");
    if (scan_json_text(body, len, msg, msgsz)) return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        snprintf(msg, msgsz, "request body is not valid JSON (near byte offset %zu)", at);
        return -1;
    }
    int rc = -1;
    size_t rest = end ? (size_t)(end - body) : len;
    while (rest < len && strchr(" \t\r\n", body[rest])) rest++;
    if (rest < len) {
        snprintf(msg, msgsz, "unexpected bytes after the JSON value at byte offset %zu", rest);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        fail(msg, msgsz, "request body must be a JSON object%s", "");
        goto out;
    }
    const cJSON *q = NULL;
    bool seen_k = false, seen_mode = false, seen_group = false;
    for (const cJSON *it = root->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        if ((strcmp(name, "q") == 0 && q) || (strcmp(name, "k") == 0 && seen_k) ||
            (strcmp(name, "mode") == 0 && seen_mode) || (strcmp(name, "group") == 0 && seen_group)) {
            fail(msg, msgsz, "duplicate field \"%s\"", name);
            goto out;
        }
        seen_k |= strcmp(name, "k") == 0;
        seen_mode |= strcmp(name, "mode") == 0;
        seen_group |= strcmp(name, "group") == 0;
        if (strcmp(name, "q") == 0) {
            q = it;
        } else if (strcmp(name, "k") == 0) {
            if (!cJSON_IsNumber(it)) {
                snprintf(msg, msgsz, "field \"k\" must be an integer from 1 to %d", max_k);
                goto out;
            }
            if (check_k(it->valuedouble, max_k, req, msg, msgsz)) goto out;
        } else if (strcmp(name, "mode") == 0) {
            int m = cJSON_IsString(it) ? api_mode_parse(it->valuestring, 0) : -1;
            if (m < 0) {
                fail(msg, msgsz, "field \"mode\" must be \"hybrid\", \"bm25\" or \"vector\"%s", "");
                goto out;
            }
            req->mode = (api_mode)m;
        } else if (strcmp(name, "group") == 0) {
            int gr = cJSON_IsString(it) ? group_parse(it->valuestring) : -1;
            if (gr < 0) {
                fail(msg, msgsz, "field \"group\" must be \"chunk\" or \"document\"%s", "");
                goto out;
            }
            req->group = (api_group)gr;
        } else {
            char shown[64];
            snprintf(shown, sizeof shown, "%.40s", name);
            fail(msg, msgsz, "unknown field \"%s\" (expected q, k, mode, group)", shown);
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

void api_query_args_add(api_query_args *a, const char *key, size_t key_len, const char *value, size_t value_len)
{
    static const char *const names[4] = {"q", "k", "mode", "group"};
    if (a->error[0]) return;
    int i = 0;
    while (i < 4 && !(strlen(names[i]) == key_len && memcmp(names[i], key, key_len) == 0)) i++;
    if (i == 4) {
        /* the name as printable ASCII, cut short: it goes into a JSON message */
        char shown[40];
        size_t n = 0;
        for (size_t j = 0; j < key_len && n + 1 < sizeof shown; j++)
            shown[n++] = key[j] >= 0x20 && key[j] < 0x7f && key[j] != '"' && key[j] != '\\' ? key[j] : '?';
        shown[n] = '\0';
        snprintf(a->error, sizeof a->error, "unknown argument \"%s\" (arguments: q, k, mode, group)", shown);
        return;
    }
    if (a->value[i]) {
        snprintf(a->error, sizeof a->error, "argument \"%s\" is given more than once", names[i]);
        return;
    }
    if (i > 0 && value && strlen(value) != value_len) {
        snprintf(a->error, sizeof a->error, "argument \"%s\" contains a NUL byte (%%00)", names[i]);
        return;
    }
    a->value[i] = value ? value : "";
    a->len[i] = value ? value_len : 0;
}

int api_query_parse_args(const char *q, size_t q_len, const char *k, const char *mode, const char *group,
                         int default_k, int max_k, api_query_req *req, char *msg, size_t msgsz)
{
    memset(req, 0, sizeof *req);
    req->k = default_k;
    if (!q) return fail(msg, msgsz, "argument \"q\" is required (GET /query?q=...&k=5)%s", "");
    if (k) {
        char *end = NULL;
        errno = 0;
        long v = strtol(k, &end, 10);
        if (*k < '0' || *k > '9' || errno || *end != '\0' || v < 1 || v > max_k) { /* digits only: no sign, no space */
            snprintf(msg, msgsz, "argument \"k\" must be an integer from 1 to %d", max_k);
            return -1;
        }
        req->k = (int)v;
    }
    if (mode) {
        int m = api_mode_parse(mode, 0);
        if (m < 0) return fail(msg, msgsz, "argument \"mode\" must be hybrid, bm25 or vector%s", "");
        req->mode = (api_mode)m;
    }
    if (group) {
        int gr = group_parse(group);
        if (gr < 0) return fail(msg, msgsz, "argument \"group\" must be chunk or document%s", "");
        req->group = (api_group)gr;
    }
    return take_text(q, q_len, req, msg, msgsz);
}

void api_query_req_free(api_query_req *req)
{
    if (!req) return;
    free(req->q);
    req->q = NULL;
    free(req->qvec);
    req->qvec = NULL;
    free(req->vec_hits);
    req->vec_hits = NULL;
}
