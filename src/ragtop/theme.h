/* theme.h — colour themes: named roles (ok, warn, fail, stale, muted,
 * accent, ...) mapped to colours and attributes by a themes/NAME.theme
 * file. Loading is pure parsing (testable without a terminal); theme_apply
 * turns a theme into ncurses colour pairs on the UI thread, for 8 or 256
 * colours, with the terminal's default background, or attributes only. */
#ifndef RAGTOP_THEME_H
#define RAGTOP_THEME_H

#include <limits.h>
#include <stdbool.h>
#include "rag/common.h"

typedef enum {
    ROLE_NORMAL = 0, ROLE_MUTED, ROLE_ACCENT, ROLE_HEADER, ROLE_TITLE, ROLE_BORDER,
    ROLE_FOCUS, ROLE_SELECTED, ROLE_OK, ROLE_WARN, ROLE_FAIL, ROLE_STALE,
    ROLE_DEBUG, ROLE_INFO, ROLE_KEY, ROLE_KEYLABEL, ROLE_DIALOG, ROLE_PROGRESS,
    ROLE_COUNT
} theme_role;

/* A colour: 256-colour index (or -1 = terminal default) and the 8-colour
 * fallback used when the terminal has fewer colours. */
typedef struct theme_color { short c256, c8; } theme_color;

typedef struct theme_entry {
    theme_color fg, bg;
    int attrs; /* THEME_A_* */
} theme_entry;

enum { THEME_A_BOLD = 1, THEME_A_DIM = 2, THEME_A_REVERSE = 4, THEME_A_UNDERLINE = 8,
       THEME_A_ITALIC = 16, THEME_A_STANDOUT = 32 };

typedef struct theme {
    char name[64];
    char path[PATH_MAX];   /* "" for the built-in default */
    theme_entry roles[ROLE_COUNT];
} theme;

const char *theme_role_name(theme_role r);
/* The built-in default (same as themes/default-dark.theme). */
void theme_builtin(theme *t);
/* Parse a theme file's text. Unknown roles, colours or attributes are
 * errors ("name:line: unknown colour 'x'"). Roles not set keep t's values. */
int theme_parse(const char *name, const char *text, theme *t, rag_error *err);
/* Find and load NAME: a path when it contains '/', else
 * $XDG_CONFIG_HOME/ragtop/themes/NAME.theme (or ~/.config/...),
 * $RAGTOP_THEMES_DIR, <program dir>/../../themes, <program dir>/../share/ragtop/themes,
 * ./themes. RAG_ENOENT lists the places searched. */
int theme_load(const char *name, theme *t, rag_error *err);

/* UI thread only: set up colour pairs (colors=false: attributes only). */
void theme_apply(const theme *t, bool colors);
/* UI thread only: the curses attribute for a role. */
int theme_attr(theme_role r);

#endif
