/* encoding.h — makes sure only valid UTF-8 reaches the parsers and the
 * index: UTF-8 (with or without BOM) passes through, UTF-32 and UTF-16 with
 * a BOM are transcoded, binary data (NUL bytes) is rejected, and other
 * invalid UTF-8 is transcoded from the configured legacy encoding
 * (ingest.legacy_encoding, e.g. windows-1252) — unless it holds control
 * bytes, which text in such an encoding never does — or rejected naming the
 * line and column. */
#ifndef INGEST_ENCODING_H
#define INGEST_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include "rag/common.h"
#include "rag/jsonlog.h"

/* Whether s is all valid UTF-8 (rag_utf8_invalid_at: overlong forms,
 * surrogates and code points > U+10FFFF are invalid). */
static inline bool utf8_valid(const char *s, size_t len) { return rag_utf8_invalid_at(s, len) == len; }

/* Make buf (len bytes) UTF-8. On RAG_OK *out is either buf itself (nothing
 * to do, *owned false) or a new malloc'd NUL-terminated buffer (*owned
 * true); *encoding names what the input was ("utf-8", "utf-16le", or the
 * legacy encoding). Errors: RAG_ECORRUPT, "name:line:col: ..." in err. */
int encoding_to_utf8(const char *name, const char *buf, size_t len, const char *legacy, char **out, size_t *outlen,
                     bool *owned, const char **encoding, rag_error *err);

#endif
