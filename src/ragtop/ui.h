/* ui.h — the interactive console's UI state and drawing helpers, shared by
 * the pane files (pane_*.c), the overlays and the main loop (console.c).
 * Everything here runs on the UI thread only: it is the only code that
 * calls ncurses. Panes draw from the model while the UI holds its lock
 * (in-memory work only, never disk or network). */
#ifndef RAGTOP_UI_H
#define RAGTOP_UI_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include "lineedit.h"
#include "model.h"
#include "options.h"
#include "status.h"
#include "theme.h"

/* PANE_HEADER is the top line (the verdict): focusable, Enter opens Problems. */
typedef enum { PANE_FRESHNESS = 0, PANE_CONFIG, PANE_SERVICES, PANE_RUNS, PANE_LOGS, PANE_HEADER, PANE_COUNT } pane_id;

typedef struct rect { int y, x, h, w; } rect;

/* OVL_JSON is the scrollable text view (a log line's JSON, a service's last
 * /healthz, a run, an action's output); its title is ovl_title. */
typedef enum {
    OVL_NONE = 0, OVL_HELP, OVL_CONFIRM, OVL_JSON, OVL_PROMPT, OVL_ALERTS, OVL_PROBLEMS, OVL_QUIT,
    OVL_CONTEXTS
} overlay_kind;
typedef enum { PROMPT_FILTER = 0, PROMPT_SEARCH } prompt_kind;

typedef struct ui {
    rt_model *m;
    const rt_options *opt;
    bool ascii, colors;
    int64_t interval_ms;
    /* layout */
    int rows, cols;
    bool too_small;
    pane_id focus;
    bool zoom;
    rect pane[PANE_COUNT];
    bool visible[PANE_COUNT];
    bool paused;
    /* selections */
    int svc_sel;          /* selected service row: always through pane_services_sel */
    char svc_sel_name[RAG_SERVICE_NAME_MAX + 1]; /* ... and its service, which the selection follows when
                             services.yml is re-read in another order */
    char **svc_expanded;  /* the services showing their instances (Space), by name
                             like the selection, so a re-read services.yml keeps them */
    size_t n_svc_expanded;
    int run_sel;          /* 0 = newest */
    int fresh_sel;        /* Freshness pane: 0 = its freshness (Limits) row, 1 = the Quality row */
    /* logs view */
    bool follow, wrap;
    uint64_t log_sel;     /* selected line's seq when not following */
    int min_level;        /* -1 = everything, else rag_level */
    char filter[256];
    bool filter_on, filter_invert, filter_raw; /* raw: on the JSON, not the shown text */
    regex_t filter_re;
    uint32_t filter_gen;  /* bumped on every change: invalidates the lines' cache */
    char search[256];
    bool search_on;
    regex_t search_re;
    uint32_t search_gen;
    int log_hscroll;      /* columns scrolled right (no wrap) */
    /* overlays */
    overlay_kind overlay;
    int ovl_scroll;
    char **json_lines; size_t n_json_lines;
    int confirm_cmd;      /* key_cmd waiting for yes */
    bool confirm_yes;     /* focused button (false = Cancel, the default) */
    char confirm_text[160];
    char confirm_argv[512];   /* exactly what will run */
    char confirm_svc[RAG_SERVICE_NAME_MAX + 1]; /* the service it runs on, fixed when asked */
    char ovl_title[128];      /* OVL_JSON's title */
    int prob_sel;             /* selected problem in OVL_PROBLEMS (its row now) */
    char prob_sel_name[80];   /* ... and its check's name: the selection follows it */
    int quit_choice;          /* OVL_QUIT: 0 wait (default), 1 leave running, 2 stop */
    char quit_label[96];      /* the running action OVL_QUIT asks about */
    bool quit_when_idle;      /* "wait" chosen: quit when no action runs */
    prompt_kind prompt;   /* OVL_PROMPT: what is being typed */
    bool prompt_raw;      /* filter prompt: on the raw JSON (Ctrl-R) */
    lineedit input;
    /* contexts (key c) */
    char context[64];         /* the context shown ("" = the command line's stack) */
    struct fleet *fleet;      /* the Contexts overlay's rows (fleet.c) */
    int ctx_sel;              /* selected row of the Contexts overlay */
    /* the evaluation of the current frame */
    rt_status st;
} ui;

/* Whether terminfo knows term (checked before the console starts: a
 * failed newterm() cannot be undone without a leak in ncurses). */
bool ui_terminal_known(const char *term);

/* ------------------------------------------------------------ helpers (ui.c) */
/* Put untrusted text at (y, x), escaped, clipped to w columns. Returns
 * the columns used. */
int ui_text(int y, int x, int w, theme_role role, const char *text);
/* The same for text that already went through escape_text. Text cut at
 * the right edge ends in "…" ("~" in ASCII mode): the one place that
 * marks cut text, used by every pane. */
int ui_text_safe(int y, int x, int w, theme_role role, const char *safe);
/* Clip without the ellipsis (wrapping code that continues on the next row). */
int ui_text_clip(int y, int x, int w, theme_role role, const char *safe);
/* A byte range [start, end) of a string to highlight (search matches). */
typedef struct ui_span { int start, end; } ui_span;
/* Escaped text scrolled left by skip columns ("…" first when skip > 0,
 * "…" last when cut), with spans drawn reverse+bold. Returns columns used. */
int ui_text_view(int y, int x, int w, theme_role role, const char *safe, int skip, const ui_span *hl, size_t nhl);
/* Row `row` of the text wrapped at w columns (no ellipsis). */
int ui_text_wrapped_row(int y, int x, int w, theme_role role, const char *safe, int row, const ui_span *hl, size_t nhl);
/* ASCII mode for the ellipsis (set once at start); the ellipsis itself. */
void ui_set_ascii(bool ascii);
const char *ui_ellipsis(void);
/* printf then ui_text. */
int ui_printf(int y, int x, int w, theme_role role, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Fill w columns with spaces in role. */
void ui_fill(int y, int x, int w, theme_role role);
/* Box with a title in the top border; focused boxes use the focus role. */
void ui_box(const ui *u, rect r, const char *title, bool focused);
/* Sparkline of vals (negative = gap / failure) in w columns. */
void ui_spark(const ui *u, int y, int x, int w, const int64_t *vals, size_t n, theme_role role);
/* Role and glyph for a severity. */
theme_role ui_sev_role(rt_severity s);
const char *ui_sev_mark(const ui *u, rt_severity s);
/* The Freshness and Config panes' "Rollout" rows: per replicated service
 * "2/3 serve gen-X," and "1 serves gen-W (for 4m)" on the next row (the
 * service's name first when there are several), coloured by its rollout
 * check, a mark first when mark is true. Returns the rows drawn. */
int ui_draw_rollout(ui *u, int y, int x, int w, int label_w, int last, bool mark);
/* "13:45:02" local / "2026-11-28 13:45" and "5m ago" helpers. */
void ui_clock(int64_t ms, char *out, size_t n, bool with_date);

/* ------------------------------------------------------------ panes */
void pane_header_draw(ui *u);
void pane_freshness_draw(ui *u, rect r);
void pane_config_draw(ui *u, rect r);
void pane_services_draw(ui *u, rect r);
/* The selected service's row (model locked) in the registry as it is now:
 * the row of the service selected before (by name: a reordered
 * services.yml keeps it selected), else (it is gone) the same row, clamped.
 * delta moves it first. -1 when there is no service. */
int pane_services_sel(ui *u, const rt_snapshot *s, int delta);
/* Show or hide service name's instances (Space); forget them all (freed). */
void pane_services_toggle_expanded(ui *u, const char *name);
void pane_services_forget_expanded(ui *u);
/* Instance rows the i-th service shows under it (0 when collapsed). */
int pane_services_instance_rows(const ui *u, const rt_snapshot *s, size_t i);
void pane_runs_draw(ui *u, rect r);
void pane_logs_draw(ui *u, rect r);
void pane_status_draw(ui *u); /* status line + key bar */
/* Logs navigation (pane_logs.c). */
void pane_logs_move(ui *u, int delta);    /* +down / -up, in matching lines */
void pane_logs_home(ui *u);               /* the oldest shown line of the ring */
void pane_logs_hscroll(ui *u, int dir);   /* half a pane left (-1) / right (+1) */
bool pane_logs_selected_raw(ui *u, char **raw); /* malloc'd copy of the selected line */
void pane_logs_open_detail(ui *u);        /* the selected line's JSON overlay */
/* Level and filter (caller holds the model lock; caches on the line). */
bool pane_logs_matches(ui *u, rt_log_line *l);
void pane_logs_count(ui *u, uint64_t *match, uint64_t *kept);
/* Set (text "" clears) the filter / the search; false on a bad regex
 * (the status line says why). Both use smart case. */
bool pane_logs_set_filter(ui *u, const char *text, bool raw);
bool pane_logs_set_search(ui *u, const char *text);
void pane_logs_search_next(ui *u, int dir); /* n: +1 (newer), N: -1 */

/* ------------------------------------------------------------ overlays (overlay.c) */
void overlay_draw(ui *u);
void overlay_too_small(ui *u);
void overlay_open_json(ui *u, const char *raw);
/* The scrollable text view with a title; text is split into lines. */
void overlay_open_text(ui *u, const char *title, const char *text);
void overlay_close(ui *u);
/* The Contexts overlay: the fleet overview, one row per context (fleet.c). */
void fleet_draw(ui *u);
/* Help overlay scrolling: lines in the help, rows it shows (last draw). */
void overlay_help_scroll(ui *u, int delta);
/* Copy text to the terminal's clipboard with OSC 52 (works over SSH). */
void ui_osc52_copy(const char *text);

/* ------------------------------------------------------------ problems (problems.c) */
/* The non-OK checks of u->st, worst first (stable); returns how many. */
size_t problems_list(const ui *u, const rt_check **out, size_t max);
/* Keep the selection on the problem chosen (by its check's name) when the
 * list re-sorts between refreshes; when that problem is gone (fixed), the
 * row at its place is selected. Sets u->prob_sel and u->prob_sel_name;
 * returns false when the chosen problem is gone. problems_select: choose
 * row k. */
bool problems_follow(ui *u, const rt_check *const *list, size_t n);
void problems_select(ui *u, const rt_check *const *list, size_t n, int k);
void problems_draw(ui *u);
/* "a: start rag_api" for a check's fix ("" when none). */
void problems_fix_text(const ui *u, const rt_check *c, char *out, size_t n);

/* ------------------------------------------------------------ detail views (detail.c) */
void detail_service(ui *u, int idx);   /* services.yml entry, state, last /healthz JSON */
void detail_run(ui *u, int k);         /* k = 0 newest: the run, its failure, failed files */
void detail_quality(ui *u);            /* the index's quality: figures, failing golden queries, trend */
void detail_action_output(ui *u);      /* the last action's full output */

#endif
