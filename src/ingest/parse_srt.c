/* parse_srt.c — SubRip transcripts. Accepts a BOM, any newline style,
 * comma or dot milliseconds, missing milliseconds, one-digit hours, empty
 * cues, and X1:.. Y2:.. coordinates after the timings. A line with "-->"
 * that is not a timing, or a cue number at the very end with nothing after
 * it, is an error naming its line. <font>/<i>/<b>/<u> and {\an8} tags are
 * stripped by cuetext.c; "Name: text" lines become speaker turns. */
#include <string.h>

#include "cuetext.h"
#include "text.h"
#include "transcript.h"
#include "format.h"

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
    int cues = 0, in_cue = 0;
    int64_t start = 0, end = 0;
    uint32_t cue_line = 0, pending_num_line = 0;
    const char *payload = NULL, *pend = NULL, *last_start = NULL, *prev_pend = NULL;
    int saw_text = 0;
    while (line_next(&it, &l, &n)) {
        if (has_arrow(l, n)) {
            int64_t s0, e0;
            if (!text_parse_timing(l, n, &s0, &e0)) {
                rc = rag_error_set(err, RAG_ECORRUPT, "%s:%u: malformed cue timing \"%.*s\"", name, it.lineno,
                                   (int)(n > 60 ? 60 : n), l);
                break;
            }
            /* cues not separated by a blank line: the number belongs to this cue */
            if (in_cue && payload && all_digits(last_start, (size_t)(pend - last_start))) {
                if (last_start == payload)
                    payload = NULL;
                else
                    pend = prev_pend;
            }
            if (in_cue && payload)
                cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
            in_cue = 1;
            cues++;
            start = s0;
            end = e0;
            cue_line = it.lineno;
            payload = pend = NULL;
            pending_num_line = 0;
            continue;
        }
        if (is_blank_line(l, n)) {
            if (in_cue && payload)
                cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
            in_cue = 0;
            payload = pend = NULL;
            continue;
        }
        if (!in_cue) {
            if (all_digits(l, n)) {
                pending_num_line = it.lineno; /* the cue number before a timing */
                continue;
            }
            saw_text = 1;
            continue; /* stray text outside a cue carries no timing; ignore it */
        }
        if (!payload)
            payload = l;
        prev_pend = pend;
        last_start = l;
        pend = l + n;
    }
    if (rc == RAG_OK && in_cue && payload)
        cue_add(&st, tr, payload, (size_t)(pend - payload), start, end, cue_line + 1);
    if (rc == RAG_OK && pending_num_line)
        rc = rag_error_set(err, RAG_ECORRUPT, "%s:%u: truncated cue (number without timing line)", name, pending_num_line);
    if (rc == RAG_OK && cues == 0 && (saw_text || len > 0))
        rc = rag_error_set(err, RAG_ECORRUPT, "%s:1: not a SubRip file (no cue timing line found)", name);
    cue_state_free(&st);
    return rc;
}
