/* pane_freshness.c — is the index fresh, and does it answer well?
 * Generation served (by the first server reporting one; replicas: which
 * generation each serves, "2/3 serve gen-X, 1 serves gen-W (for 4m)") and on
 * disk, built at and checked at with ages, document/chunk/token counts, the
 * warn/error thresholds with the state, the quality on the golden queries
 * (nDCG@10, recall, MRR and a sparkline of nDCG@10 over the recent runs;
 * Enter on it lists the failing queries), and transcripts added or changed
 * since the last run, and the room left on disk (the disk check). Up/Down
 * select the freshness or the quality row. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "rag/timeutil.h"
#include "spark.h"

static void count(int64_t v, char *out, size_t n)
{
    if (v >= 10000000) rt_fmt(out, n, "%.1fM", (double)v / 1e6);
    else if (v >= 10000) rt_fmt(out, n, "%.1fk", (double)v / 1e3);
    else rt_fmt(out, n, "%lld", (long long)v);
}

/* The Quality row: state, figures, nDCG@10 of the recent runs on a fixed
 * 0..1 scale (a candidate the gate refused shows as a failure mark). */
static void quality_row(ui *u, int y, int x, int w)
{
    const rt_snapshot *s = &u->m->snap;
    const rt_check *q = status_find(&u->st, "quality");
    const rag_manifest *m = s->manifest.rc == RAG_OK ? &s->manifest.m : NULL;
    if (!q || !m) {
        ui_text(y, x, w, ROLE_MUTED, "-");
        return;
    }
    if (!m->quality.present) {
        ui_text(y, x, w, ROLE_MUTED, "- not measured (no golden file)");
        return;
    }
    int used = ui_printf(y, x, w, ui_sev_role(q->severity), "%s ", ui_sev_mark(u, q->severity));
    if (w - used >= 44)
        used += ui_printf(y, x + used, w - used, ROLE_NORMAL, "nDCG@10 %.3f  R@%d %.3f  MRR %.3f ", m->quality.ndcg_at_10,
                          m->quality.k, m->quality.recall_at_k, m->quality.mrr);
    else
        used += ui_printf(y, x + used, w - used, ROLE_NORMAL, "%.2f/%.2f/%.2f ", m->quality.ndcg_at_10,
                          m->quality.recall_at_k, m->quality.mrr);
    int64_t trend[RT_MAX_RUNS];
    size_t n = 0;
    for (size_t i = 0; i < s->n_runs; i++)
        if (s->runs[i].has_quality)
            trend[n++] = strcmp(s->runs[i].quality_gate, "refused") == 0 ? -1 : (int64_t)(s->runs[i].quality_ndcg * 1000.0 + 0.5);
    if (n > 1 && w - used > 4) {
        char spark[RT_MAX_RUNS * 4 + 1];
        size_t room = (size_t)(w - used - 1) < 12 ? (size_t)(w - used - 1) : 12;
        size_t g = spark_render_absolute(trend, n, room, 1000, u->ascii, spark, sizeof spark);
        ui_text_safe(y, x + used, (int)g, ROLE_ACCENT, spark);
        used += (int)g + 1;
    }
    if (m->quality.failed > 0 && w - used > 0)
        ui_printf(y, x + used, w - used, ROLE_WARN, "%lld failing", (long long)m->quality.failed);
}

void pane_freshness_draw(ui *u, rect r)
{
    ui_box(u, r, "Freshness", u->focus == PANE_FRESHNESS);
    const rt_snapshot *s = &u->m->snap;
    int y = r.y + 1, x = r.x + 2, w = r.w - 4, last = r.y + r.h - 1;
    int64_t now = rag_now_ms();
    const int L = 9; /* label column */
#define ROW(role, ...) do { if (y < last) { ui_printf(y, x + L, w - L, role, __VA_ARGS__); } } while (0)
#define LABEL(t) do { if (y < last) ui_text(y, x, L, ROLE_MUTED, t); } while (0)

    const rt_probe *served = NULL;
    for (size_t i = 0; i < s->n_probes; i++)
        if (s->probes[i].up && s->probes[i].generation[0]) { served = &s->probes[i]; break; }
    const rag_manifest *m = s->manifest.rc == RAG_OK ? &s->manifest.m : NULL;

    LABEL("Served");
    if (served) ROW(m && strcmp(served->generation, m->generation) != 0 ? ROLE_WARN : ROLE_NORMAL, "%s (%s)", served->generation, served->service);
    else ROW(ROLE_MUTED, "- (no server reports one)");
    y++;
    y += ui_draw_rollout(u, y, x, w, L, last, false);
    LABEL("On disk");
    if (m) ROW(ROLE_NORMAL, "%s", m->generation);
    else ROW(ROLE_FAIL, "%s", s->manifest.error[0] ? s->manifest.error : "no manifest");
    y++;
    if (m) {
        char t[32], a[32];
        bool narrow = w - L < 32; /* the time of day alone when the pane is narrow */
        ui_clock(m->generated_at_ms, t, sizeof t, !narrow);
        rag_ago_format(now - m->generated_at_ms, a, sizeof a);
        LABEL("Built");
        ROW(ROLE_NORMAL, "%s (%s)", t, a);
        y++;
        ui_clock(m->checked_at_ms, t, sizeof t, !narrow);
        rag_ago_format(now - m->checked_at_ms, a, sizeof a);
        LABEL("Checked");
        ROW(ROLE_NORMAL, "%s (%s)", t, a);
        y++;
        char d[16], c[16], k[16];
        count(m->documents, d, sizeof d);
        count(m->chunks, c, sizeof c);
        count(m->tokens, k, sizeof k);
        LABEL("Content");
        ROW(ROLE_NORMAL, "%s docs, %s chunks, %s tokens", d, c, k);
        y++;
    }
    const rt_check *f = status_find(&u->st, "freshness");
    int limits_y = -1;
    if (s->config.rc == RAG_OK) {
        char wa[32], ea[32];
        rag_age_format(s->config.cfg.freshness.warn_after_ms, wa, sizeof wa);
        rag_age_format(s->config.cfg.freshness.error_after_ms, ea, sizeof ea);
        LABEL("Limits");
        limits_y = y;
        if (y < last) {
            /* the state first: it is what a narrow pane must not lose */
            int used = 0;
            if (f) {
                const char *word = f->severity == RT_OK ? "FRESH" : f->severity == RT_WARN ? "STALE" : "EXPIRED";
                used = ui_printf(y, x + L, w - L, f->severity == RT_OK ? ROLE_OK : f->severity == RT_WARN ? ROLE_STALE : ROLE_FAIL,
                                 "%s %s  ", ui_sev_mark(u, f->severity), word);
            }
            ui_printf(y, x + L + used, w - L - used, ROLE_NORMAL, "warn %s, error %s", wa, ea);
        }
        y++;
    }
    LABEL("Quality");
    const int quality_y = y;
    if (y < last) quality_row(u, y, x + L, w - L);
    y++;
    if (u->focus == PANE_FRESHNESS) { /* the selected row's label: what Enter opens */
        int sel_y = u->fresh_sel == 1 ? quality_y : limits_y;
        if (sel_y > r.y && sel_y < last) {
            ui_text(sel_y, x - 1, 1, ROLE_ACCENT, ">");
            ui_text(sel_y, x, L - 1, ROLE_SELECTED, u->fresh_sel == 1 ? "Quality" : "Limits");
        }
    }
    const rt_check *src = status_find(&u->st, "sources");
    LABEL("Sources");
    if (src) ROW(src->severity == RT_OK ? ROLE_OK : ui_sev_role(src->severity), "%s", src->summary);
    else ROW(ROLE_MUTED, "-");
    y++;
    const rt_check *disk = status_find(&u->st, "disk"); /* room for the next generation */
    if (disk) {
        LABEL("Disk");
        ROW(disk->severity == RT_OK ? ROLE_NORMAL : ui_sev_role(disk->severity), "%s", disk->summary);
    }
#undef ROW
#undef LABEL
}
