/* test_core_alert.c — alert fingerprints, the generic json payload (and its
 * round trip), the Slack and Alertmanager renderings, URL redaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rag/alert.h"
#include "rag/timeutil.h"

static void make_alert(rag_alert *a, rag_alert_status st)
{
    rag_alert_init(a, "demo", "watch", "service:api", st, RAG_SEVERITY_CRIT, "api: connection refused",
                   1764337500123LL);
    rag_alert_set_instance(a, "host-a");
    a->details = cJSON_CreateObject();
    cJSON_AddStringToObject(a->details, "url", "http://127.0.0.1:8088/healthz");
    cJSON_AddNumberToObject(a->details, "failures", 3);
    a->links = cJSON_CreateArray();
    cJSON_AddItemToArray(a->links, cJSON_CreateString("http://127.0.0.1:8088/healthz"));
    if (st == RAG_ALERT_RESOLVED) a->ends_at_ms = 1764337600000LL;
}

static void test_fingerprint_is_stable_and_depends_on_project_and_check(void **state)
{
    (void)state;
    char a[RAG_FINGERPRINT_LEN + 1], b[RAG_FINGERPRINT_LEN + 1], c[RAG_FINGERPRINT_LEN + 1],
        d[RAG_FINGERPRINT_LEN + 1];
    rag_alert_fingerprint("demo", "service:api", a);
    rag_alert_fingerprint("demo", "service:api", b);
    rag_alert_fingerprint("demo", "index_freshness", c);
    rag_alert_fingerprint("other", "service:api", d);
    assert_int_equal(strlen(a), RAG_FINGERPRINT_LEN);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    /* "ab"+"c" must not collide with "a"+"bc" */
    rag_alert_fingerprint("ab", "c", c);
    rag_alert_fingerprint("a", "bc", d);
    assert_string_not_equal(c, d);
    /* sha256("demo\nservice:api") starts 79ed2b03de7c4aee (python3 hashlib) */
    assert_string_equal(a, "79ed2b03de7c4aee");
}

/* Two watchers (hosts or stacks) reporting the same check are two alerts:
 * the instance is part of the fingerprint; without one it is the old value. */
static void test_fingerprint_includes_the_instance(void **state)
{
    (void)state;
    char none[RAG_FINGERPRINT_LEN + 1], empty[RAG_FINGERPRINT_LEN + 1], a[RAG_FINGERPRINT_LEN + 1],
        b[RAG_FINGERPRINT_LEN + 1];
    rag_alert_fingerprint("demo", "service:api", none);
    rag_alert_fingerprint_at("demo", "", "service:api", empty);
    rag_alert_fingerprint_at("demo", "host-a", "service:api", a);
    rag_alert_fingerprint_at("demo", "host-b", "service:api", b);
    assert_string_equal(none, empty);
    assert_string_not_equal(a, none);
    assert_string_not_equal(a, b);
    /* sha256("demo\nservice:api\nhost-a") starts a55f459660284612 (python3 hashlib) */
    const char *want = "a55f459660284612";
    assert_string_equal(a, want);
    rag_alert r;
    rag_alert_init(&r, "demo", "watch", "service:api", RAG_ALERT_FIRING, RAG_SEVERITY_WARN, "x", 1);
    assert_string_equal(r.fingerprint, none);
    rag_alert_set_instance(&r, "host-a");
    assert_string_equal(r.fingerprint, want);
    assert_string_equal(r.instance, "host-a");
}

/* The alertname/service scheme of deploy/prometheus/rules. */
static void test_identity_follows_the_prometheus_rules(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"service:rag_api", "RagServiceUnhealthy", "rag_api"},
        {"api_errors:rag_api", "RagApiErrors", "rag_api"},
        {"served:rag_api", "RagConfigDrift", "rag_api"},
        {"freshness", "RagIndexStale", "rag_ingest"},
        {"index", "RagIndexMissing", "rag_ingest"},
        {"config_hash", "RagConfigDrift", "rag_ingest"},
        {"last_run", "RagIngestFailed", "rag_ingest"},
        {"ingest_overdue", "RagIngestOverdue", "rag_ingest"},
        {"disk", "RagDiskFilling", "rag_ingest"},
        {"config", "RagConfigInvalid", "ragtop"},
        {"services_file", "RagServicesFileInvalid", "ragtop"},
        {"something_new", "RagtopCheckFailed", "ragtop"},
        {"indexes", "RagtopCheckFailed", "ragtop"}, /* whole names, not prefixes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char an[64], svc[96];
        rag_alert_identity(cases[i][0], an, sizeof an, svc, sizeof svc);
        assert_string_equal(an, cases[i][1]);
        assert_string_equal(svc, cases[i][2]);
    }
}

static void test_json_payload_has_documented_fields(void **state)
{
    (void)state;
    rag_alert a;
    make_alert(&a, RAG_ALERT_FIRING);
    char *body = rag_alert_render(&a, RAG_FORMAT_JSON, 1764337501000LL);
    cJSON *o = cJSON_Parse(body);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring, "firing");
    assert_string_equal(cJSON_GetObjectItem(o, "check")->valuestring, "service:api");
    assert_string_equal(cJSON_GetObjectItem(o, "severity")->valuestring, "crit");
    assert_string_equal(cJSON_GetObjectItem(o, "summary")->valuestring, "api: connection refused");
    assert_string_equal(cJSON_GetObjectItem(o, "fingerprint")->valuestring, a.fingerprint);
    assert_string_equal(cJSON_GetObjectItem(o, "instance")->valuestring, "host-a");
    assert_string_equal(cJSON_GetObjectItem(o, "alertname")->valuestring, "RagServiceUnhealthy");
    assert_string_equal(cJSON_GetObjectItem(o, "service")->valuestring, "api");
    assert_string_equal(cJSON_GetObjectItem(o, "started_at")->valuestring, "2025-11-28T13:45:00.123Z");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "ends_at")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(o, "details")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "links")), 1);
    assert_int_equal(cJSON_GetObjectItem(o, "version")->valueint, RAG_ALERT_JSON_VERSION);
    cJSON_Delete(o);
    free(body);
    rag_alert_clear(&a);
}

static void test_json_payload_round_trips(void **state)
{
    (void)state;
    rag_alert a, b;
    make_alert(&a, RAG_ALERT_RESOLVED);
    a.reminder = 2;
    cJSON *o = rag_alert_to_json(&a);
    rag_error err = {0};
    assert_int_equal(rag_alert_from_json(o, &b, &err), RAG_OK);
    assert_int_equal(b.status, RAG_ALERT_RESOLVED);
    assert_int_equal(b.severity, RAG_SEVERITY_CRIT);
    assert_string_equal(b.check, a.check);
    assert_string_equal(b.summary, a.summary);
    assert_string_equal(b.fingerprint, a.fingerprint);
    assert_string_equal(b.project, "demo");
    assert_string_equal(b.source, "watch");
    assert_string_equal(b.instance, "host-a");
    assert_true(b.started_at_ms == a.started_at_ms);
    assert_true(b.ends_at_ms == a.ends_at_ms);
    assert_int_equal(b.reminder, 2);
    assert_int_equal(cJSON_GetObjectItem(b.details, "failures")->valueint, 3);
    cJSON_Delete(o);
    rag_alert_clear(&a);
    rag_alert_clear(&b);
}

static void test_json_parser_rejects_bad_status_and_missing_fields(void **state)
{
    (void)state;
    rag_alert a, b;
    rag_error err = {0};
    make_alert(&a, RAG_ALERT_FIRING);
    cJSON *o = rag_alert_to_json(&a);
    cJSON_ReplaceItemInObject(o, "status", cJSON_CreateString("exploded"));
    assert_int_equal(rag_alert_from_json(o, &b, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "exploded"));
    cJSON_DeleteItemFromObject(o, "check");
    assert_int_equal(rag_alert_from_json(o, &b, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "check"));
    cJSON_Delete(o);
    o = cJSON_CreateArray();
    assert_int_equal(rag_alert_from_json(o, &b, &err), RAG_ECORRUPT);
    cJSON_Delete(o);
    /* a reminder count no int holds (fuzz finding) is clamped, a negative one is 0 */
    const double reminders[] = {1e10, -5};
    const int want[] = {INT_MAX, 0};
    for (int i = 0; i < 2; i++) {
        o = rag_alert_to_json(&a);
        cJSON_ReplaceItemInObject(o, "reminder", cJSON_CreateNumber(reminders[i]));
        assert_int_equal(rag_alert_from_json(o, &b, &err), RAG_OK);
        assert_int_equal(b.reminder, want[i]);
        rag_alert_clear(&b);
        cJSON_Delete(o);
    }
    rag_alert_clear(&a);
}

/* Slack incoming webhooks accept {"text": string, "attachments": [ {color,
 * title, text, fields: [{title, value, short}] } ]}: text is required,
 * attachment colors are good|warning|danger or #hex, field values strings. */
static void check_slack_schema(const cJSON *o)
{
    assert_true(cJSON_IsObject(o));
    const cJSON *text = cJSON_GetObjectItem(o, "text");
    assert_true(cJSON_IsString(text) && text->valuestring[0]);
    const cJSON *atts = cJSON_GetObjectItem(o, "attachments");
    assert_true(cJSON_IsArray(atts));
    const cJSON *att;
    cJSON_ArrayForEach(att, atts) {
        const char *color = cJSON_GetObjectItem(att, "color")->valuestring;
        assert_true(strcmp(color, "good") == 0 || strcmp(color, "warning") == 0 ||
                    strcmp(color, "danger") == 0 || color[0] == '#');
        assert_true(cJSON_IsString(cJSON_GetObjectItem(att, "title")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(att, "fallback")));
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(att, "fields")) {
            assert_true(cJSON_IsString(cJSON_GetObjectItem(f, "title")));
            assert_true(cJSON_IsString(cJSON_GetObjectItem(f, "value")));
            assert_true(cJSON_IsBool(cJSON_GetObjectItem(f, "short")));
        }
        const cJSON *ts = cJSON_GetObjectItem(att, "ts");
        if (ts) assert_true(cJSON_IsNumber(ts));
        /* no key outside the attachment schema */
        const cJSON *k;
        cJSON_ArrayForEach(k, att) {
            assert_non_null(strstr(" color title text fallback fields ts footer pretext ", k->string));
        }
    }
}

static void test_slack_payload_matches_incoming_webhook_schema(void **state)
{
    (void)state;
    rag_alert a;
    make_alert(&a, RAG_ALERT_FIRING);
    char *body = rag_alert_render(&a, RAG_FORMAT_SLACK, 0);
    cJSON *o = cJSON_Parse(body);
    check_slack_schema(o);
    const cJSON *att = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "attachments"), 0);
    assert_string_equal(cJSON_GetObjectItem(att, "color")->valuestring, "danger");
    assert_non_null(strstr(cJSON_GetObjectItem(o, "text")->valuestring, "[CRIT]"));
    assert_non_null(strstr(cJSON_GetObjectItem(o, "text")->valuestring, "service:api"));
    cJSON_Delete(o);
    free(body);
    rag_alert_clear(&a);

    make_alert(&a, RAG_ALERT_RESOLVED);
    body = rag_alert_render(&a, RAG_FORMAT_SLACK, 0);
    o = cJSON_Parse(body);
    check_slack_schema(o);
    att = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "attachments"), 0);
    assert_string_equal(cJSON_GetObjectItem(att, "color")->valuestring, "good");
    assert_non_null(strstr(cJSON_GetObjectItem(o, "text")->valuestring, "[RESOLVED]"));
    cJSON_Delete(o);
    free(body);
    rag_alert_clear(&a);
}

static void test_alertmanager_payload_is_postable_alert_array(void **state)
{
    (void)state;
    rag_alert a;
    int64_t now = 1764337501000LL;
    make_alert(&a, RAG_ALERT_FIRING);
    char *body = rag_alert_render(&a, RAG_FORMAT_ALERTMANAGER, now);
    cJSON *arr = cJSON_Parse(body);
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    /* the second ends the same alert at the other severity, now */
    cJSON *twin = cJSON_GetArrayItem(arr, 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(twin, "labels"), "severity")->valuestring, "warning");
    int64_t twin_ends;
    assert_int_equal(rag_time_parse(cJSON_GetObjectItem(twin, "endsAt")->valuestring, &twin_ends), 0);
    assert_true(twin_ends == now);
    cJSON *o = cJSON_GetArrayItem(arr, 0);
    cJSON *labels = cJSON_GetObjectItem(o, "labels");
    assert_string_equal(cJSON_GetObjectItem(labels, "alertname")->valuestring, "RagServiceUnhealthy");
    assert_string_equal(cJSON_GetObjectItem(labels, "check")->valuestring, "service:api");
    assert_string_equal(cJSON_GetObjectItem(labels, "severity")->valuestring, "critical");
    assert_string_equal(cJSON_GetObjectItem(labels, "service")->valuestring, "api");
    assert_string_equal(cJSON_GetObjectItem(labels, "instance")->valuestring, "host-a");
    assert_string_equal(cJSON_GetObjectItem(labels, "fingerprint")->valuestring, a.fingerprint);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "annotations"), "summary")->valuestring,
                        a.summary);
    int64_t starts, ends;
    assert_int_equal(rag_time_parse(cJSON_GetObjectItem(o, "startsAt")->valuestring, &starts), 0);
    assert_int_equal(rag_time_parse(cJSON_GetObjectItem(o, "endsAt")->valuestring, &ends), 0);
    assert_true(starts == a.started_at_ms);
    assert_true(ends > now); /* firing: ends in the future */
    assert_string_equal(cJSON_GetObjectItem(o, "generatorURL")->valuestring, "http://127.0.0.1:8088/healthz");
    cJSON_Delete(arr);
    free(body);
    rag_alert_clear(&a);

    make_alert(&a, RAG_ALERT_RESOLVED);
    body = rag_alert_render(&a, RAG_FORMAT_ALERTMANAGER, now + 500000);
    arr = cJSON_Parse(body);
    o = cJSON_GetArrayItem(arr, 0);
    assert_int_equal(rag_time_parse(cJSON_GetObjectItem(o, "endsAt")->valuestring, &ends), 0);
    assert_true(ends == a.ends_at_ms); /* resolved: the real end time */
    cJSON_Delete(arr);
    free(body);
    rag_alert_clear(&a);
}

static void test_format_and_severity_names_parse_back(void **state)
{
    (void)state;
    for (int f = RAG_FORMAT_SLACK; f <= RAG_FORMAT_ALERTMANAGER; f++)
        assert_int_equal(rag_alert_format_parse(rag_alert_format_name((rag_alert_format)f)), f);
    assert_int_equal(rag_alert_format_parse("pagerduty"), -1);
    assert_int_equal(rag_alert_format_parse(NULL), -1);
    assert_int_equal(rag_severity_parse("crit"), RAG_SEVERITY_CRIT);
    assert_int_equal(rag_severity_parse("warn"), RAG_SEVERITY_WARN);
    assert_int_equal(rag_severity_parse("info"), -1);
}

static void test_url_redaction_hides_path_query_and_userinfo(void **state)
{
    (void)state;
    char out[128];
    rag_url_redact("https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX", out, sizeof out);
    assert_string_equal(out, "https://hooks.slack.com/***");
    rag_url_redact("http://user:pa55@127.0.0.1:9093/api/v2/alerts?token=SECRET#x", out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:9093/***");
    assert_null(strstr(out, "pa55"));
    rag_url_redact("http://n8n.local:5678", out, sizeof out);
    assert_string_equal(out, "http://n8n.local:5678/***");
    rag_url_redact("not a url SECRET", out, sizeof out);
    assert_string_equal(out, "***");
    rag_url_redact("http:///SECRET", out, sizeof out);
    assert_string_equal(out, "***");
    /* no scheme: a "://" later in the query must not make the path a "scheme" */
    rag_url_redact("hooks.slack.com/services/SECRET?next=http://x", out, sizeof out);
    assert_string_equal(out, "***");
    /* an '@' past the host: a user info with '/' or '#' in it (malformed;
     * the log would have shown "user:pa") -- nothing but the scheme */
    rag_url_redact("http://user:pa/SECRETB@127.0.0.1:9/x", out, sizeof out);
    assert_string_equal(out, "http://***");
    rag_url_redact("http://user:pa#SECRETC@127.0.0.1:9/x", out, sizeof out);
    assert_string_equal(out, "http://***");
    rag_url_redact(NULL, out, sizeof out);
    assert_string_equal(out, "***");
    char tiny[8];
    rag_url_redact("https://hooks.slack.com/services/SECRET", tiny, sizeof tiny);
    assert_null(strstr(tiny, "SECRET"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_is_stable_and_depends_on_project_and_check),
        cmocka_unit_test(test_fingerprint_includes_the_instance),
        cmocka_unit_test(test_identity_follows_the_prometheus_rules),
        cmocka_unit_test(test_json_payload_has_documented_fields),
        cmocka_unit_test(test_json_payload_round_trips),
        cmocka_unit_test(test_json_parser_rejects_bad_status_and_missing_fields),
        cmocka_unit_test(test_slack_payload_matches_incoming_webhook_schema),
        cmocka_unit_test(test_alertmanager_payload_is_postable_alert_array),
        cmocka_unit_test(test_format_and_severity_names_parse_back),
        cmocka_unit_test(test_url_redaction_hides_path_query_and_userinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
