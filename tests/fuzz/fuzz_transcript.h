/* fuzz_transcript.h — the body shared by the transcript parser harnesses
 * (fuzz_srt.c, fuzz_vtt.c, fuzz_transcript_json.c): any bytes give RAG_OK or
 * a clean RAG_ECORRUPT, never a crash, leak or read past the input; when the
 * input is valid UTF-8 every segment text, speaker and title is valid UTF-8
 * too, and the chunker accepts the result. Included by one harness each. */
#ifndef FUZZ_TRANSCRIPT_H
#define FUZZ_TRANSCRIPT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ingest/chunk.h"
#include "../../src/ingest/encoding.h"
#include "../../src/ingest/transcript.h"
#include "../../src/ingest/format.h"

typedef int (*fuzz_transcript_parser)(const char *name, const char *buf, size_t len, transcript *tr,
                                      rag_error *err);

static int fuzz_check_chunk(const chunk *c, void *ud)
{
    (void)ud;
    if (!utf8_valid(c->text, c->len) || strlen(c->text) != c->len)
        abort();
    return 0;
}

/* Run parse over data as the file called name; abort() on any broken rule. */
static int fuzz_transcript_run(fuzz_transcript_parser parse, const char *name, const uint8_t *data,
                               size_t size)
{
    /* an exact-size heap copy so ASan catches any read past the end */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    transcript tr;
    memset(&tr, 0, sizeof tr);
    rag_error err;
    int rc = parse(name, buf, size, &tr, &err);
    if (rc != RAG_OK && rc != RAG_ECORRUPT)
        abort();
    if (rc == RAG_OK && utf8_valid(buf, size)) {
        if (!utf8_valid(tr.text ? tr.text : "", tr.text_len))
            abort();
        for (size_t i = 0; i < tr.n_speakers; i++)
            if (!utf8_valid(tr.speakers[i], strlen(tr.speakers[i])))
                abort();
        if (tr.title && !utf8_valid(tr.title, strlen(tr.title)))
            abort();
        chunk_settings cs = { 24, 6 };
        chunk_transcript(&tr, &cs, fuzz_check_chunk, NULL);
    }
    transcript_free(&tr);
    free(buf);
    return 0;
}

#endif
