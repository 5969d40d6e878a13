/* lastrun.h — whether the newest ingest run succeeded, for /metrics
 * (rag_api_ingest_last_run_success). Reads only the tail of
 * ingestion_metrics.jsonl, and only when the file's inode, size or mtime
 * changed (stat()ed at most once per second), never per request. */
#ifndef API_LASTRUN_H
#define API_LASTRUN_H

#include <stdint.h>

typedef struct api_lastrun api_lastrun;

api_lastrun *api_lastrun_new(const char *metrics_path);
void api_lastrun_free(api_lastrun *w);
/* 1: the newest complete line has status "published" or "unchanged";
 * 0: "failed" (or "error"); -1: unknown (no file, no complete line, or the
 * newest line is not a metrics line). Lines of rag-ingest --rollback
 * ("rollback": true) are skipped: a rollback is not an ingest run.
 * now_mono_ms paces the stat(). */
int api_lastrun_get(api_lastrun *w, int64_t now_mono_ms);
/* How many times the file was read (for tests: unchanged file, no reads). */
uint64_t api_lastrun_reads(api_lastrun *w);

#endif
