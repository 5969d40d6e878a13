/* ui.c — drawing helpers for the panes: escaped, clipped text; boxes
 * with titles (line drawing or ASCII); sparklines (block glyphs or ASCII
 * ramps); severity marks. Untrusted text only reaches the terminal through
 * ui_text, which escapes it first. */
#include "ui.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "escape.h"

int ui_text(int y, int x, int w, theme_role role, const char *text)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    char buf[4096];
    escape_text(text, strlen(text), buf, sizeof buf, true);
    return ui_text_safe(y, x, w, role, buf);
}

int ui_text_safe(int y, int x, int w, theme_role role, const char *buf)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    if (x + w > COLS) w = COLS - x;
    /* clip to w columns on a character boundary */
    wchar_t wbuf[1024];
    mbstate_t ps = {0};
    const char *src = buf;
    size_t n = mbsrtowcs(wbuf, &src, 1023, &ps);
    if (n == (size_t)-1) return 0;
    wbuf[n] = 0;
    int used = 0;
    size_t k = 0;
    for (; k < n; k++) {
        int cw = wcwidth(wbuf[k]);
        if (cw < 0) cw = 1;
        if (used + cw > w) break;
        used += cw;
    }
    wbuf[k] = 0;
    attrset(theme_attr(role));
    mvaddnwstr(y, x, wbuf, (int)k);
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
        char t[128];
        snprintf(t, sizeof t, " %s%s ", title, focused && u->zoom ? " [zoom]" : "");
        ui_text(r.y, r.x + 2, r.w - 4, focused ? ROLE_FOCUS : ROLE_TITLE, t);
    }
}

void ui_spark(const ui *u, int y, int x, int w, const int64_t *vals, size_t n, theme_role role)
{
    static const char *blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char ramp[] = "_.-:=+*#";
    if (w <= 0) return;
    size_t first = n > (size_t)w ? n - (size_t)w : 0;
    int64_t mx = 0, mn = -1;
    for (size_t i = first; i < n; i++) {
        if (vals[i] > mx) mx = vals[i];
        if (vals[i] >= 0 && (mn < 0 || vals[i] < mn)) mn = vals[i];
    }
    int col = x;
    for (size_t i = first; i < n; i++, col++) {
        if (vals[i] < 0) {
            ui_text(y, col, 1, ROLE_FAIL, u->ascii ? "x" : "\u2717");
            continue;
        }
        /* scale between the smallest and the largest value shown */
        int lvl = mx > mn ? (int)(((vals[i] - mn) * 6 + (mx - mn) / 2) / (mx - mn)) + 1 : 3;
        if (lvl < 0) lvl = 0;
        if (lvl > 7) lvl = 7;
        if (u->ascii) {
            char s[2] = {ramp[lvl], 0};
            ui_text(y, col, 1, role, s);
        } else {
            ui_text(y, col, 1, role, blocks[lvl]);
        }
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
