/* main.c — ragtop's entry point: dispatches to the subcommands (validate,
 * watch) and otherwise parses the options and runs the console or --once. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "keys.h"
#include "once.h"
#include "options.h"
#include "probe.h"
#include "rag/common.h"

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc > 1 && strcmp(argv[1], "watch") == 0) {
        /* hook: the watch subcommand (ragtop watch) is dispatched here */
        fprintf(stderr, "ragtop: watch is not built into this version\n");
        return RAG_EXIT_USAGE;
    }
    rt_options o;
    int rc = options_parse(argc, argv, &o);
    if (rc != 0) return rc;
    if (o.help) {
        options_usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("ragtop %s\n", RAG_VERSION);
        return 0;
    }
    if (o.keys_man) {
        keys_write_man(stdout);
        return 0;
    }
    probe_global_init();
    rc = o.once ? once_run(&o) : console_run(&o);
    probe_global_cleanup();
    return rc;
}
