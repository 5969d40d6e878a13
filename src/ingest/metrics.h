/* metrics.h — the per-run line appended to
 * <artifacts>/logs/ingestion_metrics.jsonl (docs/specs/metrics-line.md),
 * written with one write() on an O_APPEND descriptor, into room reserved
 * for it before the run did any work (so a disk that fills during the run
 * cannot take the failed run's record away). */
#ifndef INGEST_METRICS_H
#define INGEST_METRICS_H

#include "run.h"

/* The longest line metrics_json can render, newline included: every free
 * text in it (errors, warnings, failure, full_reason, names) is cut to a
 * fixed number of bytes as written, so the bound holds whatever the
 * messages (test_ingest_metrics renders the worst case). */
#define METRICS_LINE_MAX (16 * 1024)
/* Bytes kept allocated after the file's end: twice the longest line, so a
 * file system's rounding or a line written by something else in between
 * still leaves room for the next one. */
#define METRICS_RESERVE (2 * METRICS_LINE_MAX)
/* Each error or warning message in the line, and the failure reason, at
 * most this many bytes as written (longer ones end in "…"). */
#define METRICS_MESSAGE_MAX 512
#define METRICS_FAILURE_MAX 1024

cJSON *metrics_json(const run_stats *s);
/* Make sure the METRICS_RESERVE bytes after the end of path (created if
 * missing) are allocated without changing its size (fallocate with
 * FALLOC_FL_KEEP_SIZE), so the next metrics_append cannot fail for want of
 * space. RAG_OK when they are, and also where the file system cannot
 * reserve (EOPNOTSUPP: the append then works as it did before, all or
 * nothing but not guaranteed room); RAG_ERR naming the file and the reason
 * otherwise (disk full, quota, cannot open). */
int metrics_reserve(const char *path, rag_error *err);
/* Append s's line (all or nothing), then reserve room for the next run's
 * line (best effort: the next run's metrics_reserve says if it fails). */
int metrics_append(const char *path, const run_stats *s, rag_error *err);
/* A run's (or rollback's) record: append s's line to
 * <logs_dir>/ingestion_metrics.jsonl; when it cannot be, say so on stderr
 * (also with --quiet: monitors now show the run before) and as a
 * metrics_line_failed event in log (when given). The caller's exit status
 * stays the run's. */
void metrics_record(const char *logs_dir, const run_stats *s, rag_log *log);

#endif
