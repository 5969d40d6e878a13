/* pane_runs.c — recent ingestion runs (ingestion_metrics.jsonl), newest
 * first: status, start, duration, files, chunks, errors, with sparklines of
 * duration and chunk count over the runs kept in the title line. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "rag/timeutil.h"

void pane_runs_draw(ui *u, rect r)
{
    const rt_snapshot *s = &u->m->snap;
    ui_box(u, r, "Runs", u->focus == PANE_RUNS);
    int y = r.y + 1, x = r.x + 2, w = r.w - 4, last = r.y + r.h - 1;
    if (s->n_runs > 1 && r.w > 50) {
        int64_t dur[RT_MAX_RUNS], ch[RT_MAX_RUNS];
        for (size_t i = 0; i < s->n_runs; i++) {
            dur[i] = s->runs[i].duration_ms;
            ch[i] = s->runs[i].ok ? s->runs[i].chunks : -1;
        }
        int sw = (r.w - 40) / 2;
        if (sw > 16) sw = 16;
        int cx = r.x + 10;
        cx += ui_text(r.y, cx, 10, ROLE_MUTED, " duration ");
        ui_spark(u, r.y, cx, sw, dur, s->n_runs, ROLE_ACCENT);
        cx += (int)(s->n_runs < (size_t)sw ? s->n_runs : (size_t)sw);
        cx += ui_text(r.y, cx, 9, ROLE_MUTED, "  chunks ");
        ui_spark(u, r.y, cx, sw, ch, s->n_runs, ROLE_ACCENT);
    }
    if (s->n_runs == 0 && s->runs_error[0]) {
        if (y < last) ui_printf(y, x, w, ROLE_WARN, "cannot read the run history: %s", s->runs_error);
        return;
    }
    if (s->n_runs == 0) {
        if (y < last) ui_text(y, x, w, ROLE_MUTED, "no ingestion runs recorded yet (press i to ingest)");
        return;
    }
    if (y < last) ui_printf(y++, x, w, ROLE_MUTED, "%-11s %-19s %9s %6s %7s %6s  %s", "STATUS", "STARTED", "DURATION", "FILES", "CHUNKS", "ERRORS", "RUN");
    int rows = last - y;
    if (u->run_sel >= (int)s->n_runs) u->run_sel = (int)s->n_runs - 1;
    if (u->run_sel < 0) u->run_sel = 0;
    int first = u->run_sel >= rows ? u->run_sel - rows + 1 : 0;
    for (int k = first; k < (int)s->n_runs && y < last; k++, y++) {
        const rt_run *run = &s->runs[s->n_runs - 1 - (size_t)k];
        bool sel = k == u->run_sel && u->focus == PANE_RUNS;
        if (sel) ui_fill(y, x - 1, w + 2, ROLE_SELECTED);
        char t[32], d[32];
        ui_clock(run->started_ms, t, sizeof t, true);
        rag_duration_format(run->duration_ms, d, sizeof d);
        char st[40];
        rt_fmt(st, sizeof st, "%s %-9.9s", ui_sev_mark(u, run->ok ? RT_OK : RT_WARN), run->rollback ? "rollback" : run->status);
        ui_text(y, x, 11, run->ok ? ROLE_OK : ROLE_FAIL, st);
        ui_printf(y, x + 12, w - 12, sel ? ROLE_SELECTED : (run->errors ? ROLE_WARN : ROLE_NORMAL), "%-19s %9s %6lld %7lld %6lld  %s%s%s", t, d,
                  (long long)run->files, (long long)run->chunks, (long long)run->errors, run->run_id,
                  run->first_error[0] ? "  " : "", run->first_error);
    }
}
