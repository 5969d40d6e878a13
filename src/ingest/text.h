/* text.h — small text helpers the transcript parsers share: a line iterator
 * that accepts LF, CRLF and lone CR, cue timestamps, HTML entity decoding,
 * and recognition of "Speaker: text" labels at the start of a line. */
#ifndef INGEST_TEXT_H
#define INGEST_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct line_iter {
    const char *p, *end;
    uint32_t lineno; /* 1-based number of the line last returned */
} line_iter;

void line_iter_init(line_iter *it, const char *buf, size_t len);
/* Next line without its terminator; false at the end of input. */
bool line_next(line_iter *it, const char **line, size_t *len);

/* Skip a UTF-8 byte order mark. */
void text_skip_bom(const char **buf, size_t *len);

/* Parse "[h...:]mm:ss[.,]ttt" (hours optional, milliseconds optional, 1-3
 * fraction digits) at s; returns bytes consumed (0 = not a timestamp). */
size_t text_parse_timestamp(const char *s, size_t len, int64_t *ms);

/* Parse a cue timing line "start --> end [settings...]". */
bool text_parse_timing(const char *s, size_t len, int64_t *start_ms, int64_t *end_ms);

/* Decode the entity at s (which starts with '&'): appends its UTF-8 to out
 * (at most 4 bytes, possibly 0 for &lrm; &rlm;) and returns bytes consumed,
 * or 0 when s does not start a known entity. */
size_t text_decode_entity(const char *s, size_t len, char out[4], size_t *outlen);

/* Recognise a speaker label at the start of a line: optional "[hh:mm:ss]" or
 * "(mm:ss)" timestamp, optional "- " or ">> ", optional "**", a name of 1-4
 * words (<= 40 bytes, starting with an upper-case or non-ASCII letter), ':'
 * and a space or the end. On success fills name (offset/len into line), the
 * offset where the text starts, and *ts_ms (-1 when no timestamp). */
bool text_speaker_label(const char *line, size_t len, size_t *name_off, size_t *name_len,
                        size_t *text_off, int64_t *ts_ms);

/* Append bytes to a growable buffer. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;
void sb_append(strbuf *b, const char *p, size_t n);
void sb_putc(strbuf *b, char c);
void sb_free(strbuf *b);

#endif
