/* alertstate.h — the watcher's alert state machine, one entry per check:
 * OK -> PENDING (failing, below the failure threshold) -> FIRING (notice
 * sent) -> RESOLVING (passing, below the success threshold) -> OK (resolved
 * notice). While firing it emits reminders and a new notice when the
 * severity changes. Notices wait in the state (with deterministic keys)
 * until the caller has put them in the outbox, and the whole state persists
 * to artifacts/run/watch-state.json, so a restarted watcher neither re-sends
 * nor forgets a firing alert. Pure logic: no clock, no network. */
#ifndef RAGTOP_ALERTSTATE_H
#define RAGTOP_ALERTSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "rag/alert.h"
#include "rag/common.h"

typedef struct alertstate_policy {
    int failure_threshold;  /* consecutive failures before firing (>= 1) */
    int success_threshold;  /* consecutive passes before resolving (>= 1) */
    int64_t reminder_ms;    /* reminder interval while firing; 0 = off */
    bool send_resolved;     /* emit a resolved notice */
} alertstate_policy;

typedef enum { ALERT_OK = 0, ALERT_PENDING, ALERT_FIRING, ALERT_RESOLVING } alert_phase;

const char *alert_phase_name(alert_phase p);

typedef struct alert_entry {
    char check[96];
    char fingerprint[RAG_FINGERPRINT_LEN + 1];
    alert_phase phase;
    int fails, oks;            /* consecutive results */
    rag_severity severity;
    char summary[512];
    cJSON *details;            /* owned, may be NULL */
    int64_t first_fail_ms;     /* start of the current failure streak */
    int64_t started_ms;        /* when the firing problem started */
    int64_t last_notified_ms;  /* last firing notice or reminder */
    int reminders;
    int64_t changed_ms;        /* last phase change */
    bool seen;                 /* observed in the current round */
} alert_entry;

/* A notification waiting to be queued in the outbox. */
typedef struct alert_notice {
    char key[160];             /* "<ms>-<fingerprint>-<kind>", unique, sortable */
    rag_alert alert;
} alert_notice;

typedef struct alertstate {
    alertstate_policy policy;
    char project[96];
    char instance[96];         /* watch.instance: part of fingerprints and labels */
    alert_entry *items; size_t count, cap;
    alert_notice *notices; size_t n_notices, cap_notices;
    bool restored;             /* loaded from disk; the next round reconciles */
} alertstate;

void alertstate_init(alertstate *as, const alertstate_policy *policy, const char *project);
void alertstate_free(alertstate *as);
/* Name the instance (watch.instance) every notice carries; call before
 * alertstate_load and the first observation. */
void alertstate_set_instance(alertstate *as, const char *instance);

/* One check result of a round. summary/details are copied. */
typedef struct alert_result {
    const char *check;
    bool ok;
    rag_severity severity;
    const char *summary;
    const cJSON *details;      /* may be NULL */
} alert_result;

/* Feed one result observed at now_ms; may append notices. */
void alertstate_observe(alertstate *as, const alert_result *r, int64_t now_ms);
/* End a round. After a restore, the first round also resolves firing
 * alerts whose check no longer exists. */
void alertstate_end_round(alertstate *as, int64_t now_ms);

const alert_entry *alertstate_find(const alertstate *as, const char *check);
/* Number of entries in FIRING or RESOLVING. */
size_t alertstate_firing_count(const alertstate *as);

/* Drop the first n notices (after they were queued). */
void alertstate_drop_notices(alertstate *as, size_t n);

/* Persist / restore. Load returns RAG_ENOENT when there is no file (state
 * stays empty), RAG_ECORRUPT for a bad file (state stays empty, err says
 * why). A loaded state is marked restored. */
int alertstate_save(const alertstate *as, const char *path, int64_t now_ms, rag_error *err);
int alertstate_load(alertstate *as, const char *path, rag_error *err);

#endif
