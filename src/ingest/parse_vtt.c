/* parse_vtt.c — WebVTT transcripts. Accepts a BOM and any newline style;
 * requires the WEBVTT header (its text, if any, becomes the title); skips
 * NOTE, STYLE and REGION blocks; takes cue identifiers, mm:ss.ttt and
 * hh:mm:ss.ttt timings with cue settings after the end time; payloads are
 * cleaned by cuetext.c (voice tags -> speakers, tags and inline timestamps
 * stripped, entities decoded, rolling auto-caption repeats collapsed). A cue
 * timing line that does not parse is an error naming its line. */
#include <string.h>

#include "cuetext.h"
#include "text.h"
#include "transcript.h"
#include "format.h"

static int starts_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && memcmp(s, w, k) == 0 && (n == k || s[k] == ' ' || s[k] == '\t');
}

static int has_arrow(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == '-' && s[i + 1] == '-' && s[i + 2] == '>')
            return 1;
    return 0;
}

static int is_blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

int parse_vtt(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err)
{
    text_skip_bom(&buf, &len);
    line_iter it;
    line_iter_init(&it, buf, len);
    const char *l;
    size_t n;
    if (!line_next(&it, &l, &n) || n < 6 || memcmp(l, "WEBVTT", 6) != 0 ||
        (n > 6 && l[6] != ' ' && l[6] != '\t'))
        return rag_error_set(err, RAG_ECORRUPT, "%s:1: not a WebVTT file (the first line must start with WEBVTT)", name);
    {
        size_t i = 6;
        while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '-'))
            i++;
        if (i < n)
            transcript_set_title(tr, l + i, n - i);
    }
    cue_state st = { .collapse_rolling = 1 };
    int rc = RAG_OK;
    int have = line_next(&it, &l, &n);
    /* header block: metadata lines up to the first blank line (or a cue) */
    while (have && !is_blank_line(l, n) && !has_arrow(l, n))
        have = line_next(&it, &l, &n);
    while (have) {
        while (have && is_blank_line(l, n))
            have = line_next(&it, &l, &n);
        if (!have)
            break;
        if (starts_word(l, n, "NOTE") || starts_word(l, n, "STYLE") || starts_word(l, n, "REGION")) {
            while (have && !is_blank_line(l, n))
                have = line_next(&it, &l, &n);
            continue;
        }
        uint32_t block_line = it.lineno;
        if (!has_arrow(l, n)) { /* cue identifier */
            have = line_next(&it, &l, &n);
            if (!have)
                { rc = rag_error_set(err, RAG_ECORRUPT, "%s:%u: truncated cue (identifier without timing line)", name, block_line); break; }
            if (is_blank_line(l, n) || !has_arrow(l, n)) { /* not a cue: skip the block */
                while (have && !is_blank_line(l, n))
                    have = line_next(&it, &l, &n);
                continue;
            }
        }
        int64_t start, end;
        if (!text_parse_timing(l, n, &start, &end)) {
            rc = rag_error_set(err, RAG_ECORRUPT, "%s:%u: malformed cue timing \"%.*s\"", name, it.lineno,
                               (int)(n > 60 ? 60 : n), l);
            break;
        }
        uint32_t cue_line = it.lineno;
        const char *payload = NULL, *pend = NULL;
        have = line_next(&it, &l, &n);
        while (have && !is_blank_line(l, n)) {
            if (!payload)
                payload = l;
            pend = l + n;
            have = line_next(&it, &l, &n);
        }
        if (payload)
            cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
    }
    cue_state_free(&st);
    return rc;
}
