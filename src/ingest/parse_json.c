/* parse_json.c — JSON transcripts (cJSON). Two shapes, documented in
 * docs/specs/transcripts.md: ragtop's own {"title", "segments": [{"start",
 * "end", "speaker", "text"}]} and Whisper's output {"text", "segments":
 * [{"start", "end", "text", ...}]} (which is the same shape without speakers).
 * start/end are seconds (numbers) or "hh:mm:ss.ttt" strings. Syntax errors
 * name line and column (nesting deeper than cJSON's limit is said as such);
 * shape errors name the JSON path. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "transcript.h"
#include "format.h"

static void position(const char *buf, size_t len, const char *at, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    if (!at || at < buf || at > buf + len)
        return;
    for (const char *p = buf; p < at; p++) {
        if (*p == '\n') { (*line)++; *col = 1; }
        else if (((unsigned char)*p & 0xC0) != 0x80) (*col)++;
    }
}

/* Do the arrays/objects open before `at` (outside strings) go deeper than
 * cJSON's nesting limit? Then that, not the syntax, stopped the parser. */
static int nesting_over_limit(const char *buf, size_t len, const char *at)
{
    const char *stop = at && at >= buf && at <= buf + len ? at + (at < buf + len) : buf + len;
    int depth = 0, in_str = 0, esc = 0;
    for (const char *p = buf; p < stop; p++) {
        if (in_str) {
            if (esc) esc = 0;
            else if (*p == '\\') esc = 1;
            else if (*p == '"') in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == '[' || *p == '{') {
            if (++depth > CJSON_NESTING_LIMIT)
                return 1;
        } else if (*p == ']' || *p == '}') {
            depth--;
        }
    }
    return 0;
}

/* The first "\u0000" escape inside a string, or NULL: cJSON's strings are
 * C strings, so the text after it would be cut off silently. */
static const char *escaped_nul(const char *buf, size_t len)
{
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        if (!in_str) {
            in_str = buf[i] == '"';
        } else if (buf[i] == '"') {
            in_str = 0;
        } else if (buf[i] == '\\') {
            if (i + 6 <= len && memcmp(buf + i + 1, "u0000", 5) == 0) return buf + i;
            i++; /* the escaped character */
        }
    }
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key that appears twice in one object (cJSON would read the first and
 * ignore the rest without a word), anywhere in v; NULL when none. The
 * names are sorted per object: a crafted object of many keys costs
 * n log n, not n^2. */
static const char *duplicate_key(const cJSON *v)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) return NULL;
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    if (cJSON_IsObject(v) && n > 1) {
        const char **names = malloc(n * sizeof *names);
        if (!names) return NULL;
        size_t k = 0;
        for (const cJSON *c = v->child; c; c = c->next) names[k++] = c->string ? c->string : "";
        qsort(names, n, sizeof *names, by_name);
        const char *dup = NULL;
        for (size_t i = 1; i < n && !dup; i++)
            if (strcmp(names[i - 1], names[i]) == 0) dup = names[i];
        free(names);
        if (dup) return dup;
    }
    for (const cJSON *c = v->child; c; c = c->next) {
        const char *dup = duplicate_key(c);
        if (dup) return dup;
    }
    return NULL;
}

static int get_time(const char *name, const cJSON *seg, const char *key, int i, int64_t *ms, rag_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(seg, key);
    *ms = -1;
    if (!v || cJSON_IsNull(v))
        return RAG_OK;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d < 0 || d > 1e9)
            return rag_error_set(err, RAG_ECORRUPT, "%s: segments[%d].%s: %g is not a time in seconds", name, i, key, d);
        *ms = (int64_t)llround(d * 1000.0);
        return RAG_OK;
    }
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        if (n && text_parse_timestamp(v->valuestring, n, ms) == n)
            return RAG_OK;
    }
    return rag_error_set(err, RAG_ECORRUPT, "%s: segments[%d].%s: expected seconds or \"hh:mm:ss.ttt\"", name, i, key);
}

int parse_json(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err)
{
    text_skip_bom(&buf, &len);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        unsigned line, col;
        position(buf, len, end, &line, &col);
        if (nesting_over_limit(buf, len, end))
            return rag_error_set(err, RAG_ECORRUPT, "%s:%u:%u: JSON nested deeper than %d levels (the parser's limit)",
                                 name, line, col, CJSON_NESTING_LIMIT);
        return rag_error_set(err, RAG_ECORRUPT, "%s:%u:%u: malformed JSON", name, line, col);
    }
    /* only white space may follow the value */
    for (const char *p = end; p && p < buf + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            unsigned line, col;
            position(buf, len, p, &line, &col);
            cJSON_Delete(root);
            return rag_error_set(err, RAG_ECORRUPT, "%s:%u:%u: malformed JSON (text after the value)", name, line, col);
        }
    const char *nul = escaped_nul(buf, len);
    if (nul) {
        unsigned line, col;
        position(buf, len, nul, &line, &col);
        cJSON_Delete(root);
        return rag_error_set(err, RAG_ECORRUPT, "%s:%u:%u: a string holds \\u0000 (a NUL character)", name, line, col);
    }
    const char *dup = duplicate_key(root);
    if (dup) {
        char shown[80];
        snprintf(shown, sizeof shown, "%s", dup);
        cJSON_Delete(root);
        return rag_error_set(err, RAG_ECORRUPT, "%s: duplicate key \"%s\" in one object (which one counts is ambiguous)",
                             name, shown);
    }
    int rc = RAG_OK;
    const cJSON *segs = root;
    if (cJSON_IsObject(root)) {
        const cJSON *title = cJSON_GetObjectItemCaseSensitive(root, "title");
        if (cJSON_IsString(title))
            transcript_set_title(tr, title->valuestring, strlen(title->valuestring));
        segs = cJSON_GetObjectItemCaseSensitive(root, "segments");
        if (!segs) {
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "text");
            if (cJSON_IsString(text)) {
                transcript_add(tr, text->valuestring, strlen(text->valuestring), -1, -1, NULL, 0, 1);
                goto out;
            }
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: not a transcript: expected a \"segments\" array (or a \"text\" string)", name);
            goto out;
        }
    }
    if (!cJSON_IsArray(segs)) {
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: segments: expected an array", name);
        goto out;
    }
    int i = 0;
    const cJSON *seg;
    cJSON_ArrayForEach(seg, segs) {
        if (!cJSON_IsObject(seg)) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: segments[%d]: expected an object", name, i);
            goto out;
        }
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(seg, "text");
        if (!cJSON_IsString(text)) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: segments[%d].text: missing or not a string", name, i);
            goto out;
        }
        int64_t s, e;
        if ((rc = get_time(name, seg, "start", i, &s, err)) != RAG_OK || (rc = get_time(name, seg, "end", i, &e, err)) != RAG_OK)
            goto out;
        char where[32];
        snprintf(where, sizeof where, ": segments[%d]", i);
        transcript_warn_backwards(tr, name, where, s, e);
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(seg, "speaker");
        const char *spk = cJSON_IsString(sp) ? sp->valuestring : NULL;
        transcript_add(tr, text->valuestring, strlen(text->valuestring), s, e, spk, spk ? strlen(spk) : 0, 1);
        i++;
    }
out:
    cJSON_Delete(root);
    return rc;
}
