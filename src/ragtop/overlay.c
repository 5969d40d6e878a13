/* overlay.c — screens drawn over the panes: the help (generated from the key
 * table), the confirmation of a destructive action (Cancel is the default),
 * one log line's full JSON pretty-printed (escaped, scrollable), and the
 * "terminal too small" screen that the next resize replaces. */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "escape.h"
#include <openssl/evp.h>
#include <unistd.h>
#include "pane_alerts.h"
#include <cjson/cJSON.h>

static rect centred(int h, int w)
{
    if (h > LINES - 2) h = LINES - 2;
    if (w > COLS - 2) w = COLS - 2;
    return (rect){(LINES - h) / 2, (COLS - w) / 2, h, w};
}

static void clear_rect(rect r, theme_role role)
{
    for (int y = r.y; y < r.y + r.h; y++) ui_fill(y, r.x, r.w, role);
}

/* The help as rows: each key's text wrapped at word boundaries into
 * width columns; continuation rows have no key. Returns the rows (the
 * caller frees each text). */
typedef struct help_row { const char *keys; char *text; bool muted; } help_row;

static size_t help_rows(ui *u, int width, help_row **out)
{
    size_t n, nr = 0;
    const key_def *t = keys_table(&n);
    help_row *rows = NULL;
    if (width < 10) width = 10;
    for (size_t i = 0; i < n; i++) {
        char help[512];
        snprintf(help, sizeof help, "%s%s%s", t[i].help, t[i].destructive ? " [asks]" : "",
                 t[i].action && u->opt->readonly ? " [disabled: --readonly]" : "");
        const char *p = help;
        bool first = true;
        while (*p || first) {
            /* the longest prefix of whole words that fits */
            int len = (int)strlen(p), cut = len;
            if (escape_width(p) > width) {
                int cols = 0, last_space = -1, k = 0;
                while (p[k]) {
                    if (p[k] == ' ') last_space = k;
                    int l = 1;
                    while ((p[k + l] & 0xC0) == 0x80) l++;
                    if (++cols > width) break;
                    k += l;
                }
                cut = last_space > 0 ? last_space : k;
            }
            rows = rag_xrealloc(rows, (nr + 1) * sizeof *rows);
            rows[nr++] = (help_row){first ? t[i].keys : "", rag_xasprintf("%.*s", cut, p),
                                    t[i].action && u->opt->readonly};
            p += cut;
            while (*p == ' ') p++;
            first = false;
        }
    }
    *out = rows;
    return nr;
}


void overlay_help_scroll(ui *u, int delta)
{
    u->ovl_scroll += delta; /* clamped when drawn, where the row count is known */
    if (u->ovl_scroll < 0) u->ovl_scroll = 0;
}

static void draw_help(ui *u)
{
    int w = COLS - 2 < 100 ? COLS - 2 : 100;
    const int keyw = 15;
    help_row *rows;
    size_t nr = help_rows(u, w - keyw - 4, &rows);
    rect r = centred((int)nr + 4, w);
    int shown = r.h - 3 > 0 ? r.h - 3 : 0;
    int maxs = (int)nr - shown > 0 ? (int)nr - shown : 0;
    if (u->ovl_scroll > maxs) u->ovl_scroll = maxs;
    clear_rect(r, ROLE_NORMAL);
    char title[96];
    if (maxs) snprintf(title, sizeof title, "Help: keys %d-%d of %zu (Up/Down/PgUp/PgDn scroll, any other key closes)",
                       u->ovl_scroll + 1, u->ovl_scroll + shown, nr);
    else snprintf(title, sizeof title, "Help: keys (any key closes)");
    ui_box(u, r, title, true);
    int y = r.y + 1;
    for (size_t i = (size_t)u->ovl_scroll; i < nr && y < r.y + 1 + shown; i++, y++) {
        ui_text(y, r.x + 2, keyw - 1, ROLE_ACCENT, rows[i].keys);
        ui_text(y, r.x + 2 + keyw, r.w - keyw - 4, rows[i].muted ? ROLE_MUTED : ROLE_NORMAL, rows[i].text);
    }
    ui_text(r.y + r.h - 2, r.x + 2, r.w - 4, ROLE_MUTED,
            maxs && u->ovl_scroll < maxs ? "more below (Down, PgDn). ragtop(1) has the full manual."
                                         : "ragtop(1) has the full manual. Theme, options: ragtop --help");
    for (size_t i = 0; i < nr; i++) free(rows[i].text);
    free(rows);
}

static void draw_confirm(ui *u)
{
    rect r = centred(7, 56);
    clear_rect(r, ROLE_DIALOG);
    ui_box(u, r, "Confirm", true);
    ui_text(r.y + 2, r.x + 3, r.w - 6, ROLE_DIALOG, u->confirm_text);
    int bx = r.x + r.w / 2 - 14;
    ui_text(r.y + 4, bx, 12, u->confirm_yes ? ROLE_DIALOG : ROLE_KEY, "[ Cancel ]");
    ui_text(r.y + 4, bx + 16, 12, u->confirm_yes ? ROLE_KEY : ROLE_DIALOG, "[ Yes (y) ]");
}

static void draw_json(ui *u)
{
    rect r = centred(LINES - 2, COLS - 4);
    clear_rect(r, ROLE_NORMAL);
    ui_box(u, r, "Log line (Up/Down scroll, any other key closes)", true);
    int rows = r.h - 2;
    if (u->ovl_scroll > (int)u->n_json_lines - rows) u->ovl_scroll = (int)u->n_json_lines - rows;
    if (u->ovl_scroll < 0) u->ovl_scroll = 0;
    for (int i = 0; i < rows && (size_t)(u->ovl_scroll + i) < u->n_json_lines; i++)
        ui_text(r.y + 1 + i, r.x + 2, r.w - 4, ROLE_NORMAL, u->json_lines[u->ovl_scroll + i]);
}

void overlay_open_json(ui *u, const char *raw)
{
    overlay_close(u);
    cJSON *j = cJSON_Parse(raw);
    char *text = j ? cJSON_Print(j) : rag_xasprintf("(not JSON: shown as read)\n%s", raw);
    cJSON_Delete(j);
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        u->json_lines = rag_xrealloc(u->json_lines, (u->n_json_lines + 1) * sizeof *u->json_lines);
        u->json_lines[u->n_json_lines++] = rag_xstrdup(ln);
    }
    free(text);
    u->overlay = OVL_JSON;
    u->ovl_scroll = 0;
}

void overlay_close(ui *u)
{
    for (size_t i = 0; i < u->n_json_lines; i++) free(u->json_lines[i]);
    free(u->json_lines);
    u->json_lines = NULL;
    u->n_json_lines = 0;
    u->overlay = OVL_NONE;
    u->ovl_scroll = 0;
}

void overlay_draw(ui *u)
{
    switch (u->overlay) {
    case OVL_HELP: draw_help(u); break;
    case OVL_CONFIRM: draw_confirm(u); break;
    case OVL_JSON: draw_json(u); break;
    case OVL_ALERTS: pane_alerts_draw(u); break;
    default: break;
    }
}

/* Too small for the panes, but the verdict still shows, first, wrapped. */
void overlay_too_small(ui *u)
{
    erase();
    char msg[400];
    int y = 0;
    snprintf(msg, sizeof msg, "%s %s", ui_sev_mark(u, u->st.overall), u->st.headline);
    const char *p = msg;
    int maxv = LINES - 3 > 1 ? LINES - 3 : 1;
    while (*p && y < maxv) {
        int cols = 0, k = 0;
        while (p[k] && cols < COLS) {
            int l = 1;
            while ((p[k + l] & 0xC0) == 0x80) l++;
            k += l;
            cols++;
        }
        char line[400];
        snprintf(line, sizeof line, "%.*s", k, p);
        ui_text(y++, 0, COLS, ui_sev_role(u->st.overall), line);
        p += k;
    }
    snprintf(msg, sizeof msg, "terminal too small (%dx%d), need 50x12", COLS, LINES);
    if (y < LINES) ui_text(y++, 0, COLS, ROLE_WARN, msg);
    if (y < LINES) ui_text(y, 0, COLS, ROLE_MUTED, "q quits");
}

void ui_osc52_copy(const char *text)
{
    size_t len = strlen(text);
    unsigned char *b64 = rag_xmalloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
    char *seq = rag_xasprintf("\033]52;c;%.*s\007", n, (const char *)b64);
    size_t off = 0, sl = strlen(seq);
    while (off < sl) {
        ssize_t w = write(STDOUT_FILENO, seq + off, sl - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(seq);
    free(b64);
}
