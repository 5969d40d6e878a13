/* pane_fleet.c — the Contexts overlay (key c): the fleet overview from
 * fleet.c, one row per context of contexts.yaml — verdict, worst check,
 * served generation, index age — with the context shown marked; Enter
 * switches to the selected one (console.c). Draws only the rows the fleet
 * worker published: no disk or network here. */
#include <curses.h>
#include <string.h>

#include "fleet.h"
#include "ui.h"
#include "rag/timeutil.h"

void fleet_draw(ui *u)
{
    int h = LINES - 2, w = COLS - 4;
    rect r = {1, 2, h, w};
    for (int y = r.y; y < r.y + r.h; y++) ui_fill(y, r.x, r.w, ROLE_NORMAL);
    ui_box(u, r, "Contexts (Enter: switch, any other key closes)", true);
    int x = r.x + 2, cw = r.w - 4, y = r.y + 1, end = r.y + r.h - 1;
    rt_fleet_row rows[RT_CONTEXTS_MAX];
    size_t n = u->fleet ? fleet_rows(u->fleet, rows, RT_CONTEXTS_MAX) : 0;
    ui_printf(y++, x, cw, ROLE_TITLE, "  %-16s %-6s %-7s %-22s %-34s %s", "CONTEXT", "KIND", "STATUS", "WORST CHECK",
              "GENERATION", "AGE");
    for (size_t i = 0; i < n && y < end; i++, y++) {
        const rt_fleet_row *f = &rows[i];
        bool sel = (int)i == u->ctx_sel;
        bool cur = strcmp(f->name, u->context) == 0;
        char age[40] = "-";
        if (f->age_ms >= 0) rag_age_format(f->age_ms, age, sizeof age);
        theme_role role = sel ? ROLE_SELECTED : ROLE_NORMAL;
        ui_fill(y, x, cw, role);
        int cx = x + ui_printf(y, x, cw, role, "%s %-16.16s %-6s ", cur ? "*" : " ", f->name, f->remote ? "remote" : "local");
        if (!f->done) {
            ui_text(y, cx, x + cw - cx, ROLE_MUTED, "checking...");
            continue;
        }
        char mark[16];
        rt_fmt(mark, sizeof mark, "%-7s ", rt_severity_name(f->overall));
        cx += ui_text(y, cx, x + cw - cx, sel ? role : ui_sev_role(f->overall), mark);
        ui_printf(y, cx, x + cw - cx, role, "%-22.22s %-34.34s %s%s%s", f->worst[0] ? f->worst : "-",
                  f->generation[0] ? f->generation : "-", age, f->worst_summary[0] ? "  " : "", f->worst_summary);
    }
    if (n == 0 && y < end) ui_text(y, x, cw, ROLE_MUTED, "no contexts");
}
