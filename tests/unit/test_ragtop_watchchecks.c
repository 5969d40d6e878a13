/* test_ragtop_watchchecks.c — the checks the watcher added to the shared
 * status evaluation (ingest_overdue: the dead man's switch; api_errors:<svc>
 * against watch.api_error_threshold; rollout:<svc> for replicas against
 * health.rollout_grace) and the watcher's mapping of checks to alerts
 * (which checks alert, with what severity). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/status.h"
#include "../../src/ragtop/watch.h"
#include "rag/timeutil.h"

static const int64_t NOW = 1795874400000LL;
static const int64_t HOUR = 3600LL * 1000;

static void snap_with_config(rt_snapshot *s)
{
    snapshot_init(s);
    rag_config_defaults(&s->config.cfg, "/tmp");
    s->config.rc = RAG_OK;
    s->config.cfg.watch.ingest_overdue_ms = 26 * HOUR;
    s->config.cfg.watch.api_error_threshold = 10;
}

static void add_run(rt_snapshot *s, const char *status, int64_t started)
{
    rt_run *r = &s->runs[s->n_runs++];
    memset(r, 0, sizeof *r);
    snprintf(r->run_id, sizeof r->run_id, "r%zu", s->n_runs);
    snprintf(r->status, sizeof r->status, "%s", status);
    r->ok = strcmp(status, "success") == 0;
    r->started_ms = started;
    r->duration_ms = 60000;
}

static void test_ingest_overdue_fires_only_past_the_grace(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_config(&s);
    add_run(&s, "success", NOW - 25 * HOUR);
    status_evaluate(&s, NOW, &st);
    const rt_check *c = status_find(&st, "ingest_overdue");
    assert_non_null(c);
    assert_int_equal(c->severity, RT_OK);
    status_free(&st);

    /* later failed runs do not count as successful ones */
    add_run(&s, "failed", NOW - 2 * HOUR);
    status_evaluate(&s, NOW + 2 * HOUR, &st);
    c = status_find(&st, "ingest_overdue");
    assert_int_equal(c->severity, RT_WARN);
    assert_non_null(strstr(c->summary, "no successful ingest run"));
    status_free(&st);
    snapshot_free(&s);
}

static void test_ingest_overdue_says_just_now_for_a_run_that_just_ended(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_config(&s);
    add_run(&s, "success", NOW - 60000); /* ended at NOW */
    status_evaluate(&s, NOW, &st);
    const rt_check *c = status_find(&st, "ingest_overdue");
    assert_non_null(c);
    assert_string_equal(c->summary, "last successful ingest just now (expected within 1d 2h)");
    status_free(&st);

    s.n_runs = 0;
    add_run(&s, "success", NOW - 6 * 60000); /* ended 5m ago */
    status_evaluate(&s, NOW, &st);
    assert_string_equal(status_find(&st, "ingest_overdue")->summary, "last successful ingest 5m ago (expected within 1d 2h)");
    status_free(&st);
    snapshot_free(&s);
}

static void test_ingest_overdue_uses_manifest_checked_at(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_config(&s);
    add_run(&s, "success", NOW - 40 * HOUR);
    s.manifest.rc = RAG_OK;
    s.manifest.m.checked_at_ms = NOW - 1 * HOUR; /* a newer confirmation */
    s.manifest.m.generated_at_ms = NOW - 40 * HOUR;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(status_find(&st, "ingest_overdue")->severity, RT_OK);
    status_free(&st);
    s.manifest.rc = RAG_ENOENT; /* nothing of the manifest was allocated */
    snapshot_free(&s);
}

static void test_ingest_overdue_silent_when_nothing_ever_ran(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_config(&s);
    status_evaluate(&s, NOW, &st);
    assert_null(status_find(&st, "ingest_overdue"));
    status_free(&st);
    snapshot_free(&s);
}

static void test_api_errors_over_threshold_warn(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_config(&s);
    s.n_probes = 2;
    s.probes = calloc(2, sizeof *s.probes);
    snprintf(s.probes[0].service, sizeof s.probes[0].service, "rag_api");
    s.probes[0].probed = s.probes[0].up = true;
    s.probes[0].recent_errors = 10;
    snprintf(s.probes[1].service, sizeof s.probes[1].service, "other");
    s.probes[1].probed = s.probes[1].up = true;
    s.probes[1].recent_errors = 9;
    status_evaluate(&s, NOW, &st);
    const rt_check *a = status_find(&st, "api_errors:rag_api");
    const rt_check *b = status_find(&st, "api_errors:other");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->severity, RT_WARN);
    assert_non_null(strstr(a->summary, "10 recent errors"));
    assert_int_equal(b->severity, RT_OK);
    status_free(&st);
    /* no figure reported (-1) or service down: no check */
    s.probes[0].recent_errors = -1;
    s.probes[1].up = false;
    status_evaluate(&s, NOW, &st);
    assert_null(status_find(&st, "api_errors:rag_api"));
    assert_null(status_find(&st, "api_errors:other"));
    status_free(&st);
    snapshot_free(&s);
}

static void set_inst(rt_probe *p, size_t i, const char *name, const char *gen, int64_t built, int64_t loaded)
{
    rt_instance *in = &p->inst[i];
    snprintf(in->name, sizeof in->name, "%s", name);
    in->up = gen != NULL;
    in->http_code = 200;
    snprintf(in->status, sizeof in->status, "pass");
    snprintf(in->generation, sizeof in->generation, "%s", gen ? gen : "");
    in->generated_at_ms = built;
    in->loaded_at_ms = loaded;
    if (!gen) snprintf(in->error, sizeof in->error, "connection refused");
}

/* A replicated service: one instance on an older generation is OK within
 * health.rollout_grace and warns after it, naming the instance; the age is
 * counted from when the last of the served generations came into service. */
static void test_rollout_converges_within_the_grace(void **state)
{
    (void)state;
    rt_snapshot s;
    rt_status st;
    snap_with_config(&s);
    s.services_rc = RAG_OK;
    s.services.count = 1;
    s.services.items = calloc(1, sizeof *s.services.items);
    rag_service *svc = &s.services.items[0];
    svc->name = strdup("rag_api");
    svc->health_url = strdup("http://a/healthz");
    svc->health_dns = true;
    svc->rollout_grace_ms = 5 * 60 * 1000;
    s.n_probes = 1;
    s.probes = calloc(1, sizeof *s.probes);
    rt_probe *p = &s.probes[0];
    snprintf(p->service, sizeof p->service, "rag_api");
    p->probed = p->up = p->replicated = true;
    p->n_inst = p->n_inst_found = p->n_inst_up = 3;
    set_inst(p, 0, "10.0.0.1:8089", "gen-B.sqlite", NOW - 2 * HOUR, NOW - 2 * HOUR + 5000);
    set_inst(p, 1, "10.0.0.2:8089", "gen-B.sqlite", NOW - 2 * HOUR, NOW - 2 * HOUR + 9000);
    set_inst(p, 2, "10.0.0.3:8089", "gen-A.sqlite", NOW - 9 * HOUR, NOW - 4 * 60 * 1000); /* restarted 4m ago */

    status_evaluate(&s, NOW, &st);
    const rt_check *c = status_find(&st, "rollout:rag_api");
    assert_non_null(c);
    assert_int_equal(c->severity, RT_OK);
    assert_string_equal(c->summary, "rag_api rolling out: 2/3 serve gen-B, 1 serves gen-A (for 4m) (grace 5m)");
    assert_string_equal(c->instances, "10.0.0.3:8089");
    assert_string_equal(status_find(&st, "service:rag_api")->summary, "rag_api 3/3 up, 0ms");
    status_free(&st);

    status_evaluate(&s, NOW + 60 * 1000, &st); /* 5m: past the grace */
    c = status_find(&st, "rollout:rag_api");
    assert_int_equal(c->severity, RT_WARN);
    assert_string_equal(c->summary, "rag_api: 2/3 serve gen-B, 1 serves gen-A (for 5m), longer than the rollout grace (5m): 10.0.0.3:8089");
    assert_string_equal(c->details, "10.0.0.3:8089 serves gen-A");
    status_free(&st);

    /* converged; one instance down is the service check's business */
    set_inst(p, 2, "10.0.0.3:8089", NULL, 0, 0);
    p->n_inst_up = 2;
    status_evaluate(&s, NOW + 60 * 1000, &st);
    assert_int_equal(status_find(&st, "rollout:rag_api")->severity, RT_OK);
    assert_string_equal(status_find(&st, "rollout:rag_api")->summary, "rag_api: 2/3 serve gen-B, 1 not reporting");
    c = status_find(&st, "service:rag_api");
    assert_int_equal(c->severity, RT_WARN);
    assert_string_equal(c->summary, "rag_api 2/3 up: 10.0.0.3:8089 down (connection refused)");
    assert_string_equal(c->instances, "10.0.0.3:8089");
    status_free(&st);
    snapshot_free(&s);
}

static void test_watch_maps_checks_to_alerts(void **state)
{
    (void)state;
    rt_check c = {0};
    snprintf(c.name, sizeof c.name, "sources");
    assert_false(watch_check_alerts(&c));
    snprintf(c.name, sizeof c.name, "service:rag_api");
    assert_true(watch_check_alerts(&c));
    snprintf(c.name, sizeof c.name, "freshness");
    assert_true(watch_check_alerts(&c));
    assert_int_equal(watch_severity(RT_CRIT), RAG_SEVERITY_CRIT);
    assert_int_equal(watch_severity(RT_WARN), RAG_SEVERITY_WARN);
    assert_int_equal(watch_severity(RT_UNKNOWN), RAG_SEVERITY_WARN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_overdue_fires_only_past_the_grace),
        cmocka_unit_test(test_ingest_overdue_says_just_now_for_a_run_that_just_ended),
        cmocka_unit_test(test_ingest_overdue_uses_manifest_checked_at),
        cmocka_unit_test(test_ingest_overdue_silent_when_nothing_ever_ran),
        cmocka_unit_test(test_api_errors_over_threshold_warn),
        cmocka_unit_test(test_rollout_converges_within_the_grace),
        cmocka_unit_test(test_watch_maps_checks_to_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
