/* transcript.c — the transcript model (segments over one text buffer, an
 * interned speaker list, parser warnings). White space is normalised once
 * here so every parser produces the same shape of text. The format dispatch
 * is format.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transcript.h"

/* Largest n' <= n that does not cut a UTF-8 sequence of s. */
static size_t utf8_cut(const char *s, size_t len, size_t n)
{
    if (n >= len)
        return len;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void text_reserve(transcript *tr, size_t extra)
{
    if (tr->text_len + extra + 1 <= tr->text_cap)
        return;
    size_t cap = tr->text_cap ? tr->text_cap : 1024;
    while (cap < tr->text_len + extra + 1)
        cap *= 2;
    tr->text = rag_xrealloc(tr->text, cap);
    tr->text_cap = cap;
}

/* Copy with white space collapsed; returns bytes written at dst. */
static size_t copy_collapsed(char *dst, const char *src, size_t len, int leading_space)
{
    size_t o = 0;
    int pending = leading_space;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c < 0x20 || c == 0x7f) {
            pending = o > 0 || leading_space;
            continue;
        }
        if (pending && (o > 0 || leading_space))
            dst[o++] = ' ';
        pending = 0;
        dst[o++] = (char)c;
    }
    return o;
}

static int intern_speaker(transcript *tr, const char *sp, size_t n)
{
    while (n && (*sp == ' ' || *sp == '\t')) { sp++; n--; }
    while (n && (sp[n - 1] == ' ' || sp[n - 1] == '\t')) n--;
    if (!sp || n == 0)
        return -1;
    n = utf8_cut(sp, n, 80);
    /* most transcripts have a handful of speakers; look at the last 64 */
    size_t lo = tr->n_speakers > 64 ? tr->n_speakers - 64 : 0;
    for (size_t i = tr->n_speakers; i-- > lo;)
        if (strlen(tr->speakers[i]) == n && memcmp(tr->speakers[i], sp, n) == 0)
            return (int)i;
    if (tr->n_speakers == tr->cap_speakers) {
        tr->cap_speakers = tr->cap_speakers ? tr->cap_speakers * 2 : 8;
        tr->speakers = rag_xrealloc(tr->speakers, tr->cap_speakers * sizeof(char *));
    }
    char *s = rag_xmalloc(n + 1);
    size_t o = copy_collapsed(s, sp, n, 0);
    /* a name never carries ',' (the chunk's speaker list is comma-separated) */
    for (size_t i = 0; i < o; i++)
        if (s[i] == ',')
            s[i] = ' ';
    s[o] = '\0';
    if (o == 0) {
        free(s);
        return -1;
    }
    tr->speakers[tr->n_speakers] = s;
    return (int)tr->n_speakers++;
}

void transcript_add(transcript *tr, const char *text, size_t len, int64_t start_ms, int64_t end_ms,
                    const char *speaker, size_t splen, uint32_t line)
{
    text_reserve(tr, len + 1);
    size_t o = copy_collapsed(tr->text + tr->text_len, text, len, 0);
    if (o == 0)
        return;
    if (tr->n_segs == tr->cap_segs) {
        tr->cap_segs = tr->cap_segs ? tr->cap_segs * 2 : 64;
        tr->segs = rag_xrealloc(tr->segs, tr->cap_segs * sizeof(tr_segment));
    }
    tr_segment *sg = &tr->segs[tr->n_segs++];
    sg->off = tr->text_len;
    sg->len = o;
    sg->start_ms = start_ms;
    sg->end_ms = end_ms >= start_ms ? end_ms : (start_ms >= 0 ? start_ms : -1);
    if (start_ms < 0)
        sg->end_ms = -1;
    sg->speaker = speaker ? intern_speaker(tr, speaker, splen) : -1;
    sg->line = line;
    tr->text_len += o;
    tr->text[tr->text_len++] = '\n';
    tr->text[tr->text_len] = '\0';
}

void transcript_extend_last(transcript *tr, const char *text, size_t len)
{
    if (tr->n_segs == 0) {
        transcript_add(tr, text, len, -1, -1, NULL, 0, 0);
        return;
    }
    tr_segment *sg = &tr->segs[tr->n_segs - 1];
    text_reserve(tr, len + 2);
    tr->text_len--; /* drop the '\n' after the last segment */
    size_t o = copy_collapsed(tr->text + tr->text_len, text, len, 1);
    if (o == 1) /* only the separating space: nothing was added */
        o = 0;
    sg->len += o;
    tr->text_len += o;
    tr->text[tr->text_len++] = '\n';
    tr->text[tr->text_len] = '\0';
}

void transcript_set_title(transcript *tr, const char *title, size_t len)
{
    len = utf8_cut(title, len, 300);
    char *t = rag_xmalloc(len + 1);
    size_t o = copy_collapsed(t, title, len, 0);
    t[o] = '\0';
    free(tr->title);
    tr->title = o ? t : NULL;
    if (!o)
        free(t);
}

void transcript_warn(transcript *tr, const char *fmt, ...)
{
    if (tr->n_warnings++ >= TR_MAX_WARNINGS)
        return;
    if (!tr->warnings)
        tr->warnings = rag_xcalloc(TR_MAX_WARNINGS, sizeof(char *));
    va_list ap;
    va_start(ap, fmt);
    char *w = NULL;
    if (vasprintf(&w, fmt, ap) < 0)
        w = NULL;
    va_end(ap);
    tr->warnings[tr->n_warnings - 1] = w ? w : rag_xstrdup("(out of memory)");
}

void transcript_warn_backwards(transcript *tr, const char *name, const char *where, int64_t start_ms, int64_t end_ms)
{
    if (start_ms < 0 || end_ms < 0 || end_ms >= start_ms) return;
    transcript_warn(tr, "%s%s: cue ends before it starts (%lld.%03lld s --> %lld.%03lld s); its end is taken as its start",
                    name, where, (long long)(start_ms / 1000), (long long)(start_ms % 1000), (long long)(end_ms / 1000),
                    (long long)(end_ms % 1000));
}

void transcript_free(transcript *tr)
{
    size_t kept = tr->n_warnings < TR_MAX_WARNINGS ? tr->n_warnings : TR_MAX_WARNINGS;
    for (size_t i = 0; i < kept && tr->warnings; i++)
        free(tr->warnings[i]);
    free(tr->warnings);
    free(tr->title);
    free(tr->text);
    free(tr->segs);
    for (size_t i = 0; i < tr->n_speakers; i++)
        free(tr->speakers[i]);
    free(tr->speakers);
    memset(tr, 0, sizeof *tr);
}
