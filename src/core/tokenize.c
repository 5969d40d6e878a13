/* tokenize.c — the project's one tokenizer. A token is a maximal run of bytes
 * that are ASCII letters/digits or belong to non-ASCII (UTF-8 multi-byte)
 * code points; everything else (ASCII spaces, punctuation, controls)
 * separates. Lower-casing folds ASCII only, so the tokenizer needs no tables
 * and agrees byte for byte between chunking, embeddings and query parsing. */
#include "rag/tokenize.h"

/* 1 for bytes that belong to tokens: ASCII letters/digits and every byte of
 * a multi-byte UTF-8 sequence (>= 0x80). A table keeps the scan branch-light. */
#define T1(c) ((((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || (c) >= 0x80) ? 1 : 0)
#define T4(c) T1(c), T1(c + 1), T1(c + 2), T1(c + 3)
#define T16(c) T4(c), T4(c + 4), T4(c + 8), T4(c + 12)
#define T64(c) T16(c), T16(c + 16), T16(c + 32), T16(c + 48)
static const unsigned char token_byte[256] = { T64(0), T64(64), T64(128), T64(192) };

static inline int is_token_byte(unsigned char c)
{
    return token_byte[c];
}

size_t rag_tokenize(const char *text, size_t len, rag_token_cb cb, void *ud)
{
    size_t i = 0, n = 0;
    if (!text)
        return 0;
    while (i < len) {
        while (i < len && !is_token_byte((unsigned char)text[i]))
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && is_token_byte((unsigned char)text[i]))
            i++;
        n++;
        if (cb) {
            rag_token t = { text + start, i - start, start };
            if (cb(&t, ud))
                break;
        }
    }
    return n;
}

size_t rag_token_count(const char *text, size_t len)
{
    return rag_tokenize(text, len, NULL, NULL);
}

size_t rag_token_lower(const rag_token *tok, char *out, size_t outsz)
{
    if (!out || outsz == 0)
        return 0;
    size_t n = tok->len < outsz - 1 ? tok->len : outsz - 1;
    /* Never cut a UTF-8 sequence in half when truncating. */
    if (n < tok->len)
        while (n > 0 && ((unsigned char)tok->start[n] & 0xC0) == 0x80)
            n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tok->start[i];
        out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    out[n] = '\0';
    return n;
}
