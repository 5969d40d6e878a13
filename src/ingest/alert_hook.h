/* alert_hook.h — rag-ingest's failure hook: at the end of a failed run,
 * report it to the receivers in watch.receivers through the shared alert
 * outbox (rag/outbox.h), so a failure is reported even where no watcher
 * runs. Dedup with the watcher: docs/specs/alerts.md section 6. */
#ifndef INGEST_ALERT_HOOK_H
#define INGEST_ALERT_HOOK_H

#include "rag/config.h"
#include "rag/jsonlog.h"
#include "run.h"

/* Queue and try to deliver (within 10 s) a firing "last_run" alert for the
 * failed run st. No-op without receivers. Never fails the run: problems are
 * logged (log may be NULL). */
void ingest_alert_failure(const rag_config *cfg, const run_stats *st, rag_log *log);

#endif
