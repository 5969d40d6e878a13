/* test_ingest_chunk.c — the chunker: budgets, overlap, boundaries, speaker
 * labels, times, full coverage of the text, and huge unbroken tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/tokenize.h"
#include "../../src/ingest/chunk.h"
#include "../../src/ingest/text.h"

typedef struct got {
    char *text[4096];
    int tokens[4096];
    int64_t start[4096], end[4096];
    char *speakers[4096];
    int n;
} got;

static int collect(const chunk *c, void *ud)
{
    got *g = ud;
    assert_int_equal(c->ordinal, g->n);
    assert_int_equal(c->tokens, (int)rag_token_count(c->text, c->len));
    assert_int_equal(strlen(c->text), c->len);
    g->text[g->n] = strdup(c->text);
    g->tokens[g->n] = c->tokens;
    g->start[g->n] = c->start_ms;
    g->end[g->n] = c->end_ms;
    g->speakers[g->n] = c->speakers ? strdup(c->speakers) : NULL;
    g->n++;
    return 0;
}

static void got_free(got *g)
{
    for (int i = 0; i < g->n; i++) {
        free(g->text[i]);
        free(g->speakers[i]);
    }
}

static void test_long_paragraph_is_fully_covered_with_overlap(void **state)
{
    (void)state;
    transcript tr = { 0 };
    strbuf b = { 0 };
    char w[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(w, sizeof w, "w%d ", i);
        sb_append(&b, w, strlen(w));
    }
    transcript_add(&tr, b.s, b.len, -1, -1, NULL, 0, 1);
    got *g = calloc(1, sizeof *g);
    chunk_settings cs = { 100, 20 };
    long made = chunk_transcript(&tr, &cs, collect, g);
    assert_int_equal(made, g->n);
    assert_true(g->n >= 12 && g->n <= 13); /* 1000 words at 80 new words per chunk */
    for (int i = 0; i < g->n; i++)
        assert_true(g->tokens[i] <= 100);
    for (int i = 0; i < 1000; i++) { /* every word is in some chunk */
        snprintf(w, sizeof w, "w%d", i);
        int found = 0;
        for (int k = 0; k < g->n && !found; k++) {
            const char *p = g->text[k];
            size_t wl = strlen(w);
            while ((p = strstr(p, w)) != NULL) {
                if ((p == g->text[k] || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\0')) { found = 1; break; }
                p += wl;
            }
        }
        if (!found)
            fail_msg("word %s is in no chunk", w);
    }
    for (int k = 0; k + 1 < g->n; k++) { /* the last 20 words repeat */
        const char *last = strrchr(g->text[k], ' ') + 1;
        assert_non_null(strstr(g->text[k + 1], last));
        assert_int_equal(strncmp(g->text[k + 1], last, 0), 0);
    }
    got_free(g);
    free(g);
    sb_free(&b);
    transcript_free(&tr);
}

static void test_chunks_end_at_turns_and_carry_speakers_and_times(void **state)
{
    (void)state;
    transcript tr = { 0 };
    const char *who[] = { "Alice", "Bob" };
    for (int i = 0; i < 40; i++) {
        char t[128];
        snprintf(t, sizeof t, "turn %d says a few words about the topic at hand here", i);
        transcript_add(&tr, t, strlen(t), i * 1000, i * 1000 + 900, who[i % 2], strlen(who[i % 2]), (uint32_t)i + 1);
    }
    got *g = calloc(1, sizeof *g);
    chunk_settings cs = { 64, 0 };
    chunk_transcript(&tr, &cs, collect, g);
    assert_true(g->n > 5);
    for (int k = 0; k < g->n; k++) {
        /* each chunk starts with a whole labelled turn */
        assert_true(strncmp(g->text[k], "Alice: turn ", 12) == 0 || strncmp(g->text[k], "Bob: turn ", 10) == 0);
        assert_string_equal(g->speakers[k], strncmp(g->text[k], "Alice", 5) == 0 ? "Alice,Bob" : "Bob,Alice");
        assert_true(g->start[k] >= 0 && g->end[k] > g->start[k]);
        assert_true(g->tokens[k] <= 64);
    }
    assert_int_equal(g->start[0], 0);
    assert_int_equal(g->end[g->n - 1], 39900);
    got_free(g);
    free(g);
    transcript_free(&tr);
}

static void test_huge_unbroken_token_is_cut_between_characters(void **state)
{
    (void)state;
    size_t n = 300000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 3)
        memcpy(big + i, "\xE6\x97\xA5", 3); /* 日 x 100000, one "token" */
    big[n] = '\0';
    transcript tr = { 0 };
    transcript_add(&tr, big, n, -1, -1, NULL, 0, 1);
    got *g = calloc(1, sizeof *g);
    chunk_settings cs = { 256, 32 };
    chunk_transcript(&tr, &cs, collect, g);
    size_t total = 0;
    for (int k = 0; k < g->n; k++) {
        size_t l = strlen(g->text[k]);
        assert_true(l <= 2 * 224 * 16); /* byte cap: 2 x (target - overlap) x 16 */
        assert_int_equal(l % 3, 0); /* never half a character */
        total += l;
    }
    assert_true(total >= n);
    got_free(g);
    free(g);
    free(big);
    transcript_free(&tr);
}

static void test_empty_transcript_makes_no_chunks_and_stop_is_honoured(void **state)
{
    (void)state;
    transcript tr = { 0 };
    chunk_settings cs = { 10, 2 };
    assert_int_equal(chunk_transcript(&tr, &cs, NULL, NULL), 0);
    transcript_add(&tr, "a b c d e f g h i j k l m n o p", 31, -1, -1, NULL, 0, 1);
    transcript_add(&tr, "q r s t u v w x y z", 19, -1, -1, NULL, 0, 2);
    assert_true(chunk_transcript(&tr, &cs, NULL, NULL) >= 3);
    transcript_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_paragraph_is_fully_covered_with_overlap),
        cmocka_unit_test(test_chunks_end_at_turns_and_carry_speakers_and_times),
        cmocka_unit_test(test_huge_unbroken_token_is_cut_between_characters),
        cmocka_unit_test(test_empty_transcript_makes_no_chunks_and_stop_is_honoured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
