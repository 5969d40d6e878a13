/* options.h — ragtop's command-line options, shared by the console and
 * --once: parsed once in main, then handed to console_run / once_run. */
#ifndef RAGTOP_OPTIONS_H
#define RAGTOP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rt_options {
    const char *services_path; /* --services FILE */
    const char *config_path;   /* --config FILE */
    const char *context;       /* --context NAME (contexts.yaml; "all" with --once) */
    int64_t interval_ms;       /* --interval DURATION (default 2s) */
    const char *theme;         /* --theme NAME (default "default-dark") */
    bool readonly, no_color, ascii, once, json;
    bool version, help, keys_man;
    bool no_osc52;                   /* --no-osc52: y does not touch the clipboard */
    bool theme_given, interval_given; /* on the command line (beat settings.yaml) */
} rt_options;

/* Exit status of a usage error: 3 (UNKNOWN) when --once is given, so a
 * monitoring system never reads a typo as CRITICAL (2); 64 (EX_USAGE, as in
 * sysexits.h) for the console and the subcommands. */
#define RT_EXIT_ONCE_USAGE 3
#define RT_EXIT_USAGE 64

/* Parse argv (from index 1). Returns 0, or RT_EXIT_ONCE_USAGE /
 * RT_EXIT_USAGE after printing a usage error naming the bad option. */
int options_parse(int argc, char **argv, rt_options *o);
/* The --help text. */
void options_usage(FILE *f);

#endif
