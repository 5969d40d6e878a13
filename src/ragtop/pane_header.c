/* pane_header.c — the top line: project, host, clock, refresh interval,
 * overall status with its headline, and PAUSED / READ-ONLY markers. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
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
    char st[300];
    rt_fmt(st, sizeof st, " %s %s ", ui_sev_mark(u, u->st.overall), u->st.headline);
    x += ui_text(0, x, COLS - x, ui_sev_role(u->st.overall), st);
    if (u->paused) x += ui_text(0, x + 1, COLS - x - 1, ROLE_WARN, "PAUSED") + 1;
    if (u->opt->readonly) ui_text(0, x + 1, COLS - x - 1, ROLE_MUTED, "READ-ONLY");
}
