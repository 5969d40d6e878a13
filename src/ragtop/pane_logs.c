/* pane_logs.c — the merged tail of every service's log files: time, level
 * (coloured), source and message; a regex filter (leading ! inverts), a
 * minimum level, follow / scroll-back with a selected line, wrap. Lines are
 * untrusted: they are parsed here for display and always drawn through the
 * escaper. Malformed lines are shown raw with a "?" level. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"
#include "logline.h"
#include "escape.h"

static uint64_t oldest_seq(const rt_model *m)
{
    uint64_t by_count = m->log_seq >= RT_LOG_RING ? m->log_seq - RT_LOG_RING + 1 : 1;
    return m->log_oldest > by_count ? m->log_oldest : by_count;
}

static const rt_log_line *line_at(const rt_model *m, uint64_t seq)
{
    if (seq == 0 || seq > m->log_seq || seq < oldest_seq(m)) return NULL;
    const rt_log_line *l = &m->ring[seq % RT_LOG_RING];
    return l->seq == seq && l->raw ? l : NULL;
}

bool pane_logs_matches(const ui *u, const rt_log_line *l)
{
    if (u->min_level >= 0 && l->level >= 0 && l->level < u->min_level) return false;
    if (u->min_level > RAG_LEVEL_INFO && l->level < 0) return false;
    if (!u->filter_on) return true;
    bool hit = regexec(&u->filter_re, l->raw ? l->raw : "", 0, NULL, 0) == 0;
    return u->filter_invert ? !hit : hit;
}

/* previous / next matching seq from seq (exclusive); 0 when none */
static uint64_t step(const ui *u, uint64_t seq, int dir)
{
    const rt_model *m = u->m;
    uint64_t lo = oldest_seq(m);
    for (uint64_t s = seq;;) {
        if (dir < 0) { if (s <= lo) return 0; s--; }
        else { if (s >= m->log_seq) return 0; s++; }
        const rt_log_line *l = line_at(m, s);
        if (l && pane_logs_matches(u, l)) return s;
    }
}

void pane_logs_move(ui *u, int delta)
{
    if (u->follow && delta > 0) return; /* already at the newest line */
    model_lock(u->m);
    if (u->follow || !line_at(u->m, u->log_sel)) {
        u->follow = false;
        u->log_sel = u->m->log_seq + 1;
    }
    int dir = delta < 0 ? -1 : 1;
    for (int i = 0; i < abs(delta); i++) {
        uint64_t n = step(u, u->log_sel, dir);
        if (!n) break;
        u->log_sel = n;
    }
    if (u->log_sel > u->m->log_seq) u->log_sel = u->m->log_seq;
    model_unlock(u->m);
}

void pane_logs_home(ui *u)
{
    model_lock(u->m);
    u->follow = false;
    uint64_t lo = oldest_seq(u->m);
    u->log_sel = lo > 0 ? lo - 1 : 0;
    uint64_t n = step(u, u->log_sel, 1);
    u->log_sel = n ? n : u->m->log_seq;
    model_unlock(u->m);
}

bool pane_logs_selected_raw(ui *u, char **raw)
{
    model_lock(u->m);
    uint64_t seq = u->follow ? u->m->log_seq : u->log_sel;
    const rt_log_line *l = line_at(u->m, seq);
    if (l && u->follow && !pane_logs_matches(u, l)) {
        seq = step(u, seq, -1);
        l = line_at(u->m, seq);
    }
    *raw = l && l->raw ? rag_xstrdup(l->raw) : NULL;
    model_unlock(u->m);
    return *raw != NULL;
}

/* Temporary (issue 12 part A): today's behaviour, the selected line's JSON.
 * Part B (logs) replaces this function. */
void pane_logs_open_detail(ui *u)
{
    char *raw = NULL;
    if (pane_logs_selected_raw(u, &raw)) overlay_open_json(u, raw);
    else model_set_notice(u->m, "no log line to show");
    free(raw);
}

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

void pane_logs_draw(ui *u, rect r)
{
    rt_model *m = u->m;
    static const char *lvl_names[] = {"debug", "info", "warn", "error"};
    char title[400];
    rt_fmt(title, sizeof title, "Logs  %s%s  level>=%s%s%s%s%s%s  %llu read",
           u->follow ? "follow" : "scroll", u->wrap ? "  wrap" : "",
           u->min_level < 0 ? "all" : lvl_names[u->min_level],
           u->filter_on ? "  filter " : "", u->filter_on && u->filter_invert ? "!" : "",
           u->filter_on ? "/" : "", u->filter_on ? u->filter : "", u->filter_on ? "/" : "",
           (unsigned long long)m->log_lines_total);
    ui_box(u, r, title, u->focus == PANE_LOGS);
    int x = r.x + 1, w = r.w - 2, top = r.y + 1, rows = r.h - 2;
    if (rows <= 0 || w <= 0) return;
    if (m->n_log_sources == 0) {
        ui_text(top, x + 1, w - 1, ROLE_MUTED, "no log files in services.yml");
        return;
    }
    uint64_t bottom = u->follow ? m->log_seq : u->log_sel;
    const rt_log_line *bl = line_at(m, bottom);
    if (!bl || !pane_logs_matches(u, bl)) bottom = step(u, bottom, -1);
    /* collect from the bottom up */
    int y = top + rows; /* one past the last row */
    for (uint64_t seq = bottom; seq && y > top; seq = step(u, seq, -1)) {
        const rt_log_line *l = line_at(m, seq);
        if (!l) break;
        const char *src = l->source >= 0 && (size_t)l->source < m->n_log_sources ? m->log_sources[l->source] : "?";
        char safe[RT_LOG_LINE_MAX * 2];
        logline_format(l->raw, strlen(l->raw), src, safe, sizeof safe);
        int width = escape_width(safe);
        int need = u->wrap && width > w ? (width + w - 1) / w : 1;
        if (need > y - top) need = y - top;
        y -= need;
        bool sel = !u->follow && seq == u->log_sel;
        theme_role role = sel ? ROLE_SELECTED : level_role(l->level);
        if (!u->wrap || need == 1) {
            if (sel) ui_fill(y, x, w, ROLE_SELECTED);
            ui_text_safe(y, x, w, role, safe);
        } else {
            /* split on character boundaries, w columns per row */
            const char *p = safe;
            for (int k = 0; k < need && *p; k++) {
                if (sel) ui_fill(y + k, x, w, ROLE_SELECTED);
                int used = ui_text_safe(y + k, x, w, role, p);
                /* advance p by the bytes of `used` columns */
                int cols = 0;
                while (*p && cols < used) {
                    wchar_t wc;
                    int len = mbtowc(&wc, p, 8);
                    if (len <= 0) { p++; cols++; continue; }
                    int cw = wcwidth(wc);
                    cols += cw > 0 ? cw : 0;
                    p += len;
                }
                if (used == 0) break;
            }
        }
    }
}
