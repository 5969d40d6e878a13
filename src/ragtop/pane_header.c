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
    int x = ui_printf(0, 0, COLS, ROLE_HEADER, " ragtop  %s@%s  %s  every %s ", project, host, clock, iv);
    bool focused = u->focus == PANE_HEADER;
    if (focused) x += ui_text(0, x, COLS - x, ROLE_FOCUS, u->ascii ? ">" : "\u25b6");
    char st[300];
    rt_fmt(st, sizeof st, " %s %s ", ui_sev_mark(u, u->st.overall), u->st.headline);
    /* the fix key and `!` go first when the line is short: cut the headline */
    const rt_check *worst[1];
    char fix[200] = "", tail[240];
    if (problems_list(u, worst, 1)) problems_fix_text(u, worst[0], fix, sizeof fix);
    char *argv = strstr(fix, " (");
    if (argv) *argv = '\0'; /* "a: start api", without the argv */
    rt_fmt(tail, sizeof tail, "%s%s%s", fix[0] ? " " : "", fix, u->st.overall != RT_OK ? "  ! problems" : "");
    int tail_w = (int)strlen(tail);
    int room = COLS - x - tail_w;
    if (room < 20) room = COLS - x;
    x += ui_text(0, x, room, ui_sev_role(u->st.overall), st);
    if (tail[0] && x + tail_w <= COLS) x += ui_text(0, x, COLS - x, ROLE_HEADER, tail);
    if (u->paused) x += ui_text(0, x + 1, COLS - x - 1, ROLE_WARN, "PAUSED") + 1;
    if (u->opt->readonly) ui_text(0, x + 1, COLS - x - 1, ROLE_MUTED, "READ-ONLY");
}
