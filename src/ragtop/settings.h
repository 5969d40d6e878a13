/* settings.h — what the console remembers between runs, in
 * $XDG_CONFIG_HOME/ragtop/settings.yaml (~/.config/ragtop/ when
 * XDG_CONFIG_HOME is unset): theme, refresh interval, the zoomed pane, the
 * logs' minimum level, wrap, and the log ring's size. Read at start (the
 * command line wins over the file), written atomically (rag_atomic_write)
 * whenever one of them changes. A broken file is reported (file, line, what
 * is wrong) and the defaults are used; it is not overwritten until a setting
 * changes. */
#ifndef RAGTOP_SETTINGS_H
#define RAGTOP_SETTINGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rt_settings {
    char theme[64];      /* "" = not set */
    int64_t refresh_ms;  /* 0 = not set */
    char zoom[16];       /* pane name zoomed ("logs"), "" = none */
    int log_level;       /* -1 = all, else rag_level */
    bool wrap;
    int64_t log_lines;   /* ring size */
} rt_settings;

/* The defaults (nothing set; log_lines = RT_LOG_RING). */
void settings_defaults(rt_settings *s);
/* The file's path (false when neither XDG_CONFIG_HOME nor HOME is set). */
bool settings_path(char *out, size_t n);
/* Load path into s (defaults first). 0 = loaded or no file; -1 = broken:
 * why holds "path:line:col: key: what is wrong" and s the defaults. */
int settings_load(const char *path, rt_settings *s, char *why, size_t whyn);
/* The same for a buffer (name in messages); fuzzed by fuzz_settings. */
int settings_parse(const char *name, const char *buf, size_t len, rt_settings *s, char *why, size_t whyn);
/* Write s to path atomically (creates the folder). -1 with why on failure. */
int settings_save(const char *path, const rt_settings *s, char *why, size_t whyn);

#endif
