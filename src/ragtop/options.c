/* options.c — command-line parsing for ragtop (getopt_long). Bad options and
 * bad values are usage errors naming the option and the value: exit 3
 * (UNKNOWN) when --once is anywhere on the line, 64 (EX_USAGE) otherwise. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rag/common.h"
#include "rag/timeutil.h"

void options_usage(FILE *f)
{
    fputs("usage: ragtop [OPTIONS]            full-screen operations console\n"
          "       ragtop --once [--json]      one snapshot, exit 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN\n"
          "       ragtop validate | watch     (see ragtop(1))\n"
          "\n"
          "options:\n"
          "  --services FILE     service registry (default $RAG_SERVICES, then ./services.yml,\n"
          "                      then $XDG_CONFIG_HOME/ragtop/services.yml)\n"
          "  --config FILE       stack config (default $RAG_CONFIG, then config/params.yaml)\n"
          "  --context NAME      the stack named NAME in $XDG_CONFIG_HOME/ragtop/contexts.yaml (local\n"
          "                      paths or a remote /status URL); with --once, \"all\" shows every context\n"
          "  --interval DURATION refresh interval, e.g. 1s, 500ms (default 2s)\n"
          "  --theme NAME        colour theme (default-dark, light, high-contrast, monochrome,\n"
          "                      or a file in $XDG_CONFIG_HOME/ragtop/themes/NAME.theme)\n"
          "  --readonly          disable every action key\n"
          "  --no-color          attributes only (also when NO_COLOR is set)\n"
          "  --ascii             ASCII line drawing and sparklines (automatic without UTF-8)\n"
          "  --no-osc52          y does not copy to the terminal's clipboard (OSC 52)\n"
          "  --once              print one snapshot and exit with its status\n"
          "  --json              with --once: print the snapshot as JSON (docs/specs/once.md)\n"
          "  --version           print the version\n"
          "  --help              print this help\n",
          f);
}

/* --once follows the Nagios plugin convention, where 2 means CRITICAL: a
 * typo in a check command must read as UNKNOWN (3), wherever --once is. */
static int usage_status(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--once") == 0) return RT_EXIT_ONCE_USAGE;
    }
    return RT_EXIT_USAGE;
}

int options_parse(int argc, char **argv, rt_options *o)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 2000;
    o->theme = "default-dark";
    enum { O_SERVICES = 1, O_CONFIG, O_INTERVAL, O_THEME, O_READONLY, O_NOCOLOR, O_ASCII,
           O_ONCE, O_JSON, O_VERSION, O_HELP, O_KEYSMAN, O_NOOSC52, O_CONTEXT };
    static const struct option longs[] = {
        {"services", required_argument, NULL, O_SERVICES},
        {"config", required_argument, NULL, O_CONFIG},
        {"context", required_argument, NULL, O_CONTEXT},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"theme", required_argument, NULL, O_THEME},
        {"readonly", no_argument, NULL, O_READONLY},
        {"no-color", no_argument, NULL, O_NOCOLOR},
        {"ascii", no_argument, NULL, O_ASCII},
        {"once", no_argument, NULL, O_ONCE},
        {"json", no_argument, NULL, O_JSON},
        {"version", no_argument, NULL, O_VERSION},
        {"help", no_argument, NULL, O_HELP},
        {"keys-man", no_argument, NULL, O_KEYSMAN},
        {"no-osc52", no_argument, NULL, O_NOOSC52},
        {0, 0, 0, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case O_SERVICES: o->services_path = optarg; break;
        case O_CONFIG: o->config_path = optarg; break;
        case O_CONTEXT: o->context = optarg; break;
        case O_INTERVAL:
            if (rag_duration_parse(optarg, &o->interval_ms) != 0 || o->interval_ms < 100 || o->interval_ms > 3600000) {
                fprintf(stderr, "ragtop: --interval %s: expected a duration between 100ms and 1h (e.g. 1s, 500ms)\n", optarg);
                return usage_status(argc, argv);
            }
            o->interval_given = true;
            break;
        case O_THEME: o->theme = optarg; o->theme_given = true; break;
        case O_READONLY: o->readonly = true; break;
        case O_NOCOLOR: o->no_color = true; break;
        case O_ASCII: o->ascii = true; break;
        case O_ONCE: o->once = true; break;
        case O_JSON: o->json = true; break;
        case O_VERSION: o->version = true; break;
        case 'h':
        case O_HELP: o->help = true; break;
        case O_KEYSMAN: o->keys_man = true; break;
        case O_NOOSC52: o->no_osc52 = true; break;
        default:
            if (optopt || (optind > 0 && argv[optind - 1]))
                fprintf(stderr, "ragtop: unknown or incomplete option '%s'\n\n", argv[optind - 1]);
            options_usage(stderr);
            return usage_status(argc, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ragtop: unexpected argument '%s'\n\n", argv[optind]);
        options_usage(stderr);
        return usage_status(argc, argv);
    }
    if (o->context && (o->services_path || o->config_path)) {
        fprintf(stderr, "ragtop: --context names the stack: it does not go with --services or --config\n");
        return usage_status(argc, argv);
    }
    if (o->context && !strcmp(o->context, "all") && !o->once) {
        fprintf(stderr, "ragtop: --context all only works with --once (the console shows one stack; "
                        "press c for the list of contexts)\n");
        return usage_status(argc, argv);
    }
    if (o->json && !o->once) {
        fprintf(stderr, "ragtop: --json only works with --once\n");
        return usage_status(argc, argv);
    }
    return 0;
}
