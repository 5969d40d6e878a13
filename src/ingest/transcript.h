/* transcript.h — the parsed form of one transcript file, filled by the
 * parsers (format.h dispatches to them) and read by the chunker: an ordered
 * list of segments (a paragraph, a speaker turn or a cue), each with its
 * text, optional start/end time and optional speaker, plus the warnings a
 * parser raised about parts it skipped ("name:line: what"). This model
 * knows nothing about file formats. */
#ifndef INGEST_TRANSCRIPT_H
#define INGEST_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include "rag/common.h"

typedef struct tr_segment {
    size_t off, len;   /* text slice in transcript.text (no NUL inside) */
    int64_t start_ms;  /* -1 when unknown */
    int64_t end_ms;    /* -1 when unknown */
    int speaker;       /* index into transcript.speakers, -1 when none */
    uint32_t line;     /* source line where the segment starts */
} tr_segment;

typedef struct transcript {
    char *title;       /* may be NULL */
    char *text;        /* all segment texts, each followed by '\n' */
    size_t text_len, text_cap;
    tr_segment *segs;
    size_t n_segs, cap_segs;
    char **speakers;
    size_t n_speakers, cap_speakers;
    char **warnings;   /* the first TR_MAX_WARNINGS warnings */
    size_t n_warnings; /* all warnings raised, also those not kept */
} transcript;

#define TR_MAX_WARNINGS 20

/* Add a segment: white space runs in text collapse to one space, leading and
 * trailing space is trimmed, an empty result adds nothing. speaker may be
 * NULL (or splen 0) for none. */
void transcript_add(transcript *tr, const char *text, size_t len, int64_t start_ms, int64_t end_ms,
                    const char *speaker, size_t splen, uint32_t line);
/* Append text to the last segment (separated by a space). */
void transcript_extend_last(transcript *tr, const char *text, size_t len);
void transcript_set_title(transcript *tr, const char *title, size_t len);
/* Record a warning about a part of the input that was skipped (printf
 * format; by convention "name:line: what"). */
void transcript_warn(transcript *tr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Warn "name<where>: cue ends before it starts (...)" when end_ms < start_ms
 * (both known); transcript_add then takes the end as the start. where is
 * ":line" or ": segments[i]". */
void transcript_warn_backwards(transcript *tr, const char *name, const char *where, int64_t start_ms, int64_t end_ms);
void transcript_free(transcript *tr);

#endif
