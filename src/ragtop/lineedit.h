/* lineedit.h — the one line editor behind every prompt of the console
 * (log search, log filter): a byte buffer with a cursor and the readline
 * keys people expect — Ctrl-A/Home, Ctrl-E/End, Ctrl-B/Left, Ctrl-F/Right,
 * Ctrl-U (kill to start), Ctrl-K (kill to end), Ctrl-W (kill the word
 * before the cursor), Backspace, Ctrl-D/Delete. Cursor moves and deletions
 * keep to UTF-8 character boundaries, and so does a full buffer (a
 * character that does not fit is not taken, not cut). Pure: no curses
 * calls, unit-tested. */
#ifndef RAGTOP_LINEEDIT_H
#define RAGTOP_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

#define LINEEDIT_MAX 256

typedef struct lineedit {
    char text[LINEEDIT_MAX]; /* NUL-terminated */
    size_t len, cur;         /* bytes; cur <= len */
} lineedit;

/* Start editing initial (may be NULL or ""), cursor at the end. */
void lineedit_init(lineedit *e, const char *initial);
/* Apply one key (curses code). Returns true when the key was an editing
 * key (consumed), false for keys the prompt handles itself (Enter, Esc,
 * Tab, ...). */
bool lineedit_key(lineedit *e, int ch);
/* Columns from the start of the text to the cursor (for placing it). */
int lineedit_cursor_cols(const lineedit *e);

#endif
