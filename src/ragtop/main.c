/* main.c — the ragtop program: a dispatch table of subcommands (validate,
 * watch), each in its own module; without a subcommand the options are
 * parsed and ragtop runs the interactive console, or --once. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "keys.h"
#include "once.h"
#include "options.h"
#include "probe.h"
#include "rag/common.h"
#include "validate.h"
#include "watch.h"

typedef struct ragtop_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
} ragtop_command;

static const ragtop_command commands[] = {
    {"validate", validate_main, "check config/params.yaml and services.yml; exit 78 on any problem"},
    {"watch", watch_main, "headless health watcher: alerts to webhook receivers (docs/specs/alerts.md)"},
};

static void usage(FILE *to)
{
    options_usage(to);
    fprintf(to, "\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nRun \"ragtop <command> --help\" for a command's options.\n");
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc > 1 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "ragtop: unknown command %s (try ragtop --help)\n", argv[1]);
        return RT_EXIT_USAGE;
    }
    rt_options o;
    int rc = options_parse(argc, argv, &o);
    if (rc != 0) return rc;
    if (o.help) {
        usage(stdout);
        return RAG_EXIT_OK;
    }
    if (o.version) {
        printf("ragtop %s\n", RAG_VERSION);
        return RAG_EXIT_OK;
    }
    if (o.keys_man) {
        keys_write_man(stdout);
        return RAG_EXIT_OK;
    }
    probe_global_init();
    rc = o.once ? once_run(&o) : console_run(&o);
    probe_global_cleanup();
    return rc;
}
