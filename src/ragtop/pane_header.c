/* pane_header.c — the top line: project, host, clock, refresh interval,
 * overall status with its headline, the key that fixes the worst problem
 * and `!` for the Problems view, and PAUSED / READ-ONLY markers. The
 * header takes focus (Tab) like a pane: Enter on it opens Problems. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rag/timeutil.h"

/* Cut s to at most cols characters, the last one an ellipsis when cut
 * (characters = UTF-8 code points; the header's text is ASCII but for the
 * marks). Returns the characters kept. */
static int cut_to(char *s, int cols, bool ascii)
{
    int chars = 0;
    size_t i = 0, cut = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80) continue;
        if (chars == cols - 1) cut = i;
        chars++;
    }
    if (chars <= cols || cols < 1) return chars;
    rt_fmt(s + cut, 4, "%s", ascii ? "~" : "\u2026");
    return cols;
}

void pane_header_draw(ui *u)
{
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    char clock[32], iv[32];
    ui_clock(rag_now_ms(), clock, sizeof clock, false);
    rag_duration_format(u->interval_ms, iv, sizeof iv);
    const rt_snapshot *s = &u->m->snap;
    const char *project = s->config.rc == RAG_OK && s->config.cfg.project ? s->config.cfg.project : "-";
    ui_fill(0, 0, COLS, ROLE_HEADER);
    /* narrow screens keep the verdict and drop project, host and interval */
    int x = COLS >= 120 ? ui_printf(0, 0, COLS, ROLE_HEADER, " ragtop  %s@%s  %s  every %s ", project, host, clock, iv)
                        : ui_printf(0, 0, COLS, ROLE_HEADER, " ragtop  %s ", clock);
    if (u->context[0]) /* the context shown (key c switches) */
        x += ui_printf(0, x, COLS - x, ROLE_ACCENT, "[%s%s] ", u->context, s->remote.on ? " remote" : "");
    bool focused = u->focus == PANE_HEADER;
    if (focused) x += ui_text(0, x, COLS - x, ROLE_FOCUS, u->ascii ? ">" : "\u25b6");
    char st[300];
    rt_fmt(st, sizeof st, " %s %s ", ui_sev_mark(u, u->st.overall), u->st.headline);
    /* the worst problem's fix key and `!` always show: the headline is cut */
    const rt_check *worst[1];
    char fix[200] = "", tail[240];
    if (problems_list(u, worst, 1)) problems_fix_text(u, worst[0], fix, sizeof fix);
    char *argv = strstr(fix, " (");
    if (argv) *argv = '\0'; /* "a: start api", without the argv */
    rt_fmt(tail, sizeof tail, "%s%s%s", fix[0] ? " " : "", fix,
           u->st.overall == RT_OK ? "" : COLS >= 100 ? "  ! problems" : "  !");
    int tail_w = (int)strlen(tail);
    int room = COLS - x - tail_w;
    if (room < 16) { room = COLS - x; tail[0] = '\0'; }
    cut_to(st, room, u->ascii);
    x += ui_text(0, x, room, ui_sev_role(u->st.overall), st);
    if (tail[0]) x += ui_text(0, x, COLS - x, ROLE_HEADER, tail);
    if (u->paused) x += ui_text(0, x + 1, COLS - x - 1, ROLE_WARN, "PAUSED") + 1;
    if (u->opt->readonly) ui_text(0, x + 1, COLS - x - 1, ROLE_MUTED, "READ-ONLY");
}
