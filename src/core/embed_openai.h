/* embed_openai.h — private to embed.c: the OpenAI-compatible /v1/embeddings
 * client (libcurl) behind the "openai" provider. */
#ifndef RAG_EMBED_OPENAI_H
#define RAG_EMBED_OPENAI_H

#include "rag/embed.h"

typedef struct rag_openai rag_openai;

rag_openai *rag_openai_new(const rag_embed_settings *s, rag_error *err);
int rag_openai_embed(rag_openai *o, const char *const *texts, size_t n, float *out, rag_error *err);
void rag_openai_free(rag_openai *o);
void rag_openai_set_cancel(rag_openai *o, const volatile int *flag);
/* Read an /v1/embeddings answer to n inputs into out[n * dims] (each row
 * L2-normalised): "data" items mapped by "index", each "embedding" a JSON
 * array of dims numbers or a base64 string of dims little-endian float32.
 * RAG_ECORRUPT with what is wrong (url names the server) otherwise. */
int rag_openai_parse_response(const char *url, int dims, const char *body, size_t len, size_t n, float *out, rag_error *err);

#endif
