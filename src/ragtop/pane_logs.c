/* pane_logs.c — the merged tail of every service's log files: time, level
 * (coloured), service and message, like lnav/less:
 *   - a filter (& key) that keeps matching lines: on the shown text by
 *     default, on the raw JSON when asked (Ctrl-R in its prompt); a leading
 *     ! inverts; smart case (case-insensitive unless it has a capital);
 *   - a search (/ key) that highlights its matches and moves with n / N,
 *     independent of the filter;
 *   - a minimum level, follow / scroll-back with a selected line, g/G,
 *     wrap, horizontal scroll with "…" where text is cut.
 * The ring's lines carry their shown form (model_log_append formats each
 * once); filter and search results are cached per line under a generation
 * number, so a frame costs one regexec per new line, not per kept line.
 * Lines are untrusted: the shown form is always escaped. */
#include "ui.h"

#include <curses.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"
#include "escape.h"

static uint64_t oldest_seq(const rt_model *m)
{
    uint64_t by_count = m->log_seq >= m->ring_cap ? m->log_seq - m->ring_cap + 1 : 1;
    return m->log_oldest > by_count ? m->log_oldest : by_count;
}

static rt_log_line *line_at(rt_model *m, uint64_t seq)
{
    if (seq == 0 || seq > m->log_seq || seq < oldest_seq(m)) return NULL;
    rt_log_line *l = &m->ring[seq % m->ring_cap];
    return l->seq == seq && l->raw ? l : NULL;
}

/* ---------------------------------------------------------------- patterns */

/* Smart case: a capital letter (not the letter of an escape like \S)
 * makes the pattern case-sensitive. */
static bool has_capital(const char *re)
{
    for (const char *p = re; *p; p++) {
        if (*p == '\\' && p[1]) { p++; continue; }
        if (isupper((unsigned char)*p)) return true;
    }
    return false;
}

/* Compile with smart case; on error fills why and returns false. */
static bool compile(regex_t *out, const char *re, bool nosub, char *why, size_t whyn)
{
    int flags = REG_EXTENDED | (nosub ? REG_NOSUB : 0) | (has_capital(re) ? 0 : REG_ICASE);
    int rc = regcomp(out, re, flags);
    if (rc != 0) {
        regerror(rc, out, why, whyn);
        regfree(out);
        return false;
    }
    return true;
}

bool pane_logs_set_filter(ui *u, const char *text, bool raw)
{
    if (u->filter_on) regfree(&u->filter_re);
    u->filter_on = false;
    u->filter[0] = '\0';
    u->filter_gen++;
    if (!*text) {
        model_set_notice(u->m, "filter cleared");
        return true;
    }
    bool inv = text[0] == '!';
    const char *re = inv ? text + 1 : text;
    char why[128];
    if (!compile(&u->filter_re, re, true, why, sizeof why)) {
        model_set_notice(u->m, "filter: bad regular expression: %s", why);
        return false;
    }
    u->filter_on = true;
    u->filter_invert = inv;
    u->filter_raw = raw;
    rt_fmt(u->filter, sizeof u->filter, "%s", re);
    uint64_t match, kept;
    model_lock(u->m);
    pane_logs_count(u, &match, &kept);
    model_unlock(u->m);
    /* replaces any earlier message, a stale "bad regular expression" too */
    model_set_notice(u->m, "filter %s/%s/%s: %llu of %llu lines match", inv ? "!" : "", re, raw ? " (raw JSON)" : "",
                     (unsigned long long)match, (unsigned long long)kept);
    return true;
}

static bool filter_hit(ui *u, rt_log_line *l)
{
    if (!u->filter_on) return true;
    if (l->fgen != u->filter_gen) {
        const char *subject = u->filter_raw ? l->raw : (l->text ? l->text : "");
        bool hit = regexec(&u->filter_re, subject, 0, NULL, 0) == 0;
        l->fmatch = u->filter_invert ? !hit : hit;
        l->fgen = u->filter_gen;
    }
    return l->fmatch;
}

static bool search_hit(ui *u, rt_log_line *l)
{
    if (!u->search_on) return false;
    if (l->sgen != u->search_gen) {
        l->smatch = regexec(&u->search_re, l->text ? l->text : "", 0, NULL, 0) == 0;
        l->sgen = u->search_gen;
    }
    return l->smatch;
}

bool pane_logs_matches(ui *u, rt_log_line *l)
{
    if (u->min_level >= 0 && l->level >= 0 && l->level < u->min_level) return false;
    if (u->min_level > RAG_LEVEL_INFO && l->level < 0) return false;
    return filter_hit(u, l);
}

void pane_logs_count(ui *u, uint64_t *match, uint64_t *kept)
{
    rt_model *m = u->m;
    *match = *kept = 0;
    for (uint64_t s = oldest_seq(m); s && s <= m->log_seq; s++) {
        rt_log_line *l = line_at(m, s);
        if (!l) continue;
        (*kept)++;
        if (pane_logs_matches(u, l)) (*match)++;
    }
}

/* previous / next shown seq from seq (exclusive); 0 when none */
static uint64_t step(ui *u, uint64_t seq, int dir)
{
    rt_model *m = u->m;
    uint64_t lo = oldest_seq(m);
    if (dir < 0 && seq > m->log_seq + 1) seq = m->log_seq + 1;
    if (dir > 0 && seq + 1 < lo) seq = lo - 1;
    for (uint64_t s = seq;;) {
        if (dir < 0) { if (s <= lo) return 0; s--; }
        else { if (s >= m->log_seq) return 0; s++; }
        rt_log_line *l = line_at(m, s);
        if (l && pane_logs_matches(u, l)) return s;
    }
}

/* The selected line: the newest shown line when following. Lock held. */
static uint64_t selected(ui *u)
{
    uint64_t seq = u->follow ? u->m->log_seq : u->log_sel;
    rt_log_line *l = line_at(u->m, seq);
    if (!l && !u->follow && seq && seq < oldest_seq(u->m)) return step(u, 0, 1); /* scrolled out of the ring */
    if (!l || !pane_logs_matches(u, l)) seq = step(u, seq + 1, -1);
    return seq;
}

bool pane_logs_set_search(ui *u, const char *text)
{
    if (u->search_on) regfree(&u->search_re);
    u->search_on = false;
    u->search[0] = '\0';
    u->search_gen++;
    if (!*text) {
        model_set_notice(u->m, "search cleared");
        return true;
    }
    char why[128];
    if (!compile(&u->search_re, text, false, why, sizeof why)) {
        model_set_notice(u->m, "search: bad regular expression: %s", why);
        return false;
    }
    u->search_on = true;
    rt_fmt(u->search, sizeof u->search, "%s", text);
    /* jump to the nearest match at or above the selected line */
    model_lock(u->m);
    uint64_t from = selected(u);
    rt_log_line *l = line_at(u->m, from);
    uint64_t hit = l && search_hit(u, l) ? from : 0;
    for (uint64_t s = from; !hit && (s = step(u, s, -1));)
        if (search_hit(u, line_at(u->m, s))) hit = s;
    for (uint64_t s = from; !hit && (s = step(u, s, 1));)
        if (search_hit(u, line_at(u->m, s))) hit = s;
    uint64_t n = 0;
    for (uint64_t s = step(u, 0, 1); s; s = step(u, s, 1)) n += search_hit(u, line_at(u->m, s));
    if (hit) {
        u->follow = false;
        u->log_sel = hit;
    }
    model_unlock(u->m);
    if (hit) model_set_notice(u->m, "search /%s/: %llu lines match (n next, N previous)", text, (unsigned long long)n);
    else model_set_notice(u->m, "search /%s/: no line matches", text);
    return true;
}

void pane_logs_search_next(ui *u, int dir)
{
    if (!u->search_on) {
        model_set_notice(u->m, "no search: / starts one");
        return;
    }
    model_lock(u->m);
    uint64_t from = selected(u), hit = 0;
    for (uint64_t s = from; !hit && (s = step(u, s, dir));)
        if (search_hit(u, line_at(u->m, s))) hit = s;
    if (hit) {
        u->follow = false;
        u->log_sel = hit;
    }
    model_unlock(u->m);
    if (!hit) model_set_notice(u->m, "search /%s/: no more matches %s", u->search, dir > 0 ? "below" : "above");
}

/* ---------------------------------------------------------------- moving */

void pane_logs_move(ui *u, int delta)
{
    if (u->follow && delta > 0) return; /* already at the newest line */
    model_lock(u->m);
    uint64_t sel = selected(u);
    if (sel) {
        u->follow = false;
        u->log_sel = sel;
        int dir = delta < 0 ? -1 : 1;
        for (int i = 0; i < abs(delta); i++) {
            uint64_t n = step(u, u->log_sel, dir);
            if (!n) break;
            u->log_sel = n;
        }
    }
    model_unlock(u->m);
}

void pane_logs_home(ui *u)
{
    model_lock(u->m);
    uint64_t first = step(u, 0, 1);
    if (first) {
        u->follow = false;
        u->log_sel = first;
    }
    model_unlock(u->m);
}

void pane_logs_hscroll(ui *u, int dir)
{
    int half = (u->pane[PANE_LOGS].w - 2) / 2;
    if (half < 4) half = 4;
    u->log_hscroll += dir * half;
    if (u->log_hscroll < 0) u->log_hscroll = 0;
    if (u->log_hscroll > RT_LOG_LINE_MAX) u->log_hscroll = RT_LOG_LINE_MAX;
}

bool pane_logs_selected_raw(ui *u, char **raw)
{
    model_lock(u->m);
    rt_log_line *l = line_at(u->m, selected(u));
    *raw = l && l->raw ? rag_xstrdup(l->raw) : NULL;
    model_unlock(u->m);
    return *raw != NULL;
}

void pane_logs_open_detail(ui *u)
{
    char *raw = NULL;
    if (pane_logs_selected_raw(u, &raw)) overlay_open_json(u, raw);
    else model_set_notice(u->m, "no log line to show");
    free(raw);
}

/* ---------------------------------------------------------------- drawing */

static theme_role level_role(int level)
{
    switch (level) {
    case RAG_LEVEL_DEBUG: return ROLE_DEBUG;
    case RAG_LEVEL_INFO: return ROLE_INFO;
    case RAG_LEVEL_WARN: return ROLE_WARN;
    case RAG_LEVEL_ERROR: return ROLE_FAIL;
    default: return ROLE_MUTED;
    }
}

/* 59289 -> "59,289" */
static void grouped(uint64_t v, char *out, size_t n)
{
    char d[32];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) out[o++] = ',';
        out[o++] = d[i];
    }
    out[o] = '\0';
}

static size_t search_spans(ui *u, const char *text, ui_span *sp, size_t max)
{
    size_t n = 0;
    if (!u->search_on) return 0;
    regmatch_t mt;
    int off = 0, flags = 0, len = (int)strlen(text);
    while (n < max && off <= len && regexec(&u->search_re, text + off, 1, &mt, flags) == 0) {
        if (mt.rm_eo == mt.rm_so) { off += (int)mt.rm_eo + 1; flags = REG_NOTBOL; continue; } /* empty match */
        sp[n++] = (ui_span){off + (int)mt.rm_so, off + (int)mt.rm_eo};
        off += (int)mt.rm_eo;
        flags = REG_NOTBOL;
    }
    return n;
}

static int rows_for(const ui *u, const rt_log_line *l, int w)
{
    if (!u->wrap) return 1;
    int width = escape_width(l->text ? l->text : "");
    return width > w ? (width + w - 1) / w : 1;
}

void pane_logs_draw(ui *u, rect r)
{
    rt_model *m = u->m;
    static const char *lvl_names[] = {"debug", "info", "warn", "error"};
    uint64_t match, kept;
    pane_logs_count(u, &match, &kept);
    char k1[32], k2[32], k3[32];
    grouped(kept, k1, sizeof k1);
    grouped(m->log_lines_total, k2, sizeof k2);
    grouped(match, k3, sizeof k3);
    char title[600], part[300];
    rt_fmt(title, sizeof title, "Logs  %s%s  last %s of %s read", u->follow ? "follow" : "scroll", u->wrap ? "  wrap" : "", k1, k2);
    if (u->min_level >= 0) {
        rt_fmt(part, sizeof part, "  level>=%s", lvl_names[u->min_level]);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    if (u->filter_on) {
        rt_fmt(part, sizeof part, "  filter %s%s/%s/", u->filter_raw ? "raw " : "", u->filter_invert ? "!" : "", u->filter);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    if (u->filter_on || u->min_level >= 0) {
        rt_fmt(part, sizeof part, " %s shown", k3);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    if (u->search_on) {
        rt_fmt(part, sizeof part, "  search /%s/", u->search);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    if (u->log_hscroll && !u->wrap) {
        rt_fmt(part, sizeof part, "  col %d", u->log_hscroll + 1);
        strncat(title, part, sizeof title - strlen(title) - 1);
    }
    ui_box(u, r, title, u->focus == PANE_LOGS);
    int x = r.x + 1, w = r.w - 2, top = r.y + 1, rows = r.h - 2;
    if (rows <= 0 || w <= 0) return;
    if (m->n_log_sources == 0) {
        ui_text(top, x + 1, w - 1, ROLE_MUTED, m->snap.remote.on ? "no warning or error events in /status yet (a remote context shows only those)"
                                                                  : "no log files in services.yml");
        return;
    }
    if (match == 0) {
        if (kept == 0) ui_text(top, x + 1, w - 1, ROLE_MUTED, "no log lines yet");
        else ui_printf(top, x + 1, w - 1, ROLE_WARN, "0 of %s lines match%s%s%s%s%s  (& changes the filter, l the level)", k1,
                       u->filter_on ? " the filter " : "", u->filter_on && u->filter_invert ? "!" : "",
                       u->filter_on ? "/" : "", u->filter_on ? u->filter : "", u->filter_on ? "/" : "");
        return;
    }
    /* the window: lines ending at the selected one; when they do not fill
     * the pane (near the top of the ring), the lines after it follow */
    enum { MAXROWS = 512 };
    uint64_t seqs[MAXROWS];
    int nseq = 0, used = 0;
    uint64_t sel = selected(u);
    uint64_t up[MAXROWS];
    int nup = 0;
    for (uint64_t s = sel; s && used < rows && nup < MAXROWS; s = step(u, s, -1)) {
        used += rows_for(u, line_at(m, s), w);
        up[nup++] = s;
    }
    for (int i = nup - 1; i >= 0; i--) seqs[nseq++] = up[i];
    for (uint64_t s = step(u, sel, 1); s && used < rows && nseq < MAXROWS; s = step(u, s, 1)) {
        used += rows_for(u, line_at(m, s), w);
        seqs[nseq++] = s;
    }
    /* a window taller than the pane (wrap) starts with part of its first line */
    int y = top + rows - used;
    if (y > top) y = top;
    for (int i = 0; i < nseq && y < top + rows; i++) {
        rt_log_line *l = line_at(m, seqs[i]);
        const char *text = l->text ? l->text : "";
        bool is_sel = !u->follow && seqs[i] == sel;
        theme_role role = is_sel ? ROLE_SELECTED : level_role(l->level);
        ui_span sp[32];
        size_t nsp = search_spans(u, text, sp, 32);
        int need = rows_for(u, l, w);
        for (int k = 0; k < need; k++, y++) {
            if (y < top || y >= top + rows) continue;
            if (is_sel) ui_fill(y, x, w, ROLE_SELECTED);
            if (u->wrap) ui_text_wrapped_row(y, x, w, role, text, k, sp, nsp);
            else ui_text_view(y, x, w, role, text, u->log_hscroll, sp, nsp);
        }
    }
}
