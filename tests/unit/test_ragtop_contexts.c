/* test_ragtop_contexts.c — contexts.yaml (src/ragtop/contexts.c) and the
 * /status body reader (collect_remote_parse): local and remote contexts,
 * relative paths, every mistake named by file, line and key, a token pasted
 * as token_env not shown; a /status answer fills config, manifest, runs and
 * the API's probe, and a newer schema or a non-document is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/collect.h"
#include "../../src/ragtop/contexts.h"
#include "../../src/ragtop/status.h"

static rt_contexts cs;

static int parse(const char *yaml, char *why, size_t n)
{
    return contexts_parse("ctx.yaml", "/home/me/.config/ragtop", yaml, strlen(yaml), &cs, why, n);
}

static void test_local_and_remote_contexts(void **state)
{
    (void)state;
    char why[512];
    assert_int_equal(parse("version: 1\ncontexts:\n"
                           "  laptop: {services: ../rag/services.yml, config: /srv/params.yaml}\n"
                           "  prod: {url: \"http://127.0.0.1:18089\", token_env: PROD_TOKEN}\n"
                           "  bare: {url: \"https://rag.example/stack-a/status\"}\n",
                           why, sizeof why),
                     0);
    assert_string_equal(why, "");
    assert_int_equal(cs.n, 3);
    assert_string_equal(cs.items[0].name, "laptop");
    assert_false(cs.items[0].remote);
    assert_string_equal(cs.items[0].services, "/home/me/.config/rag/services.yml");
    assert_string_equal(cs.items[0].config, "/srv/params.yaml");
    assert_true(cs.items[1].remote);
    assert_string_equal(cs.items[1].token_env, "PROD_TOKEN");
    rt_inputs in;
    contexts_inputs(contexts_find(&cs, "prod"), &in);
    assert_string_equal(in.remote_url, "http://127.0.0.1:18089");
    assert_string_equal(in.token_env, "PROD_TOKEN");
    assert_null(in.services_path);
    contexts_inputs(contexts_find(&cs, "bare"), &in);
    assert_null(in.token_env);
    char url[512];
    collect_remote_url("http://127.0.0.1:18089/", url);
    assert_string_equal(url, "http://127.0.0.1:18089/status");
    collect_remote_url("https://rag.example/stack-a/status", url);
    assert_string_equal(url, "https://rag.example/stack-a/status");
}

static void expect_problem(const char *yaml, const char *needle)
{
    char why[512];
    assert_int_equal(parse(yaml, why, sizeof why), -1);
    assert_int_equal(cs.n, 0);
    if (!strstr(why, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, why);
}

static void test_mistakes_are_named_by_line_and_key(void **state)
{
    (void)state;
    expect_problem("contexts:\n  a: {url: \"http://h\", services: s.yml}\n", "ctx.yaml:2:");
    expect_problem("contexts:\n  a: {url: \"http://h\", services: s.yml}\n", "not both");
    expect_problem("contexts:\n  all: {url: \"http://h\"}\n", "\"all\" is reserved");
    expect_problem("contexts:\n  a: {url: \"ftp://h\"}\n", "contexts.a.url: must start with http:// or https://");
    expect_problem("contexts:\n  a: {url: \"http://u:p@h\"}\n", "must not contain credentials");
    expect_problem("contexts:\n  a: {}\n", "needs services and/or config (local) or url (remote)");
    expect_problem("contexts:\n  a: {servics: x}\n", "servics");
    expect_problem("contexts:\n  a: {config: x}\n  a: {config: y}\n", "ctx.yaml:3:");
    expect_problem("contexts:\n  a: {config: x, token_env: T}\n", "token_env needs url");
    expect_problem("version: 2\ncontexts: {}\n", "version");
    expect_problem("", "empty file");
    char why[512];
    assert_int_equal(parse("contexts:\n  a: {url: \"http://h\", token_env: \"s3cr3t-value\"}\n", why, sizeof why), -1);
    assert_non_null(strstr(why, "ctx.yaml:2:"));
    assert_non_null(strstr(why, "value not shown"));
    assert_null(strstr(why, "s3cr3t"));
}

static rt_snapshot remote_snapshot(void)
{
    rt_snapshot s;
    snapshot_init(&s);
    collect_remote_init(&s, "http://127.0.0.1:1");
    return s;
}

static void test_status_body_fills_the_snapshot(void **state)
{
    (void)state;
    const char *body =
        "{\"schema_version\":1,\"config\":{\"ok\":true,\"hash\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"canonical\":{\"schema_version\":1},"
        "\"freshness\":{\"warn_after_ms\":1000,\"error_after_ms\":2000},\"watch\":{\"api_error_threshold\":5,"
        "\"ingest_overdue_ms\":0},\"project\":\"far\"},"
        "\"manifest\":{\"error\":null,\"document\":{\"schema_version\":1,\"run_id\":\"r1\",\"generation\":\"gen-r1.sqlite\","
        "\"generated_at\":\"2026-11-30T07:00:00.000Z\",\"checked_at\":\"2026-11-30T07:00:00.000Z\",\"config_hash\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
        "\"config\":{\"schema_version\":1},\"documents\":1,\"chunks\":2,\"tokens\":3,\"source_fingerprint\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
        "\"errors\":0,\"failed_by_class\":{\"content\":0,\"transient\":0},\"tool_version\":\"0.1.0\","
        "\"index_schema_version\":1}},"
        "\"metrics_lines\":[{\"run_id\":\"r1\",\"status\":\"published\",\"chunks\":2},\"not an object\"],"
        "\"log_events\":[{\"source\":\"ingest\",\"entry\":{\"level\":\"error\",\"msg\":\"x\"}},{\"source\":\"api\"}],"
        "\"healthz\":{\"status\":\"warn\",\"generation\":\"gen-r1.sqlite\"}}";
    rt_snapshot s = remote_snapshot();
    rt_remote_logs lg = {0};
    collect_remote_parse(&s, body, strlen(body), &lg);
    assert_int_equal(s.remote.rc, RAG_OK);
    assert_int_equal(s.config.rc, RAG_OK);
    assert_string_equal(s.config.cfg.project, "far");
    assert_int_equal(s.config.cfg.freshness.warn_after_ms, 1000);
    if (s.manifest.rc != RAG_OK) fail_msg("manifest: %s", s.manifest.error);
    assert_string_equal(s.manifest.m.generation, "gen-r1.sqlite");
    assert_int_equal(s.n_runs, 1);
    assert_string_equal(s.runs[0].run_id, "r1");
    assert_string_equal(s.probes[0].status, "warn");
    assert_string_equal(s.probes[0].generation, "gen-r1.sqlite");
    assert_int_equal(lg.n, 1); /* an event without an entry is skipped */
    assert_string_equal(lg.sources[0], "ingest");
    rt_status st;
    status_evaluate(&s, 1795874400000LL, &st);
    assert_int_equal(status_find(&st, "remote")->severity, RT_OK);
    assert_null(status_find(&st, "sources")); /* not visible through /status */
    status_free(&st);
    collect_remote_logs_free(&lg);
    snapshot_free(&s);
}

static void test_status_body_refused_when_not_readable(void **state)
{
    (void)state;
    static const char *const bodies[] = {"", "[]", "{\"x\":1}", "{\"schema_version\":2}"};
    static const char *const why[] = {"not a /status document", "not a /status document", "not a /status document",
                                      "newer than this ragtop reads"};
    for (size_t i = 0; i < 4; i++) {
        rt_snapshot s = remote_snapshot();
        s.remote.http_code = 200;
        collect_remote_parse(&s, bodies[i], strlen(bodies[i]), NULL);
        assert_int_equal(s.remote.rc, RAG_ERR);
        assert_non_null(strstr(s.remote.error, why[i]));
        rt_status st;
        status_evaluate(&s, 0, &st);
        assert_int_equal(status_find(&st, "remote")->severity, RT_UNKNOWN);
        status_free(&st);
        snapshot_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_and_remote_contexts),
        cmocka_unit_test(test_mistakes_are_named_by_line_and_key),
        cmocka_unit_test(test_status_body_fills_the_snapshot),
        cmocka_unit_test(test_status_body_refused_when_not_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
