/* test_core_embed.c — the shared tokenizer and the hashing embedder: token
 * boundaries, ASCII folding, determinism, normalisation and similarity; the
 * reader of OpenAI-compatible embedding answers (numbers or base64). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/embed.h"
#include "rag/tokenize.h"
#include "../../src/core/embed_openai.h"

typedef struct { char words[16][32]; size_t n; } collected;

static int collect(const rag_token *t, void *ud)
{
    collected *c = ud;
    if (c->n < 16)
        rag_token_lower(t, c->words[c->n++], sizeof c->words[0]);
    return 0;
}

static void test_tokenize_splits_on_ascii_punctuation_and_keeps_utf8(void **state)
{
    (void)state;
    const char *s = "  Hello, WORLD!! Café-au-lait 42x\t\xE2\x80\x94 end";
    collected c = {0};
    size_t n = rag_tokenize(s, strlen(s), collect, &c);
    assert_int_equal(n, 8);
    assert_string_equal(c.words[0], "hello");
    assert_string_equal(c.words[1], "world");
    assert_string_equal(c.words[2], "caf\xC3\xA9");
    assert_string_equal(c.words[3], "au");
    assert_string_equal(c.words[5], "42x");
    assert_string_equal(c.words[6], "\xE2\x80\x94"); /* em dash is a non-ASCII run */
    assert_string_equal(c.words[7], "end");
    assert_int_equal(rag_token_count(s, strlen(s)), 8);
    assert_int_equal(rag_token_count("", 0), 0);
    assert_int_equal(rag_token_count("... --- !!!", 11), 0);
}

static void test_token_lower_truncates_on_utf8_boundary(void **state)
{
    (void)state;
    const char *s = "AB\xC3\xA9";
    rag_token t = { s, 4, 0 };
    char out[4];
    assert_int_equal(rag_token_lower(&t, out, sizeof out), 2); /* "ab", not half of é */
    assert_string_equal(out, "ab");
}

static rag_embedder *hashing(int dims)
{
    rag_embed_settings s = { .provider = "hashing", .dimensions = dims };
    rag_error err = {0};
    rag_embedder *e = rag_embedder_new(&s, &err);
    assert_non_null(e);
    return e;
}

static double dot(const float *a, const float *b, int n)
{
    double d = 0;
    for (int i = 0; i < n; i++)
        d += (double)a[i] * b[i];
    return d;
}

static void test_hashing_embedding_is_deterministic_normalised_and_case_blind(void **state)
{
    (void)state;
    rag_embedder *e = hashing(256);
    const char *texts[] = { "The Kubernetes rollout failed at midnight",
                            "the kubernetes ROLLOUT failed at midnight",
                            "Sourdough bread needs a long cold fermentation",
                            "" };
    float *v = calloc(4 * 256, sizeof(float));
    rag_error err = {0};
    assert_int_equal(rag_embedder_embed(e, texts, 4, v, &err), RAG_OK);
    assert_true(fabs(dot(v, v, 256) - 1.0) < 1e-5);
    assert_true(fabs(dot(v, v + 256, 256) - 1.0) < 1e-5);   /* same words, other case */
    assert_true(dot(v, v + 512, 256) < 0.3);                /* unrelated topic */
    assert_true(fabs(dot(v + 768, v + 768, 256)) < 1e-9);   /* empty text: zero vector */
    float again[256];
    assert_int_equal(rag_embedder_embed(e, texts, 1, again, &err), RAG_OK);
    assert_memory_equal(again, v, sizeof again);
    free(v);
    rag_embedder_free(e);
}

static void test_hashing_embedding_ranks_related_text_higher(void **state)
{
    (void)state;
    rag_embedder *e = hashing(384);
    const char *texts[] = { "database backup restore procedure",
                            "we tested the database backup and the restore procedure last week",
                            "the marketing team planned the product launch party" };
    float v[3 * 384];
    rag_error err = {0};
    assert_int_equal(rag_embedder_embed(e, texts, 3, v, &err), RAG_OK);
    assert_true(dot(v, v + 384, 384) > dot(v, v + 768, 384) + 0.2);
    rag_embedder_free(e);
}

/* The documented algorithm, written plainly: each lower-cased unigram and
 * bigram's FNV-1a 64 hash (splitmix finaliser), its bucket and sign from
 * the hash, weighted 1 + ln(tf), L2-normalised. */
typedef struct { uint64_t h[8192]; int count[8192]; size_t n; uint64_t prev; } ref_features;

static uint64_t ref_mix(uint64_t x)
{
    x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ULL, x ^= x >> 27, x *= 0x94d049bb133111ebULL, x ^= x >> 31;
    return x;
}

static uint64_t ref_fnv(uint64_t h, const rag_token *t)
{
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->start[i];
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 0x100000001b3ULL;
    }
    return h;
}

static void ref_count(ref_features *f, uint64_t h)
{
    h = h ? h : 1;
    for (size_t i = 0; i < f->n; i++)
        if (f->h[i] == h) {
            f->count[i]++;
            return;
        }
    assert_true(f->n < 8192);
    f->h[f->n] = h, f->count[f->n++] = 1;
}

static int ref_token(const rag_token *t, void *ud)
{
    ref_features *f = ud;
    uint64_t uni = ref_fnv(0xcbf29ce484222325ULL, t);
    ref_count(f, ref_mix(uni));
    if (f->prev)
        ref_count(f, ref_mix(ref_fnv((f->prev ^ 0x1f) * 0x100000001b3ULL, t) ^ 0x9e3779b97f4a7c15ULL));
    f->prev = uni;
    return 0;
}

static void test_hashing_embedding_of_a_long_text_follows_the_algorithm(void **state)
{
    (void)state;
    /* words 0-99 three times, 100-1499, then 0-699 again: ~3,000 features,
     * far more than a chunk's, so the embedder's feature table grows three
     * times, with counts above 1 from before the growths and after them */
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 2300; i++)
        len += (size_t)snprintf(text + len, cap - len, "%sWord%d", i ? " " : "",
                                i < 300 ? i % 100 : i < 1700 ? i - 200 : i - 1700);
    ref_features *f = calloc(1, sizeof *f);
    rag_tokenize(text, len, ref_token, f);
    assert_true(f->n > 2500);
    double want[384] = { 0 }, norm = 0;
    for (size_t i = 0; i < f->n; i++)
        want[(f->h[i] >> 1) % 384] += (f->h[i] & 1 ? -1.0 : 1.0) * (1.0 + log(f->count[i]));
    for (int d = 0; d < 384; d++)
        norm += want[d] * want[d];
    rag_embedder *e = hashing(384);
    float got[384];
    rag_error err = {0};
    const char *texts[] = { text };
    assert_int_equal(rag_embedder_embed(e, texts, 1, got, &err), RAG_OK);
    for (int d = 0; d < 384; d++)
        assert_true(fabs(got[d] - want[d] / sqrt(norm)) < 1e-5);
    rag_embedder_free(e);
    free(f);
    free(text);
}

static void test_embedder_rejects_unknown_provider_and_bad_dimensions(void **state)
{
    (void)state;
    rag_error err = {0};
    rag_embed_settings s = { .provider = "word2vec", .dimensions = 64 };
    assert_null(rag_embedder_new(&s, &err));
    assert_non_null(strstr(err.msg, "word2vec"));
    rag_embed_settings d = { .provider = "hashing", .dimensions = 0 };
    assert_null(rag_embedder_new(&d, &err));
    assert_non_null(strstr(err.msg, "dimensions"));
    rag_embed_settings o = { .provider = "openai", .dimensions = 8, .model = "m", .url = "ftp://x" };
    assert_null(rag_embedder_new(&o, &err));
    assert_non_null(strstr(err.msg, "embedding.url"));
}

/* base64 of little-endian float32 {3, 0, 4, 0} and {0, 0, 0, -2}; a NaN */
#define B64_3040 "AABAQAAAAAAAAIBAAAAAAA=="
#define B64_000M2 "AAAAAAAAAAAAAAAAAAAAwA=="
#define B64_NAN "AADAfwAAAAAAAAAAAAAAAA=="

static int parse(const char *body, size_t n, float *out, rag_error *err)
{
    return rag_openai_parse_response("http://e/v1/embeddings", 4, body, strlen(body), n, out, err);
}

static void test_openai_answer_base64_and_numbers_read_alike(void **state)
{
    (void)state;
    float b[8], j[8];
    rag_error err = {0};
    assert_int_equal(parse("{\"data\":[{\"index\":1,\"embedding\":\"" B64_000M2 "\"},"
                           "{\"index\":0,\"embedding\":\"" B64_3040 "\"}]}", 2, b, &err), RAG_OK);
    assert_int_equal(parse("{\"data\":[{\"index\":0,\"embedding\":[3,0,4,0]},{\"index\":1,\"embedding\":[0,0,0,-2]}]}",
                           2, j, &err), RAG_OK);
    assert_memory_equal(b, j, sizeof b);
    assert_float_equal(b[0], 0.6f, 1e-6);
    assert_float_equal(b[2], 0.8f, 1e-6);
    assert_float_equal(b[7], -1.0f, 1e-6);
}

/* subnormal values (a float inverse of their norm would be inf) still give
 * a finite unit vector */
static void test_openai_answer_of_tiny_values_normalises_to_finite(void **state)
{
    (void)state;
    float out[4];
    rag_error err = {0};
    assert_int_equal(parse("{\"data\":[{\"embedding\":[3e-42,0,4e-42,0]}]}", 1, out, &err), RAG_OK);
    assert_float_equal(out[0], 0.6f, 1e-3);
    assert_float_equal(out[2], 0.8f, 1e-3);
}

static void test_openai_answer_bad_base64_is_refused_with_the_reason(void **state)
{
    (void)state;
    float out[4];
    struct { const char *body, *says; } cases[] = {
        {"{\"data\":[{\"embedding\":\"AABAQAAAAAAAAIBA\"}]}", "16 base64 characters, expected 24 = 4 float32 values"},
        {"{\"data\":[{\"embedding\":\"AABAQAAAAAAAAIB!AAAAAA==\"}]}", "embedding 0 is not base64"},
        {"{\"data\":[{\"embedding\":\"" B64_NAN "\"}]}", "non-finite value in embedding 0"},
        {"{\"data\":[{\"embedding\":true}]}", "embedding 0 is neither an array nor a base64 string"},
        {"{\"data\":[{\"embedding\":[1,2,3]}]}", "embedding 0 has 3 values, expected 4"},
        {"{\"data\":[{\"embedding\":[1,2,3,1e39]}]}", "a value beyond float range in embedding 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rag_error err = {0};
        assert_int_equal(parse(cases[i].body, 1, out, &err), RAG_ECORRUPT);
        if (!strstr(err.msg, cases[i].says)) fail_msg("%s: got \"%s\", want \"%s\"", cases[i].body, err.msg, cases[i].says);
        assert_non_null(strstr(err.msg, "http://e/v1/embeddings"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize_splits_on_ascii_punctuation_and_keeps_utf8),
        cmocka_unit_test(test_token_lower_truncates_on_utf8_boundary),
        cmocka_unit_test(test_hashing_embedding_is_deterministic_normalised_and_case_blind),
        cmocka_unit_test(test_hashing_embedding_ranks_related_text_higher),
        cmocka_unit_test(test_hashing_embedding_of_a_long_text_follows_the_algorithm),
        cmocka_unit_test(test_embedder_rejects_unknown_provider_and_bad_dimensions),
        cmocka_unit_test(test_openai_answer_base64_and_numbers_read_alike),
        cmocka_unit_test(test_openai_answer_bad_base64_is_refused_with_the_reason),
        cmocka_unit_test(test_openai_answer_of_tiny_values_normalises_to_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
