/* escape.h — makes untrusted text (log lines, file contents, HTTP bodies)
 * inert for a terminal: control characters (C0, DEL, C1), escape sequences
 * and invalid UTF-8 are rendered as visible escapes (\e, \n, \x9b, \u202e),
 * so nothing from a log can move the cursor, clear the screen, change the
 * title or reorder text. Output is always valid, printable UTF-8. */
#ifndef RAGTOP_ESCAPE_H
#define RAGTOP_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Escape len bytes of in into out (capacity cap, always NUL-terminated,
 * truncated on a character boundary). Returns the bytes written (without
 * the NUL). tabs_as_space: render TAB as one space instead of "\t". */
size_t escape_text(const char *in, size_t len, char *out, size_t cap, bool tabs_as_space);

/* Whether in holds anything escape_text renders as an escape other than a
 * backslash (a control or format character, invalid UTF-8): such text is
 * not copied to the clipboard as it is (a pasted CR runs a command). */
bool escape_needed(const char *in);

/* malloc'd escaped copy of a NUL-terminated string. */
char *escape_dup(const char *in);

/* Terminal columns an escaped string occupies (wcwidth per character). */
int escape_width(const char *s);

#endif
