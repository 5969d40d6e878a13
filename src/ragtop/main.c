/* main.c — the ragtop program: global options (--help, --version) and a
 * dispatch table of subcommands, each in its own module. Without a
 * subcommand ragtop will start the interactive console (added by the console
 * module); until then it prints usage. */
#include <stdio.h>
#include <string.h>

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
    fprintf(to, "usage: ragtop [--help] [--version] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nRun \"ragtop <command> --help\" for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RAG_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        usage(stdout);
        return RAG_EXIT_OK;
    }
    if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
        printf("ragtop %s\n", RAG_VERSION);
        return RAG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(first, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    if (first[0] == '-')
        fprintf(stderr, "ragtop: unknown option %s\n", first);
    else
        fprintf(stderr, "ragtop: unknown command %s\n", first);
    usage(stderr);
    return RAG_EXIT_USAGE;
}
