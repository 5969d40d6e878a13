/* rollback.h — `rag-ingest --rollback [RUN_ID]`: the undo for a bad
 * generation. Republishes, atomically, the previous retained generation
 * (the newest one built before the served one that a manifest still names
 * and that is on disk) or the one run RUN_ID published, as the served one:
 * a new per-run manifest copy, then latest.json, with "rollback_from"
 * naming the generation it replaced; a rolled_back log event and a metrics
 * line (status "published", "rollback_from"). Takes the ingest lock. */
#ifndef INGEST_ROLLBACK_H
#define INGEST_ROLLBACK_H

#include "rag/config.h"
#include "rag/jsonlog.h"
#include "run.h"

/* RAG_OK, RAG_ELOCKED (st->lock_pid names the holder) or RAG_ERR (nothing
 * changed; st->failure says why: no earlier generation, unknown run id,
 * the target is damaged, ...). */
int ingest_rollback(const rag_config *cfg, const char *run_id, const run_opts *opts, rag_log *log, run_stats *st);

#endif
