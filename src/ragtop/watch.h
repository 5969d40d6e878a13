/* watch.h — `ragtop watch`: the headless health watcher. Every interval it
 * runs the console's collectors and status evaluation, feeds each check to
 * the alert state machine (alertstate.h) and delivers notices through the
 * persistent outbox (rag/outbox.h). Logs to artifacts/logs/watch.jsonl. */
#ifndef RAGTOP_WATCH_H
#define RAGTOP_WATCH_H

#include <stdbool.h>
#include "rag/alert.h"
#include "status.h"

/* argv[0] is "watch". Returns the exit status (0 after SIGTERM/SIGINT,
 * 78 invalid config, 75 another watcher holds the lock, 2 usage). */
int watch_main(int argc, char **argv);

/* Whether a status check raises alerts, and with what severity. Only
 * "sources" (transcripts waiting for the next scheduled run) is
 * informational — ingest_overdue catches a schedule that stopped. WARN and
 * UNKNOWN map to warn, CRIT to crit. */
bool watch_check_alerts(const rt_check *c);
rag_severity watch_severity(rt_severity s);

#endif
