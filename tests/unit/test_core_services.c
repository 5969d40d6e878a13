/* test_core_services.c — services.yml: the committed registry, defaults,
 * argv arrays (never shell strings), every kind of problem with its exact
 * line:col, and relative log/metrics paths resolved against the file's folder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/services.h"

static size_t load(const char *text, rag_services *s, rag_problems *p)
{
    rag_error err = {0};
    int rc = rag_services_load_buffer("services.yml", "/srv/rag", text, strlen(text), s, p, &err);
    if (p->count == 0)
        assert_int_equal(rc, RAG_OK);
    else
        assert_int_not_equal(rc, RAG_OK);
    return p->count;
}

static void test_committed_services_yml_loads(void **state)
{
    (void)state;
    const char *root = getenv("RAG_ROOT");
    char *path = root ? rag_xasprintf("%s/services.yml", root) : rag_xstrdup("services.yml");
    rag_services s;
    rag_problems p = {0};
    rag_error err = {0};
    int rc = rag_services_load(path, &s, &p, &err);
    for (size_t i = 0; i < p.count; i++)
        fprintf(stderr, "# problem: %s\n", p.items[i]);
    assert_int_equal(rc, RAG_OK);
    assert_int_equal(s.count, 4); /* rag_api, rag_ingest, optional rag_ingest_cron and rag_watch */
    assert_int_equal(s.path[0], '/');

    const rag_service *api = rag_services_find(&s, "rag_api");
    assert_non_null(api);
    assert_int_equal(api->kind, RAG_SERVICE_SERVER);
    assert_string_equal(api->health_url, "http://127.0.0.1:8089/healthz");
    assert_int_equal(api->health_interval_ms, 5000);
    assert_int_equal(api->health_timeout_ms, 2000);
    assert_int_equal(api->n_logs, 1);
    char *want = rag_xasprintf("%s/artifacts/logs/api.jsonl", s.base_dir);
    assert_string_equal(api->logs[0], want);
    free(want);
    const rag_action *start = rag_service_action(api, "start");
    assert_non_null(start);
    assert_int_equal(start->argc, 2);
    assert_string_equal(start->argv[0], "make");
    assert_string_equal(start->argv[1], "api");
    assert_null(start->argv[2]);
    assert_false(start->confirm);
    const rag_action *restart = rag_service_action(api, "restart");
    assert_non_null(restart);
    assert_true(restart->confirm);
    assert_string_equal(restart->argv[1], "restart-api");
    const rag_action *stop = rag_service_action(api, "stop");
    assert_non_null(stop);
    assert_true(stop->confirm);
    assert_null(rag_service_action(api, "run"));

    const rag_service *ing = rag_services_find(&s, "rag_ingest");
    assert_non_null(ing);
    assert_int_equal(ing->kind, RAG_SERVICE_JOB);
    assert_null(ing->health_url);
    want = rag_xasprintf("%s/artifacts/logs/ingestion_metrics.jsonl", s.base_dir);
    assert_string_equal(ing->metrics_file, want);
    free(want);
    const rag_action *run = rag_service_action(ing, "run");
    assert_non_null(run);
    assert_string_equal(run->argv[0], "make");
    assert_string_equal(run->argv[1], "ingest");
    assert_null(rag_services_find(&s, "nope"));
    rag_services_free(&s);
    free(path);
}

static void test_defaults_and_relative_paths(void **state)
{
    (void)state;
    rag_services s;
    rag_problems p = {0};
    const char *text = "version: 1\n"
                       "services:\n"
                       "  web:\n"
                       "    kind: server\n"
                       "    optional: true\n"
                       "    health: {url: \"http://127.0.0.1:1/\"}\n"
                       "    logs: [logs/a.log, /var/log/b.log, ../c.log]\n"
                       "    metrics: ./m/../metrics.jsonl\n"
                       "    actions:\n"
                       "      start: {argv: [sleep, 5]}\n"
                       "      stop: {argv: [kill, x]}\n"
                       "      run: {argv: [true], confirm: true, timeout: 90s}\n";
    assert_int_equal(load(text, &s, &p), 0);
    const rag_service *w = &s.items[0];
    assert_string_equal(w->name, "web");
    assert_true(w->optional);
    assert_string_equal(w->description, "");
    assert_int_equal(w->health_interval_ms, 5000);
    assert_int_equal(w->health_timeout_ms, 2000);
    assert_int_equal(w->n_logs, 3);
    assert_string_equal(w->logs[0], "/srv/rag/logs/a.log");
    assert_string_equal(w->logs[1], "/var/log/b.log");
    assert_string_equal(w->logs[2], "/srv/c.log");
    assert_null(w->logs[3]);
    assert_string_equal(w->metrics_file, "/srv/rag/metrics.jsonl");
    const rag_action *a = rag_service_action(w, "start");
    assert_string_equal(a->argv[1], "5"); /* a number is still an argument string */
    assert_false(a->confirm);
    assert_int_equal(a->timeout_ms, 5 * 60000);
    a = rag_service_action(w, "stop");
    assert_true(a->confirm); /* destructive actions ask by default */
    a = rag_service_action(w, "run");
    assert_true(a->confirm);
    assert_int_equal(a->timeout_ms, 90000);
    rag_services_free(&s);

    /* a service without health, logs or actions is fine */
    assert_int_equal(load("version: 1\nservices:\n  j: {kind: job}\n", &s, &p), 0);
    assert_null(s.items[0].health_url);
    assert_int_equal(s.items[0].n_logs, 0);
    assert_null(s.items[0].metrics_file);
    assert_int_equal(s.items[0].n_actions, 0);
    assert_int_equal(rag_service_action(&s.items[0], "run") == NULL, 1);
    rag_services_free(&s);
}

static const struct { const char *text, *want; } one_problem_cases[] = {
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {argv: \"make ingest\"}\n",
     "services.yml:6:19: services.a.actions.run.argv: must be a list of arguments such as [make, api], not a "
     "string: actions run without a shell, so write each argument as its own list item"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {argv: []}\n",
     "services.yml:6:19: services.a.actions.run.argv: needs at least 1 item"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {argv: [make, [x]]}\n",
     "services.yml:6:26: services.a.actions.run.argv[1]: expected a string, got a list"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {argv: [\"\", x]}\n",
     "services.yml:6:19: services.a.actions.run.argv: the program name (first item) must not be empty"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {confirm: true}\n",
     "services.yml:6:12: services.a.actions.run.argv: is required: the command as a list of arguments, e.g. [make, run]"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      rnu: {argv: [make]}\n",
     "services.yml:6:7: services.a.actions.rnu: unknown key (did you mean run?)"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {argv: [make], confirm: sure}\n",
     "services.yml:6:36: services.a.actions.run.confirm: expected true or false, got \"sure\""},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions:\n      run: {argv: [make], timeout: soon}\n",
     "services.yml:6:36: services.a.actions.run.timeout: invalid duration \"soon\""},
    {"version: 1\nservices:\n  a:\n    kind: job\n    actions: [run]\n",
     "services.yml:5:14: services.a.actions: expected a mapping of keys to values, got a list"},
    {"version: 1\nservices:\n  a:\n    kind: serverr\n",
     "services.yml:4:11: services.a.kind: must be server or job (did you mean server?)"},
    {"version: 1\nservices:\n  a:\n    description: x\n",
     "services.yml:4:5: services.a.kind: is required (server or job)"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    helth: {url: \"http://x/\"}\n",
     "services.yml:5:5: services.a.helth: unknown key (did you mean health?)"},
    {"version: 1\nservices:\n  a:\n    kind: server\n    health: {interval: 5s}\n",
     "services.yml:5:13: services.a.health.url: is required (or urls: for replicas, or remove health: for a service without a probe)"},
    {"version: 1\nservices:\n  a:\n    kind: server\n    health: {url: \"127.0.0.1:8088/healthz\"}\n",
     "services.yml:5:19: services.a.health.url: must start with http:// or https://"},
    {"version: 1\nservices:\n  a:\n    kind: server\n    health: {url: \"http://x/\", interval: 2s, timeout: 3s}\n",
     "services.yml:5:55: services.a.health.timeout: must not exceed services.a.health.interval"},
    {"version: 1\nservices:\n  a:\n    kind: server\n    health: {url: \"http://x/\", interval: 0s}\n",
     "services.yml:5:42: services.a.health.interval: must be between 1s and 1h (got 0s)"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    logs: a.log\n",
     "services.yml:5:11: services.a.logs: expected a list of strings, got \"a.log\""},
    {"version: 1\nservices:\n  a:\n    kind: job\n    metrics: \"\"\n",
     "services.yml:5:14: services.a.metrics: must not be empty (remove the key instead)"},
    {"version: 1\nservices:\n  a:\n    kind: job\n    optional: 1\n",
     "services.yml:5:15: services.a.optional: expected true or false, got \"1\""},
    {"version: 1\nservices:\n  \"a b\":\n    kind: job\n",
     "services.yml:3:3: services.a b: service names use letters, digits, '_', '-' and '.' (at most 64)"},
    {"version: 1\nservices:\n  a: {kind: job}\n  a: {kind: server}\n",
     "services.yml:4:3: services.a: duplicate key (first set at line 3)"},
    {"version: 1\nservices:\n  a: job\n",
     "services.yml:3:6: services.a: expected a mapping of keys to values, got \"job\""},
    {"version: 1\nservices: {}\n", "services.yml:2:11: services: needs at least one service"},
    {"version: 1\n", "services.yml:1:1: services: is required (a mapping of service name to its settings)"},
    {"services:\n  a: {kind: job}\n", "services.yml:1:1: version: is required (this ragtop reads version 1)"},
    {"version: 3\nservices:\n  a: {kind: job}\n",
     "services.yml:1:10: version: version 3 is newer than this ragtop supports (1); upgrade ragtop"},
    {"version: 1\nservice:\n  a: {kind: job}\n", "services.yml:1:1: services: is required"},
    {"", "services.yml: file is empty (it needs \"version: 1\" and services:)"},
    {"version: 1\nservices:\n  a: {kind: job\n", "services.yml:4:1: syntax error: "},
};

static void test_each_kind_of_problem_reports_exact_line_col(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof one_problem_cases / sizeof one_problem_cases[0]; i++) {
        rag_services s;
        rag_problems p = {0};
        size_t n = load(one_problem_cases[i].text, &s, &p);
        const char *want = one_problem_cases[i].want;
        bool found = false;
        for (size_t j = 0; j < p.count; j++)
            found = found || !strncmp(p.items[j], want, strlen(want));
        /* the unknown "service" key case reports two problems (unknown key + missing services) */
        if (!found || n < 1 || (n != 1 && !strstr(one_problem_cases[i].text, "service:\n"))) {
            fprintf(stderr, "# case %zu: want %s\n", i, want);
            for (size_t j = 0; j < p.count; j++)
                fprintf(stderr, "#   got  %s\n", p.items[j]);
            fail();
        }
        assert_int_equal(s.count, 0);
        assert_null(s.items);
        rag_problems_free(&p);
    }
}

static void test_all_problems_in_all_services_are_collected_in_file_order(void **state)
{
    (void)state;
    rag_services s;
    rag_problems p = {0};
    const char *text = "version: 1\n"
                       "services:\n"
                       "  a:\n"
                       "    kind: sever\n"
                       "    actions: {start: {argv: make api}}\n"
                       "  b:\n"
                       "    kind: job\n"
                       "    actions: {run: {argv: [make, ingest], confirm: maybe}}\n";
    assert_int_equal(load(text, &s, &p), 3);
    assert_non_null(strstr(p.items[0], "services.yml:4:11: services.a.kind:"));
    assert_non_null(strstr(p.items[1], "services.yml:5:29: services.a.actions.start.argv:"));
    assert_non_null(strstr(p.items[2], "services.yml:8:52: services.b.actions.run.confirm:"));
    rag_problems_free(&p);
}

/* Replicas: health.urls (one instance per URL) and health.dns (every
 * address of the URL's host), health.rollout_grace (default 10m). */
static void test_replicas_urls_dns_and_rollout_grace(void **state)
{
    (void)state;
    rag_services s;
    rag_problems p = {0};
    const char *text = "version: 1\n"
                       "services:\n"
                       "  listed:\n"
                       "    kind: server\n"
                       "    health: {urls: [http://10.0.0.1:8089/healthz, http://10.0.0.2:8089/healthz], rollout_grace: 30s}\n"
                       "  resolved:\n"
                       "    kind: server\n"
                       "    health: {url: http://rag-api-admin:8089/healthz, dns: true}\n"
                       "  single:\n"
                       "    kind: server\n"
                       "    health: {url: http://127.0.0.1:8089/healthz}\n";
    assert_int_equal(load(text, &s, &p), 0);
    const rag_service *l = rag_services_find(&s, "listed"), *r = rag_services_find(&s, "resolved"),
                      *one = rag_services_find(&s, "single");
    assert_int_equal(l->n_health_urls, 2);
    assert_string_equal(l->health_urls[1], "http://10.0.0.2:8089/healthz");
    assert_string_equal(l->health_url, "http://10.0.0.1:8089/healthz"); /* the first: "has a probe" */
    assert_int_equal(l->rollout_grace_ms, 30000);
    assert_true(rag_service_replicated(l));
    assert_true(r->health_dns);
    assert_true(rag_service_replicated(r));
    assert_int_equal(r->rollout_grace_ms, 10 * 60 * 1000);
    assert_false(rag_service_replicated(one));
    rag_services_free(&s);
    rag_problems_free(&p);

    static const struct { const char *health, *want; } bad[] = {
        {"{url: http://a/healthz, urls: [http://b/healthz]}",
         "services.yml:4:43: services.a.health.urls: use either url (one instance, or with dns: true every address of its host) or urls (one instance per URL), not both"},
        {"{urls: [http://b/healthz], dns: true}", "services.yml:4:45: services.a.health.dns: applies to url"},
        {"{urls: [http://b/healthz, http://b/healthz]}", "services.yml:4:39: services.a.health.urls[1]: is listed twice"},
        {"{urls: [http://b/healthz, ftp://c/]}", "services.yml:4:39: services.a.health.urls[1]: must start with http:// or https://"},
        {"{urls: []}", "services.yml:4:20: services.a.health.urls: needs at least 1 item"},
        {"{interval: 5s}", "services.yml:4:13: services.a.health.url: is required (or urls: for replicas"},
        {"{url: http://b/healthz, rollout_grace: soon}", "services.yml:4:52: services.a.health.rollout_grace: invalid duration \"soon\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = rag_xasprintf("version: 1\nservices:\n  a:\n    health: %s\n    kind: server\n", bad[i].health);
        memset(&p, 0, sizeof p);
        size_t n = load(t, &s, &p);
        bool found = false;
        for (size_t j = 0; j < p.count; j++) found = found || !strncmp(p.items[j], bad[i].want, strlen(bad[i].want));
        if (!found || n != 1) {
            fprintf(stderr, "# case %zu: want %s\n", i, bad[i].want);
            for (size_t j = 0; j < p.count; j++) fprintf(stderr, "#   got  %s\n", p.items[j]);
            fail();
        }
        rag_problems_free(&p);
        free(t);
    }
}

/* deploy/k8s/services.yml: the cluster actions are kubectl argv arrays. */
static void test_k8s_services_yml_has_kubectl_actions(void **state)
{
    (void)state;
    const char *root = getenv("RAG_ROOT");
    char *path = rag_xasprintf("%s/deploy/k8s/services.yml", root ? root : ".");
    rag_services s;
    rag_problems p = {0};
    rag_error err = {0};
    int rc = rag_services_load(path, &s, &p, &err);
    for (size_t i = 0; i < p.count; i++) fprintf(stderr, "# problem: %s\n", p.items[i]);
    assert_int_equal(rc, RAG_OK);
    static const struct { const char *svc, *action, *argv; } want[] = {
        {"rag_ingest", "run", "kubectl create job --from=cronjob/rag-ingest rag-ingest-manual"},
        {"rag_api", "restart", "kubectl rollout restart deployment/rag-api"},
        {"rag_api", "stop", "kubectl scale deployment/rag-api --replicas=0"},
        {"rag_api", "start", "kubectl scale deployment/rag-api --replicas=2"},
        {"rag_watch", "stop", "kubectl scale deployment/ragtop-watch --replicas=0"},
        {"rag_ingest_cron", "stop", "kubectl patch cronjob/rag-ingest --type=merge --patch={\"spec\":{\"suspend\":true}}"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rag_action *a = rag_service_action(rag_services_find(&s, want[i].svc), want[i].action);
        assert_non_null(a);
        char joined[512] = "";
        for (size_t k = 0; k < a->argc; k++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", k ? " " : "", a->argv[k]);
        assert_string_equal(joined, want[i].argv);
        assert_int_equal(a->confirm, !strcmp(want[i].action, "stop") || !strcmp(want[i].action, "restart"));
    }
    const rag_service *api = rag_services_find(&s, "rag_api");
    assert_true(api->health_dns);
    assert_string_equal(api->health_url, "http://rag-api-admin:8089/healthz");
    rag_services_free(&s);
    rag_problems_free(&p);
    free(path);
}

static void test_load_missing_file_names_it(void **state)
{
    (void)state;
    rag_services s;
    rag_problems p = {0};
    rag_error err = {0};
    assert_int_equal(rag_services_load("/nonexistent/services.yml", &s, &p, &err), RAG_ENOENT);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0], "/nonexistent/services.yml: no such file");
    assert_non_null(strstr(err.msg, "/nonexistent/services.yml"));
    rag_problems_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_services_yml_loads),
        cmocka_unit_test(test_defaults_and_relative_paths),
        cmocka_unit_test(test_each_kind_of_problem_reports_exact_line_col),
        cmocka_unit_test(test_all_problems_in_all_services_are_collected_in_file_order),
        cmocka_unit_test(test_replicas_urls_dns_and_rollout_grace),
        cmocka_unit_test(test_k8s_services_yml_has_kubectl_actions),
        cmocka_unit_test(test_load_missing_file_names_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
