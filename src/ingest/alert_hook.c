/* alert_hook.c — rag-ingest's failure hook: builds a "last_run" alert
 * (source "ingest", the watcher's fingerprint for the same problem) from a
 * failed run's stats and posts it through the shared outbox with a bounded
 * time budget. What is not delivered stays queued for the watcher. */
#include "alert_hook.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rag/alert.h"
#include "rag/outbox.h"
#include "rag/timeutil.h"

#define HOOK_BUDGET_MS 10000

void ingest_alert_failure(const rag_config *cfg, const run_stats *st, rag_log *log)
{
    if (!cfg || cfg->watch.n_receivers == 0) return;
    char summary[512];
    snprintf(summary, sizeof summary, "ingest run %.32s failed: %.400s", st->run_id,
             st->failure[0] ? st->failure : "unknown error");
    rag_alert a;
    rag_alert_init(&a, cfg->project, "ingest", "last_run", RAG_ALERT_FIRING, RAG_SEVERITY_WARN, summary,
                   st->started_ms > 0 ? st->started_ms : rag_now_ms());
    rag_alert_set_instance(&a, cfg->watch.instance);
    a.details = cJSON_CreateObject();
    cJSON_AddStringToObject(a.details, "run_id", st->run_id);
    cJSON_AddStringToObject(a.details, "failure", st->failure);
    cJSON_AddNumberToObject(a.details, "transcripts_seen", (double)st->seen);
    cJSON_AddNumberToObject(a.details, "transcripts_failed", (double)st->failed);
    if (st->quality.regressions) { /* the quality gate refused the run's generation */
        cJSON_AddStringToObject(a.details, "quality_gate", st->quality.gate);
        cJSON_AddNumberToObject(a.details, "quality_ndcg_at_10", st->quality.ndcg_at_10);
        cJSON_AddItemToObject(a.details, "regressed_queries", cJSON_Duplicate(st->quality.regressions, 1));
    }
    cJSON *errs = cJSON_AddArrayToObject(a.details, "errors");
    for (int i = 0; i < RUN_MAX_ERRORS && i < st->n_errors; i++)
        if (st->errors[i]) cJSON_AddItemToArray(errs, cJSON_CreateString(st->errors[i]));

    char key[160];
    snprintf(key, sizeof key, "%013" PRId64 "-%s-ingest-%s", rag_now_ms(), a.fingerprint, st->run_id);
    rag_outbox_stats os;
    rag_error err = {0};
    int rc = rag_outbox_post(cfg, &a, key, HOOK_BUDGET_MS, log, &os, &err);
    if (log) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "fingerprint", a.fingerprint);
        cJSON_AddNumberToObject(p, "receivers", (double)cfg->watch.n_receivers);
        cJSON_AddNumberToObject(p, "delivered", os.delivered);
        cJSON_AddNumberToObject(p, "pending", os.pending);
        if (rc != RAG_OK)
            rag_log_event(log, RAG_LEVEL_ERROR, "alert_hook_failed", err.msg, p);
        else
            rag_log_event(log, os.pending || os.locked ? RAG_LEVEL_WARN : RAG_LEVEL_INFO, "alert_hook",
                          os.pending || os.locked ? "failure alert queued; the outbox retries it"
                                                  : "failure alert delivered",
                          p);
    }
    rag_alert_clear(&a);
}
