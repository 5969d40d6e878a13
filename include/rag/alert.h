/* alert.h — one alert notification and its wire formats. Shared by the
 * watcher (ragtop watch) and rag-ingest's failure hook: an alert has a
 * status (firing/resolved), a check name, a severity, a summary, details, a
 * stable fingerprint (project + check) and start/end times. It renders to
 * three payloads: "slack" (incoming-webhook JSON), "json" (the generic
 * payload of docs/specs/alerts.md) and "alertmanager" (a POST body for
 * Alertmanager's /api/v2/alerts). Webhook URLs are secrets: rag_url_redact
 * gives the form that may be logged or shown. */
#ifndef RAG_ALERT_H
#define RAG_ALERT_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "rag/common.h"

#define RAG_ALERT_JSON_VERSION 1

typedef enum { RAG_ALERT_FIRING = 0, RAG_ALERT_RESOLVED } rag_alert_status;
typedef enum { RAG_SEVERITY_WARN = 1, RAG_SEVERITY_CRIT = 2 } rag_severity;
typedef enum { RAG_FORMAT_SLACK = 0, RAG_FORMAT_JSON, RAG_FORMAT_ALERTMANAGER } rag_alert_format;

#define RAG_FINGERPRINT_LEN 16 /* hex characters */

typedef struct rag_alert {
    rag_alert_status status;
    char check[96];          /* "service:api", "index_freshness", "ingest_failed", ... */
    rag_severity severity;
    char summary[512];       /* one line for humans */
    cJSON *details;          /* object (owned, may be NULL) */
    cJSON *links;            /* array of strings (owned, may be NULL) */
    char fingerprint[RAG_FINGERPRINT_LEN + 1];
    char project[96];
    char instance[96];       /* watch.instance: which stack/host ("" = none) */
    char source[32];         /* "watch" | "ingest" */
    int64_t started_at_ms;   /* when the problem started (first failed probe) */
    int64_t ends_at_ms;      /* when it resolved; 0 while firing */
    int reminder;            /* 0 = first notice, n = n-th reminder while firing */
} rag_alert;

const char *rag_alert_status_name(rag_alert_status s);   /* "firing" | "resolved" */
const char *rag_severity_name(rag_severity s);           /* "warn" | "crit" */
int rag_severity_parse(const char *s);                   /* -1 when unknown */
const char *rag_alert_format_name(rag_alert_format f);   /* "slack" | "json" | "alertmanager" */
int rag_alert_format_parse(const char *s);               /* -1 when unknown */

/* Fingerprint of (project, check): the first 16 hex characters of
 * SHA-256("project\ncheck"). Stable across restarts and between programs, so
 * the watcher and the ingest hook report the same problem the same way. */
void rag_alert_fingerprint(const char *project, const char *check, char out[RAG_FINGERPRINT_LEN + 1]);

/* The fingerprint with the instance: SHA-256("project\ncheck\ninstance"),
 * first 16 hex characters; an empty or NULL instance gives
 * rag_alert_fingerprint's value. Two watchers (hosts, stacks) reporting the
 * same check differ by instance, so receivers never merge them. */
void rag_alert_fingerprint_at(const char *project, const char *instance, const char *check,
                              char out[RAG_FINGERPRINT_LEN + 1]);

/* The routing identity of a check, the label scheme of the Prometheus rules
 * (deploy/prometheus/rules): alertname ("RagIndexStale", ...) and service
 * (the service the problem is about, or the one that fixes it: rag_ingest
 * for index and run checks). The table is in docs/specs/alerts.md. */
void rag_alert_identity(const char *check, char *alertname, size_t an, char *service, size_t sn);

/* Fill a (zeroed first) with the given fields and its fingerprint. details
 * and links start NULL. */
void rag_alert_init(rag_alert *a, const char *project, const char *source, const char *check,
                    rag_alert_status status, rag_severity severity, const char *summary,
                    int64_t started_at_ms);
/* Set the instance (watch.instance) and recompute the fingerprint with it. */
void rag_alert_set_instance(rag_alert *a, const char *instance);
/* Free details and links (the struct itself is the caller's). */
void rag_alert_clear(rag_alert *a);
/* Deep copy. */
void rag_alert_copy(rag_alert *dst, const rag_alert *src);

/* Round-trip as the generic json payload (used by the outbox and the state
 * file). rag_alert_from_json fails with RAG_ECORRUPT on a missing/wrong field. */
cJSON *rag_alert_to_json(const rag_alert *a);
int rag_alert_from_json(const cJSON *obj, rag_alert *a, rag_error *err);

/* Render the body to POST for a receiver format (malloc'd JSON text).
 * now_ms is used for Alertmanager's endsAt of a firing alert. */
char *rag_alert_render(const rag_alert *a, rag_alert_format fmt, int64_t now_ms);

/* Copy url into out with everything secret removed: user info is dropped
 * and path, query and fragment become a slash and three asterisks
 * ("https://hooks.slack.com" + that). A URL that cannot be parsed becomes
 * three asterisks. Never returns any part of the path. */
void rag_url_redact(const char *url, char *out, size_t n);

#endif
