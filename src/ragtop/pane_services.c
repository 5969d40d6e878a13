/* pane_services.c — one row per service of services.yml: status, probe
 * latency with a sparkline of recent probes, uptime, requests/errors from
 * /healthz and the time since the last up/down change. Services without a
 * health URL read their state from their pidfile (running + uptime, or
 * stopped). A replicated service reads "3/3 up" and, expanded with Space,
 * one row per instance under it (state, latency, uptime, requests and the
 * generation it serves, or why it is down); the expanded services are kept
 * by name, like the selection, so they stay expanded when services.yml is
 * re-read in another order or with services added. The highlighted row is the
 * target of r / s / a: highlighted when the pane has focus, marked with a
 * '>' when it has not. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/timeutil.h"

/* index of name in the expanded set, -1 when it is not there */
static int expanded_at(const ui *u, const char *name)
{
    for (size_t k = 0; k < u->n_svc_expanded; k++)
        if (strcmp(u->svc_expanded[k], name) == 0) return (int)k;
    return -1;
}

void pane_services_toggle_expanded(ui *u, const char *name)
{
    int k = expanded_at(u, name);
    if (k >= 0) {
        free(u->svc_expanded[k]);
        u->svc_expanded[k] = u->svc_expanded[--u->n_svc_expanded];
        return;
    }
    u->svc_expanded = rag_xrealloc(u->svc_expanded, (u->n_svc_expanded + 1) * sizeof *u->svc_expanded);
    u->svc_expanded[u->n_svc_expanded++] = rag_xstrdup(name);
}

void pane_services_forget_expanded(ui *u)
{
    for (size_t k = 0; k < u->n_svc_expanded; k++) free(u->svc_expanded[k]);
    free(u->svc_expanded);
    u->svc_expanded = NULL;
    u->n_svc_expanded = 0;
}

int pane_services_instance_rows(const ui *u, const rt_snapshot *s, size_t i)
{
    if (s->services_rc != RAG_OK || i >= s->services.count || i >= s->n_probes) return 0;
    const rt_probe *p = &s->probes[i];
    /* the row's own probe: just after a re-read the probes may still be in
     * the order before */
    if (!p->replicated || strcmp(p->service, s->services.items[i].name) != 0) return 0;
    return expanded_at(u, p->service) >= 0 ? (int)p->n_inst : 0;
}

/* Service i's instance rows from the from-th on, starting at screen line y
 * (a tree under the service, k9s-like: name, state, latency, and the
 * generation it serves or why it is down); returns the lines drawn. */
static int draw_instances(ui *u, const rt_snapshot *s, size_t i, int from, int y, int x, int w, int last)
{
    const rt_probe *p = &s->probes[i];
    int name_w = 0, drawn = 0;
    for (size_t k = 0; k < p->n_inst; k++)
        if ((int)strlen(p->inst[k].name) > name_w) name_w = (int)strlen(p->inst[k].name);
    if (name_w > 40) name_w = 40;
    for (size_t k = (size_t)from; k < p->n_inst && y < last; k++, y++, drawn++) {
        const rt_instance *in = &p->inst[k];
        const char *branch = k + 1 == p->n_inst ? (u->ascii ? "`-" : "\u2514") : (u->ascii ? "|-" : "\u251c");
        int cx = x + ui_printf(y, x, w, ROLE_MUTED, "%s %-*.*s  ", branch, name_w, name_w, in->name);
        rt_severity sev = !in->up || strcmp(in->status, "fail") == 0 ? RT_CRIT : strcmp(in->status, "warn") == 0 ? RT_WARN : RT_OK;
        const char *state = !in->up ? "DOWN" : strcmp(in->status, "fail") == 0 ? "FAIL" : strcmp(in->status, "warn") == 0 ? "warn" : "up";
        cx += ui_printf(y, cx, x + w - cx, ui_sev_role(sev), "%s %-4s ", ui_sev_mark(u, sev), state);
        if (in->up) cx += ui_printf(y, cx, x + w - cx, ROLE_NORMAL, "%5lldms  ", (long long)in->latency_ms);
        else cx += ui_printf(y, cx, x + w - cx, ROLE_FAIL, "%7s  ", "-");
        char gen[128];
        rt_fmt(gen, sizeof gen, "%s", in->generation[0] ? in->generation : "no generation reported");
        char *ext = strstr(gen, ".sqlite");
        if (ext && !ext[7]) *ext = '\0';
        ui_text(y, cx, x + w - cx, in->up ? ROLE_NORMAL : ROLE_MUTED, in->up ? gen : in->error);
    }
    return drawn;
}

int pane_services_sel(ui *u, const rt_snapshot *s, int delta)
{
    int n = s->services_rc == RAG_OK ? (int)s->services.count : 0;
    for (int i = 0; u->svc_sel_name[0] && i < n; i++)
        if (strcmp(s->services.items[i].name, u->svc_sel_name) == 0) {
            u->svc_sel = i;
            break;
        }
    u->svc_sel += delta;
    if (u->svc_sel >= n) u->svc_sel = n - 1;
    if (u->svc_sel < 0) u->svc_sel = 0;
    if (!n) return -1;
    rt_fmt(u->svc_sel_name, sizeof u->svc_sel_name, "%s", s->services.items[u->svc_sel].name);
    return u->svc_sel;
}

void pane_services_draw(ui *u, rect r)
{
    ui_box(u, r, "Services", u->focus == PANE_SERVICES);
    const rt_snapshot *s = &u->m->snap;
    int y = r.y + 1, x = r.x + 2, w = r.w - 4, last = r.y + r.h - 1;
    if (s->services_rc != RAG_OK) {
        ui_text(y, x, w, ROLE_FAIL, s->services_error[0] ? s->services_error : "no services file");
        return;
    }
    int spark_w = w >= 90 ? 16 : w >= 70 ? 10 : 0;
    /* Names get up to 20 columns where the pane has room to spare. */
    int name_w = 12;
    for (size_t i = 0; w >= 90 && i < s->services.count; i++) {
        int len = (int)strlen(s->services.items[i].name);
        if (len > name_w) name_w = len < 20 ? len : 20;
    }
    /* the state column fits its mark: 1 column, or 4 in ASCII ("[ok]"), and
     * "12/12 up" when a service has replicas */
    int text_w = 7;
    for (size_t i = 0; i < s->services.count; i++)
        if (rag_service_replicated(&s->services.items[i])) text_w = 9;
    int mark_w = u->ascii ? 4 : 1, state_w = mark_w + 1 + text_w;
    char hdr[256];
    rt_fmt(hdr, sizeof hdr, "%-*s %-*s %7s %-*s %9s %13s %8s", name_w, "SERVICE", state_w, "STATE", "LATENCY", spark_w,
           spark_w ? "PROBES" : "", "UPTIME", "REQ/ERR", "CHANGED");
    if (y < last) ui_text(y++, x, w, ROLE_MUTED, hdr);
    int64_t now = rag_now_ms();
    pane_services_sel(u, s, 0);
    int rows = last - y;
    /* screen lines before the selected service: its own and expanded instances */
    int sel_line = 0;
    for (int i = 0; i < u->svc_sel && i < (int)s->services.count; i++)
        sel_line += 1 + pane_services_instance_rows(u, s, (size_t)i);
    int skip = sel_line >= rows ? sel_line - rows + 1 : 0;
    for (size_t i = 0; i < s->services.count && y < last; i++, y++) {
        int extra = pane_services_instance_rows(u, s, i);
        if (skip > 0) { /* scrolled off above */
            int drop = skip < 1 + extra ? skip : 1 + extra;
            skip -= drop;
            if (drop == 1 + extra) { y--; continue; }
            /* the service's row is off screen, some instances are not */
            y += draw_instances(u, s, i, drop - 1, y, x, w, last) - 1;
            continue;
        }
        const rag_service *svc = &s->services.items[i];
        const rt_probe *p = i < s->n_probes ? &s->probes[i] : NULL;
        const rt_service_hist *h = i < u->m->n_hist ? &u->m->hist[i] : NULL;
        bool sel = (int)i == u->svc_sel && u->focus == PANE_SERVICES;
        if (sel) ui_fill(y, x - 1, w + 2, ROLE_SELECTED);
        else if ((int)i == u->svc_sel) ui_text(y, x - 1, 1, ROLE_ACCENT, ">");
        theme_role base = sel ? ROLE_SELECTED : ROLE_NORMAL;
        int cx = x;
        ui_text(y, cx, name_w, base, svc->name); /* a longer name ends in "…", never cut silently */
        cx += name_w + 1;
        const char *state;
        char repl[32];
        theme_role sr;
        if (p && p->replicated && p->probed) {
            rt_fmt(repl, sizeof repl, "%zu/%zu up", p->n_inst_up, p->n_inst);
            state = repl;
            sr = !p->up ? (svc->optional ? ROLE_MUTED : ROLE_FAIL)
               : strcmp(p->status, "fail") == 0 ? ROLE_FAIL
               : p->n_inst_up < p->n_inst || strcmp(p->status, "warn") == 0 ? ROLE_WARN : ROLE_OK;
        }
        else if (!svc->health_url && p && p->pid_state == RT_PID_RUNNING) { state = "running"; sr = ROLE_OK; }
        else if (!svc->health_url && p && p->pid_state == RT_PID_STOPPED) {
            state = "stopped"; sr = svc->optional ? ROLE_MUTED : ROLE_FAIL;
        }
        else if (!svc->health_url) { state = svc->kind == RAG_SERVICE_JOB ? "job" : "no url"; sr = ROLE_MUTED; }
        else if (!p || !p->probed) { state = p && p->probing ? "probing" : "..."; sr = ROLE_MUTED; }
        else if (!p->up) { state = svc->optional ? "off" : "DOWN"; sr = svc->optional ? ROLE_MUTED : ROLE_FAIL; }
        else if (strcmp(p->status, "fail") == 0) { state = "FAIL"; sr = ROLE_FAIL; }
        else if (strcmp(p->status, "warn") == 0) { state = "warn"; sr = ROLE_WARN; }
        else { state = "up"; sr = ROLE_OK; }
        char st[32];
        bool marked = svc->health_url || (p && p->pid_state != RT_PID_NONE);
        rt_fmt(st, sizeof st, "%-*s %-*s", !marked ? mark_w : 0, !marked ? "" : ui_sev_mark(u, sr == ROLE_OK ? RT_OK : sr == ROLE_WARN ? RT_WARN : sr == ROLE_FAIL ? RT_CRIT : RT_UNKNOWN), text_w, state);
        ui_text(y, cx, state_w, sr, st);
        cx += state_w + 1;
        if (p && p->probed && p->up) ui_printf(y, cx, 7, base, "%5lldms", (long long)p->latency_ms);
        else if (p && p->probed) ui_text(y, cx, 7, ROLE_FAIL, "      -");
        cx += 8;
        if (spark_w) {
            if (h && h->n) ui_spark(u, y, cx, spark_w, h->latency, h->n, ROLE_ACCENT);
            cx += spark_w + 1;
        }
        char up[32] = "-", rq[32] = "-", ch[32] = "-";
        if (p && p->up && p->uptime_s >= 0) rag_age_format(p->uptime_s * 1000, up, sizeof up);
        if (p && p->pid_state == RT_PID_RUNNING) rag_age_format(now - p->pid_since_ms, up, sizeof up);
        if (p && p->up && (p->requests >= 0 || p->errors >= 0)) {
            char a[24] = "-";
            if (p->requests >= 0) rt_fmt(a, sizeof a, "%lld", (long long)p->requests);
            rt_fmt(rq, sizeof rq, "%s/%lld", a, (long long)(p->errors >= 0 ? p->errors : 0));
        }
        /* a pidfile service has no request counts: its pid stands there,
         * so it shows at every width */
        if (p && p->pid_state == RT_PID_RUNNING) rt_fmt(rq, sizeof rq, "pid %ld", p->pid);
        if (h && h->have_last) rag_age_format(now - h->changed_at_ms, ch, sizeof ch);
        ui_printf(y, cx, x + w - cx, base, "%9s %13s %8s", up, rq, ch);
        if (p && p->probed && !p->up && p->error[0] && x + w - cx > 34)
            ui_text(y, cx + 33, x + w - cx - 33, ROLE_MUTED, p->error);
        else if (p && p->pid_state == RT_PID_STOPPED && x + w - cx > 34)
            ui_text(y, cx + 33, x + w - cx - 33, ROLE_MUTED, p->pid_note);
        else if (p && p->replicated && p->probed && !extra && x + w - cx > 34)
            ui_text(y, cx + 33, x + w - cx - 33, ROLE_MUTED, "Space: instances");
        if (extra) y += draw_instances(u, s, i, 0, y + 1, x, w, last);
    }
}
