/* alert.c — alert notifications: fingerprint, the generic json payload (and
 * its parser, used by the outbox and the watcher's state file), the Slack
 * and Alertmanager renderings, and URL redaction. Pure functions, no I/O.
 * The payload shapes are specified in docs/specs/alerts.md. */
#include "rag/jsonlog.h"
#include "rag/alert.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "rag/timeutil.h"

const char *rag_alert_status_name(rag_alert_status s)
{
    return s == RAG_ALERT_RESOLVED ? "resolved" : "firing";
}

const char *rag_severity_name(rag_severity s)
{
    return s == RAG_SEVERITY_CRIT ? "crit" : "warn";
}

int rag_severity_parse(const char *s)
{
    if (!s) return -1;
    if (strcmp(s, "warn") == 0) return RAG_SEVERITY_WARN;
    if (strcmp(s, "crit") == 0) return RAG_SEVERITY_CRIT;
    return -1;
}

static const char *const format_names[] = { "slack", "json", "alertmanager" };

const char *rag_alert_format_name(rag_alert_format f)
{
    return (unsigned)f < 3 ? format_names[f] : "?";
}

int rag_alert_format_parse(const char *s)
{
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, format_names[i]) == 0) return i;
    return -1;
}

void rag_alert_fingerprint(const char *project, const char *check, char out[RAG_FINGERPRINT_LEN + 1])
{
    rag_alert_fingerprint_at(project, NULL, check, out);
}

void rag_alert_fingerprint_at(const char *project, const char *instance, const char *check,
                              char out[RAG_FINGERPRINT_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) abort();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, project ? project : "", project ? strlen(project) : 0);
    EVP_DigestUpdate(ctx, "\n", 1);
    EVP_DigestUpdate(ctx, check ? check : "", check ? strlen(check) : 0);
    if (instance && *instance) {
        EVP_DigestUpdate(ctx, "\n", 1);
        EVP_DigestUpdate(ctx, instance, strlen(instance));
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < RAG_FINGERPRINT_LEN / 2; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[RAG_FINGERPRINT_LEN] = '\0';
}

/* check (or its prefix before ':') -> alertname, service. A service check
 * names its service after the colon; "" there means "the part after the
 * colon". Index and run problems belong to rag_ingest, which fixes them. */
static const struct {
    const char *check, *alertname, *service;
} identities[] = {
    {"service:", "RagServiceUnhealthy", ""},
    {"api_errors:", "RagApiErrors", ""},
    {"served:", "RagConfigDrift", ""},
    {"rollout:", "RagRolloutStuck", ""},
    {"freshness", "RagIndexStale", "rag_ingest"},
    {"index", "RagIndexMissing", "rag_ingest"},
    {"config_hash", "RagConfigDrift", "rag_ingest"},
    {"last_run", "RagIngestFailed", "rag_ingest"},
    {"ingest_overdue", "RagIngestOverdue", "rag_ingest"},
    {"quality", "RagQualityLow", "rag_ingest"},
    {"sources", "RagSourcesPending", "rag_ingest"},
    {"disk", "RagDiskFilling", "rag_ingest"},
    {"config", "RagConfigInvalid", "ragtop"},
    {"services_file", "RagServicesFileInvalid", "ragtop"},
};

void rag_alert_identity(const char *check, char *alertname, size_t an, char *service, size_t sn)
{
    if (!check) check = "";
    for (size_t i = 0; i < sizeof identities / sizeof identities[0]; i++) {
        const char *c = identities[i].check;
        size_t n = strlen(c);
        bool prefix = n > 0 && c[n - 1] == ':';
        if (prefix ? strncmp(check, c, n) != 0 : strcmp(check, c) != 0) continue;
        snprintf(alertname, an, "%s", identities[i].alertname);
        snprintf(service, sn, "%s", prefix ? check + n : identities[i].service);
        return;
    }
    snprintf(alertname, an, "RagtopCheckFailed");
    snprintf(service, sn, "ragtop");
}

void rag_alert_set_instance(rag_alert *a, const char *instance)
{
    snprintf(a->instance, sizeof a->instance, "%s", instance ? instance : "");
    rag_alert_fingerprint_at(a->project, a->instance, a->check, a->fingerprint);
}

void rag_alert_init(rag_alert *a, const char *project, const char *source, const char *check,
                    rag_alert_status status, rag_severity severity, const char *summary,
                    int64_t started_at_ms)
{
    memset(a, 0, sizeof *a);
    a->status = status;
    a->severity = severity;
    snprintf(a->project, sizeof a->project, "%s", project ? project : "");
    snprintf(a->source, sizeof a->source, "%s", source ? source : "");
    snprintf(a->check, sizeof a->check, "%s", check ? check : "");
    snprintf(a->summary, sizeof a->summary, "%s", summary ? summary : "");
    a->started_at_ms = started_at_ms;
    rag_alert_fingerprint(a->project, a->check, a->fingerprint);
}

void rag_alert_clear(rag_alert *a)
{
    cJSON_Delete(a->details);
    cJSON_Delete(a->links);
    a->details = NULL;
    a->links = NULL;
}

void rag_alert_copy(rag_alert *dst, const rag_alert *src)
{
    *dst = *src;
    dst->details = src->details ? cJSON_Duplicate(src->details, 1) : NULL;
    dst->links = src->links ? cJSON_Duplicate(src->links, 1) : NULL;
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    if (ms <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char buf[RAG_TIME_BUFSZ];
    rag_time_format(ms, buf);
    cJSON_AddStringToObject(o, key, buf);
}

cJSON *rag_alert_to_json(const rag_alert *a)
{
    char alertname[64], service[96];
    rag_alert_identity(a->check, alertname, sizeof alertname, service, sizeof service);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", RAG_ALERT_JSON_VERSION);
    cJSON_AddStringToObject(o, "status", rag_alert_status_name(a->status));
    cJSON_AddStringToObject(o, "check", a->check);
    cJSON_AddStringToObject(o, "alertname", alertname);
    cJSON_AddStringToObject(o, "service", service);
    cJSON_AddStringToObject(o, "instance", a->instance);
    cJSON_AddStringToObject(o, "severity", rag_severity_name(a->severity));
    cJSON_AddStringToObject(o, "summary", a->summary);
    cJSON_AddItemToObject(o, "details", a->details ? cJSON_Duplicate(a->details, 1) : cJSON_CreateObject());
    cJSON_AddStringToObject(o, "fingerprint", a->fingerprint);
    cJSON_AddStringToObject(o, "project", a->project);
    cJSON_AddStringToObject(o, "source", a->source);
    add_time(o, "started_at", a->started_at_ms);
    add_time(o, "ends_at", a->ends_at_ms);
    cJSON_AddNumberToObject(o, "reminder", a->reminder);
    cJSON_AddItemToObject(o, "links", a->links ? cJSON_Duplicate(a->links, 1) : cJSON_CreateArray());
    return o;
}

static int get_str(const cJSON *obj, const char *key, char *out, size_t n, rag_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v))
        return rag_error_set(err, RAG_ECORRUPT, "alert: field \"%s\" missing or not a string", key);
    if (strlen(v->valuestring) >= n)
        return rag_error_set(err, RAG_ECORRUPT, "alert: field \"%s\" too long", key);
    snprintf(out, n, "%s", v->valuestring);
    return RAG_OK;
}

static int get_time(const cJSON *obj, const char *key, int64_t *ms, rag_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *ms = 0;
    if (!v || cJSON_IsNull(v)) return RAG_OK;
    if (!cJSON_IsString(v) || rag_time_parse(v->valuestring, ms) != 0)
        return rag_error_set(err, RAG_ECORRUPT, "alert: field \"%s\" is not an RFC 3339 time", key);
    return RAG_OK;
}

int rag_alert_from_json(const cJSON *obj, rag_alert *a, rag_error *err)
{
    memset(a, 0, sizeof *a);
    if (!cJSON_IsObject(obj)) return rag_error_set(err, RAG_ECORRUPT, "alert: not a JSON object");
    char status[16], severity[16];
    int rc;
    if ((rc = get_str(obj, "status", status, sizeof status, err)) ||
        (rc = get_str(obj, "check", a->check, sizeof a->check, err)) ||
        (rc = get_str(obj, "severity", severity, sizeof severity, err)) ||
        (rc = get_str(obj, "summary", a->summary, sizeof a->summary, err)) ||
        (rc = get_str(obj, "fingerprint", a->fingerprint, sizeof a->fingerprint, err)) ||
        (rc = get_str(obj, "project", a->project, sizeof a->project, err)) ||
        (rc = get_str(obj, "source", a->source, sizeof a->source, err)) ||
        (rc = get_time(obj, "started_at", &a->started_at_ms, err)) ||
        (rc = get_time(obj, "ends_at", &a->ends_at_ms, err)))
        return rc;
    /* instance: optional (payloads written before it existed have none) */
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(obj, "instance");
    if (inst && (rc = get_str(obj, "instance", a->instance, sizeof a->instance, err)))
        return rc;
    if (strcmp(status, "firing") == 0) a->status = RAG_ALERT_FIRING;
    else if (strcmp(status, "resolved") == 0) a->status = RAG_ALERT_RESOLVED;
    else return rag_error_set(err, RAG_ECORRUPT, "alert: status \"%s\" is not firing|resolved", status);
    int sev = rag_severity_parse(severity);
    if (sev < 0) return rag_error_set(err, RAG_ECORRUPT, "alert: severity \"%s\" is not warn|crit", severity);
    a->severity = (rag_severity)sev;
    const cJSON *rem = cJSON_GetObjectItemCaseSensitive(obj, "reminder");
    a->reminder = cJSON_IsNumber(rem) ? (int)rag_clamp_i64(rem->valuedouble, 0, INT_MAX) : 0;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(obj, "details");
    if (cJSON_IsObject(d)) a->details = cJSON_Duplicate(d, 1);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(obj, "links");
    if (cJSON_IsArray(l)) a->links = cJSON_Duplicate(l, 1);
    return RAG_OK;
}

/* Slack: a text fallback plus one attachment coloured by state, with the
 * details as fields. Everything is plain text (mrkdwn off for fields). */
static cJSON *render_slack(const rag_alert *a)
{
    const char *label = a->status == RAG_ALERT_RESOLVED ? "RESOLVED"
                        : a->severity == RAG_SEVERITY_CRIT ? "CRIT" : "WARN";
    const char *color = a->status == RAG_ALERT_RESOLVED ? "good"
                        : a->severity == RAG_SEVERITY_CRIT ? "danger" : "warning";
    char *text = rag_xasprintf("[%s]%s %s: %s", label, a->reminder ? " (reminder)" : "",
                               a->project, a->check);
    cJSON *o = cJSON_CreateObject();
    char *fallback = rag_xasprintf("%s — %s", text, a->summary);
    cJSON_AddStringToObject(o, "text", fallback);
    free(fallback);
    cJSON *atts = cJSON_AddArrayToObject(o, "attachments");
    cJSON *att = cJSON_CreateObject();
    cJSON_AddItemToArray(atts, att);
    cJSON_AddStringToObject(att, "color", color);
    cJSON_AddStringToObject(att, "title", text);
    cJSON_AddStringToObject(att, "text", a->summary);
    cJSON_AddStringToObject(att, "fallback", a->summary);
    cJSON *fields = cJSON_AddArrayToObject(att, "fields");
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "title", "fingerprint");
    cJSON_AddStringToObject(f, "value", a->fingerprint);
    cJSON_AddBoolToObject(f, "short", 1);
    cJSON_AddItemToArray(fields, f);
    if (a->instance[0]) {
        f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "title", "instance");
        cJSON_AddStringToObject(f, "value", a->instance);
        cJSON_AddBoolToObject(f, "short", 1);
        cJSON_AddItemToArray(fields, f);
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, a->details) {
        char *val = cJSON_IsString(it) ? rag_xstrdup(it->valuestring) : cJSON_PrintUnformatted(it);
        f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "title", it->string);
        cJSON_AddStringToObject(f, "value", val);
        cJSON_AddBoolToObject(f, "short", strlen(val) < 40);
        cJSON_AddItemToArray(fields, f);
        free(val);
    }
    if (a->started_at_ms > 0) cJSON_AddNumberToObject(att, "ts", (double)(a->started_at_ms / 1000));
    cJSON_AddStringToObject(att, "footer", a->source);
    free(text);
    return o;
}

/* Alertmanager v2: an array of postableAlert. A firing alert gets endsAt =
 * now + 24h, so it stays active until the resolved notice (which carries the
 * real end time) arrives, even without reminders. Labels follow the
 * Prometheus rules (alertname, severity, service, instance), so Alertmanager
 * groups and inhibits the watcher's alerts with Prometheus'
 * (deploy/prometheus/alertmanager.yml). severity is a label, so a check that
 * changes severity while firing is a new alert there: every body also ends
 * the same alert at the other severity (endsAt = now), or the old one would
 * stay active for a day. */
static void add_postable(cJSON *arr, const rag_alert *a, rag_severity sev, int64_t ends, int64_t now_ms)
{
    char alertname[64], service[96];
    rag_alert_identity(a->check, alertname, sizeof alertname, service, sizeof service);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON *labels = cJSON_AddObjectToObject(o, "labels");
    cJSON_AddStringToObject(labels, "alertname", alertname);
    cJSON_AddStringToObject(labels, "check", a->check);
    cJSON_AddStringToObject(labels, "severity", sev == RAG_SEVERITY_CRIT ? "critical" : "warning");
    cJSON_AddStringToObject(labels, "service", service);
    if (a->instance[0]) cJSON_AddStringToObject(labels, "instance", a->instance);
    cJSON_AddStringToObject(labels, "project", a->project);
    cJSON_AddStringToObject(labels, "fingerprint", a->fingerprint);
    cJSON *ann = cJSON_AddObjectToObject(o, "annotations");
    cJSON_AddStringToObject(ann, "summary", a->summary);
    cJSON_AddStringToObject(ann, "source", a->source);
    if (a->details) {
        char *d = cJSON_PrintUnformatted(a->details);
        cJSON_AddStringToObject(ann, "details", d);
        free(d);
    }
    char buf[RAG_TIME_BUFSZ];
    rag_time_format(a->started_at_ms > 0 ? a->started_at_ms : now_ms, buf);
    cJSON_AddStringToObject(o, "startsAt", buf);
    rag_time_format(ends, buf);
    cJSON_AddStringToObject(o, "endsAt", buf);
    if (cJSON_GetArraySize(a->links) > 0 && cJSON_IsString(cJSON_GetArrayItem(a->links, 0)))
        cJSON_AddStringToObject(o, "generatorURL", cJSON_GetArrayItem(a->links, 0)->valuestring);
}

static cJSON *render_alertmanager(const rag_alert *a, int64_t now_ms)
{
    cJSON *arr = cJSON_CreateArray();
    int64_t ends = a->status == RAG_ALERT_RESOLVED
                   ? (a->ends_at_ms > 0 ? a->ends_at_ms : now_ms)
                   : now_ms + 24LL * 3600 * 1000;
    add_postable(arr, a, a->severity, ends, now_ms);
    add_postable(arr, a, a->severity == RAG_SEVERITY_CRIT ? RAG_SEVERITY_WARN : RAG_SEVERITY_CRIT,
                 a->status == RAG_ALERT_RESOLVED ? ends : now_ms, now_ms);
    return arr;
}

char *rag_alert_render(const rag_alert *a, rag_alert_format fmt, int64_t now_ms)
{
    cJSON *o;
    switch (fmt) {
    case RAG_FORMAT_SLACK: o = render_slack(a); break;
    case RAG_FORMAT_ALERTMANAGER: o = render_alertmanager(a, now_ms); break;
    case RAG_FORMAT_JSON:
    default: o = rag_alert_to_json(a); break;
    }
    char *s = rag_json_print(o, false, NULL);
    cJSON_Delete(o);
    if (!s) abort();
    return s;
}

void rag_url_redact(const char *url, char *out, size_t n)
{
    if (n == 0) return;
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep || sep == url) {
        snprintf(out, n, "***");
        return;
    }
    /* The scheme must be a scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" /
     * "-" / "." )); otherwise "://" was found inside a path or query, and
     * everything before it could be secret. */
    for (const char *p = url; p < sep; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (p > url && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'));
        if (!ok) {
            snprintf(out, n, "***");
            return;
        }
    }
    const char *host = sep + 3;
    size_t hostlen = strcspn(host, "/?#");
    /* Drop user info ("user:pass@host") — it is a secret too. An '@'
     * after a '/', '?' or '#' may still end a malformed user info
     * ("user:pa/ss@host", which curl refuses but the log would show): then
     * where the host starts is unknown, and only the scheme is shown. */
    const char *at = memchr(host, '@', hostlen);
    if (at) {
        hostlen -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (strchr(host + hostlen, '@')) {
        snprintf(out, n, "%.*s://***", (int)(sep - url), url);
        return;
    }
    if (hostlen == 0) {
        snprintf(out, n, "***");
        return;
    }
    snprintf(out, n, "%.*s://%.*s/***", (int)(sep - url), url, (int)hostlen, host);
}
