/* jsonlog.c — JSON Lines log writer and tolerant reader (docs/specs/log.md).
 * Writer: each line is built whole in memory (ts, level, component, event,
 * run_id, msg, payload, in that order), made valid UTF-8, capped at
 * RAG_LOG_LINE_MAX bytes, and emitted with ONE write() on an O_APPEND fd,
 * all or nothing (rag_append_whole: a short write on a full disk is
 * truncated away, so the next line never glues onto half a line).
 * On Linux, a write() to an O_APPEND regular file on a local file system
 * positions and copies the whole buffer under the inode lock, so lines from
 * concurrent processes never interleave (tests/integration/
 * test_jsonlog_concurrent.sh checks it). Reader: never fails; a bad line is
 * returned with ok=false, a reason and the raw text. */
#include "rag/jsonlog.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest line the writer emits, newline included. */
#define RAG_LOG_LINE_MAX (64 * 1024)
#define TRUNC_MARK " [truncated]"

struct rag_log {
    pthread_mutex_t mu;
    int fd;
    bool echo;
    char *path;
    char component[48];
    char run_id[64];
    rag_log_writes writes; /* lines that could not be appended (under mu) */
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *rag_level_name(rag_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "info";
}

int rag_level_parse(const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0) return i;
    if (strcmp(s, "warning") == 0) return RAG_LEVEL_WARN;
    if (strcmp(s, "err") == 0) return RAG_LEVEL_ERROR;
    return -1;
}

/* Copy s into dst (cap bytes) cutting at a UTF-8 character boundary. */
static void copy_bounded(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

rag_log *rag_log_open(const char *path, const char *component, rag_error *err)
{
    char *dir = rag_dirname(path);
    int rc = rag_mkdir_p(dir, 0755, err);
    free(dir);
    if (rc != RAG_OK) return NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        rag_error_set(err, RAG_ERR, "%s: cannot open log: %s", path, strerror(errno));
        return NULL;
    }
    rag_log *log = rag_xcalloc(1, sizeof *log);
    pthread_mutex_init(&log->mu, NULL);
    log->fd = fd;
    log->path = rag_xstrdup(path);
    copy_bounded(log->component, sizeof log->component, component && *component ? component : "unknown");
    return log;
}

void rag_log_set_run_id(rag_log *log, const char *run_id)
{
    if (!log) return;
    pthread_mutex_lock(&log->mu);
    copy_bounded(log->run_id, sizeof log->run_id, run_id ? run_id : "");
    pthread_mutex_unlock(&log->mu);
}

void rag_log_set_echo(rag_log *log, bool echo)
{
    if (!log) return;
    pthread_mutex_lock(&log->mu);
    log->echo = echo;
    pthread_mutex_unlock(&log->mu);
}

/* Length of the valid UTF-8 sequence at p (n bytes available), 0 if invalid.
 * Rejects overlongs, surrogates and code points above U+10FFFF. */
size_t rag_utf8_seq(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80) return 1;
    size_t len;
    unsigned cp;
    if ((p[0] & 0xE0) == 0xC0) { len = 2; cp = p[0] & 0x1F; }
    else if ((p[0] & 0xF0) == 0xE0) { len = 3; cp = p[0] & 0x0F; }
    else if ((p[0] & 0xF8) == 0xF0) { len = 4; cp = p[0] & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

/* Replace invalid UTF-8 with U+FFFD. JSON structure is ASCII, so doing this
 * on the rendered line only touches string contents. Returns a new string. */
char *rag_utf8_sanitize(const char *s, size_t n, size_t *out_len)
{
    size_t ignored;
    if (!out_len) out_len = &ignored;
    char *out = rag_xmalloc(n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = rag_utf8_seq((const unsigned char *)s + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

size_t rag_utf8_invalid_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    while (i < n) {
        if (i + 8 <= n) { /* ASCII, 8 bytes at a time: most text, most JSON */
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        if ((k = rag_utf8_seq(p + i, n - i)) == 0) return i;
        i += k;
    }
    return n;
}

char *rag_json_print(const cJSON *o, bool pretty, size_t *len)
{
    char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    if (!s) return NULL;
    const size_t n = strlen(s);
    if (rag_utf8_invalid_at(s, n) == n) { /* the usual case: nothing to replace, no copy */
        if (len) *len = n;
        return s;
    }
    char *clean = rag_utf8_sanitize(s, n, len);
    cJSON_free(s);
    return clean;
}

cJSON *rag_json_parse_showing_nul(const char *s, size_t len, const char **end)
{
    if (!s || !memmem(s, len, "\\u0000", 6)) return cJSON_ParseWithLengthOpts(s, len, end, 0);
    /* rewritten in a copy of the same length, so end maps back by offset;
     * each escape is skipped whole, so in \\u0000 (an escaped backslash,
     * then text) nothing is rewritten */
    char *copy = rag_xmemdup(s, len);
    for (size_t i = 0; i + 1 < len; i++) {
        if (copy[i] != '\\') continue;
        if (copy[i + 1] == 'u' && i + 6 <= len && memcmp(copy + i + 2, "0000", 4) == 0) memcpy(copy + i + 2, "2400", 4);
        i++;
    }
    const char *cend = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(copy, len, &cend, 0);
    if (end) *end = cend ? s + (cend - copy) : NULL;
    free(copy);
    return j;
}

/* Render one line (without newline). Caller frees. */
static char *render_line(const rag_log *log, const char *ts, rag_level level, const char *event, const char *msg,
                         const cJSON *payload, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ts", ts);
    cJSON_AddStringToObject(o, "level", rag_level_name(level));
    cJSON_AddStringToObject(o, "component", log->component);
    cJSON_AddStringToObject(o, "event", event);
    if (log->run_id[0]) cJSON_AddStringToObject(o, "run_id", log->run_id);
    if (msg) cJSON_AddStringToObject(o, "msg", msg);
    if (payload) cJSON_AddItemReferenceToObject(o, "payload", (cJSON *)payload);
    char *s = rag_json_print(o, false, len);
    cJSON_Delete(o); /* a reference item does not free the payload */
    return s;
}

/* Build the line, shrinking it under the cap: first the payload is replaced
 * by {"truncated":true,"bytes":N}, then msg is cut with a marker. */
static char *build_line(const rag_log *log, rag_level level, const char *event, const char *msg, cJSON *payload,
                        size_t *len)
{
    char ts[RAG_TIME_BUFSZ];
    rag_time_format(rag_now_ms(), ts);
    char ev[64];
    copy_bounded(ev, sizeof ev, event && *event ? event : "unknown");
    const size_t cap = RAG_LOG_LINE_MAX - 1; /* room for the newline */

    char *line = render_line(log, ts, level, ev, msg, payload, len);
    if (!line || *len <= cap) return line;

    cJSON *stub = NULL;
    if (payload) {
        stub = cJSON_CreateObject();
        cJSON_AddBoolToObject(stub, "truncated", 1);
        cJSON_AddNumberToObject(stub, "bytes", (double)*len);
        free(line);
        line = render_line(log, ts, level, ev, msg, stub, len);
    }
    /* Escaping can grow msg up to 6x, so find the longest prefix that fits
     * by bisection (a rare path: only for oversized lines). */
    if (msg && line && *len > cap) {
        size_t lo = 0, hi = strlen(msg); /* answer in [lo, hi) */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            char *try = rag_xasprintf("%.*s%s", (int)mid, msg, TRUNC_MARK);
            size_t l = 0;
            char *r = render_line(log, ts, level, ev, try, stub, &l);
            free(try);
            bool fits = r && l <= cap;
            free(r);
            if (fits) lo = mid;
            else hi = mid;
        }
        size_t keep = lo;
        while (keep > 0 && ((unsigned char)msg[keep] & 0xC0) == 0x80) keep--; /* whole characters */
        char *cut = rag_xasprintf("%.*s%s", (int)keep, msg, TRUNC_MARK);
        free(line);
        line = render_line(log, ts, level, ev, cut, stub, len);
        free(cut);
    }
    cJSON_Delete(stub);
    return line;
}

/* A line that could not be appended is counted, and said once on stderr
 * (which goes elsewhere: a terminal, the journal, a daemon's .out file) when
 * the writes start failing: never lost without a trace. Called under mu. */
static void note_write_failure(rag_log *log, int e)
{
    log->writes.failures++;
    log->writes.last_failure_ms = rag_now_ms();
    snprintf(log->writes.last_error, sizeof log->writes.last_error, "%s", strerror(e ? e : EIO));
    if (!log->writes.failing)
        fprintf(stderr, "%s: cannot append to %s: %s; log lines are lost (and counted) until it can\n",
                log->component, log->path, log->writes.last_error);
    log->writes.failing = true;
}

void rag_log_write_state(rag_log *log, rag_log_writes *out)
{
    memset(out, 0, sizeof *out);
    if (!log) return;
    pthread_mutex_lock(&log->mu);
    *out = log->writes;
    pthread_mutex_unlock(&log->mu);
}

const char *rag_log_path(const rag_log *log)
{
    return log ? log->path : "";
}

int rag_log_event(rag_log *log, rag_level level, const char *event, const char *msg, cJSON *payload)
{
    if (!log) {
        cJSON_Delete(payload);
        return RAG_EINVAL;
    }
    if (payload && !cJSON_IsObject(payload)) { /* payload is always an object on disk */
        cJSON *wrap = cJSON_CreateObject();
        cJSON_AddItemToObject(wrap, "value", payload);
        payload = wrap;
    }
    pthread_mutex_lock(&log->mu);
    size_t len = 0;
    char *line = build_line(log, level, event, msg, payload, &len);
    int rc = RAG_OK;
    if (!line) {
        rc = RAG_ERR;
    } else {
        line[len] = '\n'; /* the sanitized buffer has room: it was sized 3n+1 */
        if (rag_append_whole(log->fd, line, len + 1) != 0) { /* whole line or nothing */
            rc = RAG_ERR;
            note_write_failure(log, errno);
        } else if (log->writes.failing) {
            log->writes.failing = false;
            fprintf(stderr, "%s: appending to %s again (%llu log lines lost so far)\n", log->component, log->path,
                    (unsigned long long)log->writes.failures);
        }
        if (log->echo && write(STDERR_FILENO, line, len + 1) < 0) { /* echo is best effort */ }
    }
    pthread_mutex_unlock(&log->mu);
    free(line);
    cJSON_Delete(payload);
    return rc;
}

int rag_log_eventf(rag_log *log, rag_level level, const char *event, cJSON *payload, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    int rc = rag_log_event(log, level, event, n < 0 ? NULL : msg, payload);
    free(msg);
    return rc;
}

void rag_log_close(rag_log *log)
{
    if (!log) return;
    close(log->fd);
    pthread_mutex_destroy(&log->mu);
    free(log->path);
    free(log);
}

/* ---------------------------------------------------------------- reader */

static bool bad(rag_log_entry *e, const char *reason)
{
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    e->ok = false;
    cJSON_Delete(e->json);
    e->json = NULL;
    free(e->msg);
    e->msg = NULL;
    return false;
}

/* Copy a required, non-empty string field that must fit cap. */
static const char *req_string(const cJSON *o, const char *key, char *dst, size_t cap, char *why, size_t whylen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) { snprintf(why, whylen, "missing %s", key); return NULL; }
    if (!cJSON_IsString(v)) { snprintf(why, whylen, "%s is not a string", key); return NULL; }
    if (!v->valuestring[0]) { snprintf(why, whylen, "%s is empty", key); return NULL; }
    if (strlen(v->valuestring) >= cap) { snprintf(why, whylen, "%s is too long", key); return NULL; }
    if (dst) memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return v->valuestring;
}

bool rag_log_parse_line(const char *line, size_t len, rag_log_entry *e)
{
    memset(e, 0, sizeof *e);
    if (!line) len = 0;
    if (len > 0 && line[len - 1] == '\n') len--;
    if (len > 0 && line[len - 1] == '\r') len--;
    /* raw whole: a NUL byte would end it there, hiding the rest */
    size_t nuls = 0;
    for (size_t k = 0; k < len; k++) nuls += line[k] == '\0';
    e->raw = rag_xmalloc(len + 2 * nuls + 1);
    size_t o = 0;
    for (size_t k = 0; k < len; k++) {
        if (line[k]) e->raw[o++] = line[k];
        else { memcpy(e->raw + o, RAG_NUL_SYMBOL, 3); o += 3; }
    }
    e->raw[o] = '\0';

    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == len) return bad(e, "empty line");
    if (nuls) return bad(e, "contains a NUL byte");
    if (line[i] != '{') return bad(e, "not a JSON object");
    const char *end = NULL;
    e->json = rag_json_parse_showing_nul(e->raw, len, &end);
    if (!e->json) return bad(e, "not valid JSON (truncated or corrupt)");
    for (const char *p = end; p && p < e->raw + len; p++)
        if (*p != ' ' && *p != '\t') return bad(e, "unexpected data after the JSON object");
    if (!cJSON_IsObject(e->json)) return bad(e, "not a JSON object");

    char why[96];
    const char *ts = req_string(e->json, "ts", e->ts, sizeof e->ts, why, sizeof why);
    if (!ts) return bad(e, why);
    if (rag_time_parse(ts, &e->ts_ms) != 0) return bad(e, "bad ts (not RFC 3339)");
    char lvl[16];
    if (!req_string(e->json, "level", lvl, sizeof lvl, why, sizeof why)) {
        if (cJSON_GetObjectItemCaseSensitive(e->json, "level")) return bad(e, "bad level");
        return bad(e, why);
    }
    int level = rag_level_parse(lvl);
    if (level < 0) return bad(e, "bad level (not debug|info|warn|error)");
    e->level = (rag_level)level;
    if (!req_string(e->json, "component", e->component, sizeof e->component, why, sizeof why)) return bad(e, why);
    if (!req_string(e->json, "event", e->event, sizeof e->event, why, sizeof why)) return bad(e, why);

    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->json, "run_id");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)) return bad(e, "run_id is not a string");
        if (strlen(v->valuestring) >= sizeof e->run_id) return bad(e, "run_id is too long");
        memcpy(e->run_id, v->valuestring, strlen(v->valuestring) + 1);
    }
    v = cJSON_GetObjectItemCaseSensitive(e->json, "payload");
    if (v && !cJSON_IsNull(v) && !cJSON_IsObject(v)) return bad(e, "payload is not an object");
    v = cJSON_GetObjectItemCaseSensitive(e->json, "msg");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)) return bad(e, "msg is not a string");
        e->msg = rag_xstrdup(v->valuestring);
    }
    e->ok = true;
    return true;
}

void rag_log_entry_free(rag_log_entry *e)
{
    if (!e) return;
    free(e->msg);
    cJSON_Delete(e->json);
    free(e->raw);
    e->msg = NULL;
    e->json = NULL;
    e->raw = NULL;
}
