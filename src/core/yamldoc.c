/* yamldoc.c — libyaml document loading and checked, typed access for the
 * config and services loaders. Every accessor reports what is wrong at the
 * node's own line and column and keeps going, so one run of `ragtop validate`
 * lists every problem in a file. Values echoed in messages are made inert and
 * truncated; callers never pass secrets through the echoing getters. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/timeutil.h"
#include "rag/yamldoc.h"

/* ------------------------------------------------------------ loading */

/* 1-based line/col of a byte offset (reader errors only carry an offset). */
static void offset_position(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void syntax_problem(rag_ydoc *d, const yaml_parser_t *parser, const char *buf, size_t len)
{
    size_t line, col;
    if (parser->error == YAML_READER_ERROR) {
        offset_position(buf, len, parser->problem_offset, &line, &col);
    } else {
        line = parser->problem_mark.line + 1;
        col = parser->problem_mark.column + 1;
    }
    const char *problem = parser->problem ? parser->problem : "cannot parse";
    if (parser->error == YAML_MEMORY_ERROR)
        problem = "document too large";
    if (parser->context)
        rag_problems_add(d->problems, d->file, line, col, NULL, "syntax error: %s (%s at line %zu column %zu)",
                         problem, parser->context, (size_t)parser->context_mark.line + 1,
                         (size_t)parser->context_mark.column + 1);
    else
        rag_problems_add(d->problems, d->file, line, col, NULL, "syntax error: %s", problem);
}

int rag_ydoc_load(rag_ydoc *d, const char *file, const char *buf, size_t len, rag_problems *problems)
{
    memset(d, 0, sizeof *d);
    d->file = rag_xstrdup(file ? file : "(input)");
    d->problems = problems;
    d->first_problem = problems->count;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        rag_problems_add(problems, d->file, 0, 0, NULL, "cannot initialise the YAML parser");
        return RAG_ERR;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = RAG_OK;
    if (!yaml_parser_load(&parser, &d->doc)) {
        syntax_problem(d, &parser, buf, len);
        rc = RAG_ECORRUPT;
    } else {
        d->loaded = true;
        yaml_document_t extra;
        if (!yaml_parser_load(&parser, &extra)) {
            syntax_problem(d, &parser, buf, len);
            rc = RAG_ECORRUPT;
        } else {
            yaml_node_t *root = yaml_document_get_root_node(&extra);
            if (root) {
                rag_problems_add(problems, d->file, root->start_mark.line + 1, root->start_mark.column + 1,
                                 NULL, "a second YAML document is not allowed (remove the '---' separator)");
                rc = RAG_ECORRUPT;
            }
            yaml_document_delete(&extra);
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

void rag_ydoc_free(rag_ydoc *d)
{
    if (d->suppressed && d->problems)
        rag_problems_add(d->problems, d->file, 0, 0, NULL, "%zu more problem%s not shown", d->suppressed,
                         d->suppressed == 1 ? "" : "s");
    d->suppressed = 0;
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = false;
    free(d->file);
    d->file = NULL;
}

yaml_node_t *rag_ydoc_root(rag_ydoc *d)
{
    return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

/* ------------------------------------------------------------ messages */

void rag_ydoc_problem(rag_ydoc *d, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
    if (d->problems->count - d->first_problem >= RAG_YDOC_MAX_PROBLEMS) {
        d->suppressed++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    size_t line = node ? node->start_mark.line + 1 : 0;
    size_t col = node ? node->start_mark.column + 1 : 0;
    rag_problems_add(d->problems, d->file, line, col, key, "%s", msg ? msg : "(out of memory)");
    free(msg);
}

char *rag_ydoc_join(const char *prefix, const char *key)
{
    if (!prefix || !*prefix)
        return rag_xstrdup(key);
    return rag_xasprintf("%s.%s", prefix, key);
}

bool rag_ydoc_is_null(const yaml_node_t *node)
{
    if (!node || node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)node->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

const char *rag_ydoc_scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* Quote text for a message: control and non-ASCII bytes escaped, truncated. */
static void quote_inert(const char *s, size_t len, char *out, size_t n)
{
    size_t o = 0;
    const size_t limit = 40;
    if (n < 8) {
        if (n)
            out[0] = '\0';
        return;
    }
    out[o++] = '"';
    for (size_t i = 0; i < len && i < limit && o + 6 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += snprintf(out + o, n - o, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            o += snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (len > limit && o + 5 < n)
        o += snprintf(out + o, n - o, "...");
    if (o + 2 <= n)
        out[o++] = '"';
    out[o < n ? o : n - 1] = '\0';
}

void rag_ydoc_describe(const yaml_node_t *node, char *out, size_t n)
{
    if (!node)
        snprintf(out, n, "nothing");
    else if (node->type == YAML_MAPPING_NODE)
        snprintf(out, n, "a mapping");
    else if (node->type == YAML_SEQUENCE_NODE)
        snprintf(out, n, "a list");
    else if (rag_ydoc_is_null(node))
        snprintf(out, n, "an empty value");
    else
        quote_inert((const char *)node->data.scalar.value, node->data.scalar.length, out, n);
}

/* ------------------------------------------------------------ mappings */

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), case-insensitive: "rnu" is one edit from "run". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > 3)
        return (size_t)-1; /* too different to be a typo; keeps hostile input cheap */
    static const size_t W = 65;
    size_t m[65 * 65];
    for (size_t i = 0; i <= la; i++)
        m[i * W] = i;
    for (size_t j = 0; j <= lb; j++)
        m[j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = m[(i - 1) * W + j - 1] + (ca != cb);
            if (m[(i - 1) * W + j] + 1 < best)
                best = m[(i - 1) * W + j] + 1;
            if (m[i * W + j - 1] + 1 < best)
                best = m[i * W + j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && m[(i - 2) * W + j - 2] + 1 < best)
                best = m[(i - 2) * W + j - 2] + 1;
            m[i * W + j] = best;
        }
    }
    return m[la * W + lb];
}

const char *rag_ydoc_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; candidates && candidates[i]; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        if (dist < best_d) {
            best_d = dist;
            best = candidates[i];
        }
    }
    if (!best)
        return NULL;
    size_t len = strlen(word);
    size_t allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return best_d <= allowed ? best : NULL;
}

static bool is_known(const char *key, const char *const *known)
{
    for (size_t i = 0; known[i]; i++)
        if (!strcmp(key, known[i]))
            return true;
    return false;
}

static void list_known(const char *const *known, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; known[i] && o < n; i++)
        o += snprintf(out + o, n - o, "%s%s", i ? ", " : "", known[i]);
}

typedef struct key_ref {
    const char *name;
    size_t index;
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

size_t *rag_ydoc_key_firsts(rag_ydoc *d, const yaml_node_t *map)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    size_t *first = rag_xcalloc(n + 1, sizeof *first);
    key_ref *refs = rag_xcalloc(n + 1, sizeof *refs);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        first[i] = i;
        const char *name = rag_ydoc_scalar(yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].key));
        if (name)
            refs[m++] = (key_ref){name, i};
    }
    /* sorting by (name, position) puts each repeat right after its first use:
     * O(n log n) even for a hostile file with many keys */
    qsort(refs, m, sizeof *refs, key_ref_cmp);
    for (size_t i = 1; i < m; i++)
        if (!strcmp(refs[i].name, refs[i - 1].name))
            first[refs[i].index] = first[refs[i - 1].index];
    free(refs);
    return first;
}

bool rag_ydoc_check_mapping(rag_ydoc *d, const yaml_node_t *node, const char *path,
                            const char *const *known)
{
    if (!node || node->type != YAML_MAPPING_NODE) {
        char got[64];
        rag_ydoc_describe(node, got, sizeof got);
        rag_ydoc_problem(d, node, path, "expected a mapping of keys to values, got %s", got);
        return false;
    }
    size_t *first = rag_ydoc_key_firsts(d, node);
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, node->data.mapping.pairs.start[i].key);
        const char *name = rag_ydoc_scalar(k);
        if (!name || rag_ydoc_is_null(k)) {
            rag_ydoc_problem(d, k, path, "keys must be plain names, not %s",
                             name ? "empty" : k && k->type == YAML_MAPPING_NODE ? "mappings" : "lists");
            continue;
        }
        char *dotted = rag_ydoc_join(path, name);
        if (first[i] != i) {
            yaml_node_t *k2 = yaml_document_get_node(&d->doc, node->data.mapping.pairs.start[first[i]].key);
            rag_ydoc_problem(d, k, dotted, "duplicate key (first set at line %zu)", (size_t)k2->start_mark.line + 1);
        } else if (known && !is_known(name, known)) {
            const char *s = rag_ydoc_suggest(name, known);
            if (s) {
                rag_ydoc_problem(d, k, dotted, "unknown key (did you mean %s?)", s);
            } else {
                char all[512];
                list_known(known, all, sizeof all);
                rag_ydoc_problem(d, k, dotted, "unknown key (known keys here: %s)", all);
            }
        }
        free(dotted);
    }
    free(first);
    return true;
}

yaml_node_t *rag_ydoc_get(rag_ydoc *d, const yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *name = rag_ydoc_scalar(yaml_document_get_node(&d->doc, p->key));
        if (name && !strcmp(name, key))
            return yaml_document_get_node(&d->doc, p->value);
    }
    return NULL;
}

/* ------------------------------------------------------------ conversions */

static void wrong_type(rag_ydoc *d, const yaml_node_t *v, const char *key, const char *expected)
{
    char got[64];
    rag_ydoc_describe(v, got, sizeof got);
    rag_ydoc_problem(d, v, key, "expected %s, got %s", expected, got);
}

/* A number must be a plain (unquoted) scalar; quoted text is a string. */
static const char *plain_scalar(const yaml_node_t *v)
{
    if (!v || v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        rag_ydoc_is_null(v))
        return NULL;
    return (const char *)v->data.scalar.value;
}

/* Text of a non-null scalar: plain or quoted. */
static const char *text_scalar(const yaml_node_t *v)
{
    if (!v || v->type != YAML_SCALAR_NODE || rag_ydoc_is_null(v))
        return NULL;
    return (const char *)v->data.scalar.value;
}

/* Render ms in the largest unit that divides it ("30s", "7d", "250ms"). */
static void ms_text(int64_t ms, char *out, size_t n)
{
    static const struct { int64_t mult; const char *unit; } units[] = {
        {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms != 0 && ms % units[i].mult == 0) {
            snprintf(out, n, "%lld%s", (long long)(ms / units[i].mult), units[i].unit);
            return;
        }
    snprintf(out, n, "0s");
}

int rag_ydoc_as_str(rag_ydoc *d, const yaml_node_t *v, const char *key, char **out)
{
    const char *s = text_scalar(v);
    if (!s) {
        if (rag_ydoc_is_null(v))
            rag_ydoc_problem(d, v, key, "missing value (write \"\" for an empty string)");
        else
            wrong_type(d, v, key, "a string");
        return -1;
    }
    if (strlen(s) != v->data.scalar.length) {
        rag_ydoc_problem(d, v, key, "text must not contain NUL characters");
        return -1;
    }
    *out = rag_xstrdup(s);
    return 0;
}

int rag_ydoc_as_int(rag_ydoc *d, const yaml_node_t *v, const char *key, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *s = plain_scalar(v);
    if (!s) {
        wrong_type(d, v, key, "an integer");
        return -1;
    }
    const char *digits = (*s == '+' || *s == '-') ? s + 1 : s;
    bool ok = *digits != '\0';
    for (const char *c = digits; *c; c++)
        ok = ok && isdigit((unsigned char)*c);
    if (!ok) {
        wrong_type(d, v, key, "an integer");
        return -1;
    }
    errno = 0;
    long long n = strtoll(s, NULL, 10);
    if (errno == ERANGE || n < min || n > max) {
        rag_ydoc_problem(d, v, key, "must be between %lld and %lld (got %s)", (long long)min,
                         (long long)max, s);
        return -1;
    }
    *out = n;
    return 0;
}

int rag_ydoc_as_double(rag_ydoc *d, const yaml_node_t *v, const char *key, double min, double max,
                       double *out)
{
    const char *s = plain_scalar(v);
    char *end = NULL;
    double x = 0;
    if (s) {
        errno = 0;
        x = strtod(s, &end);
    }
    /* strtod also accepts hex, inf and nan; a config number is decimal. */
    if (!s || end == s || *end || strpbrk(s, "xXnN") || !isfinite(x)) {
        wrong_type(d, v, key, "a number");
        return -1;
    }
    if (x < min || x > max) {
        rag_ydoc_problem(d, v, key, "must be between %g and %g (got %s)", min, max, s);
        return -1;
    }
    *out = x;
    return 0;
}

int rag_ydoc_as_bool(rag_ydoc *d, const yaml_node_t *v, const char *key, bool *out)
{
    const char *s = plain_scalar(v);
    if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
        *out = true;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))) {
        *out = false;
        return 0;
    }
    wrong_type(d, v, key, "true or false");
    return -1;
}

int rag_ydoc_as_duration(rag_ydoc *d, const yaml_node_t *v, const char *key, int64_t min_ms,
                         int64_t max_ms, int64_t *out)
{
    const char *s = text_scalar(v);
    int64_t ms;
    if (!s || rag_duration_parse(s, &ms) != 0) {
        char got[64];
        rag_ydoc_describe(v, got, sizeof got);
        rag_ydoc_problem(d, v, key, "invalid duration %s (use a whole number with a unit: 250ms, 30s, 5m, 24h, 7d)",
                         got);
        return -1;
    }
    if (ms < min_ms || ms > max_ms) {
        char lo[32], hi[32];
        ms_text(min_ms, lo, sizeof lo);
        ms_text(max_ms, hi, sizeof hi);
        rag_ydoc_problem(d, v, key, "must be between %s and %s (got %s)", lo, hi, s);
        return -1;
    }
    *out = ms;
    return 0;
}

static void bytes_text(int64_t b, char *out, size_t n)
{
    if (b >= 1024LL * 1024 * 1024 && b % (1024LL * 1024 * 1024) == 0)
        snprintf(out, n, "%lldGiB", (long long)(b >> 30));
    else if (b >= 1024 * 1024 && b % (1024 * 1024) == 0)
        snprintf(out, n, "%lldMiB", (long long)(b >> 20));
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(out, n, "%lldKiB", (long long)(b >> 10));
    else
        snprintf(out, n, "%lld", (long long)b);
}

int rag_ydoc_as_size(rag_ydoc *d, const yaml_node_t *v, const char *key, int64_t min, int64_t max,
                     int64_t *out)
{
    const char *s = text_scalar(v);
    int64_t b;
    if (!s || rag_size_parse(s, &b) != 0) {
        char got[64];
        rag_ydoc_describe(v, got, sizeof got);
        rag_ydoc_problem(d, v, key, "invalid size %s (use bytes or a unit: 512, 64KiB, 16MiB, 1GiB)", got);
        return -1;
    }
    if (b < min || b > max) {
        char lo[32], hi[32];
        bytes_text(min, lo, sizeof lo);
        bytes_text(max, hi, sizeof hi);
        rag_ydoc_problem(d, v, key, "must be between %s and %s (got %s)", lo, hi, s);
        return -1;
    }
    *out = b;
    return 0;
}

void rag_strlist_free(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

int rag_ydoc_as_strlist(rag_ydoc *d, const yaml_node_t *v, const char *key, size_t min_items,
                        char ***out, size_t *n)
{
    if (!v || v->type != YAML_SEQUENCE_NODE) {
        wrong_type(d, v, key, "a list of strings");
        return -1;
    }
    size_t count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (count < min_items) {
        rag_ydoc_problem(d, v, key, "needs at least %zu item%s", min_items, min_items == 1 ? "" : "s");
        return -1;
    }
    char **list = rag_xcalloc(count + 1, sizeof *list);
    size_t got = 0;
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(&d->doc, v->data.sequence.items.start[i]);
        char *ikey = rag_xasprintf("%s[%zu]", key, i);
        char *s = NULL;
        if (rag_ydoc_as_str(d, item, ikey, &s) == 0)
            list[got++] = s;
        else
            rc = -1;
        free(ikey);
    }
    if (rc != 0) {
        rag_strlist_free(list, got);
        return -1;
    }
    *out = list;
    *n = got;
    return 0;
}

/* ------------------------------------------------------------ map getters */

#define GETTER_PROLOGUE                                   \
    yaml_node_t *v = rag_ydoc_get(d, map, key);           \
    if (!v)                                               \
        return 0;                                         \
    char *dotted = rag_ydoc_join(path, key);

int rag_ydoc_get_str(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                     char **out)
{
    GETTER_PROLOGUE
    char *s = NULL;
    int rc = rag_ydoc_as_str(d, v, dotted, &s);
    free(dotted);
    if (rc)
        return -1;
    free(*out);
    *out = s;
    return 1;
}

int rag_ydoc_get_int(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                     int64_t min, int64_t max, int *out)
{
    GETTER_PROLOGUE
    int64_t n;
    if (min < INT32_MIN)
        min = INT32_MIN;
    if (max > INT32_MAX)
        max = INT32_MAX;
    int rc = rag_ydoc_as_int(d, v, dotted, min, max, &n);
    free(dotted);
    if (rc)
        return -1;
    *out = (int)n;
    return 1;
}

int rag_ydoc_get_double(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                        double min, double max, double *out)
{
    GETTER_PROLOGUE
    int rc = rag_ydoc_as_double(d, v, dotted, min, max, out);
    free(dotted);
    return rc ? -1 : 1;
}

int rag_ydoc_get_bool(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                      bool *out)
{
    GETTER_PROLOGUE
    int rc = rag_ydoc_as_bool(d, v, dotted, out);
    free(dotted);
    return rc ? -1 : 1;
}

int rag_ydoc_get_duration(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                          int64_t min_ms, int64_t max_ms, int64_t *out)
{
    GETTER_PROLOGUE
    int rc = rag_ydoc_as_duration(d, v, dotted, min_ms, max_ms, out);
    free(dotted);
    return rc ? -1 : 1;
}

int rag_ydoc_get_size(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                      int64_t min, int64_t max, int64_t *out)
{
    GETTER_PROLOGUE
    int rc = rag_ydoc_as_size(d, v, dotted, min, max, out);
    free(dotted);
    return rc ? -1 : 1;
}

int rag_ydoc_get_strlist(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                         size_t min_items, char ***out, size_t *n)
{
    GETTER_PROLOGUE
    char **list = NULL;
    size_t count = 0;
    int rc = rag_ydoc_as_strlist(d, v, dotted, min_items, &list, &count);
    free(dotted);
    if (rc)
        return -1;
    rag_strlist_free(*out, *n);
    *out = list;
    *n = count;
    return 1;
}

/* ------------------------------------------------------------ files and paths */

int rag_ydoc_read_file(const char *path, size_t max, char **out, size_t *len, rag_problems *problems)
{
    rag_error err = {0};
    int rc = rag_read_file(path, max, out, len, &err);
    if (rc != RAG_OK) {
        /* fsutil's message starts with "path: "; keep one copy of the name */
        size_t n = strlen(path);
        const char *why = !strncmp(err.msg, path, n) && err.msg[n] == ':' ? err.msg + n + 1 : err.msg;
        while (*why == ' ')
            why++;
        rag_problems_add(problems, path, 0, 0, NULL, "%s", why);
    }
    return rc;
}

/* Collapse "//", "." and "x/.." of an absolute path, lexically. */
static char *path_clean(const char *abs)
{
    size_t len = strlen(abs);
    char *out = rag_xmalloc(len + 2);
    size_t o = 0;
    const char *p = abs;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, seg, n);
        o += n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

char *rag_ydoc_path(const char *base, const char *p)
{
    char *abs_base;
    if (base && base[0] == '/') {
        abs_base = rag_xstrdup(base);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            strcpy(cwd, "/");
        abs_base = base && *base ? rag_xasprintf("%s/%s", cwd, base) : rag_xstrdup(cwd);
    }
    char *joined;
    if (!p || !*p)
        joined = abs_base;
    else if (p[0] == '/')
        joined = rag_xstrdup(p);
    else
        joined = rag_xasprintf("%s/%s", abs_base, p);
    char *clean = path_clean(joined);
    if (joined != abs_base)
        free(joined);
    free(abs_base);
    return clean;
}

int rag_ydoc_load_file(const char *path, size_t max, rag_ydoc_file *f, rag_problems *problems,
                       rag_error *err)
{
    memset(f, 0, sizeof *f);
    int rc = rag_ydoc_read_file(path, max, &f->buf, &f->len, problems);
    if (rc != RAG_OK)
        return rag_error_set(err, rc, "%s", problems->items[problems->count - 1]);
    f->abs = rag_ydoc_path(NULL, path);
    f->dir = rag_xstrdup(f->abs);
    char *slash = strrchr(f->dir, '/');
    if (slash == f->dir)
        f->dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    return RAG_OK;
}

void rag_ydoc_file_free(rag_ydoc_file *f)
{
    free(f->buf);
    free(f->abs);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------ ordering */

/* Line and column of a "file:line:col: ..." problem; 0 when it has none. */
static void problem_position(const char *item, size_t skip, unsigned long *line, unsigned long *col)
{
    *line = *col = 0;
    if (strlen(item) <= skip || item[skip] != ':' || !isdigit((unsigned char)item[skip + 1]))
        return;
    char *end;
    *line = strtoul(item + skip + 1, &end, 10);
    if (*end == ':' && isdigit((unsigned char)end[1]))
        *col = strtoul(end + 1, NULL, 10);
}

void rag_ydoc_sort_problems(rag_problems *p, size_t from, const char *file)
{
    size_t skip = strlen(file);
    for (size_t i = from + 1; i < p->count; i++) { /* insertion sort: stable, lists are short */
        char *item = p->items[i];
        unsigned long l, c;
        problem_position(item, skip, &l, &c);
        size_t j = i;
        while (j > from) {
            unsigned long pl, pc;
            problem_position(p->items[j - 1], skip, &pl, &pc);
            if (pl < l || (pl == l && pc <= c))
                break;
            p->items[j] = p->items[j - 1];
            j--;
        }
        p->items[j] = item;
    }
}
