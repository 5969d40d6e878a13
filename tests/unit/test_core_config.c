/* test_core_config.c — config/params.yaml loading: defaults, the committed
 * file, every kind of problem with its exact line:col, did-you-mean, secrets
 * only as variable names, relative path resolution. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rag/config.h"

/* Load text; return the problem count (cfg valid only when 0). */
static size_t load(const char *text, rag_config *cfg, rag_problems *p)
{
    rag_error err = {0};
    int rc = rag_config_load_buffer("params.yaml", "/srv/rag/config", text, strlen(text), cfg, p, &err);
    if (p->count == 0)
        assert_int_equal(rc, RAG_OK);
    else
        assert_int_not_equal(rc, RAG_OK);
    return p->count;
}

/* Assert text loads with exactly one problem equal to want. */
static void expect_one(const char *text, const char *want)
{
    rag_config cfg;
    rag_problems p = {0};
    size_t n = load(text, &cfg, &p);
    if (n != 1) {
        for (size_t i = 0; i < p.count; i++)
            fprintf(stderr, "# problem: %s\n", p.items[i]);
    }
    assert_int_equal(n, 1);
    assert_string_equal(p.items[0], want);
    rag_problems_free(&p);
}

static bool has_problem(const rag_problems *p, const char *want)
{
    for (size_t i = 0; i < p->count; i++)
        if (!strcmp(p->items[i], want))
            return true;
    return false;
}

static void test_defaults_are_the_documented_values(void **state)
{
    (void)state;
    rag_config c;
    rag_config_defaults(&c, "/srv/rag");
    assert_string_equal(c.base_dir, "/srv/rag");
    assert_string_equal(c.paths.transcripts, "/srv/rag/data/transcripts");
    assert_string_equal(c.paths.artifacts, "/srv/rag/artifacts");
    assert_int_equal(c.schema_version, 1);
    assert_int_equal(c.chunking.target_tokens, 256);
    assert_int_equal(c.chunking.overlap_tokens, 32);
    assert_string_equal(c.embedding.provider, "hashing");
    assert_int_equal(c.embedding.dimensions, 384);
    assert_int_equal(c.embedding.batch_size, 64);
    assert_int_equal(c.embedding.timeout_ms, 30000);
    assert_int_equal(c.embedding.max_retries, 4);
    assert_string_equal(c.api.listen_host, "127.0.0.1");
    assert_int_equal(c.api.port, 8088);
    assert_int_equal(c.api.threads, 4);
    assert_int_equal(c.api.max_body_bytes, 64 * 1024);
    assert_int_equal(c.freshness.warn_after_ms, 24LL * 3600 * 1000);
    assert_int_equal(c.freshness.error_after_ms, 7LL * 86400 * 1000);
    assert_int_equal(c.watch.interval_ms, 30000);
    assert_int_equal(c.watch.failure_threshold, 3);
    assert_int_equal(c.watch.success_threshold, 2);
    assert_int_equal(c.watch.reminder_ms, 4LL * 3600 * 1000);
    assert_true(c.watch.send_resolved);
    assert_int_equal(c.watch.ingest_overdue_ms, 26LL * 3600 * 1000);
    assert_int_equal(c.watch.api_error_threshold, 10);
    assert_int_equal(c.watch.delivery_expire_ms, 24LL * 3600 * 1000);
    assert_int_equal(c.watch.n_receivers, 0);
    assert_true(c.ingest.max_error_ratio > 0.199 && c.ingest.max_error_ratio < 0.201);
    assert_int_equal(c.ingest.keep_generations, 3);
    assert_int_equal(c.ingest.keep_checkpoints, 20);
    assert_int_equal(c.ingest.max_file_bytes, 16LL * 1024 * 1024);
    assert_int_equal(c.ingest.batch_files, 64);
    assert_int_equal(c.ingest.schedule_interval_ms, 3600000);
    assert_int_equal(c.ingest.watch_debounce_ms, 5000);
    assert_true(c.ingest.n_include >= 1);
    assert_null(c.ingest.include[c.ingest.n_include]);
    char *s = rag_config_manifest_path(&c);
    assert_string_equal(s, "/srv/rag/artifacts/checkpoints/latest.json");
    free(s);
    s = rag_config_index_dir(&c);
    assert_string_equal(s, "/srv/rag/artifacts/index");
    free(s);
    s = rag_config_logs_dir(&c);
    assert_string_equal(s, "/srv/rag/artifacts/logs");
    free(s);
    s = rag_config_run_dir(&c);
    assert_string_equal(s, "/srv/rag/artifacts/run");
    free(s);
    s = rag_config_checkpoints_dir(&c);
    assert_string_equal(s, "/srv/rag/artifacts/checkpoints");
    free(s);
    rag_config_free(&c);
}

static void test_minimal_file_gives_defaults(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    assert_int_equal(load("schema_version: 1\n", &c, &p), 0);
    assert_string_equal(c.paths.transcripts, "/srv/rag/config/data/transcripts");
    assert_int_equal(c.chunking.target_tokens, 256);
    rag_config_free(&c);
}

static void test_committed_params_yaml_is_valid_and_matches_defaults(void **state)
{
    (void)state;
    const char *root = getenv("RAG_ROOT");
    char *path = root ? rag_xasprintf("%s/config/params.yaml", root) : rag_xstrdup("config/params.yaml");
    rag_config c, d;
    rag_problems p = {0};
    rag_error err = {0};
    int rc = rag_config_load(path, &c, &p, &err);
    for (size_t i = 0; i < p.count; i++)
        fprintf(stderr, "# problem: %s\n", p.items[i]);
    assert_int_equal(rc, RAG_OK);
    assert_int_equal(p.count, 0);
    assert_non_null(c.path);
    assert_int_equal(c.path[0], '/');
    /* ../data/transcripts from config/ is <root>/data/transcripts */
    char *dir = rag_xstrdup(c.base_dir);
    *strrchr(dir, '/') = '\0';
    char *want = rag_xasprintf("%s/data/transcripts", dir);
    assert_string_equal(c.paths.transcripts, want);
    free(want);
    want = rag_xasprintf("%s/artifacts", dir);
    assert_string_equal(c.paths.artifacts, want);
    free(want);
    /* the committed file states the built-in defaults */
    rag_config_defaults(&d, c.base_dir);
    assert_int_equal(c.chunking.target_tokens, d.chunking.target_tokens);
    assert_int_equal(c.chunking.overlap_tokens, d.chunking.overlap_tokens);
    assert_int_equal(c.embedding.dimensions, d.embedding.dimensions);
    assert_string_equal(c.embedding.provider, d.embedding.provider);
    assert_string_equal(c.embedding.model, d.embedding.model);
    assert_int_equal(c.ingest.n_include, d.ingest.n_include);
    for (size_t i = 0; i < c.ingest.n_include; i++)
        assert_string_equal(c.ingest.include[i], d.ingest.include[i]);
    assert_int_equal(c.api.port, d.api.port);
    assert_int_equal(c.api.max_connections, d.api.max_connections);
    assert_int_equal(c.freshness.error_after_ms, d.freshness.error_after_ms);
    assert_int_equal(c.watch.delivery_expire_ms, d.watch.delivery_expire_ms);
    assert_int_equal(c.ingest.schedule_interval_ms, d.ingest.schedule_interval_ms);
    free(dir);
    rag_config_free(&d);
    rag_config_free(&c);
    free(path);
}

static void test_unknown_key_suggests_the_closest_known_key(void **state)
{
    (void)state;
    expect_one("schema_version: 1\nchunking:\n  target_tokns: 300\n",
               "params.yaml:3:3: chunking.target_tokns: unknown key (did you mean target_tokens?)");
    expect_one("schema_version: 1\nembeding:\n  provider: hashing\n",
               "params.yaml:2:1: embeding: unknown key (did you mean embedding?)");
}

static void test_unknown_key_without_close_match_lists_known_keys(void **state)
{
    (void)state;
    expect_one("schema_version: 1\nfreshness:\n  zzzzzz: 1\n",
               "params.yaml:3:3: freshness.zzzzzz: unknown key (known keys here: warn_after, error_after)");
}

static void test_bad_duration_names_line_col_and_syntax(void **state)
{
    (void)state;
    expect_one("schema_version: 1\nfreshness:\n  warn_after: 5x\n",
               "params.yaml:3:15: freshness.warn_after: invalid duration \"5x\" "
               "(use a whole number with a unit: 250ms, 30s, 5m, 24h, 7d)");
}

static void test_every_problem_is_collected(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    const char *text = "schema_version: 1\n"
                       "chunking:\n"
                       "  target_tokns: 300\n"
                       "  overlap_tokens: many\n"
                       "freshness:\n"
                       "  warn_after: 5x\n"
                       "embedding:\n"
                       "  dimensions: 4\n";
    assert_int_equal(load(text, &c, &p), 4);
    assert_true(has_problem(&p, "params.yaml:3:3: chunking.target_tokns: unknown key (did you mean target_tokens?)"));
    assert_true(has_problem(&p, "params.yaml:4:19: chunking.overlap_tokens: expected an integer, got \"many\""));
    assert_true(has_problem(&p, "params.yaml:8:15: embedding.dimensions: must be between 8 and 8192 (got 4)"));
    rag_problems_free(&p);
    assert_null(c.path); /* freed and zeroed on failure */
    assert_null(c.project);
}

static void test_syntax_error_reports_line_and_column(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    assert_int_equal(load("schema_version: 1\nchunking:\n  target_tokens: [256\n", &c, &p), 1);
    assert_non_null(strstr(p.items[0], "params.yaml:4:1: syntax error: "));
    rag_problems_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_documented_values),
        cmocka_unit_test(test_minimal_file_gives_defaults),
        cmocka_unit_test(test_committed_params_yaml_is_valid_and_matches_defaults),
        cmocka_unit_test(test_unknown_key_suggests_the_closest_known_key),
        cmocka_unit_test(test_unknown_key_without_close_match_lists_known_keys),
        cmocka_unit_test(test_bad_duration_names_line_col_and_syntax),
        cmocka_unit_test(test_every_problem_is_collected),
        cmocka_unit_test(test_syntax_error_reports_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
