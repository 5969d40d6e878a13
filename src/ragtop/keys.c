/* keys.c — the key table. Order is the order of the help overlay and the
 * man page; entries with a label appear in the key bar, left to right. */
#include "keys.h"

#include <curses.h>
#include <string.h>

#define CTRL(c) ((c) & 0x1f)

static const key_def table[] = {
    {CMD_HELP, {'?', KEY_F(1), 0}, "?, F1", "Help", "show this help (arrows, j/k, PgUp/PgDn, Space/b, g/G scroll it; any other key closes it)", false, false},
    {CMD_QUIT, {'q', KEY_F(10), 0}, "q, F10", "Quit", "quit ragtop; while an action runs it asks: wait for it (the default), leave it running, or stop it", false, false},
    {CMD_INGEST, {'i', 0}, "i", "Ingest", "run an ingest (the job's run action); progress and ETA in the status line", true, false},
    {CMD_RESTART, {'r', 0}, "r", "Restart", "restart the highlighted service of the Services pane (its first row until you move); refused when it has no restart action", true, true},
    {CMD_STOP, {'s', 0}, "s", "Stop", "stop the highlighted service; refused for a job or a service without a stop action", true, true},
    {CMD_ROLLBACK, {'b', 0}, "b", NULL, "roll back: serve the previous index generation again (the rollback action in services.yml: make rollback, rag-ingest --rollback); the fix of a quality regression", true, true},
    {CMD_START, {'a', 0}, "a", "Start", "start the highlighted service; the result says what the action printed (\"already running\")", true, false},
    /* issue 12 part A: problems and action output */
    {CMD_PROBLEMS, {'!', 0}, "!", "Problems", "Problems view: every check that is not OK, worst first, with details and the key that fixes it (Enter or that key runs the fix)", false, false},
    {CMD_OUTPUT, {'o', 0}, "o", NULL, "full output of the running or last action, with its real exit status", false, false},
    {CMD_FOCUS_NEXT, {'\t', 0}, "Tab", NULL, "focus the next pane (the header line too: Enter there opens Problems)", false, false},
    {CMD_FOCUS_PREV, {KEY_BTAB, 0}, "Shift-Tab", NULL, "focus the previous pane", false, false},
    {CMD_UP, {KEY_UP, 'k', 0}, "Up, k", NULL, "move up in the focused pane (logs: scroll back)", false, false},
    {CMD_DOWN, {KEY_DOWN, 'j', 0}, "Down, j", NULL, "move down in the focused pane", false, false},
    {CMD_PGUP, {KEY_PPAGE, 0}, "PgUp", NULL, "one page up", false, false},
    {CMD_PGDN, {KEY_NPAGE, 0}, "PgDn", NULL, "one page down", false, false},
    {CMD_HOME, {KEY_HOME, 'g', 0}, "Home, g", NULL, "first line", false, false},
    {CMD_END, {KEY_END, 'G', 0}, "End, G", NULL, "last line (logs: follow again)", false, false},
    {CMD_ENTER, {'\n', KEY_ENTER, '\r', 0}, "Enter", NULL, "open the detail of the focused pane: header -> Problems, a service -> its last /healthz answer, a run -> its failure and failed files, a log line -> its JSON, the Quality row of Freshness (Down selects it) -> the failing golden queries and the nDCG@10 trend", false, false},
    {CMD_EXPAND, {' ', 0}, "Space", NULL, "Services: expand a replicated service into one row per instance (its state, latency and the generation it serves), or collapse it", false, false},
    /* logs like less/lnav: search, filter, scroll, copy */
    {CMD_SEARCH, {'/', 0}, "/", "Search", "logs: search (regex, smart case: a capital makes it case-sensitive); matches are highlighted; empty clears", false, false},
    {CMD_SEARCH_NEXT, {'n', 0}, "n", NULL, "logs: next search match (newer)", false, false},
    {CMD_SEARCH_PREV, {'N', 0}, "N", NULL, "logs: previous search match (older)", false, false},
    {CMD_FILTER, {'&', 0}, "&", "Filter", "logs: show only lines matching a regex, on the text as shown (Ctrl-R in the prompt: on the raw JSON); a leading ! inverts; smart case; empty clears", false, false},
    {CMD_LEFT, {KEY_LEFT, 0}, "Left", NULL, "logs: scroll left half a pane (no wrap)", false, false},
    {CMD_RIGHT, {KEY_RIGHT, 0}, "Right", NULL, "logs: scroll right half a pane; cut text ends in an ellipsis", false, false},
    {CMD_NONE, {0}, "Ctrl-A E U W K", NULL, "in a prompt: start / end of line, delete to the start, the word before, to the end (also Backspace, Delete, Left, Right); Up recalls the pattern in use; Esc cancels", false, false},
    {CMD_COPY, {'y', 0}, "y", "Copy", "logs: copy the selected line (its raw JSON; a line holding control or format characters is copied with them escaped, as shown) to the clipboard with OSC 52, also over SSH (off with --no-osc52)", false, false},
    {CMD_FOLLOW, {'f', 0}, "f", "Follow", "logs: follow new lines / stay where you are", false, false},
    {CMD_WRAP, {'w', 0}, "w", NULL, "logs: wrap long lines on/off", false, false},
    {CMD_LEVEL, {'l', 0}, "l", "Level", "logs: minimum level (debug, info, warn, error)", false, false},
    {CMD_FASTER, {'+', 0}, "+", NULL, "refresh faster (halve the interval, down to 250ms; a shorter --interval stays)", false, false},
    {CMD_SLOWER, {'-', 0}, "-", NULL, "refresh slower (double the interval, up to 1m; a longer --interval stays)", false, false},
    {CMD_PAUSE, {'p', 0}, "p", "Pause", "pause/resume updates of the screen", false, false},
    {CMD_ZOOM, {'z', 0}, "z", "Zoom", "zoom the focused pane to the full screen and back", false, false},
    {CMD_ALERTS, {'A', 0}, "A", "Alerts", "alerts overlay: whether ragtop watch is running (the holder of its lock), what it has firing, pending deliveries and their next retry, last deliveries", false, false},
    {CMD_CONTEXTS, {'c', 0}, "c", "Contexts", "contexts (contexts.yaml): the fleet overview, one row per stack with its verdict, worst check, served generation and index age; Up/Down and Enter switch to the selected stack, any other key closes", false, false},
    {CMD_REDRAW, {CTRL('l'), 0}, "Ctrl-L", NULL, "redraw the screen", false, false},
};

const key_def *keys_table(size_t *n)
{
    *n = sizeof table / sizeof *table;
    return table;
}

const key_def *keys_lookup(int code)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        for (size_t j = 0; j < 4 && table[i].codes[j]; j++)
            if (table[i].codes[j] == code) return &table[i];
    return NULL;
}

static void roff_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else fputc(*s, f);
    }
}

int64_t keys_refresh_step(int64_t interval_ms, bool faster)
{
    if (faster) {
        if (interval_ms / 2 >= KEYS_REFRESH_MIN_MS) return interval_ms / 2;
        return interval_ms < KEYS_REFRESH_MIN_MS ? interval_ms : KEYS_REFRESH_MIN_MS;
    }
    if (interval_ms <= KEYS_REFRESH_MAX_MS / 2) return interval_ms * 2;
    return interval_ms > KEYS_REFRESH_MAX_MS ? interval_ms : KEYS_REFRESH_MAX_MS;
}

void keys_write_man(FILE *f)
{
    fputs(".\\\" KEYS: generated by `ragtop --keys-man` from src/ragtop/keys.c; do not edit by hand.\n", f);
    fputs(".SH KEYS\n", f);
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        fputs(".TP\n.B ", f);
        roff_escape(f, table[i].keys);
        fputc('\n', f);
        roff_escape(f, table[i].help);
        fputc('.', f);
        if (table[i].destructive) fputs(" Destructive: asks first; Cancel is the default.", f);
        if (table[i].action) fputs(" Disabled by \\fB\\-\\-readonly\\fR.", f);
        fputc('\n', f);
    }
    fputs(".\\\" end of generated KEYS\n", f);
}
