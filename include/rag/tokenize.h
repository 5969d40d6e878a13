/* tokenize.h — the project's one tokenizer: lower-cased word tokens of UTF-8
 * text (runs of ASCII letters/digits and of non-ASCII code points; everything
 * else separates). Used to count "approximate tokens" for chunking, to build
 * hashing embeddings, and to sanitise FTS5 queries, so all three agree. */
#ifndef RAG_TOKENIZE_H
#define RAG_TOKENIZE_H

#include <stddef.h>

typedef struct rag_token {
    const char *start; /* into the input (not lower-cased) */
    size_t len;        /* bytes */
    size_t offset;     /* byte offset of start in the input */
} rag_token;

/* Calls cb for each token; stops early when cb returns non-zero. Returns the
 * number of tokens visited. */
typedef int (*rag_token_cb)(const rag_token *tok, void *ud);
size_t rag_tokenize(const char *text, size_t len, rag_token_cb cb, void *ud);

/* Number of tokens in text. */
size_t rag_token_count(const char *text, size_t len);

/* Lower-case token into out (ASCII folding; other bytes copied), NUL-ended,
 * truncated to outsz-1. Returns the length written. */
size_t rag_token_lower(const rag_token *tok, char *out, size_t outsz);

#endif
