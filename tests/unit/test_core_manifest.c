/* test_core_manifest.c — the freshness manifest: round trip through a real
 * file, every rejected input (empty, truncated, not JSON, not an object,
 * newer schema, each missing or wrong-typed field, bad timestamps), and the
 * rule that a failed load leaves nothing half-read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/manifest.h"
#include "rag/timeutil.h"

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const char *VALID =
    "{\n"
    "  \"schema_version\": 1,\n"
    "  \"run_id\": \"20261128T134500Z-1a2b3c\",\n"
    "  \"generation\": \"gen-20261128T134500Z-1a2b3c.sqlite\",\n"
    "  \"generated_at\": \"2026-11-28T13:45:00.123Z\",\n"
    "  \"checked_at\": \"2026-11-28T15:45:00+02:00\",\n"
    "  \"config_hash\": \"" HASH_A "\",\n"
    "  \"config\": {\"chunking\": {\"target_tokens\": 256, \"overlap_tokens\": 32}},\n"
    "  \"documents\": 12,\n"
    "  \"chunks\": 340,\n"
    "  \"tokens\": 81234,\n"
    "  \"source_fingerprint\": \"" HASH_B "\",\n"
    "  \"errors\": 1,\n"
    "  \"tool_version\": \"0.1.0\",\n"
    "  \"index_schema_version\": 1,\n"
    "  \"future_optional_field\": [1, 2, 3]\n"
    "}\n";

static char *tmpdir_make(void)
{
    char tmpl[] = "/tmp/ragtop-manifest.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static int setup(void **state)
{
    *state = tmpdir_make();
    return 0;
}

static int teardown(void **state)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", (char *)*state, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    free(*state);
    return 0;
}

static void fill_sample(rag_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->schema_version = 1;
    strcpy(m->run_id, "20261128T134500Z-1a2b3c");
    strcpy(m->generation, "gen-20261128T134500Z-1a2b3c.sqlite");
    m->generated_at_ms = 1795873500123LL;
    m->checked_at_ms = 1795880700456LL;
    strcpy(m->config_hash, HASH_A);
    m->config = cJSON_Parse("{\"embedding\":{\"provider\":\"hashing\",\"dimensions\":256}}");
    m->documents = 12;
    m->chunks = 340;
    m->tokens = 9007199254740991LL; /* largest exact JSON integer */
    strcpy(m->source_fingerprint, HASH_B);
    m->errors = 0;
    strcpy(m->tool_version, "0.1.0");
    m->index_schema_version = 1;
}

/* The manifest must come back all-zero after a failed parse. */
static void assert_zeroed(const rag_manifest *m)
{
    static const rag_manifest zero;
    assert_memory_equal(m, &zero, sizeof zero);
}

static void expect_parse_error(const char *text, size_t len, int code, const char *fragment)
{
    rag_manifest m;
    memset(&m, 0x5a, sizeof m); /* garbage in, so we see it is cleared */
    rag_error err = {0};
    int rc = rag_manifest_parse("latest.json", text, len, &m, &err);
    if (rc != code) fail_msg("expected %d, got %d (%s) for: %.200s", code, rc, err.msg, text);
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, fragment)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, fragment);
    assert_non_null(strstr(err.msg, "latest.json"));
    assert_zeroed(&m);
}

/* VALID with the line containing `key` replaced by `line` (or removed if NULL). */
static char *valid_with(const char *key, const char *line)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\":", key);
    const char *at = strstr(VALID, needle);
    assert_non_null(at);
    const char *bol = at;
    while (bol > VALID && bol[-1] != '\n') bol--;
    const char *eol = strchr(at, '\n') + 1;
    char *out;
    assert_true(asprintf(&out, "%.*s%s%s", (int)(bol - VALID), VALID, line ? line : "", eol) > 0);
    return out;
}

static void test_manifest_parses_every_field(void **state)
{
    (void)state;
    rag_manifest m;
    rag_error err = {0};
    assert_int_equal(rag_manifest_parse("latest.json", VALID, strlen(VALID), &m, &err), RAG_OK);
    assert_int_equal(m.schema_version, 1);
    assert_string_equal(m.run_id, "20261128T134500Z-1a2b3c");
    assert_string_equal(m.generation, "gen-20261128T134500Z-1a2b3c.sqlite");
    assert_int_equal(m.generated_at_ms, 1795873500123LL);
    assert_int_equal(m.checked_at_ms, 1795873500000LL); /* +02:00 offset applied */
    assert_string_equal(m.config_hash, HASH_A);
    assert_non_null(m.config);
    cJSON *tt = cJSON_GetObjectItem(cJSON_GetObjectItem(m.config, "chunking"), "target_tokens");
    assert_non_null(tt);
    assert_int_equal(tt->valueint, 256);
    assert_int_equal(m.documents, 12);
    assert_int_equal(m.chunks, 340);
    assert_int_equal(m.tokens, 81234);
    assert_string_equal(m.source_fingerprint, HASH_B);
    assert_int_equal(m.errors, 1);
    assert_string_equal(m.tool_version, "0.1.0");
    assert_int_equal(m.index_schema_version, 1);
    rag_manifest_free(&m);
    assert_null(m.config);
}

static void test_manifest_write_then_load_roundtrips(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    rag_manifest a, b;
    fill_sample(&a);
    rag_error err = {0};
    assert_int_equal(rag_manifest_write(p, &a, &err), RAG_OK);
    assert_int_equal(rag_manifest_load(p, &b, &err), RAG_OK);
    assert_string_equal(b.run_id, a.run_id);
    assert_string_equal(b.generation, a.generation);
    assert_int_equal(b.generated_at_ms, a.generated_at_ms);
    assert_int_equal(b.checked_at_ms, a.checked_at_ms);
    assert_string_equal(b.config_hash, a.config_hash);
    assert_true(cJSON_Compare(a.config, b.config, 1));
    assert_int_equal(b.documents, a.documents);
    assert_int_equal(b.chunks, a.chunks);
    assert_int_equal(b.tokens, a.tokens);
    assert_string_equal(b.source_fingerprint, a.source_fingerprint);
    assert_int_equal(b.errors, a.errors);
    assert_string_equal(b.tool_version, a.tool_version);
    assert_int_equal(b.index_schema_version, a.index_schema_version);
    rag_manifest_free(&a);
    rag_manifest_free(&b);
    free(p);
}

static void test_manifest_render_uses_documented_keys_and_rfc3339(void **state)
{
    (void)state;
    rag_manifest m;
    fill_sample(&m);
    char *s = rag_manifest_render(&m);
    assert_non_null(s);
    assert_int_equal(s[strlen(s) - 1], '\n');
    cJSON *o = cJSON_Parse(s);
    assert_non_null(o);
    static const char *keys[] = {"schema_version", "run_id", "generation", "generated_at", "checked_at",
                                 "config_hash", "config", "documents", "chunks", "tokens",
                                 "source_fingerprint", "errors", "failed_by_class", "tool_version",
                                 "index_schema_version"};
    int n = 0;
    for (cJSON *c = o->child; c; c = c->next, n++) {
        assert_true(n < 15);
        assert_string_equal(c->string, keys[n]); /* documented order */
    }
    assert_int_equal(n, 15);
    assert_string_equal(cJSON_GetObjectItem(o, "generated_at")->valuestring, "2026-11-28T13:45:00.123Z");
    assert_string_equal(cJSON_GetObjectItem(o, "checked_at")->valuestring, "2026-11-28T15:45:00.456Z");
    cJSON_Delete(o);
    free(s);
    rag_manifest_free(&m);
}

static void test_manifest_write_leaves_no_temp_file(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    rag_manifest m;
    fill_sample(&m);
    rag_error err = {0};
    for (int i = 0; i < 5; i++) assert_int_equal(rag_manifest_write(p, &m, &err), RAG_OK);
    DIR *d = opendir(*state);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') n++;
    closedir(d);
    assert_int_equal(n, 1);
    rag_manifest_free(&m);
    free(p);
}

static void test_manifest_write_refuses_invalid_manifest(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    rag_manifest m;
    fill_sample(&m);
    m.config_hash[0] = '\0'; /* never computed */
    rag_error err = {0};
    assert_int_equal(rag_manifest_write(p, &m, &err), RAG_EINVAL);
    assert_non_null(strstr(err.msg, "config_hash"));
    assert_int_equal(access(p, F_OK), -1); /* nothing published */
    rag_manifest_free(&m);
    free(p);
}

static void test_manifest_load_missing_file_is_enoent(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    rag_manifest m;
    rag_error err = {0};
    assert_int_equal(rag_manifest_load(p, &m, &err), RAG_ENOENT);
    assert_non_null(strstr(err.msg, "latest.json"));
    assert_zeroed(&m);
    free(p);
}

static void test_manifest_rejects_empty_file(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(p, "", 0, &err), RAG_OK);
    rag_manifest m;
    assert_int_equal(rag_manifest_load(p, &m, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "empty file"));
    assert_non_null(strstr(err.msg, p));
    assert_zeroed(&m);
    expect_parse_error(" \n\t\n", 4, RAG_ECORRUPT, "empty file");
    free(p);
}

static void test_manifest_rejects_truncated_json_at_every_length(void **state)
{
    (void)state;
    /* Cut the valid file at every byte: each prefix must be rejected as
     * corrupt (never accepted, never half-read). */
    size_t n = strlen(VALID);
    size_t truncated = 0;
    for (size_t len = 1; len < n - 2; len++) {
        rag_manifest m;
        memset(&m, 0x5a, sizeof m);
        rag_error err = {0};
        int rc = rag_manifest_parse("latest.json", VALID, len, &m, &err);
        if (rc != RAG_ECORRUPT) fail_msg("prefix of %zu bytes: rc %d (%s)", len, rc, err.msg);
        assert_zeroed(&m);
        if (strstr(err.msg, "truncated JSON")) truncated++;
    }
    /* all cuts after the opening brace are reported as truncation */
    assert_int_equal(truncated, n - 3);
    static const char *cuts[] = {"{\"schema_version\": 1, \"run_id\": \"abc", "{\"schema_version\": tr",
                                 "{\"schema_version\": 1e", "{\"a\": [1, 2", "{\"a\": \"x\\"};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        expect_parse_error(cuts[i], strlen(cuts[i]), RAG_ECORRUPT, "truncated JSON");
}

static void test_manifest_rejects_text_that_is_not_json(void **state)
{
    (void)state;
    expect_parse_error("hello world", 11, RAG_ECORRUPT, "latest.json:1:1: not valid JSON");
    /* the line is exact; the column is where cJSON stopped (at or just after the fault) */
    expect_parse_error("{\n  \"schema_version\": 1,\n  oops\n}", 33, RAG_ECORRUPT, "latest.json:3:");
    expect_parse_error("{\n  \"schema_version\": 1,\n  oops\n}", 33, RAG_ECORRUPT, "not valid JSON");
    expect_parse_error("{\"a\": 1,\n \"b\": tru }", 20, RAG_ECORRUPT, "latest.json:2:");
    expect_parse_error("{\"a\": nope, \"b\": 1", 18, RAG_ECORRUPT, "not valid JSON");
    expect_parse_error("{\"a\":1} trailing", 16, RAG_ECORRUPT, "unexpected data after");
    expect_parse_error("{\"a\":1}\0{}", 10, RAG_ECORRUPT, "NUL byte");
    /* rag-ingest writes only valid UTF-8; other bytes could not be rendered back unchanged */
    expect_parse_error("{\n \"run_id\": \"ab\xff\"}", 19, RAG_ECORRUPT, "latest.json:2:15: not valid UTF-8 (byte 0xFF)");
}

static void test_manifest_rejects_json_that_is_not_an_object(void **state)
{
    (void)state;
    expect_parse_error("[1,2,3]", 7, RAG_ECORRUPT, "not a JSON object");
    expect_parse_error("42", 2, RAG_ECORRUPT, "not a JSON object");
    expect_parse_error("\"latest\"", 8, RAG_ECORRUPT, "not a JSON object");
    expect_parse_error("null", 4, RAG_ECORRUPT, "not a JSON object");
}

static void test_manifest_rejects_newer_schema_with_clear_message(void **state)
{
    char *text = valid_with("schema_version", "  \"schema_version\": 2,\n");
    expect_parse_error(text, strlen(text), RAG_EVERSION, "latest.json: schema_version 2 is newer than supported 1");
    free(text);
    /* even when the rest of a v2 file looks nothing like v1 */
    const char *v2 = "{\"schema_version\": 7, \"index\": {\"name\": \"x\"}}";
    expect_parse_error(v2, strlen(v2), RAG_EVERSION, "schema_version 7 is newer than supported 1");
    /* through a file, the message names the path */
    char *p = rag_path_join(*state, "latest.json");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(p, v2, strlen(v2), &err), RAG_OK);
    rag_manifest m;
    assert_int_equal(rag_manifest_load(p, &m, &err), RAG_EVERSION);
    assert_non_null(strstr(err.msg, p));
    assert_zeroed(&m);
    free(p);
}

static void test_manifest_rejects_schema_version_zero(void **state)
{
    (void)state;
    char *text = valid_with("schema_version", "  \"schema_version\": 0,\n");
    expect_parse_error(text, strlen(text), RAG_ECORRUPT, "schema_version 0 is not valid");
    free(text);
}

static void test_manifest_rejects_each_missing_field(void **state)
{
    (void)state;
    static const char *keys[] = {"schema_version", "run_id", "generation", "generated_at", "checked_at",
                                 "config_hash", "config", "documents", "chunks", "tokens",
                                 "source_fingerprint", "errors", "tool_version", "index_schema_version"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *text = valid_with(keys[i], NULL);
        char want[96];
        snprintf(want, sizeof want, "missing field \"%s\"", keys[i]);
        expect_parse_error(text, strlen(text), RAG_ECORRUPT, want);
        free(text);
    }
}

static void test_manifest_rejects_wrong_typed_fields(void **state)
{
    (void)state;
    static const struct { const char *key, *line, *msg; } cases[] = {
        {"schema_version", "  \"schema_version\": \"1\",\n", "\"schema_version\" must be a number"},
        {"run_id", "  \"run_id\": 42,\n", "\"run_id\" must be a string"},
        {"run_id", "  \"run_id\": \"\",\n", "\"run_id\" is empty"},
        {"generation", "  \"generation\": null,\n", "\"generation\" must be a string"},
        {"generation", "  \"generation\": \"../../etc/passwd\",\n", "must be a file name"},
        {"generation", "  \"generation\": \"..\",\n", "must be a file name"},
        {"config_hash", "  \"config_hash\": \"abc\",\n", "64 lowercase hex"},
        {"config_hash", "  \"config_hash\": \"" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" "\",\n", "64 lowercase hex"},
        {"config", "  \"config\": \"x\",\n", "\"config\" must be an object"},
        {"config", "  \"config\": [],\n", "\"config\" must be an object"},
        {"documents", "  \"documents\": \"12\",\n", "\"documents\" must be a number"},
        {"documents", "  \"documents\": -1,\n", "\"documents\" must be a whole number"},
        {"chunks", "  \"chunks\": 3.5,\n", "\"chunks\" must be a whole number"},
        {"tokens", "  \"tokens\": 1e300,\n", "\"tokens\" must be a whole number"},
        {"tokens", "  \"tokens\": true,\n", "\"tokens\" must be a number"},
        {"source_fingerprint", "  \"source_fingerprint\": {},\n", "\"source_fingerprint\" must be a string"},
        {"errors", "  \"errors\": [],\n", "\"errors\" must be a number"},
        {"tool_version", "  \"tool_version\": \"0.1.0-this-version-string-is-far-too-long\",\n", "\"tool_version\" is too long"},
        {"index_schema_version", "  \"index_schema_version\": 0,\n", "\"index_schema_version\" must be >= 1"},
        {"run_id", "  \"run_id\": \"" "0123456789012345678901234567890123456789012345678901234567890123" "\",\n", "\"run_id\" is too long"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = valid_with(cases[i].key, cases[i].line);
        expect_parse_error(text, strlen(text), RAG_ECORRUPT, cases[i].msg);
        free(text);
    }
}

static void test_manifest_rejects_bad_timestamps(void **state)
{
    (void)state;
    static const struct { const char *key, *line; } cases[] = {
        {"generated_at", "  \"generated_at\": \"yesterday\",\n"},
        {"generated_at", "  \"generated_at\": \"2026-11-28 13:45\",\n"},
        {"generated_at", "  \"generated_at\": 1795873500123,\n"},
        {"checked_at", "  \"checked_at\": \"2026-02-30T00:00:00Z\",\n"},
        {"checked_at", "  \"checked_at\": \"2026-11-28T13:45:00\",\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = valid_with(cases[i].key, cases[i].line);
        char want[64];
        snprintf(want, sizeof want, "\"%s\"", cases[i].key);
        expect_parse_error(text, strlen(text), RAG_ECORRUPT, want);
        free(text);
    }
}

static void test_manifest_load_rejects_oversized_file(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    size_t n = (4u << 20) + 10;
    char *big = malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(p, big, n, &err), RAG_OK);
    rag_manifest m;
    assert_int_not_equal(rag_manifest_load(p, &m, &err), RAG_OK);
    assert_non_null(strstr(err.msg, "larger than"));
    assert_zeroed(&m);
    free(big);
    free(p);
}

static int count_json(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".json")) n++;
    closedir(d);
    return n;
}

static void test_manifest_publish_writes_copy_and_latest_and_prunes_oldest(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints"); /* created on demand */
    char *unrelated = rag_path_join(*state, "checkpoints/notes.json");
    rag_manifest m;
    fill_sample(&m);
    rag_error err = {0};
    for (int i = 0; i < 6; i++) {
        snprintf(m.run_id, sizeof m.run_id, "2026112%dT134500Z-00000%d", i, i);
        m.documents = i;
        assert_int_equal(rag_manifest_publish(dir, &m, 3, &err), RAG_OK);
        assert_int_equal(rag_manifest_prune_copies(dir, 3, m.run_id, &err), i >= 3 ? 1 : 0);
        if (i == 0) assert_int_equal(rag_atomic_write(unrelated, "{}", 2, &err), RAG_OK);
    }
    /* latest names the newest run, 3 copies kept (the newest), unrelated file kept */
    char *latest = rag_path_join(dir, "latest.json");
    rag_manifest got;
    assert_int_equal(rag_manifest_load(latest, &got, &err), RAG_OK);
    assert_string_equal(got.run_id, "20261125T134500Z-000005");
    rag_manifest_free(&got);
    for (int i = 0; i < 6; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s/2026112%dT134500Z-00000%d.json", dir, i, i);
        if (i < 3) {
            assert_int_equal(access(name, F_OK), -1);
        } else {
            assert_int_equal(rag_manifest_load(name, &got, &err), RAG_OK);
            assert_int_equal(got.documents, i);
            rag_manifest_free(&got);
        }
    }
    assert_int_equal(access(unrelated, F_OK), 0);
    assert_int_equal(count_json(dir), 3 + 1 + 1);
    /* keep 0: no copies at all, latest still written */
    snprintf(m.run_id, sizeof m.run_id, "20261127T000000Z-aaaaaa");
    assert_int_equal(rag_manifest_publish(dir, &m, 0, &err), RAG_OK);
    assert_int_equal(rag_manifest_prune_copies(dir, 0, m.run_id, &err), 3);
    assert_int_equal(count_json(dir), 1 + 1);
    assert_int_equal(rag_manifest_load(latest, &got, &err), RAG_OK);
    assert_string_equal(got.run_id, "20261127T000000Z-aaaaaa");
    rag_manifest_free(&got);
    rag_manifest_free(&m);
    free(latest);
    free(unrelated);
    free(dir);
}

static void test_manifest_publish_removes_stale_temps_of_killed_writers(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints");
    rag_error err = {0};
    assert_int_equal(rag_mkdir_p(dir, 0755, &err), RAG_OK);
    static const char *names[] = {"latest.json.tmp.4242.0", "20261120T000000Z-aaaaaa.json.tmp.4242.1",
                                  "latest.json.tmp.4243.0"};
    char *paths[3];
    for (int i = 0; i < 3; i++) {
        paths[i] = rag_path_join(dir, names[i]);
        assert_int_equal(rag_atomic_write(paths[i], "{", 1, &err), RAG_OK);
    }
    struct timeval old[2] = {{time(NULL) - 120, 0}, {time(NULL) - 120, 0}};
    assert_int_equal(utimes(paths[0], old), 0);
    assert_int_equal(utimes(paths[1], old), 0);
    rag_manifest m;
    fill_sample(&m);
    assert_int_equal(rag_manifest_publish(dir, &m, 3, &err), RAG_OK);
    assert_int_equal(access(paths[0], F_OK), -1);
    assert_int_equal(access(paths[1], F_OK), -1);
    assert_int_equal(access(paths[2], F_OK), 0); /* young: may belong to a live writer */
    for (int i = 0; i < 3; i++) free(paths[i]);
    rag_manifest_free(&m);
    free(dir);
}

static void test_manifest_publish_rejects_run_id_that_is_a_path(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints");
    rag_manifest m;
    fill_sample(&m);
    rag_error err = {0};
    static const char *bad[] = {"../escape", "a/b", ".hidden", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(m.run_id, sizeof m.run_id, "%s", bad[i]);
        assert_int_equal(rag_manifest_publish(dir, &m, 3, &err), RAG_EINVAL);
    }
    assert_int_equal(access(dir, F_OK), -1); /* nothing written */
    rag_manifest_free(&m);
    free(dir);
}

static void test_manifest_publish_failure_leaves_latest_untouched(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints");
    rag_manifest m;
    fill_sample(&m);
    rag_error err = {0};
    assert_int_equal(rag_manifest_publish(dir, &m, 3, &err), RAG_OK);
    /* the next run's copy cannot be written (a folder is in the way) */
    char *blocker = rag_path_join(dir, "20261129T000000Z-ffffff.json");
    assert_int_equal(rag_mkdir_p(blocker, 0755, &err), RAG_OK);
    rag_manifest next;
    fill_sample(&next);
    strcpy(next.run_id, "20261129T000000Z-ffffff");
    assert_int_not_equal(rag_manifest_publish(dir, &next, 3, &err), RAG_OK);
    char *latest = rag_path_join(dir, "latest.json");
    rag_manifest got;
    assert_int_equal(rag_manifest_load(latest, &got, &err), RAG_OK);
    assert_string_equal(got.run_id, m.run_id);
    rag_manifest_free(&got);
    rag_manifest_free(&m);
    rag_manifest_free(&next);
    free(latest);
    free(blocker);
    free(dir);
}

/* latest.json cannot be replaced (a folder is in its place): the publish
 * fails and removes the per-run copy it wrote, leaving no orphan. */
static void test_manifest_publish_failing_latest_removes_its_copy(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints");
    char *latest = rag_path_join(dir, "latest.json");
    char *inside = rag_path_join(latest, "x");
    rag_error err = {0};
    assert_int_equal(rag_mkdir_p(latest, 0755, &err), RAG_OK);
    assert_int_equal(rag_atomic_write(inside, "x", 1, &err), RAG_OK);
    rag_manifest m;
    fill_sample(&m);
    assert_int_not_equal(rag_manifest_publish(dir, &m, 3, &err), RAG_OK);
    assert_int_equal(count_json(dir), 1); /* only the folder named latest.json */
    rag_manifest_free(&m);
    free(inside);
    free(latest);
    free(dir);
}

/* A copy that cannot be deleted is reported by pruning, not by publishing;
 * the other old copies are still deleted. */
static void test_manifest_prune_reports_undeletable_copy_and_goes_on(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints");
    char *stuck = rag_path_join(dir, "20200101T000000Z-000000.json");
    char *inside = rag_path_join(stuck, "x");
    rag_error err = {0};
    assert_int_equal(rag_mkdir_p(stuck, 0755, &err), RAG_OK);
    assert_int_equal(rag_atomic_write(inside, "x", 1, &err), RAG_OK);
    rag_manifest m;
    fill_sample(&m);
    for (int i = 0; i < 3; i++) {
        snprintf(m.run_id, sizeof m.run_id, "2026112%dT134500Z-00000%d", i, i);
        assert_int_equal(rag_manifest_publish(dir, &m, 1, &err), RAG_OK);
    }
    err.msg[0] = '\0';
    assert_true(rag_manifest_prune_copies(dir, 1, m.run_id, &err) < 0);
    assert_non_null(strstr(err.msg, "20200101T000000Z-000000.json"));
    /* latest and the newest copy are there, the two older copies are gone */
    assert_int_equal(count_json(dir), 1 + 1 + 1);
    rag_manifest_free(&m);
    free(inside);
    free(stuck);
    free(dir);
}

/* Run ids have one-second resolution: two runs of one second are ordered
 * by when their copies were written, not by their random suffixes (the
 * order generation retention uses too). */
static void test_manifest_copies_of_one_second_go_by_write_time(void **state)
{
    char *dir = rag_path_join(*state, "checkpoints");
    rag_manifest m;
    fill_sample(&m);
    rag_error err = {0};
    snprintf(m.run_id, sizeof m.run_id, "20261130T000000Z-ffffff");
    assert_int_equal(rag_manifest_publish(dir, &m, 5, &err), RAG_OK);
    char *older = rag_path_join(dir, "20261130T000000Z-ffffff.json");
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 10;
    tv[1] = tv[0];
    assert_int_equal(utimes(older, tv), 0); /* written 10 s before the next */
    snprintf(m.run_id, sizeof m.run_id, "20261130T000000Z-000000");
    assert_int_equal(rag_manifest_publish(dir, &m, 5, &err), RAG_OK);
    size_t n = 0;
    char **names = rag_manifest_run_copies(dir, &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "20261130T000000Z-000000.json");
    assert_string_equal(names[1], "20261130T000000Z-ffffff.json");
    assert_null(names[2]);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    assert_int_equal(rag_manifest_prune_copies(dir, 1, m.run_id, &err), 1);
    assert_int_equal(access(older, F_OK), -1);
    rag_manifest_free(&m);
    free(older);
    free(dir);
}

static void test_manifest_failed_by_class_round_trips_and_is_optional(void **state)
{
    (void)state;
    rag_manifest m;
    fill_sample(&m);
    m.errors = 5;
    m.failed_content = 2;
    m.failed_transient = 3;
    snprintf(m.rollback_from, sizeof m.rollback_from, "gen-x.sqlite");
    char *s = rag_manifest_render(&m);
    rag_manifest got;
    rag_error err = {0};
    assert_int_equal(rag_manifest_parse("m", s, strlen(s), &got, &err), RAG_OK);
    assert_int_equal(got.failed_content, 2);
    assert_int_equal(got.failed_transient, 3);
    assert_string_equal(got.rollback_from, "gen-x.sqlite");
    rag_manifest_free(&got);
    /* an older writer without the key: every error counts as content */
    cJSON *o = cJSON_Parse(s);
    cJSON_DeleteItemFromObject(o, "failed_by_class");
    cJSON_DeleteItemFromObject(o, "rollback_from");
    char *old = cJSON_Print(o);
    assert_int_equal(rag_manifest_parse("m", old, strlen(old), &got, &err), RAG_OK);
    assert_int_equal(got.failed_content, 5);
    assert_int_equal(got.failed_transient, 0);
    assert_string_equal(got.rollback_from, "");
    rag_manifest_free(&got);
    cJSON_free(old);
    cJSON_Delete(o);
    free(s);
    rag_manifest_free(&m);
}

static void test_manifest_quality_round_trips_is_optional_and_validated(void **state)
{
    (void)state;
    rag_manifest m;
    fill_sample(&m);
    m.quality.present = true;
    memset(m.quality.golden_sha256, 'a', 64);
    m.quality.queries = 12;
    m.quality.k = 10;
    snprintf(m.quality.mode, sizeof m.quality.mode, "bm25");
    m.quality.ndcg_at_10 = 0.75;
    m.quality.recall_at_k = 0.5;
    m.quality.mrr = 0.625;
    m.quality.failed = 1;
    m.quality.failed_queries = cJSON_Parse("[{\"id\":\"q1\",\"query\":\"lamp\",\"ndcg_at_10\":0}]");
    m.quality.evaluated_at_ms = 1764000000000LL;
    snprintf(m.quality.gate, sizeof m.quality.gate, "passed");
    char *s = rag_manifest_render(&m);
    rag_manifest got;
    rag_error err = {0};
    assert_int_equal(rag_manifest_parse("m", s, strlen(s), &got, &err), RAG_OK);
    assert_true(got.quality.present);
    assert_int_equal(got.quality.queries, 12);
    assert_int_equal(got.quality.k, 10);
    assert_string_equal(got.quality.mode, "bm25");
    assert_true(got.quality.ndcg_at_10 == 0.75 && got.quality.recall_at_k == 0.5 && got.quality.mrr == 0.625);
    assert_int_equal(got.quality.failed, 1);
    assert_int_equal(cJSON_GetArraySize(got.quality.failed_queries), 1);
    assert_int_equal(got.quality.evaluated_at_ms, 1764000000000LL);
    assert_string_equal(got.quality.gate, "passed");
    rag_manifest_free(&got);
    /* without the key (no golden file, older writers): not present */
    cJSON *o = cJSON_Parse(s);
    cJSON_DeleteItemFromObject(o, "quality");
    char *old = cJSON_Print(o);
    assert_int_equal(rag_manifest_parse("m", old, strlen(old), &got, &err), RAG_OK);
    assert_false(got.quality.present);
    rag_manifest_free(&got);
    cJSON_free(old);
    /* a figure out of 0..1 is corrupt, named */
    cJSON_Delete(o);
    o = cJSON_Parse(s);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "quality"), "ndcg_at_10", cJSON_CreateNumber(1.5));
    char *bad = cJSON_Print(o);
    assert_int_equal(rag_manifest_parse("m", bad, strlen(bad), &got, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "quality.ndcg_at_10"));
    cJSON_free(bad);
    cJSON_Delete(o);
    free(s);
    rag_manifest_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_parses_every_field),
        cmocka_unit_test(test_manifest_quality_round_trips_is_optional_and_validated),
        cmocka_unit_test_setup_teardown(test_manifest_write_then_load_roundtrips, setup, teardown),
        cmocka_unit_test(test_manifest_render_uses_documented_keys_and_rfc3339),
        cmocka_unit_test_setup_teardown(test_manifest_write_leaves_no_temp_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_write_refuses_invalid_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_load_missing_file_is_enoent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_rejects_empty_file, setup, teardown),
        cmocka_unit_test(test_manifest_rejects_truncated_json_at_every_length),
        cmocka_unit_test(test_manifest_rejects_text_that_is_not_json),
        cmocka_unit_test(test_manifest_rejects_json_that_is_not_an_object),
        cmocka_unit_test_setup_teardown(test_manifest_rejects_newer_schema_with_clear_message, setup, teardown),
        cmocka_unit_test(test_manifest_rejects_schema_version_zero),
        cmocka_unit_test(test_manifest_rejects_each_missing_field),
        cmocka_unit_test(test_manifest_rejects_wrong_typed_fields),
        cmocka_unit_test(test_manifest_rejects_bad_timestamps),
        cmocka_unit_test_setup_teardown(test_manifest_load_rejects_oversized_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_publish_writes_copy_and_latest_and_prunes_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_publish_removes_stale_temps_of_killed_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_publish_rejects_run_id_that_is_a_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_publish_failure_leaves_latest_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_publish_failing_latest_removes_its_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_prune_reports_undeletable_copy_and_goes_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_copies_of_one_second_go_by_write_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_failed_by_class_round_trips_and_is_optional, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
