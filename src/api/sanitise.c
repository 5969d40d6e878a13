/* sanitise.c — FTS5 query sanitiser. Tokens come from rag_tokenize (the same
 * tokenizer ingest counts with), so a query term is exactly what the index
 * can contain; each term is wrapped in double quotes (internal quotes
 * doubled, though the tokenizer never yields one) and terms are OR-ed so
 * BM25 ranks chunks by how many and how rare the terms they contain are. */
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
    char *out;
    size_t outsz;
    size_t used;
    size_t terms;
} sink;

static int add_term(const rag_token *tok, void *ud)
{
    sink *s = ud;
    char lower[API_FTS_MAX_TERM_BYTES + 1];
    size_t n = rag_token_lower(tok, lower, sizeof lower);
    if (n == 0 || api_fts_is_stopword(lower, n)) return 0;
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++) quotes += lower[i] == '"';
    size_t need = (s->terms ? 4 : 0) + 2 + n + quotes; /* [" OR "] "term" */
    if (s->used + need + 1 > s->outsz) return 1;
    char *p = s->out + s->used;
    if (s->terms) { memcpy(p, " OR ", 4); p += 4; }
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (lower[i] == '"') *p++ = '"';
        *p++ = lower[i];
    }
    *p++ = '"';
    *p = '\0';
    s->used = (size_t)(p - s->out);
    s->terms++;
    return s->terms >= API_FTS_MAX_TERMS;
}

size_t api_fts_sanitise(const char *text, size_t len, char *out, size_t outsz)
{
    if (!out || outsz == 0) return 0;
    out[0] = '\0';
    if (!text || len == 0) return 0;
    sink s = {out, outsz, 0, 0};
    rag_tokenize(text, len, add_term, &s);
    return s.terms;
}
