/* manifest.c — the freshness manifest (artifacts/checkpoints/latest.json):
 * load + validate, render, atomic write. Validation is all-or-nothing: the
 * caller's struct is only filled when every field checks out, so no reader
 * ever acts on half a manifest. The schema version is checked before any
 * other field because a newer schema may legitimately change the others.
 * Spec: docs/specs/manifest.md. */
#include "rag/jsonlog.h"
#include "rag/manifest.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A manifest is a few KiB (the config subtree dominates); anything near this
 * size is not a manifest. */
#define MANIFEST_MAX_BYTES (4u << 20)
/* Largest whole number a field takes: the last one a JSON number (IEEE
 * double) carries exactly, below RAG_EXACT_INT (common.h). */
#define EXACT_INT_MAX (RAG_EXACT_INT - 1)

/* Line and column (1-based) of byte offset off in buf. */
static void line_col(const char *buf, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static bool only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return false;
    return true;
}

/* True when text (n bytes) is a proper prefix of a JSON literal. */
static bool literal_prefix(const char *text, size_t n)
{
    static const char *lits[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++)
        if (n < strlen(lits[i]) && strncmp(text, lits[i], n) == 0) return true;
    return false;
}

/* Where the token the input ends inside starts (an unclosed string, or a
 * number / literal cut short), or len when the input ends between tokens.
 * cJSON reports a failed string or number at its start, not at the end of
 * the input, so this is what tells a truncated file from a corrupt one. */
static size_t open_token_start(const char *buf, size_t len)
{
    size_t tok = len;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') { in_str = false; tok = len; }
        } else if (c == '"') {
            in_str = true;
            tok = i;
        } else if (strchr("-+.0123456789eEtrufalsn", c)) {
            if (tok == len) tok = i;
        } else {
            tok = len;
        }
    }
    if (in_str || tok == len) return tok;
    /* a bare token: only a number or literal prefix can be "cut short" */
    for (size_t i = tok; i < len; i++)
        if (!strchr("-+.0123456789eE", buf[i])) return literal_prefix(buf + tok, len - tok) ? tok : len;
    return tok;
}

/* Parse buf as exactly one JSON value (whitespace around it allowed). A copy
 * with a sentinel byte appended lets us tell "cut short" (the parser fails
 * at or past the original end) from "invalid at line:col". */
static int json_parse(const char *name, const char *buf, size_t len, cJSON **out, rag_error *err)
{
    char *copy = rag_xmalloc(len + 2);
    memcpy(copy, buf, len);
    copy[len] = '\x01';
    copy[len + 1] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 0);
    size_t off = end && end >= copy && end <= copy + len + 1 ? (size_t)(end - copy) : len;
    size_t line, col;
    int rc = RAG_OK;
    if (!root) {
        line_col(copy, off > len ? len : off, &line, &col);
        if (off >= len || off >= open_token_start(copy, len))
            rc = rag_error_set(err, RAG_ECORRUPT, "%s:%zu:%zu: truncated JSON (the file ends inside a value)",
                               name, line, col);
        else
            rc = rag_error_set(err, RAG_ECORRUPT, "%s:%zu:%zu: not valid JSON", name, line, col);
    } else if (!only_space(copy + off, copy + len)) {
        line_col(copy, off, &line, &col);
        cJSON_Delete(root);
        root = NULL;
        rc = rag_error_set(err, RAG_ECORRUPT, "%s:%zu:%zu: unexpected data after the JSON value", name, line, col);
    }
    free(copy);
    *out = root;
    return rc;
}

static int get_string(const char *name, const cJSON *root, const char *key, char *out, size_t cap,
                      rag_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return rag_error_set(err, RAG_ECORRUPT, "%s: missing field \"%s\"", name, key);
    if (!cJSON_IsString(v)) return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" must be a string", name, key);
    size_t n = strlen(v->valuestring);
    if (n == 0) return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" is empty", name, key);
    if (n >= cap)
        return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" is too long (%zu bytes, at most %zu)", name,
                             key, n, cap - 1);
    memcpy(out, v->valuestring, n + 1);
    return RAG_OK;
}

static int get_int(const char *name, const cJSON *root, const char *key, int64_t max, int64_t *out,
                   rag_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return rag_error_set(err, RAG_ECORRUPT, "%s: missing field \"%s\"", name, key);
    if (!cJSON_IsNumber(v)) return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" must be a number", name, key);
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < 0 || d > (double)EXACT_INT_MAX || d > (double)max)
        return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" must be a whole number from 0 to %lld (got %g)",
                             name, key, (long long)(max < EXACT_INT_MAX ? max : EXACT_INT_MAX), d);
    *out = (int64_t)d;
    return RAG_OK;
}

static int get_time(const char *name, const cJSON *root, const char *key, int64_t *out, rag_error *err)
{
    char buf[64];
    int rc = get_string(name, root, key, buf, sizeof buf, err);
    if (rc != RAG_OK) return rc;
    if (rag_time_parse(buf, out) != 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" is not an RFC 3339 timestamp: \"%s\"", name, key, buf);
    return RAG_OK;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
    return true;
}

static int get_hash(const char *name, const cJSON *root, const char *key, char out[65], rag_error *err)
{
    int rc = get_string(name, root, key, out, 65, err);
    if (rc != RAG_OK) return rc;
    if (!is_hex64(out))
        return rag_error_set(err, RAG_ECORRUPT, "%s: field \"%s\" must be 64 lowercase hex digits (SHA-256)", name, key);
    return RAG_OK;
}

static int get_fraction(const char *name, const cJSON *root, const char *key, double *out, rag_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return rag_error_set(err, RAG_ECORRUPT, "%s: missing field \"quality.%s\"", name, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > 1)
        return rag_error_set(err, RAG_ECORRUPT, "%s: field \"quality.%s\" must be a number from 0 to 1", name, key);
    *out = v->valuedouble;
    return RAG_OK;
}

/* The optional "quality" object (docs/specs/manifest.md). */
static int quality_from_json(const char *name, const cJSON *q, rag_manifest *m, rag_error *err)
{
    if (!cJSON_IsObject(q)) return rag_error_set(err, RAG_ECORRUPT, "%s: field \"quality\" must be an object", name);
    int rc;
    int64_t v;
    if ((rc = get_hash(name, q, "golden_sha256", m->quality.golden_sha256, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, q, "queries", INT64_MAX, &m->quality.queries, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, q, "k", 1000, &v, err)) != RAG_OK) return rc;
    m->quality.k = (int)v;
    if ((rc = get_string(name, q, "mode", m->quality.mode, sizeof m->quality.mode, err)) != RAG_OK) return rc;
    if ((rc = get_fraction(name, q, "ndcg_at_10", &m->quality.ndcg_at_10, err)) != RAG_OK) return rc;
    if ((rc = get_fraction(name, q, "recall_at_k", &m->quality.recall_at_k, err)) != RAG_OK) return rc;
    if ((rc = get_fraction(name, q, "mrr", &m->quality.mrr, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, q, "failed", INT64_MAX, &m->quality.failed, err)) != RAG_OK) return rc;
    if ((rc = get_time(name, q, "evaluated_at", &m->quality.evaluated_at_ms, err)) != RAG_OK) return rc;
    if ((rc = get_string(name, q, "gate", m->quality.gate, sizeof m->quality.gate, err)) != RAG_OK) return rc;
    const cJSON *fq = cJSON_GetObjectItemCaseSensitive(q, "failed_queries");
    if (fq && !cJSON_IsNull(fq)) {
        if (!cJSON_IsArray(fq))
            return rag_error_set(err, RAG_ECORRUPT, "%s: field \"quality.failed_queries\" must be an array", name);
        m->quality.failed_queries = cJSON_Duplicate(fq, 1);
        if (!m->quality.failed_queries) return rag_error_set(err, RAG_ERR, "%s: out of memory", name);
    }
    m->quality.present = true;
    return RAG_OK;
}

/* Validate the parsed object into m (which the caller zeroed). */
static int manifest_from_json(const char *name, const cJSON *root, rag_manifest *m, rag_error *err)
{
    if (!cJSON_IsObject(root)) return rag_error_set(err, RAG_ECORRUPT, "%s: not a JSON object", name);
    int64_t v;
    int rc = get_int(name, root, "schema_version", INT32_MAX, &v, err);
    if (rc != RAG_OK) return rc;
    if (v > RAG_MANIFEST_SCHEMA_VERSION)
        return rag_error_set(err, RAG_EVERSION, "%s: schema_version %lld is newer than supported %d", name,
                             (long long)v, RAG_MANIFEST_SCHEMA_VERSION);
    if (v < 1) return rag_error_set(err, RAG_ECORRUPT, "%s: schema_version %lld is not valid (must be >= 1)", name, (long long)v);
    m->schema_version = (int)v;

    if ((rc = get_string(name, root, "run_id", m->run_id, sizeof m->run_id, err)) != RAG_OK) return rc;
    if ((rc = get_string(name, root, "generation", m->generation, sizeof m->generation, err)) != RAG_OK) return rc;
    /* Readers open <artifacts>/index/<generation>: it must stay inside that folder. */
    if (strchr(m->generation, '/') || strcmp(m->generation, ".") == 0 || strcmp(m->generation, "..") == 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: field \"generation\" must be a file name, not a path: \"%s\"",
                             name, m->generation);
    if ((rc = get_time(name, root, "generated_at", &m->generated_at_ms, err)) != RAG_OK) return rc;
    if ((rc = get_time(name, root, "checked_at", &m->checked_at_ms, err)) != RAG_OK) return rc;
    if ((rc = get_hash(name, root, "config_hash", m->config_hash, err)) != RAG_OK) return rc;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (!cfg) return rag_error_set(err, RAG_ECORRUPT, "%s: missing field \"config\"", name);
    if (!cJSON_IsObject(cfg)) return rag_error_set(err, RAG_ECORRUPT, "%s: field \"config\" must be an object", name);
    if ((rc = get_int(name, root, "documents", INT64_MAX, &m->documents, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, root, "chunks", INT64_MAX, &m->chunks, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, root, "tokens", INT64_MAX, &m->tokens, err)) != RAG_OK) return rc;
    if ((rc = get_hash(name, root, "source_fingerprint", m->source_fingerprint, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, root, "errors", INT64_MAX, &m->errors, err)) != RAG_OK) return rc;
    m->failed_content = m->errors;
    const cJSON *fbc = cJSON_GetObjectItemCaseSensitive(root, "failed_by_class");
    if (fbc) {
        if (!cJSON_IsObject(fbc))
            return rag_error_set(err, RAG_ECORRUPT, "%s: field \"failed_by_class\" must be an object", name);
        if ((rc = get_int(name, fbc, "content", INT64_MAX, &m->failed_content, err)) != RAG_OK) return rc;
        if ((rc = get_int(name, fbc, "transient", INT64_MAX, &m->failed_transient, err)) != RAG_OK) return rc;
    }
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(root, "rollback_from");
    if (rb && !cJSON_IsNull(rb) &&
        (rc = get_string(name, root, "rollback_from", m->rollback_from, sizeof m->rollback_from, err)) != RAG_OK)
        return rc;
    if ((rc = get_string(name, root, "tool_version", m->tool_version, sizeof m->tool_version, err)) != RAG_OK) return rc;
    if ((rc = get_int(name, root, "index_schema_version", INT32_MAX, &v, err)) != RAG_OK) return rc;
    if (v < 1) return rag_error_set(err, RAG_ECORRUPT, "%s: field \"index_schema_version\" must be >= 1", name);
    m->index_schema_version = (int)v;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "quality");
    if (q && !cJSON_IsNull(q) && (rc = quality_from_json(name, q, m, err)) != RAG_OK) return rc;
    m->config = cJSON_Duplicate(cfg, 1);
    if (!m->config) return rag_error_set(err, RAG_ERR, "%s: out of memory copying config", name);
    return RAG_OK;
}

int rag_manifest_parse(const char *name, const char *buf, size_t len, rag_manifest *m, rag_error *err)
{
    memset(m, 0, sizeof *m);
    if (!name) name = "manifest";
    if (!buf || len == 0) return rag_error_set(err, RAG_ECORRUPT, "%s: empty file", name);
    if (only_space(buf, buf + len)) return rag_error_set(err, RAG_ECORRUPT, "%s: empty file (only whitespace)", name);
    if (memchr(buf, '\0', len)) {
        size_t line, col;
        line_col(buf, (size_t)((const char *)memchr(buf, '\0', len) - buf), &line, &col);
        return rag_error_set(err, RAG_ECORRUPT, "%s:%zu:%zu: NUL byte in file (not a JSON text)", name, line, col);
    }
    /* the manifest is written as valid UTF-8 (rag_json_print); anything
     * else was not written by rag-ingest, and could not be rendered back
     * unchanged */
    const size_t bad = rag_utf8_invalid_at(buf, len);
    if (bad != len) {
        size_t line, col;
        line_col(buf, bad, &line, &col);
        return rag_error_set(err, RAG_ECORRUPT, "%s:%zu:%zu: not valid UTF-8 (byte 0x%02X)", name, line, col,
                             (unsigned char)buf[bad]);
    }
    cJSON *root = NULL;
    int rc = json_parse(name, buf, len, &root, err);
    if (rc != RAG_OK) return rc;
    rc = manifest_from_json(name, root, m, err);
    cJSON_Delete(root);
    if (rc != RAG_OK) {
        rag_manifest_free(m);
        memset(m, 0, sizeof *m);
    }
    return rc;
}

int rag_manifest_load(const char *path, rag_manifest *m, rag_error *err)
{
    memset(m, 0, sizeof *m);
    char *buf = NULL;
    size_t len = 0;
    int rc = rag_read_file(path, MANIFEST_MAX_BYTES, &buf, &len, err);
    if (rc == RAG_ENOENT) return rag_error_set(err, RAG_ENOENT, "%s: no manifest yet (no index has been published)", path);
    if (rc != RAG_OK) return rc;
    rc = rag_manifest_parse(path, buf, len, m, err);
    free(buf);
    return rc;
}

/* cJSON prints doubles with 15 significant digits when that "looks equal",
 * which loses exactness above 1e15; counts are written as exact integers. */
static void add_int(cJSON *o, const char *key, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    cJSON_AddRawToObject(o, key, buf);
}

char *rag_manifest_render(const rag_manifest *m)
{
    cJSON *o = cJSON_CreateObject();
    char gen_at[RAG_TIME_BUFSZ], chk_at[RAG_TIME_BUFSZ];
    rag_time_format(m->generated_at_ms, gen_at);
    rag_time_format(m->checked_at_ms, chk_at);
    cJSON_AddNumberToObject(o, "schema_version", m->schema_version ? m->schema_version : RAG_MANIFEST_SCHEMA_VERSION);
    cJSON_AddStringToObject(o, "run_id", m->run_id);
    cJSON_AddStringToObject(o, "generation", m->generation);
    cJSON_AddStringToObject(o, "generated_at", gen_at);
    cJSON_AddStringToObject(o, "checked_at", chk_at);
    cJSON_AddStringToObject(o, "config_hash", m->config_hash);
    cJSON_AddItemToObject(o, "config", m->config ? cJSON_Duplicate(m->config, 1) : cJSON_CreateObject());
    add_int(o, "documents", m->documents);
    add_int(o, "chunks", m->chunks);
    add_int(o, "tokens", m->tokens);
    cJSON_AddStringToObject(o, "source_fingerprint", m->source_fingerprint);
    add_int(o, "errors", m->errors);
    cJSON *fbc = cJSON_AddObjectToObject(o, "failed_by_class");
    add_int(fbc, "content", m->failed_content);
    add_int(fbc, "transient", m->failed_transient);
    if (m->rollback_from[0]) cJSON_AddStringToObject(o, "rollback_from", m->rollback_from);
    cJSON_AddStringToObject(o, "tool_version", m->tool_version);
    cJSON_AddNumberToObject(o, "index_schema_version", m->index_schema_version);
    if (m->quality.present) {
        char at[RAG_TIME_BUFSZ];
        rag_time_format(m->quality.evaluated_at_ms, at);
        cJSON *q = cJSON_AddObjectToObject(o, "quality");
        cJSON_AddStringToObject(q, "golden_sha256", m->quality.golden_sha256);
        add_int(q, "queries", m->quality.queries);
        cJSON_AddNumberToObject(q, "k", m->quality.k);
        cJSON_AddStringToObject(q, "mode", m->quality.mode);
        cJSON_AddNumberToObject(q, "ndcg_at_10", m->quality.ndcg_at_10);
        cJSON_AddNumberToObject(q, "recall_at_k", m->quality.recall_at_k);
        cJSON_AddNumberToObject(q, "mrr", m->quality.mrr);
        add_int(q, "failed", m->quality.failed);
        cJSON_AddItemToObject(q, "failed_queries", m->quality.failed_queries
                                                        ? cJSON_Duplicate(m->quality.failed_queries, 1)
                                                        : cJSON_CreateArray());
        cJSON_AddStringToObject(q, "evaluated_at", at);
        cJSON_AddStringToObject(q, "gate", m->quality.gate[0] ? m->quality.gate : "off");
    }
    char *s = rag_json_print(o, true, NULL);
    cJSON_Delete(o);
    if (!s) return NULL;
    char *out = rag_xasprintf("%s\n", s);
    cJSON_free(s);
    return out;
}

int rag_manifest_write(const char *path, const rag_manifest *m, rag_error *err)
{
    char *s = rag_manifest_render(m);
    if (!s) return rag_error_set(err, RAG_ERR, "%s: cannot render manifest (out of memory)", path);
    /* Refuse to publish something our own readers would reject. */
    rag_manifest check;
    int rc = rag_manifest_parse(path, s, strlen(s), &check, err);
    if (rc == RAG_OK) {
        rag_manifest_free(&check);
        rc = rag_atomic_write(path, s, strlen(s), err);
    } else {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        rc = rag_error_set(err, RAG_EINVAL, "refusing to write invalid manifest: %s", why);
    }
    free(s);
    return rc;
}

void rag_manifest_free(rag_manifest *m)
{
    if (!m) return;
    cJSON_Delete(m->config);
    m->config = NULL;
    cJSON_Delete(m->quality.failed_queries);
    m->quality.failed_queries = NULL;
}

/* Safe as a file name: no separators, no leading dot, bounded alphabet. */
static bool run_id_is_plain(const char *s)
{
    if (!s[0] || s[0] == '.') return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

/* A per-run copy: "<8 digits>T....json" and not a temp file. */
bool rag_manifest_is_run_copy(const char *name)
{
    size_t n = strlen(name);
    if (n < 15 || strcmp(name + n - 5, ".json") != 0 || strstr(name, ".tmp.")) return false;
    for (int i = 0; i < 8; i++)
        if (name[i] < '0' || name[i] > '9') return false;
    return name[8] == 'T';
}

bool rag_manifest_is_run_id(const char *id)
{
    if (strchr(id, '/')) return false;
    char *name = rag_xasprintf("%s.json", id);
    bool ok = rag_manifest_is_run_copy(name);
    free(name);
    return ok;
}

typedef struct copy_entry {
    char *name;
    int64_t mtime_ns;
} copy_entry;

/* Newest write first, then by name: run ids have one-second resolution, so
 * two runs of one second would otherwise be ordered by their random suffix. */
static int cmp_copy_newest(const void *a, const void *b)
{
    const copy_entry *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns) return x->mtime_ns < y->mtime_ns ? 1 : -1;
    return strcmp(y->name, x->name);
}

char **rag_manifest_run_copies(const char *dir, size_t *n_out)
{
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    copy_entry *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!rag_manifest_is_run_copy(de->d_name)) continue;
        struct stat st;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            v = rag_xrealloc(v, cap * sizeof *v);
        }
        v[n].name = rag_xstrdup(de->d_name);
        v[n].mtime_ns = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                            ? (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec
                            : 0;
        n++;
    }
    closedir(d);
    if (n) qsort(v, n, sizeof *v, cmp_copy_newest);
    char **names = rag_xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++) names[i] = v[i].name;
    free(v);
    *n_out = n;
    return names;
}

int rag_manifest_prune_copies(const char *dir, int keep, const char *keep_run_id, rag_error *err)
{
    if (keep < 0) keep = 0;
    DIR *d = opendir(dir);
    if (!d) return rag_error_set(err, RAG_ERR, "%s: cannot list folder: %s", dir, strerror(errno));
    closedir(d);
    char *keep_name = rag_xasprintf("%s.json", keep_run_id ? keep_run_id : "");
    size_t n = 0;
    char **names = rag_manifest_run_copies(dir, &n); /* newest first */
    int rc = RAG_OK, deleted = 0;
    for (size_t i = 0; i < n; i++) {
        if (i >= (size_t)keep && strcmp(names[i], keep_name) != 0) {
            char *p = rag_path_join(dir, names[i]);
            if (unlink(p) == 0) deleted++;
            else if (errno != ENOENT && rc == RAG_OK)
                rc = rag_error_set(err, RAG_ERR, "%s: cannot delete old checkpoint: %s", p, strerror(errno));
            free(p);
        }
        free(names[i]);
    }
    free(names);
    free(keep_name);
    return rc == RAG_OK ? deleted : rc;
}

/* Temp files ("<name>.json.tmp.<pid>.<n>") left in dir by writers that were
 * killed mid-write, older than a minute (no live writer takes that long). */
static void cleanup_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    int64_t now = rag_now_ms();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strstr(de->d_name, ".json.tmp.")) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
        if (now - ((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000) >= 60000)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

int rag_manifest_publish(const char *dir, const rag_manifest *m, int keep, rag_error *err)
{
    if (!run_id_is_plain(m->run_id))
        return rag_error_set(err, RAG_EINVAL, "run_id \"%s\" cannot be used as a file name", m->run_id);
    int rc = rag_mkdir_p(dir, 0755, err);
    if (rc != RAG_OK) return rc;
    cleanup_stale_temps(dir);
    char *copy_name = rag_xasprintf("%s.json", m->run_id);
    char *copy = rag_path_join(dir, copy_name);
    char *latest = rag_path_join(dir, "latest.json");
    bool copy_written = false;
    if (keep > 0) {
        rc = rag_manifest_write(copy, m, err);
        copy_written = rc == RAG_OK;
    }
    if (rc == RAG_OK) rc = rag_manifest_write(latest, m, err);
    if (rc != RAG_OK && copy_written) unlink(copy); /* a failed publish removes what it created */
    free(copy_name);
    free(copy);
    free(latest);
    return rc;
}
