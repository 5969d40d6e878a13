/* parse_vtt.c — WebVTT transcripts, following the WebVTT parser algorithm
 * (W3C WebVTT, "WebVTT file parsing"): an optional BOM; a first line
 * "WEBVTT" followed by nothing, a space or a tab (the rest becomes the
 * title); header lines up to the first empty line (or a line containing
 * "-->"); then blocks separated by empty lines. In a block the line with
 * "-->" must be the first or the second (after a cue identifier); the cue
 * text is every following line up to an empty line OR a line containing
 * "-->", which starts the next block, so cues not separated by a blank line
 * are still two cues. Timestamps are [hh:]mm:ss.ttt exactly (two-digit
 * minutes and seconds <= 59, three-digit fraction); white space is space,
 * tab and form feed; cue settings after the end time are ignored. A cue
 * whose timing does not parse is skipped with a warning naming its line;
 * the other cues are kept, as browsers do. NOTE, STYLE and REGION blocks
 * and other blocks without a timing line are ignored. Payloads are cleaned
 * by cuetext.c (voice tags -> speakers, tags and inline timestamps
 * stripped, entities decoded, rolling auto-caption repeats collapsed). */
#include <stdio.h>
#include <string.h>

#include "cuetext.h"
#include "format.h"
#include "text.h"
#include "transcript.h"

static int has_arrow(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>')
            return 1;
    return 0;
}

static int vtt_space(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static size_t digits(const char *s, size_t n, size_t i, int64_t *v)
{
    size_t k = i;
    *v = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9') {
        if (k - i < 12)
            *v = *v * 10 + (s[k] - '0');
        k++;
    }
    return k - i;
}

/* "collect a WebVTT timestamp" at *pos; 1 and *ms on success. */
static int vtt_timestamp(const char *s, size_t n, size_t *pos, int64_t *ms)
{
    size_t i = *pos;
    int64_t v1, v2, v3, v4;
    size_t d = digits(s, n, i, &v1);
    if (d == 0 || d > 12)
        return 0;
    int hours = d != 2 || v1 > 59;
    i += d;
    if (i >= n || s[i] != ':')
        return 0;
    i++;
    if (digits(s, n, i, &v2) != 2)
        return 0;
    i += 2;
    if (hours || (i < n && s[i] == ':')) {
        if (i >= n || s[i] != ':')
            return 0;
        i++;
        if (digits(s, n, i, &v3) != 2)
            return 0;
        i += 2;
    } else {
        v3 = v2;
        v2 = v1;
        v1 = 0;
    }
    if (i >= n || s[i] != '.')
        return 0;
    i++;
    if (digits(s, n, i, &v4) != 3)
        return 0;
    i += 3;
    if (v2 > 59 || v3 > 59)
        return 0;
    *ms = ((v1 * 60 + v2) * 60 + v3) * 1000 + v4;
    *pos = i;
    return 1;
}

/* "collect WebVTT cue timings and settings": start --> end [settings]. */
static int vtt_timing(const char *s, size_t n, int64_t *start, int64_t *end)
{
    size_t i = 0;
    while (i < n && vtt_space(s[i])) i++;
    if (!vtt_timestamp(s, n, &i, start))
        return 0;
    while (i < n && vtt_space(s[i])) i++;
    if (i + 3 > n || memcmp(s + i, "-->", 3) != 0)
        return 0;
    i += 3;
    while (i < n && vtt_space(s[i])) i++;
    return vtt_timestamp(s, n, &i, end); /* the rest is cue settings */
}

static int starts_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && memcmp(s, w, k) == 0 && (n == k || vtt_space(s[k]));
}

int parse_vtt(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err)
{
    text_skip_bom(&buf, &len);
    line_iter it;
    line_iter_init(&it, buf, len);
    const char *l;
    size_t n;
    if (!line_next(&it, &l, &n) || n < 6 || memcmp(l, "WEBVTT", 6) != 0 || (n > 6 && l[6] != ' ' && l[6] != '\t'))
        return rag_error_set(err, RAG_ECORRUPT, "%s:1: not a WebVTT file (the first line must start with WEBVTT)", name);
    {
        size_t i = 6;
        while (i < n && (vtt_space(l[i]) || l[i] == '-'))
            i++;
        if (i < n)
            transcript_set_title(tr, l + i, n - i);
    }
    cue_state st = { .collapse_rolling = 1 };
    int have = line_next(&it, &l, &n);
    /* header: up to the first empty line; a line with "-->" starts a cue */
    while (have && n != 0 && !has_arrow(l, n))
        have = line_next(&it, &l, &n);
    while (have) {
        while (have && n == 0)
            have = line_next(&it, &l, &n);
        if (!have)
            break;
        /* one block */
        uint32_t block_line = it.lineno;
        int comment = starts_word(l, n, "NOTE") || starts_word(l, n, "STYLE") || starts_word(l, n, "REGION");
        int line_count = 0, seen_arrow = 0, timed = 0;
        int64_t start = 0, end = 0;
        uint32_t timing_line = 0;
        const char *payload = NULL, *pend = NULL;
        for (;;) {
            line_count++;
            if (has_arrow(l, n)) {
                if (line_count == 1 || (line_count == 2 && !seen_arrow)) {
                    seen_arrow = 1;
                    timing_line = it.lineno;
                    timed = vtt_timing(l, n, &start, &end);
                    if (!timed) {
                        transcript_warn(tr, "%s:%u: cue skipped: malformed cue timing \"%.*s\"", name, it.lineno,
                                        (int)(n > 60 ? 60 : n), l);
                    } else {
                        char where[16];
                        snprintf(where, sizeof where, ":%u", it.lineno);
                        transcript_warn_backwards(tr, name, where, start, end);
                    }
                } else {
                    break; /* this line starts the next block */
                }
            } else if (n == 0) {
                break;
            } else if (seen_arrow) {
                if (!payload)
                    payload = l;
                pend = l + n;
            }
            if (!(have = line_next(&it, &l, &n)))
                break;
        }
        if (timed && payload)
            cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, timing_line + 1);
        else if (!seen_arrow && !comment)
            transcript_warn(tr, "%s:%u: block without a cue timing line skipped", name, block_line);
    }
    cue_state_free(&st);
    return RAG_OK;
}
