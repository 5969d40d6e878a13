/* pane_config.c — the three-way config hash: config file now, manifest on
 * disk, generation the API serves, each with a mark (replicas: the rollout
 * convergence line, which generation each serves); on a mismatch the keys
 * that differ ("chunking.target_tokens 256 -> 384") and the key that fixes
 * it (i to ingest, r to restart the API). */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

void pane_config_draw(ui *u, rect r)
{
    ui_box(u, r, "Config", u->focus == PANE_CONFIG);
    const rt_snapshot *s = &u->m->snap;
    int y = r.y + 1, x = r.x + 2, w = r.w - 4, last = r.y + r.h - 1;
    const int L = 12;
    const char *now = s->config.rc == RAG_OK ? s->config.hash : "";
    const char *disk = s->manifest.rc == RAG_OK ? s->manifest.m.config_hash : "";
    const rt_probe *served = NULL;
    for (size_t i = 0; i < s->n_probes; i++)
        if (s->probes[i].up && s->probes[i].config_hash[0]) { served = &s->probes[i]; break; }

    struct { const char *label; const char *hash; const char *missing; } rows[3] = {
        {"Config now", now, s->config.rc == RAG_OK ? "-" : (s->config.rc == RAG_ENOENT ? "no config file" : "invalid")},
        {"On disk", disk, "no manifest"},
        {"API serves", served ? served->config_hash : "", "not reported"},
    };
    for (int i = 0; i < 3 && y < last; i++, y++) {
        ui_text(y, x, L, ROLE_MUTED, rows[i].label);
        if (!rows[i].hash[0]) {
            ui_printf(y, x + L, w - L, i == 0 && s->config.rc != RAG_ENOENT ? ROLE_FAIL : ROLE_MUTED, "%s %s",
                      ui_sev_mark(u, RT_UNKNOWN), rows[i].missing);
            continue;
        }
        bool match = now[0] && strcmp(rows[i].hash, now) == 0;
        rt_severity sev = match ? RT_OK : RT_WARN;
        ui_printf(y, x + L, w - L, ui_sev_role(sev), "%s %.12s", ui_sev_mark(u, sev), rows[i].hash);
    }
    y += ui_draw_rollout(u, y, x, w, L, last, true);
    if (s->config.rc != RAG_OK && s->config.rc != RAG_ENOENT && y < last) {
        ui_text(y++, x, w, ROLE_FAIL, s->config.error);
    }
    const rt_check *ch = status_find(&u->st, "config_hash");
    const char *fix = NULL;
    if (ch && ch->severity != RT_OK) {
        /* the differing keys, one per line */
        const char *p = ch->details;
        while (*p && y < last - 1) {
            const char *nl = strchr(p, '\n');
            char line[256];
            rt_fmt(line, sizeof line, "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
            ui_text(y++, x, w, ROLE_WARN, line);
            p = nl ? nl + 1 : p + strlen(p);
        }
        fix = "i: ingest to rebuild from the current config";
    }
    for (size_t i = 0; !fix && i < u->st.n; i++)
        if (strncmp(u->st.checks[i].name, "served:", 7) == 0 && u->st.checks[i].severity != RT_OK)
            fix = strcmp(u->st.checks[i].fix, "ingest") == 0 ? "i: ingest" : "r: restart the API to serve the newest index";
    if (y < last) {
        if (fix) ui_printf(y, x, w, ROLE_ACCENT, "fix: %s", fix);
        else if (now[0] && disk[0] && served) ui_text(y, x, w, ROLE_OK, "all match");
        else if (now[0] && disk[0]) /* not all three known: not OK, not green */
            ui_text(y, x, w, ROLE_MUTED, "config = index; the API's hash is not known");
    }
}
