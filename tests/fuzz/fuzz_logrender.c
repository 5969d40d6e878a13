/* fuzz_logrender.c — the Logs pane's line renderer and the escaper under it:
 * whatever bytes a log file holds, the text handed to the terminal must be
 * valid UTF-8 without control characters (C0, DEL, C1), bidi overrides or
 * other invisible formatting characters, and must fit its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/logline.h"
#include "../../src/ragtop/escape.h"

static void check_inert(const char *s, size_t n)
{
    if (strlen(s) != n) abort();
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x20 || c == 0x7f) abort();
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n) abort();
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) abort();
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp >= 0x80 && cp <= 0x9F) abort();                 /* C1, e.g. CSI 0x9b */
        if (cp >= 0x202A && cp <= 0x202E) abort();             /* bidi embeddings/overrides */
        if (cp >= 0x2066 && cp <= 0x2069) abort();             /* bidi isolates */
        if (cp >= 0xD800 && cp <= 0xDFFF) abort();
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[4 * 8192];
    size_t n = logline_format((const char *)data, size, "fuzz.log", out, sizeof out);
    check_inert(out, n);
    /* tiny buffers must truncate on a character boundary, never overflow */
    char small[7];
    n = escape_text((const char *)data, size, small, sizeof small, false);
    check_inert(small, n);
    return 0;
}
