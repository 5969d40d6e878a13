/* text.c — text helpers shared by the transcript parsers (see text.h). All
 * functions work on (pointer, length) slices and never read past them, so the
 * parsers can be fed arbitrary bytes (they are fuzzed). */
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"
#include "text.h"

void line_iter_init(line_iter *it, const char *buf, size_t len)
{
    it->p = buf;
    it->end = buf + len;
    it->lineno = 0;
}

bool line_next(line_iter *it, const char **line, size_t *len)
{
    if (it->p >= it->end)
        return false;
    const char *s = it->p, *q = s;
    while (q < it->end && *q != '\n' && *q != '\r')
        q++;
    *line = s;
    *len = (size_t)(q - s);
    if (q < it->end) {
        if (*q == '\r' && q + 1 < it->end && q[1] == '\n')
            q += 2;
        else
            q++;
    }
    it->p = q;
    it->lineno++;
    return true;
}

void text_skip_bom(const char **buf, size_t *len)
{
    if (*len >= 3 && (unsigned char)(*buf)[0] == 0xEF && (unsigned char)(*buf)[1] == 0xBB &&
        (unsigned char)(*buf)[2] == 0xBF) {
        *buf += 3;
        *len -= 3;
    }
}

static size_t digits(const char *s, size_t len, size_t max, int64_t *v)
{
    size_t i = 0;
    *v = 0;
    while (i < len && i < max && s[i] >= '0' && s[i] <= '9')
        *v = *v * 10 + (s[i++] - '0');
    return i;
}

size_t text_parse_timestamp(const char *s, size_t len, int64_t *ms)
{
    int64_t part[3];
    size_t nd[3];
    size_t i = 0;
    int n = 0;
    for (;;) {
        size_t d = digits(s + i, len - i, n == 0 ? 9 : 2, &part[n]);
        if (d == 0)
            return 0;
        nd[n] = d;
        i += d;
        n++;
        if (n < 3 && i < len && s[i] == ':') {
            i++;
            continue;
        }
        break;
    }
    /* seconds always have two digits, minutes too after hours; a cut-off
     * "00:0" is therefore no timestamp */
    if (n < 2 || nd[n - 1] != 2 || (n == 3 && nd[1] != 2))
        return 0;
    int64_t h = n == 3 ? part[0] : 0, m = part[n - 2], sec = part[n - 1];
    if (m > 59 || sec > 59)
        return 0;
    int64_t frac = 0;
    if (i + 1 < len && (s[i] == '.' || s[i] == ',') && s[i + 1] >= '0' && s[i + 1] <= '9') {
        i++;
        size_t d = digits(s + i, len - i, 3, &frac);
        if (d == 1) frac *= 100;
        else if (d == 2) frac *= 10;
        i += d;
        while (i < len && s[i] >= '0' && s[i] <= '9') /* extra precision ignored */
            i++;
    }
    *ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
    return i;
}

bool text_parse_timing(const char *s, size_t len, int64_t *start_ms, int64_t *end_ms)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t d = text_parse_timestamp(s + i, len - i, start_ms);
    if (!d)
        return false;
    i += d;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (len - i < 3 || memcmp(s + i, "-->", 3) != 0)
        return false;
    i += 3;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    d = text_parse_timestamp(s + i, len - i, end_ms);
    if (!d)
        return false;
    i += d;
    /* settings / coordinates may follow, separated by white space */
    return i == len || s[i] == ' ' || s[i] == '\t';
}

static size_t utf8_encode(unsigned long cp, char out[4])
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t text_decode_entity(const char *s, size_t len, char out[4], size_t *outlen)
{
    static const struct { const char *name; const char *utf8; } named[] = {
        { "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" }, { "apos;", "'" },
        { "nbsp;", " " }, { "lrm;", "" }, { "rlm;", "" }, { "hellip;", "\xE2\x80\xA6" },
        { "mdash;", "\xE2\x80\x94" }, { "ndash;", "\xE2\x80\x93" }, { "deg;", "\xC2\xB0" },
        { "copy;", "\xC2\xA9" }, { "euro;", "\xE2\x82\xAC" },
    };
    if (len < 3 || s[0] != '&')
        return 0;
    if (s[1] == '#') {
        size_t i = 2;
        int hex = 0;
        if (i < len && (s[i] == 'x' || s[i] == 'X')) { hex = 1; i++; }
        unsigned long cp = 0;
        size_t nd = 0;
        while (i < len && nd < 8) {
            char c = s[i];
            int v;
            if (c >= '0' && c <= '9') v = c - '0';
            else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
            else break;
            cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            i++; nd++;
        }
        if (nd == 0 || i >= len || s[i] != ';')
            return 0;
        *outlen = utf8_encode(cp, out);
        return i + 1;
    }
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        size_t n = strlen(named[k].name);
        if (len - 1 >= n && memcmp(s + 1, named[k].name, n) == 0) {
            *outlen = strlen(named[k].utf8);
            memcpy(out, named[k].utf8, *outlen);
            return n + 1;
        }
    }
    return 0;
}

static bool is_upper_start(unsigned char c) { return (c >= 'A' && c <= 'Z') || c >= 0xC0; }

static bool is_name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
           c == ' ' || c == '.' || c == '-' || c == '\'' || c == '_';
}

bool text_speaker_label(const char *line, size_t len, size_t *name_off, size_t *name_len,
                        size_t *text_off, int64_t *ts_ms)
{
    size_t i = 0;
    *ts_ms = -1;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i < len && (line[i] == '[' || line[i] == '(')) {
        char close = line[i] == '[' ? ']' : ')';
        int64_t t;
        size_t d = text_parse_timestamp(line + i + 1, len - i - 1, &t);
        if (d && i + 1 + d < len && line[i + 1 + d] == close) {
            *ts_ms = t;
            i += d + 2;
            while (i < len && line[i] == ' ')
                i++;
        }
    }
    if (i + 1 < len && line[i] == '-' && line[i + 1] == ' ')
        i += 2;
    else if (i + 2 < len && line[i] == '>' && line[i + 1] == '>' && line[i + 2] == ' ')
        i += 3;
    bool bold = false;
    if (i + 1 < len && line[i] == '*' && line[i + 1] == '*') {
        bold = true;
        i += 2;
    }
    size_t start = i;
    if (i >= len || !is_upper_start((unsigned char)line[i]))
        return false;
    int words = 1;
    while (i < len && i - start <= 40 && is_name_byte((unsigned char)line[i])) {
        if (line[i] == ' ') {
            if (i + 1 < len && line[i + 1] == ' ')
                return false;
            words++;
        }
        i++;
    }
    size_t end = i;
    if (end == start || end - start > 40 || words > 4 || line[end - 1] == ' ')
        return false;
    if (bold && i + 1 < len && line[i] == '*' && line[i + 1] == '*' ) /* **Name**: */
        i += 2;
    if (i >= len || line[i] != ':')
        return false;
    i++;
    if (bold && i + 1 < len && line[i] == '*' && line[i + 1] == '*') /* **Name:** */
        i += 2;
    if (i < len && line[i] != ' ' && line[i] != '\t')
        return false; /* "http://", "10:30" */
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    *name_off = start;
    *name_len = end - start;
    *text_off = i;
    return true;
}

void sb_append(strbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = rag_xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_putc(strbuf *b, char c)
{
    sb_append(b, &c, 1);
}

void sb_free(strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
