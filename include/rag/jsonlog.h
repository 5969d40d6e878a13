/* jsonlog.h — JSON Lines logs. The writer emits one object per line with
 * ts (RFC 3339 UTC, ms), level, component, event, optional run_id, msg and
 * payload, using a single write() per line on an O_APPEND descriptor so
 * concurrent writers never interleave. The reader turns one line into fields
 * or flags it malformed; it never fails on bad input. See docs/specs/log.md. */
#ifndef RAG_JSONLOG_H
#define RAG_JSONLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "rag/common.h"

typedef enum { RAG_LEVEL_DEBUG = 0, RAG_LEVEL_INFO, RAG_LEVEL_WARN, RAG_LEVEL_ERROR } rag_level;

const char *rag_level_name(rag_level level);
/* "debug|info|warn|error" (also "warning", "err"); -1 when unknown. */
int rag_level_parse(const char *s);

typedef struct rag_log rag_log;

/* Open (create, O_APPEND) path for component; creates parent folders. */
rag_log *rag_log_open(const char *path, const char *component, rag_error *err);
/* Set or clear (NULL) the run_id added to every following line. */
void rag_log_set_run_id(rag_log *log, const char *run_id);
/* Also copy each line to stderr (for foreground runs). */
void rag_log_set_echo(rag_log *log, bool echo);
/* Write one line. payload (may be NULL) is consumed. msg may be NULL. */
int rag_log_event(rag_log *log, rag_level level, const char *event, const char *msg, cJSON *payload);
/* Lines rag_log_event could not append (no space, I/O error): counted,
 * with whether the last append failed; the first failure of a run of them
 * is also said on stderr. */
typedef struct rag_log_writes {
    uint64_t failures;        /* lines lost since the log was opened */
    bool failing;             /* the last append failed */
    int64_t last_failure_ms;  /* wall clock of the last failure */
    char last_error[128];     /* its strerror */
} rag_log_writes;
void rag_log_write_state(rag_log *log, rag_log_writes *out);
/* The file the log appends to. */
const char *rag_log_path(const rag_log *log);
/* printf-style msg convenience. */
int rag_log_eventf(rag_log *log, rag_level level, const char *event, cJSON *payload, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rag_log_close(rag_log *log);

/* UTF-8 helpers (the writer makes every line valid UTF-8 with them; rag-api
 * uses them for text from clients). rag_utf8_seq: length of the valid
 * sequence at p (n bytes available), 0 if invalid (overlongs, surrogates and
 * code points above U+10FFFF are invalid). rag_utf8_sanitize: a new string
 * with each invalid byte replaced by U+FFFD; out_len may be NULL. */
size_t rag_utf8_seq(const unsigned char *p, size_t n);
char *rag_utf8_sanitize(const char *s, size_t n, size_t *out_len);
/* Offset of the first invalid byte of s[0..n), n when it is all valid. */
size_t rag_utf8_invalid_at(const char *s, size_t n);
/* o printed as JSON (pretty: indented) that is always valid UTF-8: cJSON
 * passes a string's bytes through as they are (a file name may hold any),
 * so each invalid byte becomes U+FFFD inside its string. NULL when cJSON
 * fails; len (may be NULL) gets the length; free() the result. Every JSON
 * a program writes for others (files, stdout, webhooks) goes through it. */
char *rag_json_print(const cJSON *o, bool pretty, size_t *len);

/* A NUL in a line read from a log cannot live in the C strings its text is
 * carried in (cJSON decodes a \u0000 escape into one and the string ends
 * there, hiding the rest), so readers show it as U+2400 SYMBOL FOR NULL. */
#define RAG_NUL_SYMBOL "\xe2\x90\x80" /* ␀ */
/* cJSON_ParseWithLengthOpts(s, len, end, false), except that a \u0000
 * escape decodes to RAG_NUL_SYMBOL (an escaped backslash followed by
 * "u0000" is left alone). end (may be NULL) points into s. */
cJSON *rag_json_parse_showing_nul(const char *s, size_t len, const char **end);

/* One parsed line. When ok is false the line was malformed: only raw (and
 * reason) are meaningful. */
typedef struct rag_log_entry {
    bool ok;
    char reason[96];       /* why malformed */
    int64_t ts_ms;
    char ts[40];
    rag_level level;
    char component[48];
    char event[64];
    char run_id[64];
    char *msg;             /* owned, may be NULL */
    cJSON *json;           /* owned, whole object (payload inside), NULL if malformed;
                              a \u0000 in it decoded as RAG_NUL_SYMBOL */
    char *raw;             /* owned copy of the line, without the newline; a NUL
                              byte in it as RAG_NUL_SYMBOL */
} rag_log_entry;

/* Parse a line (len bytes, no need for NUL; a trailing \n or \r\n ignored).
 * Always fills e; returns true when the line is a valid log line. */
bool rag_log_parse_line(const char *line, size_t len, rag_log_entry *e);
void rag_log_entry_free(rag_log_entry *e);

#endif
