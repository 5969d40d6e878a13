/* sanitise.c — FTS5 query sanitiser. Tokens come from rag_tokenize (the same
 * tokenizer ingest counts with), so a query term is exactly what the index
 * can contain; each term is wrapped in double quotes (internal quotes
 * doubled, though the tokenizer never yields one) and terms are joined by
 * OR (or by spaces, FTS5's implicit AND) — never by anything user-chosen. */
#include "sanitise.h"

#include <stdlib.h>
#include <string.h>

#include "rag/tokenize.h"

/* Sorted for bsearch. */
static const char *const stopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
    "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she",
    "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
    "yourselves",
};

typedef struct {
    const char *word;
    size_t len;
} key;

static int cmp_stop(const void *k, const void *elem)
{
    const key *a = k;
    const char *b = *(const char *const *)elem;
    size_t bl = strlen(b);
    size_t n = a->len < bl ? a->len : bl;
    int c = memcmp(a->word, b, n);
    if (c) return c;
    return (a->len > bl) - (a->len < bl);
}

bool api_fts_is_stopword(const char *lower, size_t len)
{
    key k = {lower, len};
    return bsearch(&k, stopwords, sizeof stopwords / sizeof stopwords[0], sizeof stopwords[0], cmp_stop) != NULL;
}

typedef struct {
    api_fts_term *terms;
    size_t n, max;
} collect;

static int add_term(const rag_token *tok, void *ud)
{
    collect *c = ud;
    char lower[API_FTS_MAX_TERM_BYTES + 1];
    size_t n = rag_token_lower(tok, lower, sizeof lower);
    if (n == 0 || api_fts_is_stopword(lower, n)) return 0;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->terms[i], lower) == 0) return 0;
    memcpy(c->terms[c->n++], lower, n + 1);
    return c->n >= c->max;
}

size_t api_fts_terms(const char *text, size_t len, api_fts_term *terms, size_t max)
{
    if (!text || len == 0 || max == 0) return 0;
    if (max > API_FTS_MAX_TERMS) max = API_FTS_MAX_TERMS;
    collect c = {terms, 0, max};
    rag_tokenize(text, len, add_term, &c);
    return c.n;
}

size_t api_fts_join(const api_fts_term *terms, size_t n, const char *sep, char *out, size_t outsz)
{
    if (!out || outsz == 0) return 0;
    out[0] = '\0';
    const size_t seplen = strlen(sep);
    size_t used = 0, written = 0;
    for (size_t t = 0; t < n; t++) {
        const char *term = terms[t];
        size_t len = strlen(term), quotes = 0;
        for (size_t i = 0; i < len; i++) quotes += term[i] == '"';
        size_t need = (written ? seplen : 0) + 2 + len + quotes; /* [sep] "term" */
        if (used + need + 1 > outsz) break;
        char *p = out + used;
        if (written) { memcpy(p, sep, seplen); p += seplen; }
        *p++ = '"';
        for (size_t i = 0; i < len; i++) {
            if (term[i] == '"') *p++ = '"';
            *p++ = term[i];
        }
        *p++ = '"';
        *p = '\0';
        used = (size_t)(p - out);
        written++;
    }
    return written;
}

size_t api_fts_sanitise(const char *text, size_t len, char *out, size_t outsz)
{
    api_fts_term terms[API_FTS_MAX_TERMS];
    size_t n = api_fts_terms(text, len, terms, API_FTS_MAX_TERMS);
    if (!out || outsz == 0) return 0;
    return api_fts_join(terms, n, " OR ", out, outsz);
}
