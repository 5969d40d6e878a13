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

/* Which keys the bar keeps when it is narrow: lower ranks stay longest.
 * ? (help) always stays; keys without a rank go first. */
static int bar_rank(key_cmd cmd)
{
    switch (cmd) {
    case CMD_HELP: return 0;
    case CMD_QUIT: return 1;
    case CMD_INGEST: return 2;
    case CMD_RESTART: case CMD_STOP: case CMD_START: return 3;
    case CMD_SEARCH: return 4;
    case CMD_FILTER: return 5;
    case CMD_ALERTS: return 6;
    case CMD_ZOOM: return 7;
    case CMD_LEVEL: return 8;
    case CMD_FOLLOW: return 9;
    case CMD_COPY: return 10;
    case CMD_PAUSE: return 11;
    default: return 50;
    }
}

static int bar_width(const key_def *k)
{
    return (int)strcspn(k->keys, ",") + (int)strlen(k->label) + 1;
}

static void keybar(ui *u, int y)
{
    ui_fill(y, 0, COLS, ROLE_KEYLABEL);
    size_t n;
    const key_def *t = keys_table(&n);
    bool keep[64] = {false};
    /* take keys by rank while they fit, then draw them in table order */
    int used = 0;
    for (int rank = 0; rank <= 50; rank++)
        for (size_t i = 0; i < n && i < 64; i++) {
            if (!t[i].label || bar_rank(t[i].cmd) != rank) continue;
            if (t[i].action && u->opt->readonly) continue;
            if (used + bar_width(&t[i]) > COLS) continue;
            keep[i] = true;
            used += bar_width(&t[i]);
        }
    int x = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        if (!keep[i]) continue;
        char k[16];
        snprintf(k, sizeof k, "%.*s", (int)strcspn(t[i].keys, ","), t[i].keys);
        x += ui_text_clip(y, x, COLS - x, ROLE_KEY, k);
        x += ui_text_clip(y, x, COLS - x, ROLE_KEYLABEL, t[i].label);
        x += 1;
    }
}

void pane_status_draw(ui *u)
{
    int y = LINES - 2;
    ui_fill(y, 0, COLS, ROLE_NORMAL);
    if (u->overlay == OVL_PROMPT) {
        const char *label = u->prompt == PROMPT_SEARCH ? "search /"
                            : u->prompt_raw ? "filter raw JSON (Ctrl-R: shown text, ! inverts) &"
                                            : "filter (Ctrl-R: raw JSON, ! inverts, empty clears) &";
        int x = ui_text(y, 0, COLS, ROLE_ACCENT, label);
        /* keep the cursor on screen: show the end of a long pattern */
        int room = COLS - x - 1, cur = lineedit_cursor_cols(&u->input);
        int skip = cur > room ? cur - room : 0;
        ui_text_view(y, x, COLS - x, ROLE_NORMAL, u->input.text, skip, NULL, 0);
        move(y, x + cur - skip < COLS ? x + cur - skip : COLS - 1);
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
