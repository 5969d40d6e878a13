/* chunk.h — splits a transcript into overlapping chunks of about
 * target_tokens tokens (rag_tokenize's tokens; see docs/specs/index.md).
 * Chunks end preferably at segment boundaries (speaker turns, cues,
 * paragraphs), then at sentence ends, then between tokens; a token longer
 * than the byte cap is cut between UTF-8 characters. Every byte of text is in
 * at least one chunk; the next chunk repeats about overlap_tokens tokens. */
#ifndef INGEST_CHUNK_H
#define INGEST_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include "transcript.h"

typedef struct chunk_settings {
    int target_tokens;  /* >= 1 */
    int overlap_tokens; /* clamped to target_tokens / 2 */
} chunk_settings;

typedef struct chunk {
    int ordinal;          /* 0-based within the document */
    const char *text;     /* NUL-terminated, valid during the callback */
    size_t len;
    int64_t start_ms;     /* -1 when unknown */
    int64_t end_ms;
    const char *speakers; /* "Alice,Bob" or NULL */
    int tokens;           /* rag_token_count(text) */
} chunk;

/* Called once per chunk in order; a non-zero return stops chunking. */
typedef int (*chunk_cb)(const chunk *c, void *ud);

/* Returns the number of chunks made, or -1 when cb stopped it. */
long chunk_transcript(const transcript *tr, const chunk_settings *cs, chunk_cb cb, void *ud);

#endif
