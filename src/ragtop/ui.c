/* ui.c — drawing helpers for the panes: escaped, clipped text; boxes
 * with titles (line drawing or ASCII); sparklines (block glyphs or ASCII
 * ramps); severity marks. Untrusted text only reaches the terminal through
 * ui_text, which escapes it first. */
#include "ui.h"
#include "spark.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "escape.h"
#include "rag/timeutil.h"

int ui_text(int y, int x, int w, theme_role role, const char *text)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    char buf[4096];
    escape_text(text, strlen(text), buf, sizeof buf, true);
    return ui_text_safe(y, x, w, role, buf);
}

static bool ascii_only;

void ui_set_ascii(bool ascii) { ascii_only = ascii; }
const char *ui_ellipsis(void) { return ascii_only ? "~" : "\u2026"; }

int ui_text_safe(int y, int x, int w, theme_role role, const char *buf)
{
    return ui_text_view(y, x, w, role, buf, 0, NULL, 0);
}

int ui_text_clip(int y, int x, int w, theme_role role, const char *buf)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    if (x + w > COLS) w = COLS - x;
    wchar_t wbuf[1024];
    mbstate_t ps = {0};
    const char *src = buf;
    size_t n = mbsrtowcs(wbuf, &src, 1023, &ps);
    if (n == (size_t)-1) return 0;
    int used = 0;
    size_t k = 0;
    for (; k < n; k++) {
        int cw = wcwidth(wbuf[k]);
        if (cw < 0) cw = 1;
        if (used + cw > w) break;
        used += cw;
    }
    attrset(theme_attr(role));
    mvaddnwstr(y, x, wbuf, (int)k);
    attrset(A_NORMAL);
    return used;
}

static int view(int y, int x, int w, theme_role role, const char *buf, int skip, const ui_span *hl, size_t nhl, bool marks);

int ui_text_view(int y, int x, int w, theme_role role, const char *buf, int skip, const ui_span *hl, size_t nhl)
{
    return view(y, x, w, role, buf, skip, hl, nhl, true);
}

int ui_text_wrapped_row(int y, int x, int w, theme_role role, const char *buf, int row, const ui_span *hl, size_t nhl)
{
    return view(y, x, w, role, buf, row * w, hl, nhl, false);
}

static int view(int y, int x, int w, theme_role role, const char *buf, int skip, const ui_span *hl, size_t nhl, bool marks)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    if (x + w > COLS) w = COLS - x;
    enum { MAXC = 4 * RT_LOG_LINE_MAX }; /* a whole escaped line */
    static wchar_t wc[MAXC];
    static int off[MAXC], cw[MAXC];
    size_t n = 0, bl = strlen(buf);
    mbstate_t ps = {0};
    for (size_t i = 0; i < bl && n < MAXC;) {
        wchar_t c;
        size_t r = mbrtowc(&c, buf + i, bl - i, &ps);
        if (r == (size_t)-1 || r == (size_t)-2 || r == 0) { c = L'?'; r = 1; memset(&ps, 0, sizeof ps); }
        int width = wcwidth(c);
        wc[n] = c;
        off[n] = (int)i;
        cw[n] = width < 0 ? 1 : width;
        n++;
        i += r;
    }
    size_t content = n; /* trailing padding is drawn but is not content to mark as cut */
    while (content > 0 && wc[content - 1] == L' ') content--;
    /* skip `skip` columns (horizontal scroll) */
    size_t first = 0;
    for (int s = 0; first < n && s + cw[first] <= skip; first++) s += cw[first];
    int total = 0;
    for (size_t k = first; k < content; k++) total += cw[k];
    bool cut_left = marks && first > 0, cut_right = marks && total > w;
    int room = w - (cut_right ? 1 : 0), used = 0;
    int attr = theme_attr(role);
    if (cut_left && room > 0) {
        attrset(attr);
        mvaddstr(y, x, ui_ellipsis());
        used = 1;
        first++;
        while (first < n && cw[first] == 0) first++;
    }
    size_t k = first;
    while (k < n && used + cw[k] <= room) {
        /* a run of characters with the same highlight */
        bool lit = false;
        for (size_t h = 0; h < nhl; h++) lit |= off[k] >= hl[h].start && off[k] < hl[h].end;
        size_t e = k;
        int run = 0;
        while (e < n && used + run + cw[e] <= room) {
            bool l2 = false;
            for (size_t h = 0; h < nhl; h++) l2 |= off[e] >= hl[h].start && off[e] < hl[h].end;
            if (l2 != lit) break;
            run += cw[e];
            e++;
        }
        attrset(lit ? (attr | (int)A_REVERSE | (int)A_BOLD) : attr);
        mvaddnwstr(y, x + used, wc + k, (int)(e - k));
        used += run;
        k = e;
    }
    if (cut_right && k < content) {
        attrset(attr);
        mvaddstr(y, x + used, ui_ellipsis());
        used++;
    }
    attrset(A_NORMAL);
    return used;
}

int ui_printf(int y, int x, int w, theme_role role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ui_text(y, x, w, role, buf);
}

void ui_fill(int y, int x, int w, theme_role role)
{
    if (y < 0 || y >= LINES) return;
    attrset(theme_attr(role));
    for (int i = 0; i < w && x + i < COLS; i++) mvaddch(y, x + i, ' ');
    attrset(A_NORMAL);
}

void ui_box(const ui *u, rect r, const char *title, bool focused)
{
    if (r.h < 2 || r.w < 4) return;
    int a = theme_attr(focused ? ROLE_FOCUS : ROLE_BORDER);
    attrset(a);
    if (u->ascii) {
        mvhline(r.y, r.x + 1, '-', r.w - 2);
        mvhline(r.y + r.h - 1, r.x + 1, '-', r.w - 2);
        mvvline(r.y + 1, r.x, '|', r.h - 2);
        mvvline(r.y + 1, r.x + r.w - 1, '|', r.h - 2);
        mvaddch(r.y, r.x, '+');
        mvaddch(r.y, r.x + r.w - 1, '+');
        mvaddch(r.y + r.h - 1, r.x, '+');
        mvaddch(r.y + r.h - 1, r.x + r.w - 1, '+');
    } else {
        mvhline(r.y, r.x + 1, ACS_HLINE, r.w - 2);
        mvhline(r.y + r.h - 1, r.x + 1, ACS_HLINE, r.w - 2);
        mvvline(r.y + 1, r.x, ACS_VLINE, r.h - 2);
        mvvline(r.y + 1, r.x + r.w - 1, ACS_VLINE, r.h - 2);
        mvaddch(r.y, r.x, ACS_ULCORNER);
        mvaddch(r.y, r.x + r.w - 1, ACS_URCORNER);
        mvaddch(r.y + r.h - 1, r.x, ACS_LLCORNER);
        mvaddch(r.y + r.h - 1, r.x + r.w - 1, ACS_LRCORNER);
    }
    attrset(A_NORMAL);
    if (title) {
        char t[600];
        snprintf(t, sizeof t, " %s%s ", title, focused && u->zoom ? " [zoom]" : "");
        ui_text(r.y, r.x + 2, r.w - 4, focused ? ROLE_FOCUS : ROLE_TITLE, t);
    }
}

void ui_spark(const ui *u, int y, int x, int w, const int64_t *vals, size_t n, theme_role role)
{
    if (w <= 0) return;
    size_t first = n > (size_t)w ? n - (size_t)w : 0;
    int64_t mx = 0, mn = -1;
    for (size_t i = first; i < n; i++) {
        if (vals[i] > mx) mx = vals[i];
        if (vals[i] >= 0 && (mn < 0 || vals[i] < mn)) mn = vals[i];
    }
    int col = x;
    for (size_t i = first; i < n; i++, col++) {
        /* scale between the smallest and the largest value shown */
        int lvl = spark_level_relative(vals[i], mn, mx);
        ui_text(y, col, 1, lvl < 0 ? ROLE_FAIL : role, spark_glyph(lvl, u->ascii));
    }
}

theme_role ui_sev_role(rt_severity s)
{
    switch (s) {
    case RT_OK: return ROLE_OK;
    case RT_WARN: return ROLE_WARN;
    case RT_CRIT: return ROLE_FAIL;
    default: return ROLE_STALE;
    }
}

const char *ui_sev_mark(const ui *u, rt_severity s)
{
    if (u->ascii) {
        switch (s) {
        case RT_OK: return "[ok]";
        case RT_WARN: return "[!!]";
        case RT_CRIT: return "[XX]";
        default: return "[??]";
        }
    }
    switch (s) {
    case RT_OK: return "\u2714";
    case RT_WARN: return "\u25b2";
    case RT_CRIT: return "\u2716";
    default: return "?";
    }
}

void ui_clock(int64_t ms, char *out, size_t n, bool with_date)
{
    if (ms <= 0) {
        snprintf(out, n, "-");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
}

int ui_draw_rollout(ui *u, int y, int x, int w, int label_w, int last, bool mark)
{
    const rt_snapshot *s = &u->m->snap;
    size_t replicated = 0;
    for (size_t i = 0; i < s->n_probes; i++) replicated += s->probes[i].replicated;
    int y0 = y;
    for (size_t i = 0; i < s->n_probes && y < last; i++) {
        rt_rollout r;
        if (!s->probes[i].probed || !status_rollout(&s->probes[i], &r)) continue;
        char text[320], name[80];
        status_rollout_text(&r, rag_now_ms(), text, sizeof text);
        rt_fmt(name, sizeof name, "rollout:%s", s->probes[i].service);
        const rt_check *c = status_find(&u->st, name);
        rt_severity sev = c ? c->severity : RT_OK;
        ui_text(y, x, label_w, ROLE_MUTED, "Rollout");
        /* one part per row: "2/3 serve gen-X," then "1 serves gen-W (for 4m)",
         * the age on a row of its own when the row is too narrow for it */
        const char *part = text;
        bool first = true;
        int avail = w - label_w - (mark ? 2 : 0);
        while (*part && y < last) {
            while (*part == ' ') part++;
            const char *cut = strstr(part, ", ");
            int len = cut ? (int)(cut - part) + 1 : (int)strlen(part);
            const char *paren = strstr(part, " (");
            if (len > avail && paren && paren < part + len) len = (int)(paren - part);
            ui_printf(y++, x + label_w, w - label_w, ui_sev_role(sev), "%s%s%s%s%.*s",
                      mark && first ? ui_sev_mark(u, sev) : "", mark && first ? " " : "",
                      first && replicated > 1 ? s->probes[i].service : "", first && replicated > 1 ? " " : "",
                      len, part);
            part += len;
            if (*part == ',') part++;
            first = false;
        }
    }
    return y - y0;
}

/* ------------------------------------------------------- terminal check */
/* Last in the file: term.h's capability macros (lines, columns, …) would
 * clash with names above. */
#include <term.h>
#include <unistd.h>

bool ui_terminal_known(const char *term)
{
    int err = 0;
    if (setupterm(term, STDOUT_FILENO, &err) != OK) return false;
    del_curterm(cur_term);
    return true;
}
