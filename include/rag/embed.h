/* embed.h — text embeddings shared by rag-ingest (chunks) and rag-api
 * (queries), so a query is embedded exactly as the generation was built.
 * Providers: "hashing" (signed feature hashing of unigrams + bigrams from
 * rag_tokenize, sublinear tf, L2-normalised; no model) and "openai" (any
 * OpenAI-compatible /v1/embeddings server via libcurl: batching, timeouts,
 * retry with exponential backoff on 429/5xx, API key from an environment
 * variable, results mapped by "index"). Output vectors are L2-normalised. */
#ifndef RAG_EMBED_H
#define RAG_EMBED_H

#include <stddef.h>
#include <stdint.h>
#include "rag/common.h"

typedef struct rag_embed_settings {
    const char *provider;    /* "hashing" | "openai" */
    int dimensions;
    const char *model;       /* openai */
    const char *url;         /* openai: full URL of /v1/embeddings */
    const char *api_key_env; /* openai: env var holding the key ("" = none) */
    int batch_size;
    int64_t timeout_ms;
    int max_retries;
    const char *encoding_format; /* openai: "base64" (NULL = this) or "float" */
} rag_embed_settings;

typedef struct rag_embedder rag_embedder;

rag_embedder *rag_embedder_new(const rag_embed_settings *s, rag_error *err);
int rag_embedder_dimensions(const rag_embedder *e);
/* Embed n texts into out (n * dimensions floats, each row L2-normalised). */
int rag_embedder_embed(rag_embedder *e, const char *const *texts, size_t n, float *out, rag_error *err);
void rag_embedder_free(rag_embedder *e);

/* Scale v (dims floats) to unit L2 length in place; a zero vector stays zero. */
void rag_embed_normalize(float *v, int dims);
/* Optional: a flag (e.g. set by a signal handler) that, once non-zero, makes
 * a running openai request and its retries stop with an error. NULL = none. */
void rag_embedder_set_cancel(rag_embedder *e, const volatile int *flag);

#endif
