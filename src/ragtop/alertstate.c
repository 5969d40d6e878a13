/* alertstate.c — per-check alert state machine with failure/success
 * thresholds, reminders, severity changes and resolved notices, plus its
 * persistence (watch-state.json, written atomically). Notices carry keys
 * built only from persisted data, so re-queueing them after a crash is
 * idempotent in the outbox. See docs/specs/alerts.md. */
#include "alertstate.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"

#define STATE_VERSION 1
#define MAX_STATE_BYTES (16u << 20)

static const char *const phase_names[] = { "ok", "pending", "firing", "resolving" };

const char *alert_phase_name(alert_phase p)
{
    return (unsigned)p < 4 ? phase_names[p] : "?";
}

static int phase_parse(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, phase_names[i]) == 0) return i;
    return -1;
}

void alertstate_init(alertstate *as, const alertstate_policy *policy, const char *project)
{
    memset(as, 0, sizeof *as);
    as->policy = *policy;
    if (as->policy.failure_threshold < 1) as->policy.failure_threshold = 1;
    if (as->policy.success_threshold < 1) as->policy.success_threshold = 1;
    snprintf(as->project, sizeof as->project, "%s", project ? project : "");
}

void alertstate_set_instance(alertstate *as, const char *instance)
{
    snprintf(as->instance, sizeof as->instance, "%s", instance ? instance : "");
}

static void entries_clear(alertstate *as)
{
    for (size_t i = 0; i < as->count; i++) cJSON_Delete(as->items[i].details);
    for (size_t i = 0; i < as->n_notices; i++) rag_alert_clear(&as->notices[i].alert);
    as->count = 0;
    as->n_notices = 0;
}

void alertstate_free(alertstate *as)
{
    entries_clear(as);
    free(as->items);
    free(as->notices);
    as->items = NULL;
    as->notices = NULL;
    as->cap = as->cap_notices = 0;
}

static alert_entry *find(alertstate *as, const char *check)
{
    for (size_t i = 0; i < as->count; i++)
        if (strcmp(as->items[i].check, check) == 0) return &as->items[i];
    return NULL;
}

const alert_entry *alertstate_find(const alertstate *as, const char *check)
{
    return find((alertstate *)as, check);
}

size_t alertstate_firing_count(const alertstate *as)
{
    size_t n = 0;
    for (size_t i = 0; i < as->count; i++)
        if (as->items[i].phase == ALERT_FIRING || as->items[i].phase == ALERT_RESOLVING) n++;
    return n;
}

static alert_entry *add_entry(alertstate *as, const char *check)
{
    if (as->count == as->cap) {
        as->cap = as->cap ? as->cap * 2 : 8;
        as->items = rag_xrealloc(as->items, as->cap * sizeof *as->items);
    }
    alert_entry *e = &as->items[as->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->check, sizeof e->check, "%s", check);
    rag_alert_fingerprint_at(as->project, as->instance, e->check, e->fingerprint);
    e->severity = RAG_SEVERITY_WARN;
    return e;
}

static void notify(alertstate *as, const alert_entry *e, rag_alert_status status, const char *kind,
                   int64_t now_ms)
{
    if (as->n_notices == as->cap_notices) {
        as->cap_notices = as->cap_notices ? as->cap_notices * 2 : 8;
        as->notices = rag_xrealloc(as->notices, as->cap_notices * sizeof *as->notices);
    }
    alert_notice *n = &as->notices[as->n_notices++];
    snprintf(n->key, sizeof n->key, "%013" PRId64 "-%s-%s", now_ms, e->fingerprint, kind);
    rag_alert_init(&n->alert, as->project, "watch", e->check, status, e->severity, e->summary,
                   e->started_ms);
    rag_alert_set_instance(&n->alert, as->instance);
    n->alert.details = e->details ? cJSON_Duplicate(e->details, 1) : NULL;
    n->alert.reminder = status == RAG_ALERT_FIRING ? e->reminders : 0;
    if (status == RAG_ALERT_RESOLVED) n->alert.ends_at_ms = now_ms;
}

static void set_phase(alert_entry *e, alert_phase p, int64_t now_ms)
{
    if (e->phase != p) e->changed_ms = now_ms;
    e->phase = p;
}

static void resolve(alertstate *as, alert_entry *e, int64_t now_ms)
{
    set_phase(e, ALERT_OK, now_ms);
    e->fails = 0;
    if (as->policy.send_resolved) notify(as, e, RAG_ALERT_RESOLVED, "resolved", now_ms);
    e->reminders = 0;
    e->started_ms = 0;
}

void alertstate_observe(alertstate *as, const alert_result *r, int64_t now_ms)
{
    alert_entry *e = find(as, r->check);
    if (!e) {
        if (r->ok) return; /* nothing to remember about a passing check */
        e = add_entry(as, r->check);
    }
    e->seen = true;
    if (!r->ok) {
        e->oks = 0;
        if (e->fails++ == 0) e->first_fail_ms = now_ms;
        rag_severity old = e->severity;
        e->severity = r->severity;
        snprintf(e->summary, sizeof e->summary, "%s", r->summary ? r->summary : "");
        cJSON_Delete(e->details);
        e->details = r->details ? cJSON_Duplicate(r->details, 1) : NULL;
        if (e->phase == ALERT_FIRING || e->phase == ALERT_RESOLVING) {
            set_phase(e, ALERT_FIRING, now_ms);
            if (old != e->severity) {
                char kind[32];
                snprintf(kind, sizeof kind, "severity-%s", rag_severity_name(e->severity));
                e->last_notified_ms = now_ms;
                notify(as, e, RAG_ALERT_FIRING, kind, now_ms);
            } else if (as->policy.reminder_ms > 0 &&
                       now_ms - e->last_notified_ms >= as->policy.reminder_ms) {
                e->reminders++;
                e->last_notified_ms = now_ms;
                char kind[32];
                snprintf(kind, sizeof kind, "reminder%d", e->reminders);
                notify(as, e, RAG_ALERT_FIRING, kind, now_ms);
            }
        } else if (e->fails >= as->policy.failure_threshold) {
            set_phase(e, ALERT_FIRING, now_ms);
            e->started_ms = e->first_fail_ms;
            e->last_notified_ms = now_ms;
            e->reminders = 0;
            notify(as, e, RAG_ALERT_FIRING, "firing", now_ms);
        } else {
            set_phase(e, ALERT_PENDING, now_ms);
        }
        return;
    }
    /* passing */
    e->fails = 0;
    if (e->phase == ALERT_FIRING || e->phase == ALERT_RESOLVING) {
        e->oks++;
        if (e->oks >= as->policy.success_threshold || as->restored) {
            /* the resolved notice carries the passing result, not the
             * firing one's summary and details */
            if (r->summary && *r->summary)
                snprintf(e->summary, sizeof e->summary, "%s", r->summary);
            cJSON_Delete(e->details);
            e->details = r->details ? cJSON_Duplicate(r->details, 1) : NULL;
            resolve(as, e, now_ms);
        } else {
            set_phase(e, ALERT_RESOLVING, now_ms);
        }
    } else {
        e->oks = 0;
        set_phase(e, ALERT_OK, now_ms); /* a pending streak ends silently: flapping */
    }
}

void alertstate_end_round(alertstate *as, int64_t now_ms)
{
    for (size_t i = 0; i < as->count; i++) {
        alert_entry *e = &as->items[i];
        if (as->restored && !e->seen && (e->phase == ALERT_FIRING || e->phase == ALERT_RESOLVING)) {
            snprintf(e->summary, sizeof e->summary, "check %s no longer exists", e->check);
            cJSON_Delete(e->details); /* nothing observed: no firing details either */
            e->details = NULL;
            resolve(as, e, now_ms);
        }
        e->seen = false;
    }
    /* Forget entries with nothing to remember. */
    size_t k = 0;
    for (size_t i = 0; i < as->count; i++) {
        if (as->items[i].phase == ALERT_OK) {
            cJSON_Delete(as->items[i].details);
            continue;
        }
        as->items[k++] = as->items[i];
    }
    as->count = k;
    as->restored = false;
}

void alertstate_drop_notices(alertstate *as, size_t n)
{
    if (n > as->n_notices) n = as->n_notices;
    for (size_t i = 0; i < n; i++) rag_alert_clear(&as->notices[i].alert);
    memmove(as->notices, as->notices + n, (as->n_notices - n) * sizeof *as->notices);
    as->n_notices -= n;
}

/* ---------------------------------------------------------------- persistence */

int alertstate_save(const alertstate *as, const char *path, int64_t now_ms, rag_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", STATE_VERSION);
    cJSON_AddStringToObject(o, "project", as->project);
    cJSON_AddStringToObject(o, "instance", as->instance);
    cJSON_AddNumberToObject(o, "saved_ms", (double)now_ms);
    cJSON *arr = cJSON_AddArrayToObject(o, "alerts");
    for (size_t i = 0; i < as->count; i++) {
        const alert_entry *e = &as->items[i];
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "check", e->check);
        cJSON_AddStringToObject(a, "fingerprint", e->fingerprint);
        cJSON_AddStringToObject(a, "phase", alert_phase_name(e->phase));
        cJSON_AddNumberToObject(a, "fails", e->fails);
        cJSON_AddNumberToObject(a, "oks", e->oks);
        cJSON_AddStringToObject(a, "severity", rag_severity_name(e->severity));
        cJSON_AddStringToObject(a, "summary", e->summary);
        cJSON_AddItemToObject(a, "details", e->details ? cJSON_Duplicate(e->details, 1) : cJSON_CreateObject());
        cJSON_AddNumberToObject(a, "first_fail_ms", (double)e->first_fail_ms);
        cJSON_AddNumberToObject(a, "started_ms", (double)e->started_ms);
        cJSON_AddNumberToObject(a, "last_notified_ms", (double)e->last_notified_ms);
        cJSON_AddNumberToObject(a, "reminders", e->reminders);
        cJSON_AddNumberToObject(a, "changed_ms", (double)e->changed_ms);
        cJSON_AddItemToArray(arr, a);
    }
    cJSON *na = cJSON_AddArrayToObject(o, "notices");
    for (size_t i = 0; i < as->n_notices; i++) {
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "key", as->notices[i].key);
        cJSON_AddItemToObject(n, "alert", rag_alert_to_json(&as->notices[i].alert));
        cJSON_AddItemToArray(na, n);
    }
    char *text = rag_json_print(o, true, NULL);
    cJSON_Delete(o);
    int rc = rag_atomic_write(path, text, strlen(text), err);
    free(text);
    return rc;
}

/* o's number key as a whole number in [lo, hi]; 0 when it is not a number */
static int64_t num(const cJSON *o, const char *key, int64_t lo, int64_t hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? rag_clamp_i64(v->valuedouble, lo, hi) : 0;
}

static int load_entry(alertstate *as, const cJSON *a, const char *path, rag_error *err)
{
    const cJSON *check = cJSON_GetObjectItemCaseSensitive(a, "check");
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(a, "phase");
    const cJSON *sev = cJSON_GetObjectItemCaseSensitive(a, "severity");
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(a, "summary");
    if (!cJSON_IsString(check) || !*check->valuestring || strlen(check->valuestring) >= 96)
        return rag_error_set(err, RAG_ECORRUPT, "%s: alert without a valid \"check\"", path);
    int ph = cJSON_IsString(phase) ? phase_parse(phase->valuestring) : -1;
    int sv = cJSON_IsString(sev) ? rag_severity_parse(sev->valuestring) : -1;
    if (ph < 0 || sv < 0)
        return rag_error_set(err, RAG_ECORRUPT, "%s: alert %s: bad phase or severity", path,
                             check->valuestring);
    if (find(as, check->valuestring))
        return rag_error_set(err, RAG_ECORRUPT, "%s: alert %s listed twice", path, check->valuestring);
    alert_entry *e = add_entry(as, check->valuestring);
    e->phase = (alert_phase)ph;
    e->severity = (rag_severity)sv;
    e->fails = (int)num(a, "fails", 0, INT_MAX);
    e->oks = (int)num(a, "oks", 0, INT_MAX);
    if (cJSON_IsString(summary)) snprintf(e->summary, sizeof e->summary, "%s", summary->valuestring);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(a, "details");
    if (cJSON_IsObject(d)) e->details = cJSON_Duplicate(d, 1);
    e->first_fail_ms = num(a, "first_fail_ms", -RAG_EXACT_INT, RAG_EXACT_INT);
    e->started_ms = num(a, "started_ms", -RAG_EXACT_INT, RAG_EXACT_INT);
    e->last_notified_ms = num(a, "last_notified_ms", -RAG_EXACT_INT, RAG_EXACT_INT);
    e->reminders = (int)num(a, "reminders", 0, INT_MAX);
    e->changed_ms = num(a, "changed_ms", -RAG_EXACT_INT, RAG_EXACT_INT);
    return RAG_OK;
}

int alertstate_load(alertstate *as, const char *path, rag_error *err)
{
    entries_clear(as);
    char *buf = NULL;
    size_t len = 0;
    int rc = rag_read_file(path, MAX_STATE_BYTES, &buf, &len, err);
    if (rc != RAG_OK) return rc;
    cJSON *o = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return rag_error_set(err, RAG_ECORRUPT, "%s: not valid JSON", path);
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(o, "alerts");
    const cJSON *notices = cJSON_GetObjectItemCaseSensitive(o, "notices");
    if (!cJSON_IsNumber(ver)) {
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: missing \"version\"", path);
    } else if (ver->valueint > STATE_VERSION) {
        rc = rag_error_set(err, RAG_EVERSION, "%s: version %d is newer than supported (%d)", path,
                           ver->valueint, STATE_VERSION);
    } else if (!cJSON_IsArray(alerts) || (notices && !cJSON_IsArray(notices))) {
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: \"alerts\"/\"notices\" must be arrays", path);
    }
    const cJSON *it;
    if (rc == RAG_OK) {
        cJSON_ArrayForEach(it, alerts) {
            if ((rc = load_entry(as, it, path, err)) != RAG_OK) break;
        }
    }
    if (rc == RAG_OK) {
        cJSON_ArrayForEach(it, notices) {
            const cJSON *key = cJSON_GetObjectItemCaseSensitive(it, "key");
            rag_alert a;
            rag_error aerr = {0};
            if (!cJSON_IsString(key) || strlen(key->valuestring) >= sizeof as->notices[0].key ||
                rag_alert_from_json(cJSON_GetObjectItemCaseSensitive(it, "alert"), &a, &aerr) != RAG_OK) {
                rc = rag_error_set(err, RAG_ECORRUPT, "%s: bad notice: %s", path,
                                   aerr.msg[0] ? aerr.msg : "missing key");
                break;
            }
            if (as->n_notices == as->cap_notices) {
                as->cap_notices = as->cap_notices ? as->cap_notices * 2 : 8;
                as->notices = rag_xrealloc(as->notices, as->cap_notices * sizeof *as->notices);
            }
            alert_notice *n = &as->notices[as->n_notices++];
            snprintf(n->key, sizeof n->key, "%s", key->valuestring);
            n->alert = a;
        }
    }
    cJSON_Delete(o);
    if (rc != RAG_OK) {
        entries_clear(as);
        return rc;
    }
    as->restored = true;
    return RAG_OK;
}
