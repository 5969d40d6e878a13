/* fuzz_chunker.c — libFuzzer harness for the chunker (with the plain-text
 * parser in front, as in a real run): the first two bytes pick target and
 * overlap tokens; every chunk must be valid UTF-8, within the byte cap,
 * numbered in order, and together the chunks must contain every token of the
 * text (checked by counting tokens: chunks hold at least as many). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ingest/chunk.h"
#include "../../src/ingest/encoding.h"
#include "../../src/ingest/transcript.h"
#include "../../src/ingest/format.h"
#include "rag/tokenize.h"

typedef struct seen {
    int next;
    size_t tokens;
    size_t cap;
} seen;

static int check_chunk(const chunk *c, void *ud)
{
    seen *s = ud;
    if (c->ordinal != s->next++ || !utf8_valid(c->text, c->len) || strlen(c->text) != c->len || c->len > s->cap ||
        c->tokens != (int)rag_token_count(c->text, c->len))
        abort();
    s->tokens += (size_t)c->tokens;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    chunk_settings cs = { 1 + data[0] % 300, data[1] % 64 };
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    char *utf8;
    size_t ulen;
    bool owned;
    const char *enc;
    rag_error err;
    if (encoding_to_utf8("fuzz.txt", text, len, "windows-1252", &utf8, &ulen, &owned, &enc, &err) != RAG_OK)
        return 0;
    transcript tr;
    memset(&tr, 0, sizeof tr);
    if (parse_txt("fuzz.txt", utf8, ulen, data[0] & 1, &tr, &err) == RAG_OK) {
        int unit = cs.target_tokens - (cs.overlap_tokens > cs.target_tokens / 2 ? cs.target_tokens / 2 : cs.overlap_tokens);
        if (unit < 1) unit = 1;
        size_t maxb = (size_t)unit * 16 < 512 ? 512 : (size_t)unit * 16;
        seen s = { 0, 0, 2 * maxb + 4 * 90 };
        long n = chunk_transcript(&tr, &cs, check_chunk, &s);
        if (n != s.next)
            abort();
        if (s.tokens < rag_token_count(tr.text, tr.text_len))
            abort();
    }
    transcript_free(&tr);
    if (owned)
        free(utf8);
    return 0;
}
