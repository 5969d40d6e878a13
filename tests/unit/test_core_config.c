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
    assert_string_equal(c.embedding.encoding_format, "base64");
    assert_string_equal(c.api.listen_host, "127.0.0.1");
    assert_int_equal(c.api.port, 8088);
    assert_int_equal(c.api.threads, 0); /* one per CPU core, resolved by rag-api */
    assert_int_equal(c.api.max_body_bytes, 64 * 1024);
    assert_string_equal(c.api.admin_host, "127.0.0.1");
    assert_int_equal(c.api.admin_port, 8089);
    assert_int_equal(c.api.request_deadline_ms, 10000);
    assert_string_equal(c.api.default_mode, "auto");
    assert_true(c.api.hybrid_vector_weight == 1.0);
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
    assert_int_equal(c.ingest.workers, 0); /* one per online CPU */
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

/* watch.instance: the host name unless set; "" also means the host name. */
static void test_watch_instance_defaults_to_the_host_name(void **state)
{
    (void)state;
    char host[256] = "";
    assert_int_equal(gethostname(host, sizeof host - 1), 0);
    host[95] = '\0';
    rag_config c;
    rag_problems p = {0};
    assert_int_equal(load("schema_version: 1\n", &c, &p), 0);
    assert_string_equal(c.watch.instance, host);
    rag_config_free(&c);
    assert_int_equal(load("schema_version: 1\nwatch:\n  instance: \"\"\n", &c, &p), 0);
    assert_string_equal(c.watch.instance, host);
    rag_config_free(&c);
    assert_int_equal(load("schema_version: 1\nwatch:\n  instance: eu-west.prod-2\n", &c, &p), 0);
    assert_string_equal(c.watch.instance, "eu-west.prod-2");
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
    assert_string_equal(c.api.default_mode, d.api.default_mode);
    assert_true(c.api.hybrid_vector_weight == d.api.hybrid_vector_weight);
    assert_int_equal(c.api.ann_ef_search, d.api.ann_ef_search);
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


/* One input, exactly one problem, its exact text (line:col included). */
static const struct { const char *text, *want; } one_problem_cases[] = {
    {"schema_version: 1\nchunking:\n  target_tokens: [1, 2]\n",
     "params.yaml:3:18: chunking.target_tokens: expected an integer, got a list"},
    {"schema_version: 1\nchunking:\n  target_tokens: \"256\"\n",
     "params.yaml:3:18: chunking.target_tokens: expected an integer, got \"256\""},
    {"schema_version: 1\nchunking:\n  target_tokens: 1.5\n",
     "params.yaml:3:18: chunking.target_tokens: expected an integer, got \"1.5\""},
    {"schema_version: 1\nchunking:\n  target_tokens: 99999999999999999999\n",
     "params.yaml:3:18: chunking.target_tokens: must be between 16 and 8192 (got 99999999999999999999)"},
    {"schema_version: 1\nchunking:\n  target_tokens:\n",
     "params.yaml:3:17: chunking.target_tokens: expected an integer, got an empty value"},
    {"schema_version: 1\nchunking: 5\n",
     "params.yaml:2:11: chunking: expected a mapping of keys to values, got \"5\""},
    {"schema_version: 1\nchunking:\n  target_tokens: 64\n  overlap_tokens: 64\n",
     "params.yaml:4:19: chunking.overlap_tokens: must be less than chunking.target_tokens (64 >= 64)"},
    {"schema_version: 1\nchunking:\n  target_tokens: 20\n",
     "params.yaml:3:18: chunking.overlap_tokens: must be less than chunking.target_tokens (32 >= 20)"},
    {"schema_version: 1\nchunking:\n  target_tokens: 300\n  target_tokens: 200\n",
     "params.yaml:4:3: chunking.target_tokens: duplicate key (first set at line 3)"},
    {"schema_version: 1\nembedding:\n  dimensions: 9000\n",
     "params.yaml:3:15: embedding.dimensions: must be between 8 and 8192 (got 9000)"},
    {"schema_version: 1\nembedding:\n  provider: local\n",
     "params.yaml:3:13: embedding.provider: must be hashing or openai, got \"local\""},
    {"schema_version: 1\nembedding:\n  encoding_format: json\n",
     "params.yaml:3:20: embedding.encoding_format: must be base64 or float, got \"json\""},
    {"schema_version: 1\nembedding:\n  url: https://user:pw@example.com/v1/embeddings\n",
     "params.yaml:3:8: embedding.url: must not contain credentials (user:password@); name them in an *_env variable"},
    {"schema_version: 1\nembedding:\n  provider: openai\n  model: \"\"\n",
     "params.yaml:4:10: embedding.model: is required when provider is openai"},
    {"schema_version: 1\nembedding:\n  timeout: 50ms\n",
     "params.yaml:3:12: embedding.timeout: must be between 100ms and 10m (got 50ms)"},
    {"schema_version: 1\ningest:\n  workers: 65\n",
     "params.yaml:3:12: ingest.workers: must be between 0 and 64 (got 65)"},
    {"schema_version: 1\ningest:\n  max_error_ratio: 1.5\n",
     "params.yaml:3:20: ingest.max_error_ratio: must be between 0 and 1 (got 1.5)"},
    {"schema_version: 1\ningest:\n  max_error_ratio: nan\n",
     "params.yaml:3:20: ingest.max_error_ratio: expected a number, got \"nan\""},
    {"schema_version: 1\ningest:\n  max_file_size: 16 MiB\n",
     "params.yaml:3:18: ingest.max_file_size: invalid size \"16 MiB\" (use bytes or a unit: 512, 64KiB, 16MiB, 1GiB)"},
    {"schema_version: 1\ningest:\n  max_file_size: 2GiB\n",
     "params.yaml:3:18: ingest.max_file_size: must be between 1 and 1GiB (got 2GiB)"},
    {"schema_version: 1\ningest:\n  include: \"*.txt\"\n",
     "params.yaml:3:12: ingest.include: expected a list of strings, got \"*.txt\""},
    {"schema_version: 1\ningest:\n  include: []\n",
     "params.yaml:3:12: ingest.include: needs at least 1 item"},
    {"schema_version: 1\ningest:\n  exclude: [a, {b: c}]\n",
     "params.yaml:3:16: ingest.exclude[1]: expected a string, got a mapping"},
    {"schema_version: 1\ningest:\n  legacy_encoding: klingon-8\n",
     "params.yaml:3:20: ingest.legacy_encoding: unknown encoding \"klingon-8\" (e.g. windows-1252, latin1; \"\" rejects non-UTF-8 files)"},
    {"schema_version: 1\ningest:\n  schedule:\n    daily_at: \"25:00\"\n",
     "params.yaml:4:15: ingest.schedule.daily_at: must be a local time \"HH:MM\" (00:00..23:59), or \"\" for none"},
    {"schema_version: 1\ningest:\n  schedule:\n    interval: -5m\n",
     "params.yaml:4:15: ingest.schedule.interval: invalid duration \"-5m\" (use a whole number with a unit: 250ms, 30s, 5m, 24h, 7d)"},
    {"schema_version: 1\napi:\n  listen: \"127.0.0.1:70000\"\n",
     "params.yaml:3:11: api.listen: expected \"host:port\" with a port 1..65535 (e.g. 127.0.0.1:8088, [::1]:8088), got \"127.0.0.1:70000\""},
    {"schema_version: 1\napi:\n  admin_listen: \"8089\"\n",
     "params.yaml:3:17: api.admin_listen: expected \"host:port\" with a port 1..65535 (e.g. 127.0.0.1:8089) or \"\" for none, got \"8089\""},
    {"schema_version: 1\napi:\n  listen: 127.0.0.1:8088\n  admin_listen: 127.0.0.1:8088\n",
     "params.yaml:4:17: api.admin_listen: must differ from api.listen (127.0.0.1:8088); use \"\" for no admin listener"},
    {"schema_version: 1\napi:\n  request_deadline: 0s\n",
     "params.yaml:3:21: api.request_deadline: must be between 1s and 10m (got 0s)"},
    {"schema_version: 1\napi:\n  max_connections: 10\n",
     "params.yaml:3:20: api.max_connections_per_ip: must not exceed api.max_connections (64 > 10)"},
    {"schema_version: 1\napi:\n  default_k: 60\n",
     "params.yaml:3:14: api.default_k: must not exceed api.max_k (60 > 50)"},
    {"schema_version: 1\napi:\n  default_mode: hybird\n",
     "params.yaml:3:17: api.default_mode: must be auto, bm25, hybrid or vector, got \"hybird\" (did you mean hybrid?)"},
    {"schema_version: 1\napi:\n  hybrid_vector_weight: 0\n",
     "params.yaml:3:25: api.hybrid_vector_weight: must be between 0.01 and 100 (got 0)"},
    {"schema_version: 1\napi:\n  max_body: 1\n",
     "params.yaml:3:13: api.max_body: must be between 1KiB and 64MiB (got 1)"},
    {"schema_version: 1\nfreshness:\n  warn_after: 2d\n  error_after: 1d\n",
     "params.yaml:4:16: freshness.error_after: must be longer than freshness.warn_after"},
    {"schema_version: 1\nfreshness:\n  warn_after: 0s\n",
     "params.yaml:3:15: freshness.warn_after: must be between 100ms and 3650d (got 0s)"},
    {"schema_version: 1\nwatch:\n  send_resolved: yes\n",
     "params.yaml:3:18: watch.send_resolved: expected true or false, got \"yes\""},
    {"schema_version: 1\nwatch:\n  failure_threshold: 0\n",
     "params.yaml:3:22: watch.failure_threshold: must be between 1 and 100 (got 0)"},
    {"schema_version: 1\nwatch:\n  receivers:\n    - {name: a, format: json}\n",
     "params.yaml:4:7: watch.receivers[0].url_env: is required"},
    {"schema_version: 1\nwatch:\n  receivers:\n    - {name: a, format: teams, url_env: HOOK}\n",
     "params.yaml:4:25: watch.receivers[0].format: must be slack, json or alertmanager"},
    {"schema_version: 1\nwatch:\n  receivers:\n    - {name: a, format: json, url_env: A}\n    - {name: a, format: json, url_env: B}\n",
     "params.yaml:5:14: watch.receivers[1].name: duplicate receiver name"},
    {"schema_version: 1\nwatch:\n  receivers:\n    - {name: ops slack, format: json, url_env: A}\n",
     "params.yaml:4:14: watch.receivers[0].name: must be 1-64 of A-Z a-z 0-9 _ - . (it names the outbox files)"},
    {"schema_version: 1\nwatch:\n  receivers: {name: a}\n",
     "params.yaml:3:14: watch.receivers: expected a list of receivers, got a mapping"},
    {"chunking: {target_tokens: 300}\n",
     "params.yaml:1:1: schema_version: is required (this ragtop reads version 1)"},
    {"schema_version: 2\n",
     "params.yaml:1:17: schema_version: version 2 is newer than this ragtop supports (1); upgrade ragtop"},
    {"", "params.yaml: file is empty (it needs at least \"schema_version: 1\")"},
    {"# only a comment\n", "params.yaml: file is empty (it needs at least \"schema_version: 1\")"},
    {"- a\n- b\n", "params.yaml:1:1: expected a mapping of keys to values, got a list"},
    {"schema_version: 1\n---\nschema_version: 1\n",
     "params.yaml:3:1: a second YAML document is not allowed (remove the '---' separator)"},
    {"schema_version: 1\n[a]: 1\n", "params.yaml:2:1: keys must be plain names, not lists"},
    {"schema_version: 1\nproject: *nope\n",
     "params.yaml:2:10: syntax error: found undefined alias"},
    {"schema_version: 1\nproject: \"\\xff\\x00\"\n",
     "params.yaml:2:10: project: text must not contain NUL characters"},
    {"schema_version: 1\npaths:\n  artifacts: \"\"\n",
     "params.yaml:3:14: paths.artifacts: must not be empty"},
    {"schema_version: 1\npaths:\n  transcripts: ~/data\n",
     "params.yaml:3:16: paths.transcripts: '~' is not expanded; write an absolute path or one relative to the config file's folder"},
    {"schema_version: 1\nwatch:\n  receivers:\n",
     "params.yaml:3:13: watch.receivers: expected a list of receivers, got an empty value"},
    {"schema_version: 1\nwatch:\n  instance: \"web 1\"\n",
     "params.yaml:3:13: watch.instance: must be up to 95 characters of A-Z a-z 0-9 . - _ : (got \"web 1\")"},
};

static void test_each_kind_of_problem_reports_exact_line_col(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof one_problem_cases / sizeof one_problem_cases[0]; i++) {
        rag_config cfg;
        rag_problems p = {0};
        size_t n = load(one_problem_cases[i].text, &cfg, &p);
        if (n != 1 || strncmp(p.items[0], one_problem_cases[i].want, strlen(one_problem_cases[i].want))) {
            fprintf(stderr, "# case %zu: want %s\n", i, one_problem_cases[i].want);
            for (size_t j = 0; j < p.count; j++)
                fprintf(stderr, "#   got  %s\n", p.items[j]);
            fail();
        }
        rag_problems_free(&p);
    }
}

static void test_invalid_utf8_is_a_syntax_error_with_position(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    assert_int_equal(load("schema_version: 1\nproject: ab\xff\n", &c, &p), 1);
    assert_non_null(strstr(p.items[0], "params.yaml:2:12: syntax error: "));
    rag_problems_free(&p);
}

static void test_secret_in_env_field_is_rejected_without_echoing_it(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    const char *text = "schema_version: 1\n"
                       "embedding:\n"
                       "  api_key_env: sk-live-abcdef123456\n"
                       "watch:\n"
                       "  receivers:\n"
                       "    - name: ops\n"
                       "      format: slack\n"
                       "      url_env: https://hooks.slack.com/services/T000/B000/XXXX\n";
    assert_int_equal(load(text, &c, &p), 2);
    assert_string_equal(p.items[0], "params.yaml:3:16: embedding.api_key_env: must be the name of an environment "
                                    "variable ([A-Z_][A-Z0-9_]*), not the secret itself (value not shown)");
    assert_string_equal(p.items[1], "params.yaml:8:16: watch.receivers[0].url_env: looks like a URL; put the URL in "
                                    "an environment variable and write that variable's name here (e.g. RAG_WEBHOOK_URL)");
    for (size_t i = 0; i < p.count; i++) {
        assert_null(strstr(p.items[i], "abcdef"));
        assert_null(strstr(p.items[i], "hooks.slack"));
    }
    rag_problems_free(&p);
}

static void test_valid_settings_are_loaded(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    const char *text = "schema_version: 1\n"
                       "project: demo\n"
                       "ingest:\n"
                       "  include: [\"*.vtt\", '*.srt']\n"
                       "  exclude:\n    - drafts/**\n"
                       "  max_file_size: 10MB\n"
                       "  max_error_ratio: 0\n"
                       "  legacy_encoding: windows-1252\n"
                       "  schedule: {interval: 0, daily_at: \"02:30\", debounce: 250ms}\n"
                       "chunking: {target_tokens: 512, overlap_tokens: 0}\n"
                       "embedding:\n"
                       "  provider: openai\n"
                       "  model: text-embedding-3-large\n"
                       "  url: http://127.0.0.1:9/v1/embeddings\n"
                       "  api_key_env: MY_KEY_2\n"
                       "  dimensions: 8192\n"
                       "  timeout: 2m\n"
                       "api:\n"
                       "  listen: \"[::1]:9090\"\n"
                       "  max_body: 1KiB\n"
                       "  shutdown_grace: 0s\n"
                       "  default_mode: hybrid\n"
                       "  hybrid_vector_weight: 0.25\n"
                       "freshness: {warn_after: 90m, error_after: 2d}\n"
                       "watch:\n"
                       "  send_resolved: false\n"
                       "  reminder: 0\n"
                       "  receivers:\n"
                       "    - {name: slack, format: slack, url_env: SLACK_URL}\n"
                       "    - {name: am, format: alertmanager, url_env: _AM}\n";
    assert_int_equal(load(text, &c, &p), 0);
    assert_string_equal(c.project, "demo");
    assert_int_equal(c.ingest.n_include, 2);
    assert_string_equal(c.ingest.include[0], "*.vtt");
    assert_string_equal(c.ingest.include[1], "*.srt");
    assert_null(c.ingest.include[2]);
    assert_int_equal(c.ingest.n_exclude, 1);
    assert_string_equal(c.ingest.exclude[0], "drafts/**");
    assert_int_equal(c.ingest.max_file_bytes, 10000000);
    assert_true(c.ingest.max_error_ratio == 0.0);
    assert_string_equal(c.ingest.legacy_encoding, "windows-1252");
    assert_int_equal(c.ingest.schedule_interval_ms, 0);
    assert_string_equal(c.ingest.schedule_daily_at, "02:30");
    assert_int_equal(c.ingest.watch_debounce_ms, 250);
    assert_int_equal(c.chunking.target_tokens, 512);
    assert_int_equal(c.chunking.overlap_tokens, 0);
    assert_string_equal(c.embedding.provider, "openai");
    assert_string_equal(c.embedding.model, "text-embedding-3-large");
    assert_string_equal(c.embedding.url, "http://127.0.0.1:9/v1/embeddings");
    assert_string_equal(c.embedding.api_key_env, "MY_KEY_2");
    assert_int_equal(c.embedding.dimensions, 8192);
    assert_int_equal(c.embedding.timeout_ms, 120000);
    assert_string_equal(c.api.listen_host, "::1");
    assert_int_equal(c.api.port, 9090);
    assert_int_equal(c.api.max_body_bytes, 1024);
    assert_int_equal(c.api.shutdown_grace_ms, 0);
    assert_string_equal(c.api.default_mode, "hybrid");
    assert_true(c.api.hybrid_vector_weight == 0.25);
    assert_int_equal(c.freshness.warn_after_ms, 90 * 60000);
    assert_int_equal(c.freshness.error_after_ms, 2 * 86400000LL);
    assert_false(c.watch.send_resolved);
    assert_int_equal(c.watch.reminder_ms, 0);
    assert_int_equal(c.watch.n_receivers, 2);
    assert_string_equal(c.watch.receivers[0].name, "slack");
    assert_string_equal(c.watch.receivers[0].format, "slack");
    assert_string_equal(c.watch.receivers[0].url_env, "SLACK_URL");
    assert_string_equal(c.watch.receivers[1].format, "alertmanager");
    assert_string_equal(c.watch.receivers[1].url_env, "_AM");
    rag_config_free(&c);
}

static void test_duration_and_size_units(void **state)
{
    (void)state;
    static const struct { const char *dur; int64_t ms; } durs[] = {
        {"250ms", 250}, {"30s", 30000}, {"45", 45000}, {"5m", 300000}, {"24h", 86400000}, {"7d", 604800000},
    };
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        char *text = rag_xasprintf("schema_version: 1\ningest: {schedule: {interval: %s}}\n", durs[i].dur);
        rag_config c;
        rag_problems p = {0};
        assert_int_equal(load(text, &c, &p), 0);
        assert_int_equal(c.ingest.schedule_interval_ms, durs[i].ms);
        rag_config_free(&c);
        free(text);
    }
    static const struct { const char *size; int64_t bytes; } sizes[] = {
        {"512", 512}, {"512B", 512}, {"64KiB", 65536}, {"16MiB", 16777216}, {"1GiB", 1073741824},
        {"2KB", 2000}, {"3MB", 3000000}, {"1GB", 1000000000},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *text = rag_xasprintf("schema_version: 1\ningest: {max_file_size: %s}\n", sizes[i].size);
        rag_config c;
        rag_problems p = {0};
        assert_int_equal(load(text, &c, &p), 0);
        assert_int_equal(c.ingest.max_file_bytes, sizes[i].bytes);
        rag_config_free(&c);
        free(text);
    }
    static const char *const bad[] = {"1.5h", "5 m", "1w", "h", "-1s", "99999999999999999999d", "1e3s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = rag_xasprintf("schema_version: 1\nfreshness: {warn_after: \"%s\"}\n", bad[i]);
        rag_config c;
        rag_problems p = {0};
        assert_int_equal(load(text, &c, &p), 1);
        assert_non_null(strstr(p.items[0], "freshness.warn_after: invalid duration"));
        rag_problems_free(&p);
        free(text);
    }
}

static void test_relative_paths_resolve_against_the_config_folder(void **state)
{
    (void)state;
    rag_config c;
    rag_problems p = {0};
    assert_int_equal(load("schema_version: 1\npaths:\n  transcripts: ../data/./transcripts/\n"
                          "  artifacts: /var/lib/rag//artifacts\n", &c, &p), 0);
    assert_string_equal(c.base_dir, "/srv/rag/config");
    assert_string_equal(c.paths.transcripts, "/srv/rag/data/transcripts");
    assert_string_equal(c.paths.artifacts, "/var/lib/rag/artifacts");
    rag_config_free(&c);
    assert_int_equal(load("schema_version: 1\npaths: {transcripts: ../../../../t, artifacts: a/../b}\n", &c, &p), 0);
    assert_string_equal(c.paths.transcripts, "/t");
    assert_string_equal(c.paths.artifacts, "/srv/rag/config/b");
    rag_config_free(&c);
}

static void test_load_file_resolves_against_its_folder(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ragtop-cfg-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *dir = rag_xasprintf("%s/config", tmpl);
    assert_int_equal(mkdir(dir, 0755), 0);
    char *file = rag_xasprintf("%s/params.yaml", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("schema_version: 1\npaths: {transcripts: ../data/transcripts, artifacts: ../artifacts}\n", f);
    fclose(f);

    /* load through a relative path from the temp folder */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpl), 0);
    rag_config c;
    rag_problems p = {0};
    rag_error err = {0};
    int rc = rag_config_load("config/params.yaml", &c, &p, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, RAG_OK);
    char *want = rag_xasprintf("%s/data/transcripts", tmpl);
    assert_string_equal(c.paths.transcripts, want);
    free(want);
    want = rag_xasprintf("%s/artifacts", tmpl);
    assert_string_equal(c.paths.artifacts, want);
    free(want);
    assert_string_equal(c.path, file);
    assert_string_equal(c.base_dir, dir);
    rag_config_free(&c);

    /* missing and unreadable files: one problem naming the file */
    char *missing = rag_xasprintf("%s/nope.yaml", dir);
    assert_int_equal(rag_config_load(missing, &c, &p, &err), RAG_ENOENT);
    assert_int_equal(p.count, 1);
    char *msg = rag_xasprintf("%s: no such file", missing);
    assert_string_equal(p.items[0], msg);
    assert_non_null(strstr(err.msg, missing));
    assert_null(c.path);
    free(msg);
    rag_problems_free(&p);
    assert_int_not_equal(rag_config_load(dir, &c, &p, &err), RAG_OK); /* a folder */
    assert_int_equal(p.count, 1);
    assert_non_null(strstr(p.items[0], "is a folder, not a file"));
    rag_problems_free(&p);

    unlink(file);
    rmdir(dir);
    rmdir(tmpl);
    free(missing);
    free(file);
    free(dir);
}

static void test_default_path_honours_rag_config(void **state)
{
    (void)state;
    unsetenv("RAG_CONFIG");
    assert_string_equal(rag_config_default_path(), "config/params.yaml");
    setenv("RAG_CONFIG", "/etc/rag/params.yaml", 1);
    assert_string_equal(rag_config_default_path(), "/etc/rag/params.yaml");
    unsetenv("RAG_CONFIG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_documented_values),
        cmocka_unit_test(test_minimal_file_gives_defaults),
        cmocka_unit_test(test_watch_instance_defaults_to_the_host_name),
        cmocka_unit_test(test_committed_params_yaml_is_valid_and_matches_defaults),
        cmocka_unit_test(test_unknown_key_suggests_the_closest_known_key),
        cmocka_unit_test(test_unknown_key_without_close_match_lists_known_keys),
        cmocka_unit_test(test_bad_duration_names_line_col_and_syntax),
        cmocka_unit_test(test_every_problem_is_collected),
        cmocka_unit_test(test_syntax_error_reports_line_and_column),
        cmocka_unit_test(test_each_kind_of_problem_reports_exact_line_col),
        cmocka_unit_test(test_invalid_utf8_is_a_syntax_error_with_position),
        cmocka_unit_test(test_secret_in_env_field_is_rejected_without_echoing_it),
        cmocka_unit_test(test_valid_settings_are_loaded),
        cmocka_unit_test(test_duration_and_size_units),
        cmocka_unit_test(test_relative_paths_resolve_against_the_config_folder),
        cmocka_unit_test(test_load_file_resolves_against_its_folder),
        cmocka_unit_test(test_default_path_honours_rag_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
