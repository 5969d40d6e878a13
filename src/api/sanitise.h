/* sanitise.h — turns free user text into a safe FTS5 MATCH expression: the
 * text is split with the project tokenizer (rag_tokenize), lower-cased,
 * English stopwords are dropped, and every remaining token is emitted as a
 * double-quoted FTS5 string joined by OR. No input can produce FTS5 syntax
 * (operators, column filters, NEAR, parentheses) — only quoted terms. */
#ifndef API_SANITISE_H
#define API_SANITISE_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many terms are kept (the rest of a long query is ignored). */
#define API_FTS_MAX_TERMS 32
/* Longest single term kept (bytes); longer tokens are truncated. */
#define API_FTS_MAX_TERM_BYTES 64

/* Write the MATCH expression into out (NUL-terminated, never overflows;
 * outsz >= 1). Returns the number of terms written; 0 means nothing
 * searchable was left (out is ""). */
size_t api_fts_sanitise(const char *text, size_t len, char *out, size_t outsz);

/* The searchable terms of text: lower-cased tokens, stopwords dropped,
 * duplicates removed, at most max (<= API_FTS_MAX_TERMS). Returns the count. */
typedef char api_fts_term[API_FTS_MAX_TERM_BYTES + 1];
size_t api_fts_terms(const char *text, size_t len, api_fts_term *terms, size_t max);
/* Quote each term and join with sep (" OR " or " " for AND) into out
 * (NUL-terminated, never overflows). Returns the number of terms written. */
size_t api_fts_join(const api_fts_term *terms, size_t n, const char *sep, char *out, size_t outsz);

/* Whether a lower-cased token is an English stopword. */
bool api_fts_is_stopword(const char *lower, size_t len);

#endif
