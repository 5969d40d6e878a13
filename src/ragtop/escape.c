/* escape.c — escaping of untrusted text for display. Decodes UTF-8 by hand
 * (strictly: no overlongs, no surrogates, max U+10FFFF) and keeps only
 * printable characters; everything else becomes a short visible escape.
 * Bidirectional overrides and zero-width formatting characters are escaped
 * too, so a line cannot disguise itself. Fuzzed by tests/fuzz/fuzz_logrender.c. */
#include "escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "rag/common.h"

/* Decode one UTF-8 character; returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) { len = 2; c = s[0] & 0x1F; min = 0x80; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; c = s[0] & 0x0F; min = 0x800; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; c = s[0] & 0x07; min = 0x10000; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

static bool is_format_char(uint32_t c)
{
    return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
           c == 0x061C || c == 0x00AD || (c >= 0xE0000 && c <= 0xE007F) ||
           /* Hangul fillers: drawn as blanks, so they can hide text */
           c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0;
}

size_t escape_text(const char *in, size_t len, char *out, size_t cap, bool tabs_as_space)
{
    if (cap == 0) return 0;
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, i = 0;
    char esc[16];
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s + i, len - i, &cp);
        const char *piece;
        size_t plen;
        if (n == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", s[i]);
            piece = esc; plen = 4; n = 1;
        } else if (cp < 0x20 || cp == 0x7F) {
            switch (cp) {
            case '\t': piece = tabs_as_space ? " " : "\\t"; break;
            case '\n': piece = "\\n"; break;
            case '\r': piece = "\\r"; break;
            case 0x1B: piece = "\\e"; break;
            default: snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp); piece = esc; break;
            }
            plen = strlen(piece);
        } else if ((cp >= 0x80 && cp <= 0x9F) || is_format_char(cp) ||
                   (cp >= 0x80 && wcwidth((wchar_t)cp) < 0)) {
            snprintf(esc, sizeof esc, cp <= 0xFFFF ? "\\u%04x" : "\\U%08x", (unsigned)cp);
            piece = esc; plen = strlen(esc);
        } else if (cp == '\\') {
            piece = "\\\\"; plen = 2;
        } else {
            piece = (const char *)s + i; plen = n;
        }
        if (o + plen >= cap) break;
        memcpy(out + o, piece, plen);
        o += plen;
        i += n;
    }
    out[o] = '\0';
    return o;
}

bool escape_needed(const char *in)
{
    const unsigned char *s = (const unsigned char *)in;
    const size_t len = strlen(in);
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || is_format_char(cp) ||
            (cp >= 0x80 && wcwidth((wchar_t)cp) < 0))
            return true;
        i += n;
    }
    return false;
}

char *escape_dup(const char *in)
{
    size_t len = strlen(in);
    size_t cap = len * 10 + 1; /* worst case: every byte -> "\U0000xxxx"-ish */
    char *out = rag_xmalloc(cap);
    escape_text(in, len, out, cap, false);
    return out;
}

int escape_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_decode(p + i, n - i, &cp);
        if (!l) { w++; i++; continue; }
        int cw = wcwidth((wchar_t)cp);
        w += cw > 0 ? cw : 0;
        i += l;
    }
    return w;
}
