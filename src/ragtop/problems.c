/* problems.c — the Problems view (`!`, or Enter on the header): every check
 * of the one status evaluation that is not OK, worst first, each with its
 * summary, its details and the key that fixes it (the fix table in
 * status.c, the same one `--once` prints). Up/Down select a problem; its
 * fix key or Enter runs the fix on the check's own service. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "action.h"

size_t problems_list(const ui *u, const rt_check **out, size_t max)
{
    size_t n = 0;
    for (int rank = 4; rank >= 1; rank--)
        for (size_t i = 0; i < u->st.n && n < max; i++)
            if (status_rank(&u->st.checks[i]) == rank) out[n++] = &u->st.checks[i];
    return n;
}

void problems_fix_text(const ui *u, const rt_check *c, char *out, size_t n)
{
    out[0] = '\0';
    const rag_service *svc;
    const rt_fix_def *f = status_fix_def(c->fix);
    const rag_action *a = status_fix_action(&u->m->snap, c, &svc);
    if (!f || !a) return;
    char argv[256];
    action_argv_text(a, argv, sizeof argv);
    if (strcmp(f->fix, "ingest") == 0) rt_fmt(out, n, "%c: ingest (%s)", f->key, argv);
    else rt_fmt(out, n, "%c: %s %s (%s)", f->key, f->fix, svc->name, argv);
}

#define MAX_PROBLEMS 64

void problems_draw(ui *u)
{
    const rt_check *list[MAX_PROBLEMS];
    size_t n = problems_list(u, list, MAX_PROBLEMS);
    int h = LINES - 2, w = COLS - 4;
    rect r = {(LINES - h) / 2, (COLS - w) / 2, h, w};
    for (int y = r.y; y < r.y + r.h; y++) ui_fill(y, r.x, r.w, ROLE_NORMAL);
    char title[160];
    rt_fmt(title, sizeof title, "Problems: %zu (Up/Down select, Enter or its key fixes, Esc closes)", n);
    ui_box(u, r, title, true);
    int x = r.x + 2, tw = r.w - 4, top = r.y + 1, bottom = r.y + r.h - 1;
    if (n == 0) {
        ui_text(top, x, tw, ROLE_OK, "No problems: every check passes.");
        return;
    }
    if (u->prob_sel >= (int)n) u->prob_sel = (int)n - 1;
    if (u->prob_sel < 0) u->prob_sel = 0;
    /* lay out every problem (summary wrapped, details, fix), then show the
     * window that keeps the selected one's first line visible */
    typedef struct { int item; theme_role role; char text[256]; } line;
    static line lines[1024];
    int nl = 0, sel_first = 0, sel_last = 0;
    for (size_t k = 0; k < n && nl < 1000; k++) {
        const rt_check *c = list[k];
        if ((int)k == u->prob_sel) sel_first = nl;
        char head[400];
        rt_fmt(head, sizeof head, "%s %-7s %s: %s", ui_sev_mark(u, c->severity), rt_severity_name(c->severity), c->name, c->summary);
        /* wrap the head at tw columns (escaped later by ui_text) */
        for (size_t at = 0, len = strlen(head); at < len && nl < 1000;) {
            size_t take = len - at > (size_t)tw - 2 ? (size_t)tw - 2 : len - at;
            if (take > 255) take = 255;
            while (take > 1 && at + take < len && ((unsigned char)head[at + take] & 0xC0) == 0x80) take--;
            lines[nl].item = (int)k;
            lines[nl].role = at == 0 ? ui_sev_role(c->severity) : ROLE_NORMAL;
            rt_fmt(lines[nl].text, sizeof lines[nl].text, "%s%.*s", at ? "          " : "", (int)take, head + at);
            nl++;
            at += take;
        }
        for (const char *p = c->details; *p && nl < 1000;) {
            size_t l = strcspn(p, "\n");
            lines[nl].item = (int)k;
            lines[nl].role = ROLE_MUTED;
            rt_fmt(lines[nl].text, sizeof lines[nl].text, "          %.*s", (int)l, p);
            nl++;
            p += l;
            if (*p) p++;
        }
        char fix[300];
        problems_fix_text(u, c, fix, sizeof fix);
        lines[nl].item = (int)k;
        lines[nl].role = fix[0] ? ROLE_ACCENT : ROLE_MUTED;
        rt_fmt(lines[nl].text, sizeof lines[nl].text, "          fix: %s", fix[0] ? fix : "no action in services.yml fixes this");
        nl++;
        sel_last = (int)k == u->prob_sel ? nl - 1 : sel_last;
    }
    int rows = bottom - top;
    if (u->ovl_scroll > sel_first) u->ovl_scroll = sel_first;
    if (sel_last - u->ovl_scroll >= rows) u->ovl_scroll = sel_last - rows + 1;
    if (u->ovl_scroll > sel_first) u->ovl_scroll = sel_first;
    if (u->ovl_scroll < 0) u->ovl_scroll = 0;
    for (int i = 0; i < rows && u->ovl_scroll + i < nl; i++) {
        const line *l = &lines[u->ovl_scroll + i];
        bool sel = l->item == u->prob_sel;
        if (sel) ui_fill(top + i, x - 1, tw + 2, ROLE_SELECTED);
        ui_text(top + i, x, tw, sel && l->role == ROLE_NORMAL ? ROLE_SELECTED : l->role, l->text);
    }
}
