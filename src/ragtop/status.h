/* status.h — the one place that decides OK / WARN / CRIT / UNKNOWN. Turns a
 * snapshot into a list of named checks (config, index, freshness, quality,
 * config hash, sources, last run, one per service, one rollout check per
 * replicated service) and an overall severity. The
 * console, `--once` and `watch` all call status_evaluate. */
#ifndef RAGTOP_STATUS_H
#define RAGTOP_STATUS_H

#include "model.h"

typedef struct rt_check {
    char name[80];         /* "freshness", "config_hash", "service:api", ...: a prefix of
                              up to 11 ("api_errors:") and a whole service name */
    rt_severity severity;
    char summary[256];     /* one line for humans */
    char details[1024];    /* more lines ("chunking.target_tokens 256 -> 384"), may be "" */
    char fix[32];          /* suggested action: "ingest", "restart", "start", "rollback", "" — only
                              when services.yml gives the target that action */
    char target[RAG_SERVICE_NAME_MAX + 1]; /* the service the fix acts on ("" = none / no services file) */
    char instances[256];   /* replicas the check is about ("127.0.0.1:8103,..."), "" = the service */
    bool pending;          /* a probe still in flight: UNKNOWN, but it never hides a
                              known problem (it ranks just above OK) */
} rt_check;

/* The fix table shared by --once and the console: a check's fix names the
 * services.yml action it runs and the console key that runs it. */
typedef struct rt_fix_def {
    const char *fix;       /* "ingest" */
    const char *action;    /* services.yml action: "run" */
    int key;               /* console key: 'i' */
} rt_fix_def;
const rt_fix_def *status_fix_def(const char *fix);
/* The action a check's fix runs (NULL when none): its service in *svc. */
const rag_action *status_fix_action(const rt_snapshot *s, const rt_check *c, const rag_service **svc);
/* Severity order for sorting: CRIT 4, UNKNOWN 3, WARN 2, pending 1, OK 0. */
int status_rank(const rt_check *c);

typedef struct rt_status {
    rt_check *checks; size_t n;
    rt_severity overall;   /* CRIT > UNKNOWN > WARN > OK */
    char headline[256];    /* "CRIT: service api down" — the worst check's summary */
} rt_status;

/* Evaluate s at time now_ms. out is overwritten (call status_free after). */
void status_evaluate(const rt_snapshot *s, int64_t now_ms, rt_status *out);
void status_free(rt_status *st);
/* Find a check by name (NULL when absent). */
const rt_check *status_find(const rt_status *st, const char *name);

/* A check's instances as a JSON array of names (for --once --json and the
 * watcher's alert details). */
cJSON *status_instances_json(const rt_check *c);

/* Rollout convergence of a replicated service's probe: which generation the
 * up instances serve. target = the newest generation served, n_target how
 * many serve it, n_other how many serve another one (other = the oldest of
 * those), since_ms when the disagreement began (0 = unknown). Returns false
 * when no instance reports a generation. text gets "3/3 serve gen-X" or
 * "2/3 serve gen-X, 1 serves gen-W (for 4m)" (the age only with now_ms > 0). */
typedef struct rt_rollout {
    char target[128], other[128];
    size_t n_target, n_other, n_total, n_other_gens;
    int64_t since_ms;
} rt_rollout;
bool status_rollout(const rt_probe *p, rt_rollout *r);
void status_rollout_text(const rt_rollout *r, int64_t now_ms, char *out, size_t n);

/* Freshness age of the manifest: now - checked_at (or generated_at). -1 when
 * there is no manifest. */
int64_t status_index_age_ms(const rt_snapshot *s, int64_t now_ms);

#endif
