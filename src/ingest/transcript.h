/* transcript.h — the parsed form of one transcript file, shared by the
 * parsers (parse_txt.c, parse_vtt.c, parse_srt.c, parse_json.c) and the
 * chunker: an ordered list of segments (a paragraph, a speaker turn or a
 * cue), each with its text, optional start/end time and optional speaker.
 * Parsers take valid UTF-8 (see encoding.h) and report problems as
 * "name:line: what is wrong" in a rag_error. */
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
} transcript;

typedef enum { TR_TXT = 0, TR_MD, TR_VTT, TR_SRT, TR_JSON } tr_format;

/* Format from the file name's extension (case-insensitive): .vtt, .srt,
 * .json, .md/.markdown, anything else is plain text. */
tr_format transcript_format_of(const char *path);
const char *transcript_format_name(tr_format f);

/* Parse buf (valid UTF-8, len bytes) of the given format into tr (zeroed by
 * the caller, freed with transcript_free even on failure). name is used in
 * messages. Returns RAG_OK or RAG_ECORRUPT with err "name:line: problem". */
int transcript_parse(tr_format f, const char *name, const char *buf, size_t len, transcript *tr, rag_error *err);

int parse_txt(const char *name, const char *buf, size_t len, int markdown, transcript *tr, rag_error *err);
int parse_vtt(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err);
int parse_srt(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err);
int parse_json(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err);

/* Add a segment: white space runs in text collapse to one space, leading and
 * trailing space is trimmed, an empty result adds nothing. speaker may be
 * NULL (or splen 0) for none. */
void transcript_add(transcript *tr, const char *text, size_t len, int64_t start_ms, int64_t end_ms,
                    const char *speaker, size_t splen, uint32_t line);
/* Append text to the last segment (separated by a space). */
void transcript_extend_last(transcript *tr, const char *text, size_t len);
void transcript_set_title(transcript *tr, const char *title, size_t len);
void transcript_free(transcript *tr);

#endif
