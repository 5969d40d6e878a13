/* cuetext.c — turns a cue's payload into transcript segments (see
 * cuetext.h). A cue becomes pieces (one per line or voice span), pieces that
 * repeat the tail of the previous cue are dropped (YouTube-style rolling
 * captions), and consecutive pieces of one speaker form one segment. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cuetext.h"

typedef struct pieces {
    cue_piece *v;
    size_t n, cap;
} pieces;

static cue_piece *piece_new(pieces *ps, const strbuf *speaker)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->v = rag_xrealloc(ps->v, ps->cap * sizeof(cue_piece));
    }
    cue_piece *p = &ps->v[ps->n++];
    memset(p, 0, sizeof *p);
    if (speaker->len)
        sb_append(&p->speaker, speaker->s, speaker->len);
    return p;
}

static void pieces_free(cue_piece *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sb_free(&v[i].text);
        sb_free(&v[i].speaker);
    }
    free(v);
}

static int is_blank(const strbuf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->s[i] != ' ' && b->s[i] != '\t')
            return 0;
    return 1;
}

/* Trimmed equality of two pieces' text. */
static int same_text(const strbuf *a, const strbuf *b)
{
    const char *x = a->s ? a->s : "", *y = b->s ? b->s : "";
    size_t xl = a->len, yl = b->len;
    while (xl && *x == ' ') { x++; xl--; }
    while (yl && *y == ' ') { y++; yl--; }
    while (xl && x[xl - 1] == ' ') xl--;
    while (yl && y[yl - 1] == ' ') yl--;
    return xl == yl && memcmp(x, y, xl) == 0;
}

/* Length of the SubRip formatting tag at s ("<b>", "</i>", "<font
 * color=...>", "</font>", any case), 0 when s does not start one: only
 * these are tags in SRT, any other '<' is text. */
static size_t srt_tag_len(const char *s, size_t n)
{
    static const char *simple[] = { "<b>", "<i>", "<u>", "</b>", "</i>", "</u>", "</font>" };
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
        size_t m = strlen(simple[k]);
        if (n >= m && strncasecmp(s, simple[k], m) == 0)
            return m;
    }
    if (n >= 6 && strncasecmp(s, "<font", 5) == 0 && (s[5] == ' ' || s[5] == '\t' || s[5] == '>')) {
        const char *gt = memchr(s, '>', n);
        return gt ? (size_t)(gt - s) + 1 : 0;
    }
    return 0;
}

static void clean_line(cue_state *st, pieces *ps, strbuf *voice, const char *s, size_t n)
{
    cue_piece *cur = piece_new(ps, voice);
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (c == '<' && st->srt_tags) {
            size_t tl = srt_tag_len(s + i, n - i);
            if (tl) {
                i += tl;
                continue;
            }
            sb_putc(&cur->text, c);
            i++;
            continue;
        }
        if (c == '<') {
            const char *gt = memchr(s + i, '>', n - i);
            size_t tl = gt ? (size_t)(gt - (s + i)) - 1 : n - i - 1;
            const char *t = s + i + 1;
            i = gt ? (size_t)(gt - s) + 1 : n;
            if (tl >= 1 && t[0] == 'v' && (tl == 1 || t[1] == ' ' || t[1] == '.' || t[1] == '\t')) {
                size_t k = 1;
                while (k < tl && t[k] != ' ' && t[k] != '\t') k++; /* skip ".class" */
                while (k < tl && (t[k] == ' ' || t[k] == '\t')) k++;
                voice->len = 0;
                if (k < tl)
                    sb_append(voice, t + k, tl - k);
                if (!is_blank(&cur->text))
                    cur = piece_new(ps, voice);
                else {
                    cur->speaker.len = 0;
                    if (voice->len)
                        sb_append(&cur->speaker, voice->s, voice->len);
                }
            } else if (tl == 2 && t[0] == '/' && t[1] == 'v') {
                voice->len = 0;
                if (!is_blank(&cur->text))
                    cur = piece_new(ps, voice);
                else
                    cur->speaker.len = 0;
            }
            continue; /* other tags and <00:00:01.000> timestamps vanish */
        }
        if (st->srt_tags && c == '{' && i + 1 < n && s[i + 1] == '\\') {
            const char *cb = memchr(s + i, '}', n - i);
            i = cb ? (size_t)(cb - s) + 1 : n;
            continue;
        }
        if (c == '&') {
            char out[4];
            size_t ol = 0;
            size_t used = text_decode_entity(s + i, n - i, out, &ol);
            if (used) {
                sb_append(&cur->text, out, ol);
                i += used;
                continue;
            }
        }
        sb_putc(&cur->text, c);
        i++;
    }
    /* a line without a voice may carry a "Name: text" label */
    for (size_t k = 0; k < ps->n; k++) {
        cue_piece *p = &ps->v[k];
        size_t no, nl, to;
        int64_t ts;
        if (p->speaker.len == 0 && p->text.len &&
            text_speaker_label(p->text.s, p->text.len, &no, &nl, &to, &ts)) {
            sb_append(&p->speaker, p->text.s + no, nl);
            memmove(p->text.s, p->text.s + to, p->text.len - to);
            p->text.len -= to;
            p->text.s[p->text.len] = '\0';
        }
    }
}

void cue_add(cue_state *st, transcript *tr, const char *payload, size_t len, int64_t start_ms, int64_t end_ms,
             uint32_t line)
{
    pieces all = { 0 };
    strbuf voice = { 0 };
    line_iter it;
    line_iter_init(&it, payload, len);
    const char *l;
    size_t n;
    while (line_next(&it, &l, &n)) {
        pieces one = { 0 };
        clean_line(st, &one, &voice, l, n);
        for (size_t k = 0; k < one.n; k++) {
            if (is_blank(&one.v[k].text)) {
                sb_free(&one.v[k].text);
                sb_free(&one.v[k].speaker);
                continue;
            }
            if (all.n == all.cap) {
                all.cap = all.cap ? all.cap * 2 : 8;
                all.v = rag_xrealloc(all.v, all.cap * sizeof(cue_piece));
            }
            all.v[all.n++] = one.v[k];
        }
        free(one.v);
    }
    sb_free(&voice);

    /* a line without a speaker continues the previous line's speaker */
    for (size_t k = 1; k < all.n; k++)
        if (all.v[k].speaker.len == 0 && all.v[k - 1].speaker.len)
            sb_append(&all.v[k].speaker, all.v[k - 1].speaker.s, all.v[k - 1].speaker.len);
    size_t skip = 0;
    size_t cut = 0; /* bytes to drop from the first kept piece (in-line rolling) */
    if (st->collapse_rolling && st->n_prev && all.n) {
        /* rolling captions repeat one to three lines; looking further back
         * would make a cue of many lines quadratic */
        size_t maxk = st->n_prev < all.n ? st->n_prev : all.n;
        if (maxk > 8)
            maxk = 8;
        for (size_t k = maxk; k > 0; k--) {
            size_t j = 0;
            while (j < k && same_text(&all.v[j].text, &st->prev[st->n_prev - k + j].text))
                j++;
            if (j == k) {
                skip = k;
                break;
            }
        }
        if (skip < all.n) {
            const strbuf *last = &st->prev[st->n_prev - 1].text;
            const strbuf *first = &all.v[skip].text;
            if (last->len && first->len > last->len && memcmp(first->s, last->s, last->len) == 0 &&
                first->s[last->len] == ' ')
                cut = last->len;
        }
    }
    for (size_t k = skip; k < all.n;) {
        size_t j = k;
        strbuf seg = { 0 };
        while (j < all.n && (j == k || (all.v[j].speaker.len == all.v[k].speaker.len &&
                                        memcmp(all.v[j].speaker.s ? all.v[j].speaker.s : "",
                                               all.v[k].speaker.s ? all.v[k].speaker.s : "", all.v[k].speaker.len) == 0))) {
            size_t off = (j == skip) ? cut : 0;
            if (seg.len)
                sb_putc(&seg, ' ');
            sb_append(&seg, all.v[j].text.s + off, all.v[j].text.len - off);
            j++;
        }
        transcript_add(tr, seg.s ? seg.s : "", seg.len, start_ms, end_ms, all.v[k].speaker.s, all.v[k].speaker.len, line);
        sb_free(&seg);
        k = j;
    }
    if (st->collapse_rolling) {
        if (all.n) {
            pieces_free(st->prev, st->n_prev);
            st->prev = all.v;
            st->n_prev = all.n;
        } else {
            free(all.v);
        }
    } else {
        pieces_free(all.v, all.n);
    }
}

void cue_state_free(cue_state *st)
{
    pieces_free(st->prev, st->n_prev);
    st->prev = NULL;
    st->n_prev = 0;
}
