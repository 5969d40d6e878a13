/* parse_txt.c — plain text and Markdown transcripts. Blank lines separate
 * paragraphs; a line that starts with a speaker label ("Alice: ...",
 * "[00:12:30] Bob: ...", "**Carol:** ...") starts a new speaker turn that
 * runs until the next blank line or label. In Markdown, headings are their
 * own segments and the first level-1 heading is the title. */
#include <string.h>

#include "text.h"
#include "transcript.h"
#include "format.h"

typedef struct para {
    strbuf text;
    int64_t ts;
    const char *speaker;
    size_t splen;
    uint32_t line;
    int open;
    const char *direct; /* a one-line paragraph is added straight from the input */
    size_t dlen;
} para;

static void flush(transcript *tr, para *p)
{
    if (p->open && p->direct)
        transcript_add(tr, p->direct, p->dlen, p->ts, p->ts, p->speaker, p->splen, p->line);
    else if (p->open && p->text.len)
        transcript_add(tr, p->text.s, p->text.len, p->ts, p->ts, p->speaker, p->splen, p->line);
    p->text.len = 0;
    p->direct = NULL;
    p->open = 0;
    p->speaker = NULL;
    p->splen = 0;
    p->ts = -1;
}

int parse_txt(const char *name, const char *buf, size_t len, int markdown, transcript *tr, rag_error *err)
{
    (void)name;
    (void)err;
    text_skip_bom(&buf, &len);
    line_iter it;
    line_iter_init(&it, buf, len);
    para p = { { NULL, 0, 0 }, -1, NULL, 0, 0, 0, NULL, 0 };
    const char *line;
    size_t n;
    int in_fence = 0;
    while (line_next(&it, &line, &n)) {
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == n) {
            flush(tr, &p);
            continue;
        }
        if (markdown && n - i >= 3 && memcmp(line + i, "```", 3) == 0) {
            in_fence = !in_fence;
            continue;
        }
        if (markdown && !in_fence && line[i] == '#') {
            size_t h = i, level = 0;
            while (h < n && line[h] == '#') { h++; level++; }
            if (level <= 6 && (h == n || line[h] == ' ')) {
                flush(tr, &p);
                while (h < n && line[h] == ' ') h++;
                size_t e = n;
                while (e > h && (line[e - 1] == '#' || line[e - 1] == ' ')) e--;
                if (level == 1 && !tr->title && e > h)
                    transcript_set_title(tr, line + h, e - h);
                transcript_add(tr, line + h, e - h, -1, -1, NULL, 0, it.lineno);
                continue;
            }
        }
        size_t name_off, name_len, text_off;
        int64_t ts;
        if (!in_fence && text_speaker_label(line, n, &name_off, &name_len, &text_off, &ts)) {
            flush(tr, &p);
            p.open = 1;
            p.speaker = line + name_off;
            p.splen = name_len;
            p.ts = ts;
            p.line = it.lineno;
            p.direct = line + text_off;
            p.dlen = n - text_off;
            continue;
        }
        if (markdown && !in_fence) {
            /* quote markers and list bullets are layout, not words */
            while (i < n && line[i] == '>') { i++; while (i < n && line[i] == ' ') i++; }
            if (i + 1 < n && (line[i] == '-' || line[i] == '*' || line[i] == '+') && line[i + 1] == ' ')
                i += 2;
        }
        if (!p.open) {
            p.open = 1;
            p.line = it.lineno;
            p.ts = -1;
            p.direct = line + i;
            p.dlen = n - i;
            continue;
        }
        if (p.direct) { /* second line: from now on the paragraph is built up */
            sb_append(&p.text, p.direct, p.dlen);
            p.direct = NULL;
        }
        sb_putc(&p.text, ' ');
        sb_append(&p.text, line + i, n - i);
    }
    flush(tr, &p);
    sb_free(&p.text);
    return RAG_OK;
}
