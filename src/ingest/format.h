/* format.h — transcript file formats and the dispatch to their parsers
 * (parse_txt.c, parse_vtt.c, parse_srt.c, parse_json.c): the format is
 * chosen by the file name's extension; each parser turns valid UTF-8 (see
 * encoding.h) into the transcript model (transcript.h). Parsers skip what
 * they cannot use with a warning naming the line (transcript_warn) and fail
 * only when the file as a whole is not of their format, with
 * "name:line: what is wrong" in a rag_error. */
#ifndef INGEST_FORMAT_H
#define INGEST_FORMAT_H

#include <stddef.h>
#include "rag/common.h"
#include "transcript.h"

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

#endif
