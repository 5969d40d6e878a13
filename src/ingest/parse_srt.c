/* parse_srt.c — SubRip transcripts, by the de-facto rules of widely used
 * subtitle readers (there is no formal spec): a BOM and any newline style;
 * cues of an optional number line, a timing line "start --> end" (comma or
 * dot milliseconds, missing milliseconds, one-digit hours, X1:.. Y2:..
 * coordinates after the end time) and text lines up to a blank line; a
 * cue number followed directly by a timing line starts a new cue even
 * without a blank line before it. A timing line that does not parse skips
 * that cue with a warning naming its line; the other cues are kept. Only
 * <b> <i> <u> <font ...> and their closers (and {\an8}-style overrides) are
 * tags: any other '<' is text ("5 < 7") — see cuetext.c. "Name: text" lines
 * become speaker turns. A file without any timing line is not SubRip. */
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

static int all_digits(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

int parse_srt(const char *name, const char *buf, size_t len, transcript *tr, rag_error *err)
{
    text_skip_bom(&buf, &len);
    line_iter it;
    line_iter_init(&it, buf, len);
    cue_state st = { .collapse_rolling = 0, .srt_tags = 1 };
    const char *l;
    size_t n;
    int rc = RAG_OK;
    int arrows = 0, in_cue = 0, skipping = 0;
    int64_t start = 0, end = 0;
    uint32_t cue_line = 0, pending_num_line = 0;
    const char *payload = NULL, *pend = NULL, *last_start = NULL, *prev_pend = NULL;
    while (line_next(&it, &l, &n)) {
        if (has_arrow(l, n)) {
            arrows++;
            /* cues not separated by a blank line: the number belongs to the next cue */
            if (in_cue && payload && all_digits(last_start, (size_t)(pend - last_start))) {
                if (last_start == payload)
                    payload = NULL;
                else
                    pend = prev_pend;
            }
            if (in_cue && payload)
                cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
            payload = pend = NULL;
            pending_num_line = 0;
            int64_t s0, e0;
            if (!text_parse_timing(l, n, &s0, &e0)) {
                transcript_warn(tr, "%s:%u: cue skipped: malformed cue timing \"%.*s\"", name, it.lineno,
                                (int)(n > 60 ? 60 : n), l);
                in_cue = 0;
                skipping = 1; /* its text lines, up to the next blank line */
                continue;
            }
            in_cue = 1;
            skipping = 0;
            start = s0;
            end = e0;
            cue_line = it.lineno;
            char where[16];
            snprintf(where, sizeof where, ":%u", it.lineno);
            transcript_warn_backwards(tr, name, where, start, end);
            continue;
        }
        if (is_blank_line(l, n)) {
            if (in_cue && payload)
                cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
            in_cue = skipping = 0;
            payload = pend = NULL;
            continue;
        }
        if (skipping)
            continue;
        if (!in_cue) {
            if (pending_num_line) {
                transcript_warn(tr, "%s:%u: cue skipped: no valid timing line after the cue number on line %u", name,
                                it.lineno, pending_num_line);
                pending_num_line = 0;
                skipping = 1;
            } else if (all_digits(l, n)) {
                pending_num_line = it.lineno; /* the cue number before a timing */
            } else {
                transcript_warn(tr, "%s:%u: text outside a cue skipped", name, it.lineno);
            }
            continue;
        }
        if (!payload)
            payload = l;
        prev_pend = pend;
        last_start = l;
        pend = l + n;
    }
    if (in_cue && payload)
        cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
    if (pending_num_line)
        transcript_warn(tr, "%s:%u: truncated cue (number without timing line) skipped", name, pending_num_line);
    if (arrows == 0 && len > 0)
        rc = rag_error_set(err, RAG_ECORRUPT, "%s:1: not a SubRip file (no cue timing line found)", name);
    cue_state_free(&st);
    return rc;
}
