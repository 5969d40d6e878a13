/* pane_status.c — the two bottom lines. The status line shows the running
 * action with a progress bar and ETA (from the ingest's batch_done events)
 * or the last action's result / notice; the key bar is generated from the
 * key table (keys.c), like the help overlay and the man page. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "rag/timeutil.h"

static void keybar(ui *u, int y)
{
    ui_fill(y, 0, COLS, ROLE_KEYLABEL);
    size_t n;
    const key_def *t = keys_table(&n);
    int x = 0;
    for (size_t i = 0; i < n && x < COLS; i++) {
        if (!t[i].label) continue;
        if (t[i].action && u->opt->readonly) continue;
        char k[16];
        snprintf(k, sizeof k, "%.*s", (int)strcspn(t[i].keys, ","), t[i].keys);
        int need = (int)strlen(k) + (int)strlen(t[i].label) + 1;
        if (x + need > COLS) break;
        x += ui_text(y, x, COLS - x, ROLE_KEY, k);
        x += ui_text(y, x, COLS - x, ROLE_KEYLABEL, t[i].label);
        x += ui_text(y, x, COLS - x, ROLE_KEYLABEL, " ");
    }
}

void pane_status_draw(ui *u)
{
    int y = LINES - 2;
    ui_fill(y, 0, COLS, ROLE_NORMAL);
    if (u->overlay == OVL_FILTER) {
        int x = ui_text(y, 0, COLS, ROLE_ACCENT, "filter (regex, leading ! inverts, empty clears): ");
        x += ui_text(y, x, COLS - x, ROLE_NORMAL, u->input);
        move(y, x < COLS ? x : COLS - 1);
        keybar(u, LINES - 1);
        return;
    }
    const rt_action_state *a = &u->m->action;
    if (a->phase == RT_ACT_RUNNING) {
        char el[32];
        int64_t elapsed = rag_now_ms() - a->started_ms;
        rag_duration_format(elapsed, el, sizeof el);
        int x = ui_printf(y, 0, COLS, ROLE_ACCENT, " %s %s  %s ", u->ascii ? ">" : "\u25b6", a->label, el);
        if (a->total > 0) {
            int bw = COLS - x - 30;
            if (bw > 40) bw = 40;
            if (bw > 5) {
                int fill = (int)(a->done * bw / a->total);
                if (fill > bw) fill = bw;
                ui_fill(y, x, fill, ROLE_PROGRESS);
                ui_fill(y, x + fill, bw - fill, ROLE_SELECTED);
                x += bw + 1;
            }
            char eta[32] = "?";
            if (a->done > 0) rag_duration_format(elapsed * (a->total - a->done) / a->done, eta, sizeof eta);
            x += ui_printf(y, x, COLS - x, ROLE_NORMAL, "%lld%% %lld/%lld ETA %s", (long long)(a->done * 100 / a->total),
                           (long long)a->done, (long long)a->total, eta);
        } else {
            x += ui_text(y, x, COLS - x, ROLE_MUTED, "running (no progress events yet)");
        }
        /* a message that arrived meanwhile ("... is already running"), else
         * the action's last output line; o opens the whole output */
        if (u->m->notice[0] && strncmp(u->m->notice, "started: ", 9) != 0)
            ui_printf(y, x + 2, COLS - x - 2, ROLE_WARN, "| %s", u->m->notice);
        else if (a->last_line[0])
            ui_printf(y, x + 2, COLS - x - 2, ROLE_MUTED, "| %s  (o: output)", a->last_line);
        else
            ui_text(y, x + 2, COLS - x - 2, ROLE_MUTED, "(o: output)");
    } else if (u->m->notice[0]) {
        theme_role role = ROLE_NORMAL;
        bool result = a->phase == RT_ACT_DONE && strcmp(u->m->notice, a->result) == 0;
        if (result) role = a->exit_status == 0 ? ROLE_OK : ROLE_FAIL;
        int x = ui_printf(y, 0, COLS, role, " %s", u->m->notice);
        if (result && x < COLS - 12) ui_text(y, x, COLS - x, ROLE_MUTED, "  (o: output)");
    } else if (a->phase == RT_ACT_DONE) {
        ui_printf(y, 0, COLS, a->exit_status == 0 ? ROLE_OK : ROLE_FAIL, " last: %s", a->result);
    }
    keybar(u, LINES - 1);
}
