/* run.h — one ingest run: lock, scan, classify what changed against the
 * previous generation, build and publish a new generation (or confirm the
 * current one), write the manifest last, housekeeping, then the metrics
 * line. The run's counters are what the metrics line and the summary
 * report. */
#ifndef INGEST_RUN_H
#define INGEST_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "rag/common.h"
#include "rag/config.h"
#include "rag/jsonlog.h"
#include <cjson/cJSON.h>

typedef struct run_opts {
    bool full;      /* rebuild everything */
    bool dry_run;   /* report what would change; write nothing */
    bool quiet;     /* no human output on stderr */
    bool progress;  /* draw a progress bar (stderr is a terminal) */
    bool retry_failed; /* also retry content failures whose file did not change */
    bool force;     /* publish even when the quality gate refuses the candidate */
    const struct rag_golden *golden; /* golden queries loaded (and validated) at start-up; NULL = load
                                        quality.golden when evaluating (--watch: each run reads it anew) */
} run_opts;

#define RUN_MAX_ERRORS 5

typedef struct run_stats {
    char run_id[32];
    char status[16];         /* published | unchanged | failed | dry-run */
    int64_t started_ms, finished_ms;
    int64_t seen, processed, unchanged, failed, deleted;
    int64_t failed_content;   /* of failed: skipped until the file changes */
    int64_t failed_transient; /* of failed: retried next run */
    int64_t file_warnings;    /* parts of files a parser skipped (file_warning events) */
    int64_t batches;
    int64_t documents, chunks, tokens;          /* in the served index after the run */
    int64_t chunks_new, tokens_new;             /* made by this run */
    int64_t chunks_embedded, chunks_reused;
    int64_t bytes_processed;
    bool full;
    char full_reason[256];
    char generation[128];    /* published or confirmed; "" when none */
    bool published;
    char config_hash[65];
    int64_t n_errors;
    char *errors[RUN_MAX_ERRORS]; /* first messages */
    int64_t n_warnings;
    char *warnings[RUN_MAX_ERRORS]; /* housekeeping problems after publishing */
    char failure[1024];      /* why the run failed */
    bool rollback;           /* a --rollback republished an earlier generation */
    char rollback_from[128]; /* the generation it replaced */
    struct {                 /* golden-query evaluation (docs/specs/quality.md) */
        char gate[16];       /* passed | refused | forced | off | skipped ("" = skipped) */
        bool have;           /* the figures below are set */
        int64_t queries;
        double ndcg_at_10, recall_at_k, mrr;
        int64_t failed;
        cJSON *regressions;  /* owned: [{id, query, served_ndcg_at_10, candidate_ndcg_at_10}] when refused/forced */
    } quality;
    long lock_pid;           /* when the lock was held by another run */
    int64_t lock_since_ms;
} run_stats;

/* Returns RAG_OK (published, unchanged or dry-run), RAG_ELOCKED (another run
 * holds the lock; stats.lock_pid names it), RAG_EGATE (the quality gate
 * refused the candidate: it was removed, nothing published) or RAG_ERR (run failed; the
 * manifest was not touched and nothing the run created is left). The
 * metrics line is written in every case but RAG_ELOCKED and dry runs. */
int ingest_run(const rag_config *cfg, const run_opts *opts, rag_log *log, run_stats *stats);
void run_stats_free(run_stats *s);
void run_add_warning(run_stats *s, const char *msg);
/* "YYYYMMDDTHHMMSSZ-xxxxxx": UTC now and 3 random bytes. */
void ingest_make_run_id(char out[32]);
/* Test hook: sleep for the milliseconds in the environment variable env. */
void ingest_test_pause(const char *env);

/* Ask a running ingest_run to stop (async-signal-safe). */
void ingest_request_stop(void);
bool ingest_stop_requested(void);
void ingest_clear_stop(void);
/* The flag itself, for code that polls it (embedder, SQLite). */
const volatile int *ingest_stop_flag(void);

#endif
