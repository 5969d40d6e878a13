/* golden.c — loading the golden-queries file (see rag/golden.h and
 * docs/specs/quality.md) through yamldoc: unknown and duplicate keys, types
 * and ranges are checked with line and column; ids must be unique, sources
 * relative paths inside the transcripts folder, each listed once per query.
 * Every problem is collected, not just the first. */
#include "rag/golden.h"

#include <stdlib.h>
#include <string.h>

#include "rag/confighash.h"
#include "rag/yamldoc.h"

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(rag_ydoc *d, const yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(&d->doc, n->data.sequence.items.start[i]);
}

static bool id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

/* A source must name a file below the transcripts folder the way /query
 * reports it: relative, no "." or ".." segments, no empty segments. */
static const char *source_problem(const char *s)
{
    if (!*s)
        return "must not be empty";
    if (s[0] == '/')
        return "must be relative to paths.transcripts (as /query's results[].source), not absolute";
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0)
            return "must not contain an empty path segment (\"//\" or a trailing \"/\")";
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return "must not contain \".\" or \"..\" segments";
        p += n + (e ? 1 : 0);
        if (e && !*p)
            return "must not contain an empty path segment (\"//\" or a trailing \"/\")";
    }
    return NULL;
}

static void load_judgment(rag_ydoc *d, yaml_node_t *item, const char *path, rag_golden_query *q)
{
    static const char *const known[] = {"source", "grade", NULL};
    char *source = NULL;
    int grade = 1;
    const yaml_node_t *at = item;
    if (item->type == YAML_SCALAR_NODE) {
        if (rag_ydoc_as_str(d, item, path, &source) != 0)
            return;
    } else if (item->type == YAML_MAPPING_NODE) {
        if (!rag_ydoc_check_mapping(d, item, path, known))
            return;
        int rs = rag_ydoc_get_str(d, item, path, "source", &source);
        if (rs == 0) {
            char *k = rag_ydoc_join(path, "source");
            rag_ydoc_problem(d, item, k, "is required");
            free(k);
        }
        int rg = rag_ydoc_get_int(d, item, path, "grade", 1, RAG_GOLDEN_MAX_GRADE, &grade);
        if (rs != 1 || rg < 0) {
            free(source);
            return;
        }
        at = rag_ydoc_get(d, item, "source");
    } else {
        char got[64];
        rag_ydoc_describe(item, got, sizeof got);
        rag_ydoc_problem(d, item, path, "expected a source path or {source: PATH, grade: 1..%d}, got %s",
                         RAG_GOLDEN_MAX_GRADE, got);
        return;
    }
    const char *why = source_problem(source);
    if (why) {
        rag_ydoc_problem(d, at, path, "%s", why);
        free(source);
        return;
    }
    for (size_t j = 0; j < q->n_relevant; j++)
        if (strcmp(q->relevant[j].source, source) == 0) {
            rag_ydoc_problem(d, at, path, "source \"%s\" is listed twice in this query", source);
            free(source);
            return;
        }
    q->relevant[q->n_relevant].source = source;
    q->relevant[q->n_relevant].grade = grade;
    q->n_relevant++;
}

static void load_query(rag_ydoc *d, yaml_node_t *item, const char *path, rag_golden *g)
{
    static const char *const known[] = {"id", "query", "relevant", NULL};
    if (!rag_ydoc_check_mapping(d, item, path, known))
        return;
    rag_golden_query q = {0};
    bool ok = true;
    const char *req[] = {"id", "query"};
    char **slots[] = {&q.id, &q.query};
    for (int k = 0; k < 2; k++) {
        int rc = rag_ydoc_get_str(d, item, path, req[k], slots[k]);
        if (rc == 0) {
            char *key = rag_ydoc_join(path, req[k]);
            rag_ydoc_problem(d, item, key, "is required");
            free(key);
        }
        ok = ok && rc == 1;
    }
    if (q.id) {
        char *key = rag_ydoc_join(path, "id");
        const yaml_node_t *at = rag_ydoc_get(d, item, "id");
        bool chars = *q.id && strlen(q.id) <= 64;
        for (const char *p = q.id; chars && *p; p++)
            chars = id_char_ok(*p);
        if (!chars) {
            rag_ydoc_problem(d, at, key, "must be 1-64 characters of letters, digits, '-', '_' or '.'");
            ok = false;
        }
        for (size_t j = 0; chars && j < g->n; j++)
            if (g->queries[j].id && strcmp(g->queries[j].id, q.id) == 0) {
                rag_ydoc_problem(d, at, key, "duplicate id \"%s\" (ids name queries in reports; make them unique)", q.id);
                ok = false;
            }
        free(key);
    }
    if (q.query) {
        char *key = rag_ydoc_join(path, "query");
        size_t n = strlen(q.query);
        size_t lead = strspn(q.query, " \t\r\n");
        if (lead == n) {
            rag_ydoc_problem(d, rag_ydoc_get(d, item, "query"), key, "must not be empty");
            ok = false;
        } else if (n > RAG_GOLDEN_MAX_QUERY_BYTES) {
            rag_ydoc_problem(d, rag_ydoc_get(d, item, "query"), key, "is %zu bytes, longer than rag-api accepts (%d)", n,
                             RAG_GOLDEN_MAX_QUERY_BYTES);
            ok = false;
        }
        free(key);
    }
    yaml_node_t *rel = rag_ydoc_get(d, item, "relevant");
    char *rkey = rag_ydoc_join(path, "relevant");
    if (!rel) {
        rag_ydoc_problem(d, item, rkey, "is required (a list of the sources that answer the query)");
        ok = false;
    } else if (rel->type != YAML_SEQUENCE_NODE || seq_len(rel) == 0) {
        char got[64];
        rag_ydoc_describe(rel, got, sizeof got);
        rag_ydoc_problem(d, rel, rkey, "expected a non-empty list of sources, got %s", got);
        ok = false;
    } else if (seq_len(rel) > RAG_GOLDEN_MAX_RELEVANT) {
        rag_ydoc_problem(d, rel, rkey, "lists %zu sources, more than %d", seq_len(rel), RAG_GOLDEN_MAX_RELEVANT);
        ok = false;
    } else {
        size_t n = seq_len(rel);
        q.relevant = rag_xcalloc(n, sizeof *q.relevant);
        for (size_t i = 0; i < n; i++) {
            char *ipath = rag_xasprintf("%s[%zu]", rkey, i);
            load_judgment(d, seq_item(d, rel, i), ipath, &q);
            free(ipath);
        }
        ok = ok && q.n_relevant == n;
    }
    free(rkey);
    g->queries[g->n++] = q; /* kept even when invalid, so later ids are checked against it; freed on failure */
    (void)ok;
}

static void load_root(rag_ydoc *d, rag_golden *g)
{
    static const char *const known[] = {"version", "queries", NULL};
    yaml_node_t *root = rag_ydoc_root(d);
    if (!root) {
        rag_ydoc_problem(d, NULL, NULL, "the file is empty (expected version: %d and a queries: list)", RAG_GOLDEN_VERSION);
        return;
    }
    if (!rag_ydoc_check_mapping(d, root, NULL, known))
        return;
    int version = 0;
    int rv = rag_ydoc_get_int(d, root, NULL, "version", 1, 1000000, &version);
    if (rv == 0)
        rag_ydoc_problem(d, root, "version", "is required (this ragtop reads version %d)", RAG_GOLDEN_VERSION);
    else if (rv == 1 && version != RAG_GOLDEN_VERSION)
        rag_ydoc_problem(d, rag_ydoc_get(d, root, "version"), "version",
                         "version %d is not supported (this ragtop reads version %d)", version, RAG_GOLDEN_VERSION);
    yaml_node_t *qs = rag_ydoc_get(d, root, "queries");
    if (!qs) {
        rag_ydoc_problem(d, root, "queries", "is required (a list of {id, query, relevant})");
        return;
    }
    if (qs->type != YAML_SEQUENCE_NODE || seq_len(qs) == 0) {
        char got[64];
        rag_ydoc_describe(qs, got, sizeof got);
        rag_ydoc_problem(d, qs, "queries", "expected a non-empty list of queries, got %s", got);
        return;
    }
    size_t n = seq_len(qs);
    if (n > RAG_GOLDEN_MAX_QUERIES) {
        rag_ydoc_problem(d, qs, "queries", "lists %zu queries, more than %d", n, RAG_GOLDEN_MAX_QUERIES);
        return;
    }
    g->queries = rag_xcalloc(n, sizeof *g->queries);
    for (size_t i = 0; i < n; i++) {
        char *path = rag_xasprintf("queries[%zu]", i);
        load_query(d, seq_item(d, qs, i), path, g);
        free(path);
    }
}

int rag_golden_load_buffer(const char *name, const char *buf, size_t len, rag_golden *g, rag_problems *problems,
                           rag_error *err)
{
    rag_problems local = {0};
    if (!problems)
        problems = &local;
    memset(g, 0, sizeof *g);
    size_t before = problems->count;
    rag_ydoc d;
    if (rag_ydoc_load(&d, name, buf, len, problems) == RAG_OK)
        load_root(&d, g);
    rag_ydoc_free(&d);
    rag_ydoc_sort_problems(problems, before, name);
    size_t n = problems->count - before;
    int rc = RAG_OK;
    if (n) {
        rag_golden_free(g);
        rc = rag_error_set(err, RAG_ECORRUPT, "%s", problems->items[before]);
        if (n > 1)
            rag_error_set(err, RAG_ECORRUPT, "%.900s (and %zu more problem%s)", problems->items[before], n - 1,
                          n == 2 ? "" : "s");
    } else {
        rag_sha256_hex(buf, len, g->sha256);
    }
    rag_problems_free(&local);
    return rc;
}

int rag_golden_load(const char *path, rag_golden *g, rag_problems *problems, rag_error *err)
{
    rag_problems local = {0};
    if (!problems)
        problems = &local;
    memset(g, 0, sizeof *g);
    char *buf = NULL;
    size_t len = 0;
    size_t before = problems->count;
    int rc = rag_ydoc_read_file(path, RAG_GOLDEN_MAX_FILE_BYTES, &buf, &len, problems);
    if (rc != RAG_OK)
        rag_error_set(err, rc, "%s", problems->count > before ? problems->items[before] : path);
    else
        rc = rag_golden_load_buffer(path, buf, len, g, problems, err);
    free(buf);
    rag_problems_free(&local);
    return rc;
}

void rag_golden_free(rag_golden *g)
{
    for (size_t i = 0; i < g->n; i++) {
        rag_golden_query *q = &g->queries[i];
        free(q->id);
        free(q->query);
        for (size_t j = 0; j < q->n_relevant; j++)
            free(q->relevant[j].source);
        free(q->relevant);
    }
    free(g->queries);
    memset(g, 0, sizeof *g);
}

rag_quality_verdict rag_quality_judge(double ndcg_at_10, const char *gate, double min_ndcg, double warn_ndcg)
{
    if (min_ndcg > 0 && ndcg_at_10 < min_ndcg) return RAG_QUALITY_BELOW_MIN;
    if (warn_ndcg > 0 && ndcg_at_10 < warn_ndcg) return RAG_QUALITY_BELOW_WARN;
    if (gate && strcmp(gate, "forced") == 0) return RAG_QUALITY_FORCED;
    return RAG_QUALITY_OK;
}
