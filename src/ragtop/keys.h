/* keys.h — the one key table: key, label, help text and flags. It drives
 * the key bar, the ?/F1 help overlay and the KEYS section of ragtop(1)
 * (`ragtop --keys-man`), so the three can never disagree. */
#ifndef RAGTOP_KEYS_H
#define RAGTOP_KEYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CMD_NONE = 0, CMD_QUIT, CMD_HELP, CMD_INGEST, CMD_RESTART, CMD_STOP, CMD_START,
    CMD_FOCUS_NEXT, CMD_FOCUS_PREV, CMD_UP, CMD_DOWN, CMD_PGUP, CMD_PGDN, CMD_HOME, CMD_END,
    CMD_ENTER, CMD_FILTER, CMD_FOLLOW, CMD_WRAP, CMD_LEVEL, CMD_FASTER, CMD_SLOWER,
    CMD_PAUSE, CMD_ZOOM, CMD_REDRAW, CMD_ALERTS, CMD_CONTEXTS,
    /* logs like less/lnav */
    CMD_SEARCH, CMD_SEARCH_NEXT, CMD_SEARCH_PREV, CMD_LEFT, CMD_RIGHT, CMD_COPY,
    CMD_PROBLEMS, CMD_OUTPUT, /* issue 12 part A */
    CMD_ROLLBACK, /* issue 13: the fix of a quality regression */
    CMD_EXPAND,               /* issue 15: a replicated service's instances */
} key_cmd;

typedef struct key_def {
    key_cmd cmd;
    int codes[4];          /* curses key codes, 0-terminated */
    const char *keys;      /* as shown: "q, F10" */
    const char *label;     /* short, for the key bar ("Quit"), NULL = not in bar */
    const char *help;      /* one line for the help overlay and the man page */
    bool action;           /* runs something: disabled by --readonly */
    bool destructive;      /* asks first (Cancel is the default) */
} key_def;

/* The table and its length. */
const key_def *keys_table(size_t *n);
/* The entry for a key code (NULL when unbound). */
const key_def *keys_lookup(int code);
/* The KEYS section of the man page (roff), from the table. */
void keys_write_man(FILE *f);

/* + and -: the refresh interval halved or doubled within
 * KEYS_REFRESH_MIN_MS .. KEYS_REFRESH_MAX_MS; an interval already past a
 * bound (--interval allows 100ms .. 1h) stays where it is rather than
 * moving against the key. */
#define KEYS_REFRESH_MIN_MS 250
#define KEYS_REFRESH_MAX_MS 60000
int64_t keys_refresh_step(int64_t interval_ms, bool faster);

#endif
