/* chunk.c — the chunker (see chunk.h). Pass 1 cuts segments into "units"
 * of at most (target - overlap) tokens and a byte cap, preferring sentence
 * ends; pass 2 packs whole units greedily into chunks of <= target tokens,
 * each chunk after the first starting with the previous chunk's last
 * overlap tokens (whole units when they fit, else the tail of the last one).
 * Speaker labels are written into the text ("Alice: ...") when the speaker
 * changes, so full-text search finds who said what. */
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "rag/tokenize.h"
#include "text.h"

typedef struct unit {
    size_t off, len; /* into tr->text */
    int tokens;
    int seg;
} unit;

typedef struct units {
    unit *v;
    size_t n, cap;
} units;

static void unit_push(units *u, size_t off, size_t len, int tokens, int seg)
{
    if (len == 0)
        return;
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 64;
        u->v = rag_xrealloc(u->v, u->cap * sizeof(unit));
    }
    u->v[u->n++] = (unit){ off, len, tokens, seg };
}

typedef struct splitter {
    const char *text;   /* whole transcript text */
    units *out;
    int seg;
    size_t start;       /* byte offset where the current unit starts */
    int count;          /* tokens in the current unit */
    size_t good_cut;    /* offset after the last sentence end, 0 = none */
    int good_count;
    int max_tokens;
    size_t max_bytes;
} splitter;

static size_t utf8_back(const char *s, size_t pos, size_t floor)
{
    while (pos > floor && ((unsigned char)s[pos] & 0xC0) == 0x80)
        pos--;
    return pos;
}

static void cut_at(splitter *sp, size_t at, int tokens)
{
    size_t end = at;
    while (end > sp->start && sp->text[end - 1] == ' ')
        end--;
    unit_push(sp->out, sp->start, end - sp->start, tokens, sp->seg);
    sp->start = at;
    while (sp->text[sp->start] == ' ')
        sp->start++;
}

static int split_token(const rag_token *t, void *ud)
{
    splitter *sp = ud;
    size_t tstart = (size_t)(t->start - sp->text), tend = tstart + t->len;
    if (sp->count > 0 && (sp->count >= sp->max_tokens || tend - sp->start > sp->max_bytes)) {
        if (sp->good_cut > sp->start && sp->good_count * 2 >= sp->count) {
            int rest = sp->count - sp->good_count;
            cut_at(sp, sp->good_cut, sp->good_count);
            sp->count = rest;
        } else {
            cut_at(sp, tstart, sp->count);
            sp->count = 0;
        }
        sp->good_cut = 0;
        if (sp->count > 0 && tend - sp->start > sp->max_bytes) {
            cut_at(sp, tstart, sp->count);
            sp->count = 0;
        }
    }
    /* one huge token (no spaces): cut it between characters */
    while (tend - sp->start > sp->max_bytes && sp->count == 0) {
        size_t at = utf8_back(sp->text, sp->start + sp->max_bytes, sp->start + 1);
        if (at <= sp->start)
            break;
        unit_push(sp->out, sp->start, at - sp->start, 1, sp->seg);
        sp->start = at;
    }
    sp->count++;
    char nx = sp->text[tend];
    if (nx == '.' || nx == '?' || nx == '!') {
        sp->good_cut = tend + 1;
        sp->good_count = sp->count;
    }
    return 0;
}

static void make_units(const transcript *tr, int max_tokens, size_t max_bytes, units *out)
{
    for (size_t s = 0; s < tr->n_segs; s++) {
        const tr_segment *sg = &tr->segs[s];
        splitter sp = { tr->text, out, (int)s, sg->off, 0, 0, 0, max_tokens, max_bytes };
        rag_tokenize(tr->text + sg->off, sg->len, split_token, &sp);
        size_t end = sg->off + sg->len;
        if (sp.start < end)
            unit_push(out, sp.start, end - sp.start, sp.count, (int)s);
    }
}

typedef struct nth_state { int target; int seen; size_t off; } nth_state;

static int find_nth(const rag_token *t, void *ud)
{
    nth_state *st = ud;
    if (st->seen++ == st->target) {
        st->off = t->offset;
        return 1;
    }
    return 0;
}

static int speaker_of(const transcript *tr, const unit *u)
{
    return tr->segs[u->seg].speaker;
}

typedef struct render {
    strbuf text;
    strbuf speakers;
    int64_t start, end;
    int last_speaker;
    int last_seg;
    int first;
    size_t last_end; /* offset just after the previous piece */
    int tokens;      /* tokens in text, kept as pieces are added */
} render;

static void render_piece(const transcript *tr, render *r, size_t off, size_t len, int seg, int tokens,
                         const int *label_cost)
{
    const tr_segment *sg = &tr->segs[seg];
    int sp = sg->speaker;
    /* pieces cut out of one unbroken run join without a separator; if both
     * sides of the joint are token bytes the two pieces' tokens become one */
    bool joined = !r->first && seg == r->last_seg && off == r->last_end;
    if (joined && len && r->text.len) {
        char pair[2] = { r->text.s[r->text.len - 1], tr->text[off] };
        if (rag_token_count(pair, 1) == 1 && rag_token_count(pair + 1, 1) == 1)
            tokens--; /* both sides are token bytes: one token spans the joint */
    }
    if (!r->first && !joined)
        sb_putc(&r->text, seg == r->last_seg ? ' ' : '\n');
    r->tokens += tokens;
    if (sp >= 0 && (r->first || sp != r->last_speaker)) {
        const char *name = tr->speakers[sp];
        sb_append(&r->text, name, strlen(name));
        sb_append(&r->text, ": ", 2);
        r->tokens += label_cost[sp];
        /* add to the chunk's speaker list once */
        size_t nl = strlen(name);
        int dup = 0;
        for (size_t i = 0; i + nl <= r->speakers.len; ) {
            const char *comma = memchr(r->speakers.s + i, ',', r->speakers.len - i);
            size_t e = comma ? (size_t)(comma - r->speakers.s) : r->speakers.len;
            if (e - i == nl && memcmp(r->speakers.s + i, name, nl) == 0) { dup = 1; break; }
            i = e + 1;
        }
        if (!dup) {
            if (r->speakers.len)
                sb_putc(&r->speakers, ',');
            sb_append(&r->speakers, name, nl);
        }
    }
    sb_append(&r->text, tr->text + off, len);
    if (sg->start_ms >= 0 && (r->start < 0 || sg->start_ms < r->start))
        r->start = sg->start_ms;
    if (sg->end_ms >= 0 && sg->end_ms > r->end)
        r->end = sg->end_ms;
    r->last_speaker = sp;
    r->last_seg = seg;
    r->last_end = off + len;
    r->first = 0;
}

long chunk_transcript(const transcript *tr, const chunk_settings *cs, chunk_cb cb, void *ud)
{
    int target = cs->target_tokens > 0 ? cs->target_tokens : 1;
    int overlap = cs->overlap_tokens > 0 ? cs->overlap_tokens : 0;
    if (overlap > target / 2)
        overlap = target / 2;
    int unit_tokens = target - overlap > 0 ? target - overlap : 1;
    size_t max_bytes = (size_t)unit_tokens * 16 < 512 ? 512 : (size_t)unit_tokens * 16;

    units u = { 0 };
    make_units(tr, unit_tokens, max_bytes, &u);
    int *label_cost = rag_xcalloc(tr->n_speakers + 1, sizeof(int));
    for (size_t s = 0; s < tr->n_speakers; s++)
        label_cost[s] = (int)rag_token_count(tr->speakers[s], strlen(tr->speakers[s]));

    long made = 0;
    size_t i = 0;
    /* carried tail of the previous chunk's last unit */
    int has_carry = 0;
    unit carry = { 0, 0, 0, 0 };
    render r = { { 0 }, { 0 }, -1, -1, -1, -1, 1, 0, 0 };
    while (i < u.n) {
        r.text.len = 0;
        r.speakers.len = 0;
        if (r.text.s) r.text.s[0] = '\0';
        if (r.speakers.s) r.speakers.s[0] = '\0';
        r.start = r.end = -1;
        r.first = 1;
        r.last_speaker = -1;
        r.last_seg = -1;
        r.tokens = 0;
        int budget = 0, last_sp = -2;
        if (has_carry) {
            render_piece(tr, &r, carry.off, carry.len, carry.seg, carry.tokens, label_cost);
            budget += carry.tokens + (speaker_of(tr, &carry) >= 0 ? label_cost[speaker_of(tr, &carry)] : 0);
            last_sp = speaker_of(tr, &carry);
        }
        size_t j = i;
        while (j < u.n) {
            int sp = speaker_of(tr, &u.v[j]);
            int cost = u.v[j].tokens + (sp >= 0 && sp != last_sp ? label_cost[sp] : 0);
            /* tokens budget, and a byte cap for text with few separators */
            if (j > i && (budget + cost > target || r.text.len + u.v[j].len > 2 * max_bytes))
                break;
            render_piece(tr, &r, u.v[j].off, u.v[j].len, u.v[j].seg, u.v[j].tokens, label_cost);
            budget += cost;
            last_sp = sp;
            j++;
        }
        chunk c = { (int)made, r.text.s ? r.text.s : "", r.text.len, r.start, r.end,
                    r.speakers.len ? r.speakers.s : NULL, r.tokens };
        made++;
        if (cb && cb(&c, ud)) {
            made = -1;
            break;
        }
        if (j >= u.n)
            break;
        /* overlap for the next chunk */
        has_carry = 0;
        size_t k = j;
        int acc = 0;
        while (k > i + 1 && acc + u.v[k - 1].tokens <= overlap) {
            acc += u.v[k - 1].tokens;
            k--;
        }
        if (k < j) {
            i = k;
        } else {
            i = j;
            const unit *last = &u.v[j - 1];
            if (overlap > 0 && last->tokens > overlap) {
                nth_state st = { last->tokens - overlap, 0, 0 };
                rag_tokenize(tr->text + last->off, last->len, find_nth, &st);
                size_t toff = last->off + st.off;
                size_t tlen = last->off + last->len - toff;
                if (st.off > 0 && tlen <= max_bytes / 2) {
                    carry = (unit){ toff, tlen, overlap, last->seg };
                    has_carry = 1;
                }
            }
        }
    }
    sb_free(&r.text);
    sb_free(&r.speakers);
    free(label_cost);
    free(u.v);
    return made;
}
