/* test_core_confighash.c — the canonical config hash: what changes it (index
 * contents: schema version, include/exclude, chunking, embedding provider,
 * model, dimensions) and what does not (comments, key order, YAML style,
 * api/freshness/watch/paths settings), canonical JSON rendering, SHA-256, and
 * the key-by-key diff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/confighash.h"

static void hash_of(const char *text, char out[RAG_HASH_HEX])
{
    rag_config c;
    rag_problems p = {0};
    rag_error err = {0};
    int rc = rag_config_load_buffer("params.yaml", "/srv/rag/config", text, strlen(text), &c, &p, &err);
    for (size_t i = 0; i < p.count; i++)
        fprintf(stderr, "# problem: %s\n", p.items[i]);
    assert_int_equal(rc, RAG_OK);
    rag_config_hash(&c, out);
    assert_int_equal(strlen(out), 64);
    rag_config_free(&c);
}

static const char *const base_yaml =
    "schema_version: 1\n"
    "paths: {transcripts: ../data/transcripts, artifacts: ../artifacts}\n"
    "ingest:\n"
    "  include: [\"**/*.txt\", \"**/*.md\"]\n"
    "  exclude: [\"drafts/**\"]\n"
    "chunking:\n"
    "  target_tokens: 256\n"
    "  overlap_tokens: 32\n"
    "embedding:\n"
    "  provider: openai\n"
    "  model: text-embedding-3-small\n"
    "  url: http://127.0.0.1:9/v1/embeddings\n"
    "  dimensions: 384\n";

/* Same settings: comments, reordered keys, flow style, quoting, and every
 * setting that does not change index contents set differently. */
static const char *const same_index_yaml =
    "# a different file that builds the same index\n"
    "embedding: {dimensions: 384, model: \"text-embedding-3-small\", provider: openai,\n"
    "            url: \"https://example.com/v1/embeddings\", api_key_env: OTHER_KEY, batch_size: 8,\n"
    "            timeout: 5s, max_retries: 0}   # operational only\n"
    "chunking: {overlap_tokens: 32, target_tokens: 256}\n"
    "ingest:\n"
    "  exclude:\n"
    "    - 'drafts/**'\n"
    "  include:\n"
    "    - \"**/*.md\"      # order of patterns does not matter\n"
    "    - \"**/*.txt\"\n"
    "    - \"**/*.md\"      # nor duplicates\n"
    "  batch_files: 3\n"
    "  workers: 3\n"
    "  keep_generations: 9\n"
    "  keep_checkpoints: 0\n"
    "  max_error_ratio: 0.9\n"
    "  schedule: {interval: 5m, debounce: 1s, daily_at: \"03:00\"}\n"
    "project: another name\n"
    "paths: {transcripts: /elsewhere/t, artifacts: /elsewhere/a}\n"
    "api: {listen: \"0.0.0.0:9999\", threads: 16, max_body: 1MiB, default_k: 3, max_k: 10,\n"
    "      connection_timeout: 5s, shutdown_grace: 1s}\n"
    "freshness: {warn_after: 1h, error_after: 2h}\n"
    "watch:\n"
    "  interval: 5s\n"
    "  failure_threshold: 1\n"
    "  reminder: 0\n"
    "  send_resolved: false\n"
    "  receivers: [{name: x, format: json, url_env: HOOK}]\n"
    "schema_version: 1\n";

static void test_hash_ignores_comments_order_style_and_operational_settings(void **state)
{
    (void)state;
    char a[RAG_HASH_HEX], b[RAG_HASH_HEX];
    hash_of(base_yaml, a);
    hash_of(same_index_yaml, b);
    assert_string_equal(a, b);
}

/* Replace the first occurrence of from with to in base_yaml. */
static char *edited(const char *from, const char *to)
{
    const char *at = strstr(base_yaml, from);
    assert_non_null(at);
    return rag_xasprintf("%.*s%s%s", (int)(at - base_yaml), base_yaml, to, at + strlen(from));
}

static void test_hash_changes_with_each_index_setting(void **state)
{
    (void)state;
    static const struct { const char *from, *to; } edits[] = {
        {"target_tokens: 256", "target_tokens: 384"},
        {"overlap_tokens: 32", "overlap_tokens: 16"},
        {"provider: openai", "provider: hashing"},
        {"model: text-embedding-3-small", "model: text-embedding-3-large"},
        {"dimensions: 384", "dimensions: 256"},
        {"include: [\"**/*.txt\", \"**/*.md\"]", "include: [\"**/*.txt\"]"},
        {"include: [\"**/*.txt\", \"**/*.md\"]", "include: [\"**/*.txt\", \"**/*.md\", \"**/*.vtt\"]"},
        {"exclude: [\"drafts/**\"]", "exclude: []"},
        {"exclude: [\"drafts/**\"]", "exclude: [\"old/**\"]"},
    };
    char base[RAG_HASH_HEX];
    hash_of(base_yaml, base);
    char seen[sizeof edits / sizeof edits[0]][RAG_HASH_HEX];
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *text = edited(edits[i].from, edits[i].to);
        hash_of(text, seen[i]);
        if (!strcmp(seen[i], base))
            fprintf(stderr, "# edit %s -> %s did not change the hash\n", edits[i].from, edits[i].to);
        assert_string_not_equal(seen[i], base);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
        free(text);
    }
}

static void test_hashing_provider_model_is_not_part_of_the_hash(void **state)
{
    (void)state;
    char a[RAG_HASH_HEX], b[RAG_HASH_HEX];
    hash_of("schema_version: 1\nembedding: {provider: hashing, model: a}\n", a);
    hash_of("schema_version: 1\nembedding: {provider: hashing, model: b}\n", b);
    assert_string_equal(a, b);
}

static void test_canonical_form_of_the_defaults(void **state)
{
    (void)state;
    rag_config c;
    rag_config_defaults(&c, "/x");
    cJSON *canon = rag_config_canonical(&c);
    char *s = rag_json_canonical_string(canon);
    const char *want = "{\"chunking\":{\"overlap_tokens\":32,\"target_tokens\":256},"
                       "\"embedding\":{\"dimensions\":384,\"provider\":\"hashing\"},"
                       "\"ingest\":{\"exclude\":[],\"include\":[\"**/*.json\",\"**/*.md\",\"**/*.srt\","
                       "\"**/*.txt\",\"**/*.vtt\"]},\"schema_version\":1}";
    assert_string_equal(s, want);
    char h1[RAG_HASH_HEX], h2[RAG_HASH_HEX];
    rag_config_hash(&c, h1);
    rag_sha256_hex(want, strlen(want), h2);
    assert_string_equal(h1, h2);
    free(s);
    cJSON_Delete(canon);
    rag_config_free(&c);
}

static void test_sha256_known_vectors(void **state)
{
    (void)state;
    char h[RAG_HASH_HEX];
    rag_sha256_hex("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    rag_sha256_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_canonical_string_sorts_keys_recursively_and_is_compact(void **state)
{
    (void)state;
    cJSON *a = cJSON_Parse("{ \"b\": [3, {\"z\": 1, \"a\": 2}], \"a\": {\"y\": 1.0, \"x\": 1e2},\n \"B\": \"t\\u00e9\" }");
    cJSON *b = cJSON_Parse("{\"a\":{\"x\":100,\"y\":1},\"B\":\"t\xc3\xa9\",\"b\":[3,{\"a\":2,\"z\":1}]}");
    assert_non_null(a);
    assert_non_null(b);
    char *sa = rag_json_canonical_string(a);
    char *sb = rag_json_canonical_string(b);
    assert_string_equal(sa, "{\"B\":\"t\xc3\xa9\",\"a\":{\"x\":100,\"y\":1},\"b\":[3,{\"a\":2,\"z\":1}]}");
    assert_string_equal(sa, sb);
    char ha[RAG_HASH_HEX], hb[RAG_HASH_HEX];
    rag_json_hash(a, ha);
    rag_json_hash(b, hb);
    assert_string_equal(ha, hb);
    /* the input tree is not modified */
    assert_string_equal(a->child->string, "b");
    free(sa);
    free(sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

typedef struct {
    char lines[16][160];
    int n;
} diff_log;

static void record(const char *key, const char *old_value, const char *new_value, void *ud)
{
    diff_log *log = ud;
    assert_true(log->n < 16);
    snprintf(log->lines[log->n++], sizeof log->lines[0], "%s: %s -> %s", key, old_value, new_value);
}

static void test_diff_lists_changed_dotted_keys(void **state)
{
    (void)state;
    rag_config c1, c2;
    rag_problems p = {0};
    rag_error err = {0};
    const char *t1 = "schema_version: 1\nchunking: {target_tokens: 256}\n";
    const char *t2 = "schema_version: 1\nchunking: {target_tokens: 384}\n"
                     "embedding: {provider: openai, model: m1, dimensions: 512}\n"
                     "ingest: {exclude: [\"x/**\"]}\n";
    assert_int_equal(rag_config_load_buffer("a", "/", t1, strlen(t1), &c1, &p, &err), RAG_OK);
    assert_int_equal(rag_config_load_buffer("b", "/", t2, strlen(t2), &c2, &p, &err), RAG_OK);
    cJSON *j1 = rag_config_canonical(&c1), *j2 = rag_config_canonical(&c2);
    diff_log log = {0};
    assert_int_equal(rag_json_diff(j1, j2, record, &log), 5);
    assert_int_equal(log.n, 5);
    assert_string_equal(log.lines[0], "chunking.target_tokens: 256 -> 384");
    assert_string_equal(log.lines[1], "embedding.dimensions: 384 -> 512");
    assert_string_equal(log.lines[2], "embedding.model: (absent) -> m1");
    assert_string_equal(log.lines[3], "embedding.provider: hashing -> openai");
    assert_string_equal(log.lines[4], "ingest.exclude: [] -> [\"x/**\"]");
    /* identical trees: no differences, no calls */
    diff_log none = {0};
    assert_int_equal(rag_json_diff(j1, j1, record, &none), 0);
    assert_int_equal(none.n, 0);
    /* a missing side (e.g. an old manifest without the subtree) */
    diff_log half = {0};
    assert_int_equal(rag_json_diff(NULL, j1, record, &half), 1);
    assert_non_null(strstr(half.lines[0], "(root): (absent) -> {"));
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    rag_config_free(&c1);
    rag_config_free(&c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_ignores_comments_order_style_and_operational_settings),
        cmocka_unit_test(test_hash_changes_with_each_index_setting),
        cmocka_unit_test(test_hashing_provider_model_is_not_part_of_the_hash),
        cmocka_unit_test(test_canonical_form_of_the_defaults),
        cmocka_unit_test(test_sha256_known_vectors),
        cmocka_unit_test(test_canonical_string_sorts_keys_recursively_and_is_compact),
        cmocka_unit_test(test_diff_lists_changed_dotted_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
