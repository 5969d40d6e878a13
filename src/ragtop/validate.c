/* validate.c — `ragtop validate [--config FILE] [--services FILE]`. Loads both
 * files with the same loaders the console, API and ingest use, prints every
 * problem (file:line:col: key: what is wrong) to stderr, and exits 78
 * (EX_CONFIG) if there was any; on success prints one "ok" line per file with
 * the config hash and the number of services. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rag/config.h"
#include "rag/confighash.h"
#include "rag/services.h"
#include "collect.h"
#include "options.h"
#include "validate.h"

static void validate_usage(FILE *to)
{
    fprintf(to,
            "usage: ragtop validate [--config FILE] [--services FILE]\n"
            "  --config FILE    config to check (default: as the console finds it: $RAG_CONFIG,\n"
            "                   then config/params.yaml, then config/params.yaml next to the services file)\n"
            "  --services FILE  service registry to check (default: $RAG_SERVICES, then services.yml,\n"
            "                   then $XDG_CONFIG_HOME/ragtop/services.yml)\n"
            "Prints every problem as file:line:col: key: problem; exits 78 if there is any.\n");
}

/* A file that did not load: its problems (err's message when there is
 * none) to stderr; returns how many problems that counts for. */
static size_t print_problems(const rag_problems *p, const rag_error *err)
{
    for (size_t i = 0; i < p->count; i++)
        fprintf(stderr, "%s\n", p->items[i]);
    if (!p->count)
        fprintf(stderr, "%s\n", err->msg);
    return p->count ? p->count : 1;
}

int validate_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"services", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_arg = NULL, *services_arg = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_arg = optarg;
            break;
        case 's':
            services_arg = optarg;
            break;
        case 'h':
            validate_usage(stdout);
            return RAG_EXIT_OK;
        case ':':
            fprintf(stderr, "ragtop validate: %s needs a value\n", argv[optind - 1]);
            validate_usage(stderr);
            return RT_EXIT_USAGE;
        default:
            fprintf(stderr, "ragtop validate: unknown option %s\n", argv[optind - 1]);
            validate_usage(stderr);
            return RT_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ragtop validate: unexpected argument %s\n", argv[optind]);
        validate_usage(stderr);
        return RT_EXIT_USAGE;
    }

    /* the files the console, --once and watch would read (collect.h) */
    char services_path[PATH_MAX], config_path[PATH_MAX];
    collect_services_path(services_arg, services_path);
    rag_services svcs;
    rag_problems sp = {0};
    rag_error serr = {0};
    const bool services_ok = rag_services_load(services_path, &svcs, &sp, &serr) == RAG_OK;
    collect_config_path(config_arg, services_ok ? svcs.base_dir : NULL, config_path);

    size_t total = 0;
    rag_problems p = {0};
    rag_error err = {0};
    rag_config cfg;
    if (rag_config_load(config_path, &cfg, &p, &err) == RAG_OK) {
        char hash[RAG_HASH_HEX];
        rag_config_hash(&cfg, hash);
        printf("%s: ok (config hash %s)\n", config_path, hash);
        rag_config_free(&cfg);
    } else {
        total += print_problems(&p, &err);
    }
    rag_problems_free(&p);

    if (services_ok) {
        printf("%s: ok (%zu service%s)\n", services_path, svcs.count, svcs.count == 1 ? "" : "s");
        rag_services_free(&svcs);
    } else {
        total += print_problems(&sp, &serr);
    }
    rag_problems_free(&sp);
    fflush(stdout);

    if (total) {
        fprintf(stderr, "ragtop validate: %zu problem%s found\n", total, total == 1 ? "" : "s");
        return RAG_EXIT_CONFIG;
    }
    return RAG_EXIT_OK;
}
