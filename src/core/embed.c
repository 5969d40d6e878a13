/* embed.c — text embeddings shared by rag-ingest (chunks) and rag-api
 * (queries). The "hashing" provider needs no model: every lower-cased
 * unigram and bigram from rag_tokenize is hashed (FNV-1a 64 + a splitmix
 * finaliser) to a signed bucket, weighted by sublinear tf (1 + ln tf) and the
 * vector is L2-normalised. The "openai" provider lives in embed_openai.c.
 * Embedders hold no mutable state between calls, so one can serve threads. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rag/embed.h"
#include "rag/tokenize.h"
#include "embed_openai.h"

enum { PROVIDER_HASHING = 1, PROVIDER_OPENAI = 2 };

struct rag_embedder {
    int provider;
    int dimensions;
    rag_openai *openai;
};

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Open-addressing table of feature hash -> count for one text, plus the list
 * of used slots in the order the features first came (the order the vector
 * sums them in), so the table never has to be scanned. It starts on the
 * stack and doubles on the heap past half full: a chunk of ~250 tokens
 * (~500 features) fits the first one. */
#define FEAT_STACK_SLOTS 1024
typedef struct feat_table {
    uint64_t *keys; /* 0 = empty (a real hash of 0 is remapped to 1) */
    uint32_t *counts;
    uint32_t *used;
    size_t n_used;
    size_t mask;
    bool heap;      /* the arrays are the heap's (else the caller's stack) */
    uint64_t prev;  /* hash of the previous unigram, 0 at the start */
} feat_table;

static size_t feat_slot(const feat_table *ft, uint64_t h)
{
    size_t i = (size_t)h & ft->mask;
    while (ft->keys[i] && ft->keys[i] != h)
        i = (i + 1) & ft->mask;
    return i;
}

/* Twice the slots, the used list kept in its order. */
static void feat_grow(feat_table *ft)
{
    const size_t cap = (ft->mask + 1) * 2;
    feat_table bigger = { rag_xcalloc(cap, sizeof(uint64_t)), rag_xcalloc(cap, sizeof(uint32_t)),
                          rag_xmalloc(cap * sizeof(uint32_t)), ft->n_used, cap - 1, true, ft->prev };
    for (size_t k = 0; k < ft->n_used; k++) {
        size_t from = ft->used[k], to = feat_slot(&bigger, ft->keys[from]);
        bigger.keys[to] = ft->keys[from];
        bigger.counts[to] = ft->counts[from];
        bigger.used[k] = (uint32_t)to;
    }
    if (ft->heap) {
        free(ft->keys);
        free(ft->counts);
        free(ft->used);
    }
    *ft = bigger;
}

static void feat_add(feat_table *ft, uint64_t h)
{
    if (h == 0)
        h = 1;
    size_t i = feat_slot(ft, h);
    if (!ft->keys[i]) {
        if (2 * (ft->n_used + 1) > ft->mask + 1) {
            feat_grow(ft);
            i = feat_slot(ft, h);
        }
        ft->keys[i] = h;
        ft->used[ft->n_used++] = (uint32_t)i;
    }
    ft->counts[i]++;
}

static int feat_token(const rag_token *t, void *ud)
{
    feat_table *ft = ud;
    /* the unigram's FNV and the bigram's — FNV over "prev-token-hash 0x1f
     * token", distinct from unigrams — in one pass over the token: two
     * independent chains of multiplies that the CPU runs side by side */
    uint64_t uni = FNV_OFFSET, bi = (ft->prev ^ 0x1f) * FNV_PRIME;
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->start[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        uni = (uni ^ c) * FNV_PRIME;
        bi = (bi ^ c) * FNV_PRIME;
    }
    feat_add(ft, mix64(uni));
    if (ft->prev)
        feat_add(ft, mix64(bi ^ 0x9e3779b97f4a7c15ULL));
    ft->prev = uni;
    return 0;
}

static void embed_hashing_one(int dims, const char *text, float *out)
{
    memset(out, 0, sizeof(float) * (size_t)dims);
    size_t len = text ? strlen(text) : 0;
    if (len == 0)
        return;
    uint64_t stack_keys[FEAT_STACK_SLOTS] = { 0 };
    uint32_t stack_counts[FEAT_STACK_SLOTS] = { 0 }, stack_used[FEAT_STACK_SLOTS];
    feat_table ft = { stack_keys, stack_counts, stack_used, 0, FEAT_STACK_SLOTS - 1, false, 0 };
    rag_tokenize(text, len, feat_token, &ft);
    for (size_t k = 0; k < ft.n_used; k++) {
        size_t i = ft.used[k];
        uint64_t h = ft.keys[i];
        size_t idx = (size_t)((h >> 1) % (uint64_t)dims);
        float w = 1.0f + logf((float)ft.counts[i]);
        out[idx] += (h & 1) ? -w : w;
    }
    if (ft.heap) {
        free(ft.keys);
        free(ft.counts);
        free(ft.used);
    }
    rag_embed_normalize(out, dims);
}

void rag_embed_normalize(float *v, int dims)
{
    double sum = 0;
    for (int i = 0; i < dims; i++)
        sum += (double)v[i] * v[i];
    if (sum <= 0)
        return;
    const double inv_d = 1.0 / sqrt(sum);
    if (inv_d > FLT_MAX) { /* a vector of tiny (subnormal) values: its float inverse would be inf */
        for (int i = 0; i < dims; i++)
            v[i] = (float)(v[i] * inv_d);
        return;
    }
    float inv = (float)inv_d;
    for (int i = 0; i < dims; i++)
        v[i] *= inv;
}

rag_embedder *rag_embedder_new(const rag_embed_settings *s, rag_error *err)
{
    if (!s || !s->provider) {
        rag_error_set(err, RAG_EINVAL, "embedding: no provider given");
        return NULL;
    }
    if (s->dimensions < 1 || s->dimensions > 65536) {
        rag_error_set(err, RAG_EINVAL, "embedding.dimensions: %d is out of range (1..65536)", s->dimensions);
        return NULL;
    }
    rag_embedder *e = rag_xcalloc(1, sizeof *e);
    e->dimensions = s->dimensions;
    if (strcmp(s->provider, "hashing") == 0) {
        e->provider = PROVIDER_HASHING;
    } else if (strcmp(s->provider, "openai") == 0) {
        e->provider = PROVIDER_OPENAI;
        e->openai = rag_openai_new(s, err);
        if (!e->openai) {
            free(e);
            return NULL;
        }
    } else {
        rag_error_set(err, RAG_EINVAL, "embedding.provider: unknown provider \"%s\" (expected hashing or openai)",
                      s->provider);
        free(e);
        return NULL;
    }
    return e;
}

int rag_embedder_dimensions(const rag_embedder *e)
{
    return e ? e->dimensions : 0;
}

int rag_embedder_embed(rag_embedder *e, const char *const *texts, size_t n, float *out, rag_error *err)
{
    if (!e)
        return rag_error_set(err, RAG_EINVAL, "embedding: no embedder");
    if (n == 0)
        return RAG_OK;
    if (e->provider == PROVIDER_OPENAI)
        return rag_openai_embed(e->openai, texts, n, out, err);
    for (size_t i = 0; i < n; i++)
        embed_hashing_one(e->dimensions, texts[i], out + i * (size_t)e->dimensions);
    return RAG_OK;
}

void rag_embedder_set_cancel(rag_embedder *e, const volatile int *flag)
{
    if (e)
        rag_openai_set_cancel(e->openai, flag);
}

void rag_embedder_free(rag_embedder *e)
{
    if (!e)
        return;
    rag_openai_free(e->openai);
    free(e);
}
