/* encoding.c — UTF-8 checking (core rag_utf8_invalid_at) and transcoding
 * with iconv(3) from UTF-16 (declared by a BOM) or from the configured
 * legacy encoding. See encoding.h for the policy. */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"

static void line_col(const char *s, size_t at, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (s[i] == '\n') { (*line)++; *col = 1; }
        else if (((unsigned char)s[i] & 0xC0) != 0x80) (*col)++;
    }
}

static int transcode(const char *name, const char *from, const char *buf, size_t len, char **out, size_t *outlen,
                     rag_error *err)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return rag_error_set(err, RAG_EINVAL, "%s: unknown encoding \"%s\" (ingest.legacy_encoding)", name, from);
    size_t cap = len * 2 + 16, used = 0;
    char *dst = rag_xmalloc(cap);
    char *in = (char *)buf;
    size_t inleft = len;
    int rc = RAG_OK;
    while (inleft > 0) {
        char *o = dst + used;
        size_t oleft = cap - used - 1;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        used = (size_t)(o - dst);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG) {
            cap *= 2;
            dst = rag_xrealloc(dst, cap);
            continue;
        }
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: byte offset %zu: cannot be read as %s", name, len - inleft, from);
        break;
    }
    iconv_close(cd);
    if (rc != RAG_OK || rag_utf8_invalid_at(dst, used) != used) {
        free(dst);
        if (rc == RAG_OK)
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: transcoding from %s did not give valid UTF-8", name, from);
        return rc;
    }
    dst[used] = '\0';
    *out = dst;
    *outlen = used;
    return RAG_OK;
}

/* "UTF-16LE" or "UTF-16BE" when buf reads as UTF-16 text without a BOM:
 * over its first 512 bytes, at least 3 in 4 of the byte pairs are a NUL and
 * a non-NUL on the same side (mostly Latin text), else NULL. Only used to
 * name what such a file probably is: it is not transcoded on a guess. */
static const char *bomless_utf16(const unsigned char *u, size_t len)
{
    size_t pairs = (len < 512 ? len : 512) / 2, le = 0, be = 0;
    if (pairs < 4) return NULL;
    for (size_t i = 0; i < pairs; i++) {
        const unsigned char a = u[2 * i], b = u[2 * i + 1];
        if (a && !b) le++;
        else if (!a && b) be++;
    }
    if (le * 4 >= pairs * 3) return "UTF-16LE";
    if (be * 4 >= pairs * 3) return "UTF-16BE";
    return NULL;
}

int encoding_to_utf8(const char *name, const char *buf, size_t len, const char *legacy, char **out, size_t *outlen,
                     bool *owned, const char **encoding, rag_error *err)
{
    *owned = false;
    *out = (char *)buf;
    *outlen = len;
    *encoding = "utf-8";
    const unsigned char *u = (const unsigned char *)buf;
    /* UTF-32 first: its little-endian BOM starts like UTF-16's (FF FE) */
    if (len >= 4 && u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) {
        *encoding = "utf-32le";
        int rc = transcode(name, "UTF-32LE", buf + 4, len - 4, out, outlen, err);
        *owned = rc == RAG_OK;
        return rc;
    }
    if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
        *encoding = "utf-32be";
        int rc = transcode(name, "UTF-32BE", buf + 4, len - 4, out, outlen, err);
        *owned = rc == RAG_OK;
        return rc;
    }
    if (len >= 2 && (unsigned char)buf[0] == 0xFF && (unsigned char)buf[1] == 0xFE) {
        *encoding = "utf-16le";
        int rc = transcode(name, "UTF-16LE", buf + 2, len - 2, out, outlen, err);
        *owned = rc == RAG_OK;
        return rc;
    }
    if (len >= 2 && (unsigned char)buf[0] == 0xFE && (unsigned char)buf[1] == 0xFF) {
        *encoding = "utf-16be";
        int rc = transcode(name, "UTF-16BE", buf + 2, len - 2, out, outlen, err);
        *owned = rc == RAG_OK;
        return rc;
    }
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        unsigned line, col;
        line_col(buf, (size_t)(nul - buf), &line, &col);
        const char *utf16 = bomless_utf16(u, len);
        if (utf16)
            return rag_error_set(err, RAG_ECORRUPT,
                                 "%s:%u:%u: looks like %s text without a byte-order mark (a NUL byte beside each "
                                 "letter); save it as UTF-8, or as UTF-16 with a BOM",
                                 name, line, col, utf16);
        return rag_error_set(err, RAG_ECORRUPT, "%s:%u:%u: binary data (NUL byte at offset %zu), not a text transcript",
                             name, line, col, (size_t)(nul - buf));
    }
    size_t bad = rag_utf8_invalid_at(buf, len);
    if (bad == len)
        return RAG_OK;
    unsigned line, col;
    line_col(buf, bad, &line, &col);
    if (!legacy || !*legacy)
        return rag_error_set(err, RAG_ECORRUPT,
                             "%s:%u:%u: invalid UTF-8 (byte 0x%02X); set ingest.legacy_encoding to transcode such files",
                             name, line, col, (unsigned char)buf[bad]);
    rag_error terr = { 0 };
    if (transcode(name, legacy, buf, len, out, outlen, &terr) != RAG_OK) {
        *out = (char *)buf;
        return rag_error_set(err, RAG_ECORRUPT, "%s:%u:%u: invalid UTF-8 (byte 0x%02X) and %s", name, line, col,
                             (unsigned char)buf[bad], terr.msg);
    }
    /* A single-byte legacy encoding maps almost any byte to a character, so
     * binary data "transcodes"; text has no C0 control characters but tab,
     * newlines and form feed, and no DEL. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F) {
            free(*out);
            *out = (char *)buf;
            *outlen = len;
            line_col(buf, i, &line, &col);
            return rag_error_set(err, RAG_ECORRUPT,
                                 "%s:%u:%u: binary data (control byte 0x%02X), not %s text", name, line, col, c, legacy);
        }
    }
    *owned = true;
    *encoding = legacy;
    return RAG_OK;
}
