/* main.c — rag-ingest's command line: parses options, loads and validates
 * the config (exit 78 when invalid), runs one ingest (or --watch, or
 * --rollback), and maps
 * the outcome to the exit status: 0 ok (also "unchanged"), 1 run failed,
 * 2 usage, 65 the quality gate refused the new generation (--eval: below
 * quality.min_ndcg), 75 another run holds the lock, 78 invalid config or
 * golden file. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rag/config.h"
#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/manifest.h"
#include "rag/timeutil.h"
#include "quality.h"
#include "rollback.h"
#include "run.h"
#include "watch.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rag-ingest [--config FILE] [--full] [--retry-failed] [--force] [--dry-run] [--watch] [--quiet]\n"
            "       rag-ingest [--config FILE] --rollback [RUN_ID]\n"
            "       rag-ingest [--config FILE] --eval\n"
            "       rag-ingest --version | --help\n"
            "Turns the transcripts folder into a searchable index generation and updates the freshness manifest.\n"
            "  --config FILE  configuration (default: $RAG_CONFIG or config/params.yaml)\n"
            "  --full         rebuild every document, even unchanged ones\n"
            "  --retry-failed also retry files that failed on their content and have not changed\n"
            "                 (files that failed for a transient reason are retried on every run)\n"
            "  --rollback [RUN_ID]\n"
            "                 serve the previous retained generation again (or the one run RUN_ID\n"
            "                 published): the undo for a bad generation\n"
            "  --force        publish the new generation even when the quality gate refuses it\n"
            "                 (quality.min_ndcg / quality.max_drop on the golden queries)\n"
            "  --eval         evaluate the served generation on the golden queries (quality.golden)\n"
            "                 and print nDCG@10, recall@k, MRR and the weak queries; writes nothing\n"
            "  --dry-run      report what would be processed; write nothing\n"
            "  --watch        keep running: run on the schedule and when transcripts change\n"
            "  --quiet        no progress or summary on stderr (errors still shown)\n"
            "  --version      print the version\n"
            "  --help         this text\n"
            "Exit status: 0 success (also when nothing changed), 1 run failed, 2 usage,\n"
            "65 quality gate refused the new generation (nothing published; --eval: below\n"
            "quality.min_ndcg), 75 another run holds the lock, 78 invalid configuration or\n"
            "golden file.\n"
            "Logs: <artifacts>/logs/ingest.jsonl; metrics: <artifacts>/logs/ingestion_metrics.jsonl.\n");
}

/* The pipeline's threads allocate and free a file's text, chunks and
 * vectors per file. By default glibc hands a thread arena's freed top back
 * to the kernel (madvise) almost every time and the next file faults the
 * pages in again: ~22k madvise calls and ~1.5 s of kernel time (TLB
 * shootdowns, page clearing) in a full ingest of 20k files. Freed memory is
 * kept instead (peak RSS is what bounds a run anyway; --watch trims after
 * each run), and blocks up to 32 MiB come from the heap, not a fresh mmap. */
static void keep_freed_memory(void)
{
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

static void on_signal(int sig)
{
    (void)sig;
    ingest_request_stop();
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "full", no_argument, NULL, 'f' },
        { "dry-run", no_argument, NULL, 'n' },      { "watch", no_argument, NULL, 'w' },
        { "quiet", no_argument, NULL, 'q' },        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },         { "retry-failed", no_argument, NULL, 'r' },
        { "rollback", no_argument, NULL, 'R' },     { "force", no_argument, NULL, 'F' },
        { "eval", no_argument, NULL, 'E' },         { NULL, 0, NULL, 0 },
    };
    const char *config_path = NULL;
    run_opts opts = { 0 };
    bool watch = false, rollback = false, eval = false;
    const char *rollback_run = NULL;
    int ch;
    opterr = 0;
    keep_freed_memory();
    /* No global allocation statistics: they take a mutex on every malloc,
     * which the writer and the full-text thread would contend for. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    while ((ch = getopt_long(argc, argv, "c:fnwqVh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case 'f': opts.full = true; break;
        case 'n': opts.dry_run = true; break;
        case 'w': watch = true; break;
        case 'r': opts.retry_failed = true; break;
        case 'R': rollback = true; break;
        case 'F': opts.force = true; break;
        case 'E': eval = true; break;
        case 'q': opts.quiet = true; break;
        case 'V': printf("rag-ingest %s\n", RAG_VERSION); return RAG_EXIT_OK;
        case 'h': usage(stdout); return RAG_EXIT_OK;
        default:
            if (optopt)
                fprintf(stderr, "rag-ingest: option -%c %s\n", optopt,
                        strchr("c", optopt) ? "needs an argument" : "is not known");
            else
                fprintf(stderr, "rag-ingest: option %s is not known or needs an argument\n", argv[optind - 1]);
            usage(stderr);
            return RAG_EXIT_USAGE;
        }
    }
    if (rollback && optind < argc)
        rollback_run = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "rag-ingest: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return RAG_EXIT_USAGE;
    }
    if (rollback && (watch || opts.dry_run || opts.full || opts.retry_failed)) {
        fprintf(stderr, "rag-ingest: --rollback cannot be combined with --watch, --dry-run, --full or --retry-failed\n");
        return RAG_EXIT_USAGE;
    }
    if (eval && (rollback || watch || opts.dry_run || opts.full || opts.retry_failed || opts.force)) {
        fprintf(stderr, "rag-ingest: --eval cannot be combined with other options than --config\n");
        return RAG_EXIT_USAGE;
    }
    if (rollback && opts.force) {
        fprintf(stderr, "rag-ingest: --rollback cannot be combined with --force\n");
        return RAG_EXIT_USAGE;
    }
    if (rollback_run && !rag_manifest_is_run_id(rollback_run)) {
        fprintf(stderr, "rag-ingest: --rollback: \"%s\" is not a run id (YYYYMMDDTHHMMSSZ-xxxxxx)\n", rollback_run);
        return RAG_EXIT_USAGE;
    }
    if (watch && opts.dry_run) {
        fprintf(stderr, "rag-ingest: --watch and --dry-run cannot be combined\n");
        return RAG_EXIT_USAGE;
    }
    if (!config_path)
        config_path = rag_config_default_path();

    rag_config cfg;
    rag_error err = { 0 };
    if (rag_config_load_or_report(config_path, &cfg, &err) != RAG_EXIT_OK) {
        fprintf(stderr, "rag-ingest: invalid configuration: %s\n", err.msg);
        return RAG_EXIT_CONFIG;
    }
    if (eval) {
        int st = quality_eval_command(&cfg, stdout);
        rag_config_free(&cfg);
        return st;
    }
    /* a broken golden file is a configuration error: say so before any work */
    rag_golden golden;
    bool have_golden;
    const char *why;
    rag_problems probs = { 0 };
    if (quality_golden_load(&cfg, &golden, &have_golden, &why, &probs, &err) != RAG_OK) {
        for (size_t i = 0; i < probs.count; i++)
            fprintf(stderr, "%s\n", probs.items[i]);
        if (!probs.count)
            fprintf(stderr, "%s\n", err.msg);
        fprintf(stderr, "rag-ingest: invalid golden file (quality.golden): %s\n", cfg.quality.golden);
        rag_problems_free(&probs);
        rag_config_free(&cfg);
        return RAG_EXIT_CONFIG;
    }
    rag_problems_free(&probs);
    if (have_golden && !watch)
        opts.golden = &golden; /* one run evaluates what was validated; --watch reads it per run */
    rag_signals_catch(on_signal, false);

    rag_log *log = NULL;
    if (!opts.dry_run) {
        char *logs = rag_config_logs_dir(&cfg);
        char *path = rag_path_join(logs, "ingest.jsonl");
        log = rag_log_open(path, "ingest", &err);
        free(logs);
        free(path);
        if (!log) {
            fprintf(stderr, "rag-ingest: %s\n", err.msg);
            rag_golden_free(&golden);
            rag_config_free(&cfg);
            return RAG_EXIT_FAIL;
        }
    }
    opts.progress = isatty(STDERR_FILENO) && !opts.quiet;

    int status;
    if (watch) {
        status = watch_loop(config_path, &cfg, &opts, log);
    } else {
        run_stats st;
        int rc = rollback ? ingest_rollback(&cfg, rollback_run, &opts, log, &st) : ingest_run(&cfg, &opts, log, &st);
        if (rc == RAG_ELOCKED) {
            char since[RAG_TIME_BUFSZ] = "unknown";
            if (st.lock_since_ms > 0)
                rag_time_format(st.lock_since_ms, since);
            fprintf(stderr, "rag-ingest: another run holds the lock: pid %ld, started %s\n", st.lock_pid, since);
            status = RAG_EXIT_TEMPFAIL;
        } else {
            status = rc == RAG_OK ? RAG_EXIT_OK : rc == RAG_EGATE ? RAG_EXIT_QUALITY : RAG_EXIT_FAIL;
        }
        run_stats_free(&st);
    }
    rag_log_close(log);
    rag_golden_free(&golden);
    rag_config_free(&cfg);
    return status;
}
