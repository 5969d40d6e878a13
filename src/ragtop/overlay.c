/* overlay.c — screens drawn over the panes: the help (generated from the key
 * table), the confirmation of an action showing exactly the argv it runs
 * (Cancel is the default), the question `q` asks while an action runs, a
 * scrollable text view (a log line's JSON pretty-printed, a service's last
 * /healthz, a run, an action's output; always escaped), and the "terminal
 * too small" screen that the next resize replaces. */
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
#include "rag/jsonlog.h"

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
    if (maxs) snprintf(title, sizeof title, "Help: keys, lines %d-%d of %zu (Up/Down/PgUp/PgDn scroll, any other key closes)",
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

/* Lines of at most w columns of text (cut at spaces when it can); returns
 * how many, at most max. Byte-based: callers pass escaped ASCII/UTF-8 text
 * and clip again on output. */
static int wrap(const char *text, int w, char out[][256], int max)
{
    int n = 0;
    size_t len = strlen(text), at = 0;
    if (w < 10) w = 10;
    while (at < len && n < max) {
        size_t take = len - at;
        if ((int)take > w) {
            take = (size_t)w;
            size_t sp = take;
            while (sp > (size_t)w / 2 && text[at + sp] != ' ') sp--;
            if (text[at + sp] == ' ') take = sp;
        }
        if (take > 255) take = 255;
        memcpy(out[n], text + at, take);
        out[n][take] = '\0';
        n++;
        at += take;
        while (text[at] == ' ') at++;
    }
    return n;
}

static void draw_confirm(ui *u)
{
    char runs[600];
    snprintf(runs, sizeof runs, "runs: %s", u->confirm_argv);
    int want = (int)strlen(runs) + 6;
    if (want < 56) want = 56;
    if (want > COLS - 2) want = COLS - 2;
    char lines[4][256];
    int n = wrap(runs, want - 6, lines, 4);
    rect r = centred(7 + n, want);
    clear_rect(r, ROLE_DIALOG);
    ui_box(u, r, "Confirm", true);
    ui_text(r.y + 2, r.x + 3, r.w - 6, ROLE_DIALOG, u->confirm_text);
    for (int i = 0; i < n; i++) ui_text(r.y + 3 + i, r.x + 3, r.w - 6, ROLE_MUTED, lines[i]);
    int bx = r.x + r.w / 2 - 14;
    ui_text(r.y + 4 + n, bx, 12, u->confirm_yes ? ROLE_DIALOG : ROLE_KEY, "[ Cancel ]");
    ui_text(r.y + 4 + n, bx + 16, 12, u->confirm_yes ? ROLE_KEY : ROLE_DIALOG, "[ Yes (y) ]");
}

static void draw_quit(ui *u)
{
    rect r = centred(9, 66);
    clear_rect(r, ROLE_DIALOG);
    ui_box(u, r, "Quit", true);
    char q[200];
    snprintf(q, sizeof q, "%s is running. Quit ragtop and:", u->quit_label);
    ui_text(r.y + 2, r.x + 3, r.w - 6, ROLE_DIALOG, q);
    static const char *const choices[3] = {"[ Wait for it (w) ]", "[ Leave it running (l) ]", "[ Stop it (s) ]"};
    int x = r.x + 3;
    for (int i = 0; i < 3; i++)
        x += ui_text(r.y + 4, x, r.x + r.w - 2 - x, u->quit_choice == i ? ROLE_KEY : ROLE_DIALOG, choices[i]) + 1;
    ui_text(r.y + 6, r.x + 3, r.w - 6, ROLE_MUTED, "Esc: don't quit. Wait quits when it ends.");
}

static void draw_json(ui *u)
{
    rect r = centred(LINES - 2, COLS - 4);
    clear_rect(r, ROLE_NORMAL);
    char title[200];
    snprintf(title, sizeof title, "%s (Up/Down scroll, any other key closes)", u->ovl_title[0] ? u->ovl_title : "Log line");
    ui_box(u, r, title, true);
    int rows = r.h - 2;
    if (u->ovl_scroll > (int)u->n_json_lines - rows) u->ovl_scroll = (int)u->n_json_lines - rows;
    if (u->ovl_scroll < 0) u->ovl_scroll = 0;
    for (int i = 0; i < rows && (size_t)(u->ovl_scroll + i) < u->n_json_lines; i++)
        ui_text(r.y + 1 + i, r.x + 2, r.w - 4, ROLE_NORMAL, u->json_lines[u->ovl_scroll + i]);
}

void overlay_open_text(ui *u, const char *title, const char *text)
{
    overlay_close(u);
    /* long lines wrap at the view's width (as it is now), at a space when
     * there is one in the second half, never inside a UTF-8 character */
    size_t width = COLS > 16 ? (size_t)COLS - 8 : 8;
    for (const char *p = text; *p;) {
        size_t l = strcspn(p, "\n"), take = l;
        if (take > width) {
            take = width;
            size_t sp = take;
            while (sp > width / 2 && p[sp] != ' ') sp--;
            if (p[sp] == ' ') take = sp + 1;
            while (take > 1 && ((unsigned char)p[take] & 0xC0) == 0x80) take--;
        }
        u->json_lines = rag_xrealloc(u->json_lines, (u->n_json_lines + 1) * sizeof *u->json_lines);
        u->json_lines[u->n_json_lines++] = rag_xasprintf("%.*s", (int)take, p);
        p += take;
        if (take == l && *p) p++;
    }
    snprintf(u->ovl_title, sizeof u->ovl_title, "%s", title);
    u->overlay = OVL_JSON;
    u->ovl_scroll = 0;
}

void overlay_open_json(ui *u, const char *raw)
{
    cJSON *j = rag_json_parse_showing_nul(raw, strlen(raw), NULL); /* a \u0000 shown as ␀, the rest kept */
    char *text = j ? cJSON_Print(j) : rag_xasprintf("(not JSON: shown as read)\n%s", raw);
    cJSON_Delete(j);
    overlay_open_text(u, "Log line", text);
    free(text);
}

void overlay_close(ui *u)
{
    for (size_t i = 0; i < u->n_json_lines; i++) free(u->json_lines[i]);
    free(u->json_lines);
    u->json_lines = NULL;
    u->n_json_lines = 0;
    u->overlay = OVL_NONE;
    u->ovl_scroll = 0;
    u->ovl_title[0] = '\0';
}

void overlay_draw(ui *u)
{
    switch (u->overlay) {
    case OVL_HELP: draw_help(u); break;
    case OVL_CONFIRM: draw_confirm(u); break;
    case OVL_JSON: draw_json(u); break;
    case OVL_ALERTS: pane_alerts_draw(u); break;
    case OVL_PROBLEMS: problems_draw(u); break;
    case OVL_QUIT: draw_quit(u); break;
    case OVL_CONTEXTS: fleet_draw(u); break;
    default: break;
    }
}

/* Too small for the panes, but the verdict still shows, first, wrapped;
 * then what q does: quit, or (an action running) the quit question's keys,
 * or that it quits when the action ends. */
void overlay_too_small(ui *u)
{
    erase();
    char msg[400], what[2][160];
    int nwhat = 1;
    if (u->overlay == OVL_QUIT) {
        snprintf(what[0], sizeof what[0], "%s runs. Quit and:", u->quit_label);
        snprintf(what[1], sizeof what[1], "w wait, l leave it, s stop it, Esc stay");
        nwhat = 2;
    } else if (u->quit_when_idle) {
        snprintf(what[0], sizeof what[0], "quitting when %s ends (Esc: stay)", u->quit_label);
    } else {
        snprintf(what[0], sizeof what[0], "q quits");
    }
    int y = 0;
    snprintf(msg, sizeof msg, "%s %s", ui_sev_mark(u, u->st.overall), u->st.headline);
    const char *p = msg;
    int maxv = LINES - 2 - nwhat > 1 ? LINES - 2 - nwhat : 1;
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
    for (int i = 0; i < nwhat && y < LINES; i++) ui_text(y++, 0, COLS, nwhat > 1 ? ROLE_WARN : ROLE_MUTED, what[i]);
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
