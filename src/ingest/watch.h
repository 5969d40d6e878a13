/* watch.h — `rag-ingest --watch`: stays running and starts a run at start-up,
 * on the configured schedule (every ingest.schedule.interval and/or daily at
 * ingest.schedule.daily_at local time) and when the transcripts folder
 * changes (inotify, debounced by ingest.schedule.debounce). Runs happen one
 * at a time in this process; the lock file keeps out other processes. */
#ifndef INGEST_WATCH_H
#define INGEST_WATCH_H

#include "run.h"

/* Loops until ingest_request_stop(). The config is reloaded before every
 * run (an invalid edit is logged and the last good config kept). Returns an
 * exit status. */
int watch_loop(const char *config_path, rag_config *cfg, const run_opts *opts, rag_log *log);

/* Milliseconds from now_ms until the next local "HH:MM" (-1 if hhmm invalid). */
int64_t watch_ms_until_daily(const char *hhmm, int64_t now_ms);

#endif
