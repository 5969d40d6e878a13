/* confighash.c — the canonical config subtree and its SHA-256. Only settings
 * that change what the index contains go in (see confighash.h), rendered as
 * compact JSON with keys sorted bytewise, so comments, key order, YAML style
 * and operational settings never change the hash. rag_json_diff explains a
 * mismatch leaf by leaf with dotted keys. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "rag/confighash.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, de-duplicated pattern list: the order of include/exclude patterns
 * does not change which files are indexed. */
static cJSON *pattern_array(char **items, size_t n)
{
    char **sorted = rag_xcalloc(n + 1, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = items[i];
    qsort(sorted, n, sizeof *sorted, cmp_str);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]))
            cJSON_AddItemToArray(arr, cJSON_CreateString(sorted[i]));
    free(sorted);
    return arr;
}

cJSON *rag_config_canonical(const rag_config *cfg)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema_version", cfg->schema_version);

    cJSON *ingest = cJSON_AddObjectToObject(root, "ingest");
    cJSON_AddItemToObject(ingest, "include", pattern_array(cfg->ingest.include, cfg->ingest.n_include));
    cJSON_AddItemToObject(ingest, "exclude", pattern_array(cfg->ingest.exclude, cfg->ingest.n_exclude));

    cJSON *chunking = cJSON_AddObjectToObject(root, "chunking");
    cJSON_AddNumberToObject(chunking, "target_tokens", cfg->chunking.target_tokens);
    cJSON_AddNumberToObject(chunking, "overlap_tokens", cfg->chunking.overlap_tokens);

    cJSON *embedding = cJSON_AddObjectToObject(root, "embedding");
    cJSON_AddStringToObject(embedding, "provider", cfg->embedding.provider ? cfg->embedding.provider : "");
    cJSON_AddNumberToObject(embedding, "dimensions", cfg->embedding.dimensions);
    /* The hashing provider has no model; its model setting (kept for a later
     * switch to openai) does not change the vectors, so it stays out. */
    if (cfg->embedding.provider && strcmp(cfg->embedding.provider, "hashing") != 0)
        cJSON_AddStringToObject(embedding, "model", cfg->embedding.model ? cfg->embedding.model : "");
    return root;
}

/* Reorder an object's children by key (stable), recursively. */
static void sort_tree(cJSON *node)
{
    if (!node || !(cJSON_IsObject(node) || cJSON_IsArray(node)))
        return;
    size_t n = 0;
    for (cJSON *c = node->child; c; c = c->next) {
        sort_tree(c);
        n++;
    }
    if (!cJSON_IsObject(node) || n < 2)
        return;
    cJSON **kids = rag_xcalloc(n, sizeof *kids);
    size_t i = 0;
    for (cJSON *c = node->child; c; c = c->next)
        kids[i++] = c;
    /* insertion sort: stable and objects are small */
    for (size_t a = 1; a < n; a++) {
        cJSON *k = kids[a];
        size_t b = a;
        while (b > 0 && strcmp(kids[b - 1]->string ? kids[b - 1]->string : "", k->string ? k->string : "") > 0) {
            kids[b] = kids[b - 1];
            b--;
        }
        kids[b] = k;
    }
    for (i = 0; i < n; i++) {
        kids[i]->prev = i ? kids[i - 1] : kids[n - 1]; /* cJSON: head->prev is the tail */
        kids[i]->next = i + 1 < n ? kids[i + 1] : NULL;
    }
    node->child = kids[0];
    free(kids);
}

char *rag_json_canonical_string(const cJSON *json)
{
    cJSON *copy = cJSON_Duplicate(json, 1);
    if (!copy)
        return rag_xstrdup("null");
    sort_tree(copy);
    char *s = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (!s)
        return rag_xstrdup("null");
    char *out = rag_xstrdup(s);
    cJSON_free(s);
    return out;
}

void rag_sha256_hex(const void *data, size_t len, char out[RAG_HASH_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL))
        md_len = 0;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < md_len && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[md_len == 32 ? 64 : 0] = '\0';
}

void rag_json_hash(const cJSON *json, char out[RAG_HASH_HEX])
{
    char *s = rag_json_canonical_string(json);
    rag_sha256_hex(s, strlen(s), out);
    free(s);
}

void rag_config_hash(const rag_config *cfg, char out[RAG_HASH_HEX])
{
    cJSON *c = rag_config_canonical(cfg);
    rag_json_hash(c, out);
    cJSON_Delete(c);
}

/* ------------------------------------------------------------ diff */

static char *render_value(const cJSON *v)
{
    if (!v)
        return rag_xstrdup("(absent)");
    if (cJSON_IsString(v))
        return rag_xstrdup(v->valuestring);
    return rag_json_canonical_string(v);
}

static bool same_value(const cJSON *a, const cJSON *b)
{
    char *x = rag_json_canonical_string(a);
    char *y = rag_json_canonical_string(b);
    bool same = strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

/* Sorted unique keys of the union of two objects' children. */
static size_t union_keys(const cJSON *a, const cJSON *b, const char ***out)
{
    size_t n = 0;
    for (const cJSON *c = a ? a->child : NULL; c; c = c->next)
        n++;
    for (const cJSON *c = b ? b->child : NULL; c; c = c->next)
        n++;
    const char **keys = rag_xcalloc(n + 1, sizeof *keys);
    size_t k = 0;
    for (const cJSON *c = a ? a->child : NULL; c; c = c->next)
        if (c->string)
            keys[k++] = c->string;
    for (const cJSON *c = b ? b->child : NULL; c; c = c->next)
        if (c->string)
            keys[k++] = c->string;
    qsort(keys, k, sizeof *keys, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(keys[u - 1], keys[i]))
            keys[u++] = keys[i];
    *out = keys;
    return u;
}

static int diff_rec(const char *prefix, const cJSON *a, const cJSON *b, rag_diff_cb cb, void *ud)
{
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        const char **keys;
        size_t n = union_keys(a, b, &keys);
        int count = 0;
        for (size_t i = 0; i < n; i++) {
            char *dotted = *prefix ? rag_xasprintf("%s.%s", prefix, keys[i]) : rag_xstrdup(keys[i]);
            count += diff_rec(dotted, cJSON_GetObjectItemCaseSensitive(a, keys[i]),
                              cJSON_GetObjectItemCaseSensitive(b, keys[i]), cb, ud);
            free(dotted);
        }
        free(keys);
        return count;
    }
    if (a && b && same_value(a, b))
        return 0;
    if (!a && !b)
        return 0;
    char *x = render_value(a), *y = render_value(b);
    if (cb)
        cb(*prefix ? prefix : "(root)", x, y, ud);
    free(x);
    free(y);
    return 1;
}

int rag_json_diff(const cJSON *old_tree, const cJSON *new_tree, rag_diff_cb cb, void *ud)
{
    return diff_rec("", old_tree, new_tree, cb, ud);
}
