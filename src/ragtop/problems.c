/* problems.c — the Problems view (`!`, or Enter on the header): every check
 * of the one status evaluation that is not OK, worst first, each with its
 * summary, its details and the key that fixes it (the fix table in
 * status.c, the same one `--once` prints). Up/Down select a problem (the
 * selection follows it, by its check's name, when the list re-sorts); its
 * fix key or Enter runs the fix on the check's own service. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
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
    else if (strcmp(f->fix, "rollback") == 0) rt_fmt(out, n, "%c: roll back to the previous generation (%s)", f->key, argv);
    else rt_fmt(out, n, "%c: %s %s (%s)", f->key, f->fix, svc->name, argv);
}

bool problems_follow(ui *u, const rt_check *const *list, size_t n)
{
    bool found = false;
    for (size_t k = 0; k < n && u->prob_sel_name[0] && !found; k++)
        if (strcmp(list[k]->name, u->prob_sel_name) == 0) {
            u->prob_sel = (int)k;
            found = true;
        }
    problems_select(u, list, n, u->prob_sel);
    return found;
}

void problems_select(ui *u, const rt_check *const *list, size_t n, int k)
{
    if (k >= (int)n) k = (int)n - 1;
    if (k < 0) k = 0;
    u->prob_sel = k;
    rt_fmt(u->prob_sel_name, sizeof u->prob_sel_name, "%s", n ? list[k]->name : "");
}

#define INDENT 10

typedef struct line { int item; theme_role role; char text[256]; } line;
/* The laid-out lines of every problem: no limit, so the last problem of a
 * long list is drawn and can be selected like the first. */
typedef struct lines { line *v; int n, cap; } lines;

static line *lines_push(lines *ls)
{
    if (ls->n == ls->cap) {
        ls->cap = ls->cap ? ls->cap * 2 : 256;
        ls->v = rag_xrealloc(ls->v, (size_t)ls->cap * sizeof *ls->v);
    }
    return &ls->v[ls->n++];
}

/* Append text wrapped at w columns (at a space when it can, never inside
 * a UTF-8 character); lines after the first, and all lines when indent > 0,
 * are indented by INDENT. */
static void push_wrapped(lines *ls, int item, theme_role role, int indent, int w, const char *text)
{
    size_t len = strlen(text), at = 0;
    bool first = true;
    do {
        int ind = first && !indent ? 0 : INDENT;
        size_t room = w - ind > 20 ? (size_t)(w - ind) : 20, take = len - at;
        if (take > room) {
            take = room;
            size_t sp = take;
            while (sp > room / 2 && text[at + sp] != ' ') sp--;
            if (text[at + sp] == ' ') take = sp + 1;
            while (take > 1 && ((unsigned char)text[at + take] & 0xC0) == 0x80) take--;
        }
        if (take > 200) take = 200;
        line *l = lines_push(ls);
        l->item = item;
        l->role = role;
        rt_fmt(l->text, sizeof l->text, "%*s%.*s", ind, "", (int)take, text + at);
        at += take;
        first = false;
    } while (at < len);
}

void problems_draw(ui *u)
{
    const rt_check **list = rag_xcalloc(u->st.n + 1, sizeof *list);
    size_t n = problems_list(u, list, u->st.n);
    int h = LINES - 2, w = COLS - 4;
    rect r = {(LINES - h) / 2, (COLS - w) / 2, h, w};
    for (int y = r.y; y < r.y + r.h; y++) ui_fill(y, r.x, r.w, ROLE_NORMAL);
    char title[160];
    rt_fmt(title, sizeof title, "Problems: %zu (Up/Down select, Enter or its key fixes, Esc closes)", n);
    ui_box(u, r, title, true);
    int x = r.x + 2, tw = r.w - 4, top = r.y + 1, bottom = r.y + r.h - 1;
    if (n == 0) {
        ui_text(top, x, tw, ROLE_OK, "No problems: every check passes.");
        free(list);
        return;
    }
    problems_follow(u, list, n);
    /* lay out every problem (summary wrapped, details, fix), then show the
     * window that keeps the selected one's first line visible */
    lines ls = {0};
    int sel_first = 0, sel_last = 0;
    for (size_t k = 0; k < n; k++) {
        const rt_check *c = list[k];
        if ((int)k == u->prob_sel) sel_first = ls.n;
        char head[400];
        rt_fmt(head, sizeof head, "%s %-7s %s: %s", ui_sev_mark(u, c->severity), rt_severity_name(c->severity), c->name, c->summary);
        push_wrapped(&ls, (int)k, ui_sev_role(c->severity), 0, tw, head);
        for (const char *p = c->details; *p;) {
            size_t l = strcspn(p, "\n");
            char d[400];
            rt_fmt(d, sizeof d, "%.*s", (int)l, p);
            push_wrapped(&ls, (int)k, ROLE_MUTED, INDENT, tw, d);
            p += l;
            if (*p) p++;
        }
        char fix[300], text[320];
        problems_fix_text(u, c, fix, sizeof fix);
        rt_fmt(text, sizeof text, "fix: %s", fix[0] ? fix : "no action in services.yml fixes this");
        push_wrapped(&ls, (int)k, fix[0] ? ROLE_ACCENT : ROLE_MUTED, INDENT, tw, text);
        if ((int)k == u->prob_sel) sel_last = ls.n - 1;
    }
    int rows = bottom - top;
    if (u->ovl_scroll > sel_first) u->ovl_scroll = sel_first;
    if (sel_last - u->ovl_scroll >= rows) u->ovl_scroll = sel_last - rows + 1;
    if (u->ovl_scroll > sel_first) u->ovl_scroll = sel_first;
    if (u->ovl_scroll < 0) u->ovl_scroll = 0;
    for (int i = 0; i < rows && u->ovl_scroll + i < ls.n; i++) {
        const line *l = &ls.v[u->ovl_scroll + i];
        bool sel = l->item == u->prob_sel;
        if (sel) ui_fill(top + i, x - 1, tw + 2, ROLE_SELECTED);
        ui_text(top + i, x, tw, sel && l->role == ROLE_NORMAL ? ROLE_SELECTED : l->role, l->text);
    }
    free(ls.v);
    free(list);
}
