/* test_ragtop_alertstate.c — the watcher's alert state machine: failure and
 * success thresholds, flapping, reminders, severity changes, resolved
 * notices, persistence to a real file and startup reconciliation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/ragtop/alertstate.h"
#include "rag/fsutil.h"

static const alertstate_policy POLICY = { .failure_threshold = 3, .success_threshold = 2,
                                          .reminder_ms = 0, .send_resolved = true };

static void feed(alertstate *as, const char *check, bool ok, rag_severity sev, int64_t now)
{
    alert_result r = { .check = check, .ok = ok, .severity = sev,
                       .summary = ok ? "ok" : "connection refused", .details = NULL };
    alertstate_observe(as, &r, now);
    alertstate_end_round(as, now);
}

static void test_fires_after_failure_threshold_not_before(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 1000);
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 2000);
    assert_int_equal(as.n_notices, 0);
    assert_int_equal(alertstate_find(&as, "service:api")->phase, ALERT_PENDING);
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 3000);
    assert_int_equal(as.n_notices, 1);
    const rag_alert *a = &as.notices[0].alert;
    assert_int_equal(a->status, RAG_ALERT_FIRING);
    assert_int_equal(a->severity, RAG_SEVERITY_CRIT);
    assert_string_equal(a->check, "service:api");
    assert_true(a->started_at_ms == 1000); /* the first failed probe */
    assert_string_equal(as.notices[0].key, "0000000003000-" "79ed2b03de7c4aee" "-firing");
    /* more failures: no second notice (reminders off) */
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 4000);
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 5000);
    assert_int_equal(as.n_notices, 1);
    alertstate_free(&as);
}

static void test_flapping_below_threshold_never_fires(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    for (int i = 0; i < 40; i++) feed(&as, "service:api", i % 2 == 1, RAG_SEVERITY_CRIT, 1000 * i);
    assert_int_equal(as.n_notices, 0);
    /* two failures, one pass, two failures: still below 3 consecutive */
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 50000);
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 51000);
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, 52000);
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 53000);
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, 54000);
    assert_int_equal(as.n_notices, 0);
    alertstate_free(&as);
}

static void fire(alertstate *as, const char *check, int64_t *t)
{
    for (int i = 0; i < 3; i++) feed(as, check, false, RAG_SEVERITY_CRIT, (*t += 1000));
}

static void test_resolves_after_success_threshold_once(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    fire(&as, "service:api", &t);
    assert_int_equal(as.n_notices, 1);
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(as.n_notices, 1);
    assert_int_equal(alertstate_find(&as, "service:api")->phase, ALERT_RESOLVING);
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(as.n_notices, 2);
    const rag_alert *r = &as.notices[1].alert;
    assert_int_equal(r->status, RAG_ALERT_RESOLVED);
    assert_true(r->ends_at_ms == t);
    assert_true(r->started_at_ms == 1000);
    assert_string_equal(r->fingerprint, as.notices[0].alert.fingerprint);
    assert_null(alertstate_find(&as, "service:api")); /* forgotten once OK */
    for (int i = 0; i < 5; i++) feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(as.n_notices, 2);
    alertstate_free(&as);
}

/* Notices carry the instance (in the fingerprint too), and a resolved notice
 * carries the passing result — summary and details — not the firing one's. */
static void test_instance_and_resolved_state_in_notices(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    alertstate_set_instance(&as, "host-a");
    cJSON *bad = cJSON_CreateObject(), *good = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "status", "CRIT");
    cJSON_AddStringToObject(good, "status", "OK");
    int64_t t = 0;
    for (int i = 0; i < 3; i++) {
        alert_result r = { .check = "service:api", .ok = false, .severity = RAG_SEVERITY_CRIT,
                           .summary = "api down", .details = bad };
        alertstate_observe(&as, &r, (t += 1000));
        alertstate_end_round(&as, t);
    }
    for (int i = 0; i < 2; i++) {
        alert_result r = { .check = "service:api", .ok = true, .severity = RAG_SEVERITY_CRIT,
                           .summary = "api healthy (200)", .details = good };
        alertstate_observe(&as, &r, (t += 1000));
        alertstate_end_round(&as, t);
    }
    assert_int_equal(as.n_notices, 2);
    char want[RAG_FINGERPRINT_LEN + 1];
    rag_alert_fingerprint_at("demo", "host-a", "service:api", want);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(as.notices[i].alert.instance, "host-a");
        assert_string_equal(as.notices[i].alert.fingerprint, want);
    }
    assert_string_equal(cJSON_GetObjectItem(as.notices[0].alert.details, "status")->valuestring, "CRIT");
    const rag_alert *res = &as.notices[1].alert;
    assert_int_equal(res->status, RAG_ALERT_RESOLVED);
    assert_int_equal(res->severity, RAG_SEVERITY_CRIT); /* same labels as the firing alert */
    assert_string_equal(res->summary, "api healthy (200)");
    assert_string_equal(cJSON_GetObjectItem(res->details, "status")->valuestring, "OK");
    cJSON_Delete(bad);
    cJSON_Delete(good);
    alertstate_free(&as);
}

static void test_single_pass_while_firing_does_not_resolve(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    fire(&as, "service:api", &t);
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, (t += 1000));
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    feed(&as, "service:api", false, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(as.n_notices, 1);
    assert_int_equal(alertstate_find(&as, "service:api")->phase, ALERT_FIRING);
    alertstate_free(&as);
}

static void test_resolved_notice_can_be_turned_off(void **state)
{
    (void)state;
    alertstate_policy p = POLICY;
    p.send_resolved = false;
    alertstate as;
    alertstate_init(&as, &p, "demo");
    int64_t t = 0;
    fire(&as, "service:api", &t);
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    feed(&as, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(as.n_notices, 1);
    assert_null(alertstate_find(&as, "service:api"));
    alertstate_free(&as);
}

static void test_reminders_repeat_at_interval_while_firing(void **state)
{
    (void)state;
    alertstate_policy p = POLICY;
    p.reminder_ms = 10000;
    alertstate as;
    alertstate_init(&as, &p, "demo");
    int64_t t = 0;
    fire(&as, "index_freshness", &t); /* fires at 3000 */
    for (int i = 0; i < 25; i++) feed(&as, "index_freshness", false, RAG_SEVERITY_CRIT, (t += 1000));
    /* t = 28000: reminders at 13000 and 23000 */
    assert_int_equal(as.n_notices, 3);
    assert_int_equal(as.notices[1].alert.reminder, 1);
    assert_int_equal(as.notices[2].alert.reminder, 2);
    assert_int_equal(as.notices[1].alert.status, RAG_ALERT_FIRING);
    assert_string_equal(as.notices[1].key + 14 + RAG_FINGERPRINT_LEN, "-reminder1");
    assert_string_not_equal(as.notices[1].key, as.notices[2].key);
    alertstate_free(&as);
}

static void test_severity_change_while_firing_notifies(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    for (int i = 0; i < 3; i++) feed(&as, "index_freshness", false, RAG_SEVERITY_WARN, (t += 1000));
    assert_int_equal(as.n_notices, 1);
    assert_int_equal(as.notices[0].alert.severity, RAG_SEVERITY_WARN);
    feed(&as, "index_freshness", false, RAG_SEVERITY_WARN, (t += 1000));
    feed(&as, "index_freshness", false, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(as.n_notices, 2);
    assert_int_equal(as.notices[1].alert.severity, RAG_SEVERITY_CRIT);
    assert_int_equal(as.notices[1].alert.status, RAG_ALERT_FIRING);
    alertstate_free(&as);
}

static void test_checks_are_independent(void **state)
{
    (void)state;
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    for (int i = 0; i < 3; i++) {
        t += 1000;
        alert_result a = { .check = "service:api", .ok = false, .severity = RAG_SEVERITY_CRIT, .summary = "down" };
        alert_result b = { .check = "config_drift", .ok = i != 1, .severity = RAG_SEVERITY_WARN, .summary = "x" };
        alertstate_observe(&as, &a, t);
        alertstate_observe(&as, &b, t);
        alertstate_end_round(&as, t);
    }
    assert_int_equal(as.n_notices, 1);
    assert_string_equal(as.notices[0].alert.check, "service:api");
    assert_int_equal(alertstate_firing_count(&as), 1);
    alertstate_free(&as);
}

static char *tmp_state_path(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/ragtop-alertstate-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return rag_path_join(dir, "watch-state.json");
}

static void cleanup(const char *dir, char *path)
{
    unlink(path);
    rmdir(dir);
    free(path);
}

static void test_restart_neither_resends_nor_forgets_firing_alert(void **state)
{
    (void)state;
    char dir[64];
    char *path = tmp_state_path(dir, sizeof dir);
    rag_error err = {0};
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    fire(&as, "service:api", &t);
    alertstate_drop_notices(&as, as.n_notices); /* queued */
    assert_int_equal(alertstate_save(&as, path, t, &err), RAG_OK);
    alertstate_free(&as);

    alertstate b;
    alertstate_init(&b, &POLICY, "demo");
    assert_int_equal(alertstate_load(&b, path, &err), RAG_OK);
    assert_true(b.restored);
    const alert_entry *e = alertstate_find(&b, "service:api");
    assert_non_null(e);
    assert_int_equal(e->phase, ALERT_FIRING);
    assert_true(e->started_ms == 1000);
    /* still failing after restart: no new firing notice */
    for (int i = 0; i < 5; i++) feed(&b, "service:api", false, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(b.n_notices, 0);
    /* recovery: resolved (after the success threshold, restart is over) */
    feed(&b, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    feed(&b, "service:api", true, RAG_SEVERITY_CRIT, (t += 1000));
    assert_int_equal(b.n_notices, 1);
    assert_int_equal(b.notices[0].alert.status, RAG_ALERT_RESOLVED);
    assert_true(b.notices[0].alert.started_at_ms == 1000);
    alertstate_free(&b);
    cleanup(dir, path);
}

static void test_startup_resolves_what_recovered_meanwhile(void **state)
{
    (void)state;
    char dir[64];
    char *path = tmp_state_path(dir, sizeof dir);
    rag_error err = {0};
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    fire(&as, "service:api", &t);
    fire(&as, "service:old", &t);
    alertstate_drop_notices(&as, as.n_notices);
    assert_int_equal(alertstate_save(&as, path, t, &err), RAG_OK);
    alertstate_free(&as);

    alertstate b;
    alertstate_init(&b, &POLICY, "demo");
    assert_int_equal(alertstate_load(&b, path, &err), RAG_OK);
    /* first round after restart: api passes, service:old is gone from config */
    alert_result r = { .check = "service:api", .ok = true, .severity = RAG_SEVERITY_CRIT, .summary = "ok" };
    alertstate_observe(&b, &r, t + 1000);
    alertstate_end_round(&b, t + 1000);
    assert_int_equal(b.n_notices, 2);
    assert_int_equal(b.notices[0].alert.status, RAG_ALERT_RESOLVED);
    assert_string_equal(b.notices[0].alert.check, "service:api");
    assert_int_equal(b.notices[1].alert.status, RAG_ALERT_RESOLVED);
    assert_string_equal(b.notices[1].alert.check, "service:old");
    assert_false(b.restored);
    assert_int_equal(alertstate_firing_count(&b), 0);
    alertstate_free(&b);
    cleanup(dir, path);
}

static void test_unqueued_notices_survive_restart_with_same_key(void **state)
{
    (void)state;
    char dir[64];
    char *path = tmp_state_path(dir, sizeof dir);
    rag_error err = {0};
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    int64_t t = 0;
    fire(&as, "service:api", &t);
    assert_int_equal(as.n_notices, 1);
    char key[160];
    snprintf(key, sizeof key, "%s", as.notices[0].key);
    assert_int_equal(alertstate_save(&as, path, t, &err), RAG_OK); /* crash before queueing */
    alertstate_free(&as);

    alertstate b;
    alertstate_init(&b, &POLICY, "demo");
    assert_int_equal(alertstate_load(&b, path, &err), RAG_OK);
    assert_int_equal(b.n_notices, 1);
    assert_string_equal(b.notices[0].key, key);
    assert_int_equal(b.notices[0].alert.status, RAG_ALERT_FIRING);
    assert_string_equal(b.notices[0].alert.check, "service:api");
    alertstate_drop_notices(&b, 1);
    assert_int_equal(b.n_notices, 0);
    alertstate_free(&b);
    cleanup(dir, path);
}

static void test_load_reports_missing_corrupt_and_newer_files(void **state)
{
    (void)state;
    char dir[64];
    char *path = tmp_state_path(dir, sizeof dir);
    rag_error err = {0};
    alertstate as;
    alertstate_init(&as, &POLICY, "demo");
    assert_int_equal(alertstate_load(&as, path, &err), RAG_ENOENT);
    const char *bad[] = {
        "{\"version\":1,\"alerts\":[{\"check\":\"x\",\"phase\":\"burning\",\"severity\":\"warn\"}]}",
        "{\"version\":1,\"alerts\":[",
        "",
        "{\"alerts\":[]}",
        "{\"version\":1,\"alerts\":{}}",
        "{\"version\":1,\"alerts\":[],\"notices\":[{\"key\":\"k\",\"alert\":{\"status\":\"firing\"}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(rag_atomic_write(path, bad[i], strlen(bad[i]), &err), RAG_OK);
        memset(&err, 0, sizeof err);
        int rc = alertstate_load(&as, path, &err);
        assert_int_equal(rc, RAG_ECORRUPT);
        assert_non_null(strstr(err.msg, "watch-state.json"));
        assert_int_equal(as.count, 0);
        assert_int_equal(as.n_notices, 0);
    }
    /* numbers no int holds (fuzz finding): clamped to the field's range */
    const char *huge = "{\"version\":1,\"alerts\":[{\"check\":\"a\",\"phase\":\"firing\",\"severity\":\"crit\","
                       "\"fails\":1e300,\"oks\":-1e300,\"reminders\":3e9,\"started_ms\":-1e300}]}";
    assert_int_equal(rag_atomic_write(path, huge, strlen(huge), &err), RAG_OK);
    assert_int_equal(alertstate_load(&as, path, &err), RAG_OK);
    const alert_entry *e = alertstate_find(&as, "a");
    assert_non_null(e);
    assert_int_equal(e->fails, INT_MAX);
    assert_int_equal(e->oks, 0);
    assert_int_equal(e->reminders, INT_MAX);
    assert_true(e->started_ms == -RAG_EXACT_INT);
    alertstate_free(&as);
    alertstate_init(&as, &POLICY, "demo");
    const char *newer = "{\"version\":99,\"alerts\":[]}";
    assert_int_equal(rag_atomic_write(path, newer, strlen(newer), &err), RAG_OK);
    assert_int_equal(alertstate_load(&as, path, &err), RAG_EVERSION);
    alertstate_free(&as);
    cleanup(dir, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_after_failure_threshold_not_before),
        cmocka_unit_test(test_flapping_below_threshold_never_fires),
        cmocka_unit_test(test_resolves_after_success_threshold_once),
        cmocka_unit_test(test_single_pass_while_firing_does_not_resolve),
        cmocka_unit_test(test_resolved_notice_can_be_turned_off),
        cmocka_unit_test(test_instance_and_resolved_state_in_notices),
        cmocka_unit_test(test_reminders_repeat_at_interval_while_firing),
        cmocka_unit_test(test_severity_change_while_firing_notifies),
        cmocka_unit_test(test_checks_are_independent),
        cmocka_unit_test(test_restart_neither_resends_nor_forgets_firing_alert),
        cmocka_unit_test(test_startup_resolves_what_recovered_meanwhile),
        cmocka_unit_test(test_unqueued_notices_survive_restart_with_same_key),
        cmocka_unit_test(test_load_reports_missing_corrupt_and_newer_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
