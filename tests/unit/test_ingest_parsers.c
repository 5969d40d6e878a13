/* test_ingest_parsers.c — every transcript parser against the fixtures in
 * tests/fixtures/ingest/: segments, times, speakers and the exact error
 * messages (with line numbers) for broken files; plus the encoding policy.
 * The conformance set (tests/fixtures/ingest/conformance/: tricky WebVTT
 * files written from the WebVTT parsing algorithm, SubRip files from the
 * behaviour of widely used subtitle readers) compares every file's
 * segments and warnings with its ".expected" file; UTF-16/32 and a 10 MB
 * single-line cue are generated here. */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rag/fsutil.h"
#include "../../src/ingest/encoding.h"
#include "../../src/ingest/text.h"
#include "../../src/ingest/transcript.h"
#include "../../src/ingest/format.h"

static char *fixture(const char *name, size_t *len)
{
    const char *root = getenv("RAG_ROOT") ? getenv("RAG_ROOT") : ".";
    char *path = rag_xasprintf("%s/tests/fixtures/ingest/%s", root, name);
    char *buf = NULL;
    rag_error err = { 0 };
    int rc = rag_read_file(path, 1 << 20, &buf, len, &err);
    if (rc != RAG_OK)
        fail_msg("%s", err.msg);
    free(path);
    return buf;
}

/* "[start-end|speaker] text" lines for every segment */
static char *dump(const transcript *tr)
{
    strbuf b = { 0 };
    for (size_t i = 0; i < tr->n_segs; i++) {
        const tr_segment *s = &tr->segs[i];
        char head[256];
        snprintf(head, sizeof head, "[%lld-%lld|%s] ", (long long)s->start_ms, (long long)s->end_ms,
                 s->speaker >= 0 ? tr->speakers[s->speaker] : "");
        sb_append(&b, head, strlen(head));
        sb_append(&b, tr->text + s->off, s->len);
        sb_putc(&b, '\n');
    }
    if (!b.s)
        sb_append(&b, "", 0);
    return b.s;
}

static char *parse_fixture(const char *name, int expect_rc, rag_error *err, transcript *tr)
{
    size_t len;
    char *buf = fixture(name, &len);
    memset(tr, 0, sizeof *tr);
    int rc = transcript_parse(transcript_format_of(name), name, buf, len, tr, err);
    free(buf);
    if (rc != expect_rc)
        fail_msg("%s: rc %d, expected %d (%s)", name, rc, expect_rc, err->msg);
    return dump(tr);
}

static void test_vtt_handles_bom_crlf_cr_blocks_voices_entities(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("vtt_features.vtt", RAG_OK, &err, &tr);
    assert_string_equal(tr.title, "Fixture: header text");
    assert_string_equal(d,
                        "[1000-4500|Alice] Hello & welcome\n"
                        "[3605250-3609000|Bob] Thanks Alice <3\n"
                        "[10000-12000|Alice] First\n"
                        "[10000-12000|Bob] Second\n"
                        "[12000-13000|Carol] styled \xC3\xA9t\xC3\xA9 end\n");
    free(d);
    transcript_free(&tr);
}

static void test_vtt_collapses_rolling_auto_captions(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("vtt_rolling.vtt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[0-2000|] one two three\n"
                           "[2010-4000|] four five six\n"
                           "[4000-6000|] seven eight\n");
    free(d);
    transcript_free(&tr);
}

/* A truncated (malformed) timing skips that cue with a warning naming the
 * line; the valid cues before it are kept (as browsers keep them). */
static void test_vtt_skips_truncated_timing_with_a_warning_and_keeps_the_rest(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("vtt_truncated.vtt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[1000-2000|] fine cue\n");
    free(d);
    assert_int_equal(tr.n_warnings, 1);
    assert_string_equal(tr.warnings[0], "vtt_truncated.vtt:6: cue skipped: malformed cue timing \"00:00:03.000 --> 00:0\"");
    transcript_free(&tr);
    free(parse_fixture("vtt_no_header.vtt", RAG_ECORRUPT, &err, &tr));
    assert_string_equal(err.msg, "vtt_no_header.vtt:1: not a WebVTT file (the first line must start with WEBVTT)");
    transcript_free(&tr);
}

static void test_srt_handles_formats_tags_coordinates_and_empty_cues(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("srt_features.srt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[1000-2500|Alice] Hi there\n"
                           "[3000-4000|] Top text\n"
                           "[7000-8000|Bob] bold second line\n");
    free(d);
    transcript_free(&tr);
    d = parse_fixture("srt_no_blank_lines.srt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[1000-2000|] first\n[3000-4000|] second\n");
    free(d);
    transcript_free(&tr);
}

static void test_srt_skips_truncated_cues_with_a_warning_and_keeps_the_rest(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("srt_truncated_timing.srt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[1000-2000|] fine\n");
    free(d);
    assert_int_equal(tr.n_warnings, 1);
    assert_string_equal(tr.warnings[0],
                        "srt_truncated_timing.srt:6: cue skipped: malformed cue timing \"00:00:03,000 --> 00:00:0\"");
    transcript_free(&tr);
    d = parse_fixture("srt_truncated_number.srt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[1000-2000|] fine\n");
    free(d);
    assert_int_equal(tr.n_warnings, 1);
    assert_string_equal(tr.warnings[0], "srt_truncated_number.srt:5: truncated cue (number without timing line) skipped");
    transcript_free(&tr);
}

/* A cue that ends before it starts is kept, its end taken as its start, and
 * never silently: a warning names the file, the line (or segment) and both
 * times. In order, nothing is said. */
static void test_backwards_cues_are_kept_with_a_warning(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text, *dump, *warning;
    } cases[] = {
        { "b.srt", "1\n00:00:05,000 --> 00:00:03,000\nlate\n\n2\n00:00:06,000 --> 00:00:07,000\nfine\n",
          "[5000-5000|] late\n[6000-7000|] fine\n",
          "b.srt:2: cue ends before it starts (5.000 s --> 3.000 s); its end is taken as its start" },
        { "b.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:01:05.250 --> 00:00:03.000\nlate\n",
          "[1000-2000|] fine\n[65250-65250|] late\n",
          "b.vtt:6: cue ends before it starts (65.250 s --> 3.000 s); its end is taken as its start" },
        { "b.json", "{\"segments\": [{\"start\": 1, \"end\": 2, \"text\": \"fine\"}, {\"start\": 9.5, \"end\": 4, \"text\": \"late\"}]}",
          "[1000-2000|] fine\n[9500-9500|] late\n",
          "b.json: segments[1]: cue ends before it starts (9.500 s --> 4.000 s); its end is taken as its start" },
        { "ok.srt", "1\n00:00:01,000 --> 00:00:01,000\nzero length\n", "[1000-1000|] zero length\n", NULL },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rag_error err = { 0 };
        transcript tr;
        memset(&tr, 0, sizeof tr);
        assert_int_equal(transcript_parse(transcript_format_of(cases[c].name), cases[c].name, cases[c].text,
                                          strlen(cases[c].text), &tr, &err),
                         RAG_OK);
        char *d = dump(&tr);
        assert_string_equal(d, cases[c].dump);
        free(d);
        if (cases[c].warning) {
            assert_int_equal(tr.n_warnings, 1);
            assert_string_equal(tr.warnings[0], cases[c].warning);
        } else {
            assert_int_equal(tr.n_warnings, 0);
        }
        transcript_free(&tr);
    }
}

static void test_json_reads_own_shape_and_whisper(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("json_own.json", RAG_OK, &err, &tr);
    assert_string_equal(tr.title, "Own shape");
    assert_string_equal(d, "[1500-3250|Alice] Hello there.\n[4000-5500|Bob] General Kenobi.\n[-1--1|] no times\n");
    free(d);
    transcript_free(&tr);
    d = parse_fixture("json_whisper.json", RAG_OK, &err, &tr);
    assert_null(tr.title);
    assert_string_equal(d, "[0-2000|] Whole\n[2000-3500|] text.\n");
    free(d);
    transcript_free(&tr);
}

static void test_json_errors_name_line_column_or_path(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    free(parse_fixture("json_malformed.json", RAG_ECORRUPT, &err, &tr));
    assert_non_null(strstr(err.msg, "json_malformed.json:3:"));
    assert_non_null(strstr(err.msg, "malformed JSON"));
    transcript_free(&tr);
    free(parse_fixture("json_missing_text.json", RAG_ECORRUPT, &err, &tr));
    assert_string_equal(err.msg, "json_missing_text.json: segments[0].text: missing or not a string");
    transcript_free(&tr);
    /* nothing is dropped without a word: a \u0000 would cut its string, a
     * second key of the same name would be ignored (an escaped backslash
     * before "u0000" is text, and fine) */
    static const struct { const char *json, *want; } cases[] = {
        {"{\"segments\":[{\"text\":\"before\\u0000after\"}]}",
         "t.json:1:29: a string holds \\u0000 (a NUL character)"},
        {"{\"segments\":[{\"text\":\"first\"}],\n \"segments\":[{\"text\":\"second\"}]}",
         "t.json: duplicate key \"segments\" in one object (which one counts is ambiguous)"},
        {"{\"segments\":[{\"text\":\"a\",\"speaker\":\"x\",\"speaker\":\"y\"}]}",
         "t.json: duplicate key \"speaker\" in one object (which one counts is ambiguous)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&tr, 0, sizeof tr);
        err = (rag_error){0};
        assert_int_equal(transcript_parse(transcript_format_of("t.json"), "t.json", cases[i].json, strlen(cases[i].json),
                                          &tr, &err),
                         RAG_ECORRUPT);
        assert_string_equal(err.msg, cases[i].want);
        transcript_free(&tr);
    }
    const char *ok = "{\"segments\":[{\"text\":\"a \\\\u0000 b\"}]}";
    memset(&tr, 0, sizeof tr);
    assert_int_equal(transcript_parse(transcript_format_of("t.json"), "t.json", ok, strlen(ok), &tr, &err), RAG_OK);
    transcript_free(&tr);
}

static void test_txt_and_markdown_paragraphs_and_speaker_turns(void **state)
{
    (void)state;
    rag_error err = { 0 };
    transcript tr;
    char *d = parse_fixture("txt_speakers.txt", RAG_OK, &err, &tr);
    assert_string_equal(d, "[-1--1|] Intro paragraph line one continues here.\n"
                           "[-1--1|Alice] First turn. Still Alice.\n"
                           "[90000-90000|Bob] Timestamped turn. http://example.com: not a speaker\n"
                           "[-1--1|] Plain closing paragraph.\n");
    free(d);
    transcript_free(&tr);
    d = parse_fixture("md_headings.md", RAG_OK, &err, &tr);
    assert_string_equal(tr.title, "The Title");
    assert_string_equal(d, "[-1--1|] The Title\n[-1--1|] Intro *text*.\n[-1--1|] Section\n"
                           "[-1--1|] bullet one bullet two quoted line\n[-1--1|Carol] bold speaker Code: block\n");
    free(d);
    transcript_free(&tr);
}

static void test_encoding_transcodes_or_rejects_with_position(void **state)
{
    (void)state;
    rag_error err = { 0 };
    size_t len, olen;
    char *out;
    bool owned;
    const char *enc;
    char *buf = fixture("latin1.txt", &len);
    assert_int_equal(encoding_to_utf8("latin1.txt", buf, len, "", &out, &olen, &owned, &enc, &err), RAG_ECORRUPT);
    assert_string_equal(err.msg, "latin1.txt:1:4: invalid UTF-8 (byte 0xE9); set ingest.legacy_encoding to transcode such files");
    assert_int_equal(encoding_to_utf8("latin1.txt", buf, len, "windows-1252", &out, &olen, &owned, &enc, &err), RAG_OK);
    assert_true(owned);
    assert_string_equal(out, "caf\xC3\xA9 cr\xC3\xA8me\n");
    free(out);
    free(buf);

    buf = fixture("utf16.txt", &len);
    assert_int_equal(encoding_to_utf8("utf16.txt", buf, len, "", &out, &olen, &owned, &enc, &err), RAG_OK);
    assert_string_equal(enc, "utf-16le");
    assert_string_equal(out, "hi there\n");
    free(out);
    free(buf);

    buf = fixture("binary.txt", &len);
    assert_int_equal(encoding_to_utf8("binary.txt", buf, len, "windows-1252", &out, &olen, &owned, &enc, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "binary data (NUL byte at offset 3)"));
    free(buf);

    /* UTF-16 without a BOM is named as such (not "binary"), and not transcoded */
    const char le[] = "h\0i\0 \0t\0h\0e\0r\0e\0\n\0", be[] = "\0h\0i\0 \0t\0h\0e\0r\0e\0\n";
    assert_int_equal(encoding_to_utf8("le.srt", le, sizeof le - 1, "", &out, &olen, &owned, &enc, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "le.srt:1:2: looks like UTF-16LE text without a byte-order mark"));
    assert_false(owned);
    assert_int_equal(encoding_to_utf8("be.srt", be, sizeof be - 1, "", &out, &olen, &owned, &enc, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "be.srt:1:1: looks like UTF-16BE text without a byte-order mark"));
    const char bin[] = "ab\0\x01\x02\0\0\0\xff\x7f\0\0cd"; /* NULs, but not beside each letter */
    assert_int_equal(encoding_to_utf8("b.bin", bin, sizeof bin - 1, "", &out, &olen, &owned, &enc, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "binary data (NUL byte at offset 2)"));

    buf = fixture("invalid_utf8.txt", &len);
    assert_int_equal(encoding_to_utf8("invalid_utf8.txt", buf, len, "", &out, &olen, &owned, &enc, &err), RAG_ECORRUPT);
    assert_non_null(strstr(err.msg, "invalid_utf8.txt:1:5: invalid UTF-8 (byte 0xC0)"));
    free(buf);
}

static void test_utf8_validator_rejects_overlong_surrogates_and_truncation(void **state)
{
    (void)state;
    assert_true(utf8_valid("plain ascii text, long enough for the fast path", 47));
    assert_true(utf8_valid("\xF0\x9F\x98\x80 \xE2\x82\xAC", 8));
    assert_int_equal(rag_utf8_invalid_at("ab\xED\xA0\x80", 5), 2); /* surrogate */
    assert_int_equal(rag_utf8_invalid_at("ab\xE0\x80\xAF", 5), 2); /* overlong */
    assert_int_equal(rag_utf8_invalid_at("abc\xE2\x82", 5), 3);     /* cut short */
    assert_int_equal(rag_utf8_invalid_at("\xF4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    /* around the 8-byte ASCII steps: right after one, inside one, at the end */
    assert_int_equal(rag_utf8_invalid_at("12345678\xFF", 9), 8);
    assert_int_equal(rag_utf8_invalid_at("1234\xFF" "678ABCDEFGH", 16), 4);
    assert_int_equal(rag_utf8_invalid_at("1234567\xC3\xA9" "ABCDEFG\xC3", 17), 16);
    assert_int_equal(rag_utf8_invalid_at("1234567\xC3\xA9" "ABCDEFG\xC3\xA9", 18), 18);
}

static void test_timestamps_accept_short_forms(void **state)
{
    (void)state;
    int64_t a, b;
    assert_true(text_parse_timing("0:00:01,5 --> 01:02:03.004 line:0", 33, &a, &b));
    assert_int_equal(a, 1500);
    assert_int_equal(b, 3723004);
    assert_true(text_parse_timing("00:07 --> 00:09", 15, &a, &b));
    assert_int_equal(a, 7000);
    assert_false(text_parse_timing("00:61.000 --> 00:62.000", 23, &a, &b));
    assert_false(text_parse_timing("00:01.000 -> 00:02.000", 22, &a, &b));
}

/* Read (through the encoding policy), parse and dump a conformance file:
 * its segments, then "warning: ..." lines. */
static char *conformance_dump(const char *dir, const char *name)
{
    char *path = rag_xasprintf("%s/%s", dir, name);
    char *raw = NULL, *text = NULL;
    size_t len = 0, tlen = 0;
    bool owned = false;
    const char *enc = NULL;
    rag_error err = { 0 };
    if (rag_read_file(path, 1 << 20, &raw, &len, &err) != RAG_OK)
        fail_msg("%s", err.msg);
    free(path);
    transcript tr;
    memset(&tr, 0, sizeof tr);
    strbuf out = { 0 };
    if (encoding_to_utf8(name, raw, len, NULL, &text, &tlen, &owned, &enc, &err) != RAG_OK ||
        transcript_parse(transcript_format_of(name), name, text, tlen, &tr, &err) != RAG_OK) {
        sb_append(&out, "error: ", 7);
        sb_append(&out, err.msg, strlen(err.msg));
        sb_putc(&out, '\n');
    } else {
        char *d = dump(&tr);
        sb_append(&out, d, strlen(d));
        free(d);
    }
    for (size_t i = 0; i < tr.n_warnings && i < TR_MAX_WARNINGS; i++) {
        sb_append(&out, "warning: ", 9);
        sb_append(&out, tr.warnings[i], strlen(tr.warnings[i]));
        sb_putc(&out, '\n');
    }
    transcript_free(&tr);
    if (owned)
        free(text);
    free(raw);
    if (!out.s)
        sb_append(&out, "", 0);
    return out.s;
}

static int has_ext(const char *n, const char *ext)
{
    size_t a = strlen(n), b = strlen(ext);
    return a > b && strcasecmp(n + a - b, ext) == 0;
}

static void test_conformance_set_gives_the_expected_text(void **state)
{
    (void)state;
    const char *root = getenv("RAG_ROOT") ? getenv("RAG_ROOT") : ".";
    char *dir = rag_xasprintf("%s/tests/fixtures/ingest/conformance", root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int files = 0, bad = 0;
    while ((de = readdir(d)) != NULL) {
        if (!has_ext(de->d_name, ".vtt") && !has_ext(de->d_name, ".srt"))
            continue;
        char *got = conformance_dump(dir, de->d_name);
        char *exp_path = rag_xasprintf("%s/%s.expected", dir, de->d_name);
        char *want = NULL;
        size_t wlen = 0;
        rag_error err = { 0 };
        if (getenv("RAG_WRITE_EXPECTED")) /* to draft a new file's .expected; review it by hand */
            rag_atomic_write(exp_path, got, strlen(got), &err);
        if (rag_read_file(exp_path, 1 << 20, &want, &wlen, &err) != RAG_OK) {
            print_error("%s: %s\n", de->d_name, err.msg);
            bad++;
        } else if (strcmp(got, want) != 0) {
            print_error("%s: got\n%s--- expected\n%s", de->d_name, got, want);
            bad++;
        }
        files++;
        free(want);
        free(exp_path);
        free(got);
    }
    closedir(d);
    free(dir);
    assert_true(files >= 20);
    assert_int_equal(bad, 0);
}

/* Encode the ASCII/BMP/astral code points of utf8 as UTF-16 or UTF-32 with
 * a BOM (big or little endian). */
static char *encode_wide(const char *utf8, int width, int big, size_t *len)
{
    size_t n = strlen(utf8);
    unsigned char *out = malloc(4 * (n + 1) + 8);
    size_t o = 0;
    uint32_t cps[4096];
    size_t nc = 0;
    cps[nc++] = 0xFEFF;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)utf8[i];
        uint32_t cp;
        int k;
        if (c < 0x80) { cp = c; k = 1; }
        else if (c < 0xE0) { cp = c & 0x1F; k = 2; }
        else if (c < 0xF0) { cp = c & 0x0F; k = 3; }
        else { cp = c & 0x07; k = 4; }
        for (int j = 1; j < k; j++)
            cp = (cp << 6) | ((unsigned char)utf8[i + j] & 0x3F);
        i += (size_t)k;
        if (width == 2 && cp > 0xFFFF) {
            cp -= 0x10000;
            cps[nc++] = 0xD800 | (cp >> 10);
            cps[nc++] = 0xDC00 | (cp & 0x3FF);
        } else {
            cps[nc++] = cp;
        }
    }
    for (size_t i = 0; i < nc; i++)
        for (int b = 0; b < width; b++) {
            int shift = big ? 8 * (width - 1 - b) : 8 * b;
            out[o++] = (unsigned char)(cps[i] >> shift);
        }
    *len = o;
    return (char *)out;
}

static void test_conformance_utf16_and_utf32_with_bom(void **state)
{
    (void)state;
    static const char *vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Zo\xc3\xab>caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d</v>\n";
    static const char *name[2][2] = { { "utf16le.vtt", "utf16be.vtt" }, { "utf32le.vtt", "utf32be.vtt" } };
    static const char *enc_name[2][2] = { { "utf-16le", "utf-16be" }, { "utf-32le", "utf-32be" } };
    for (int w = 0; w < 2; w++)
        for (int big = 0; big < 2; big++) {
            size_t len, tlen;
            char *raw = encode_wide(vtt, w ? 4 : 2, big, &len);
            char *text;
            bool owned;
            const char *enc;
            rag_error err = { 0 };
            assert_int_equal(encoding_to_utf8(name[w][big], raw, len, NULL, &text, &tlen, &owned, &enc, &err), RAG_OK);
            assert_string_equal(enc, enc_name[w][big]);
            transcript tr;
            memset(&tr, 0, sizeof tr);
            assert_int_equal(parse_vtt(name[w][big], text, tlen, &tr, &err), RAG_OK);
            char *d = dump(&tr);
            assert_string_equal(d, "[1000-2000|Zo\xc3\xab] caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d\n");
            free(d);
            transcript_free(&tr);
            if (owned)
                free(text);
            free(raw);
        }
}

static void test_conformance_ten_megabyte_single_line_cue(void **state)
{
    (void)state;
    size_t words = 10u << 20 >> 3; /* "abcdefg " x words = 10 MiB */
    for (int f = 0; f < 2; f++) {
        const char *head = f ? "1\n00:00:01,000 --> 00:00:02,000\n" : "WEBVTT\n\n00:01.000 --> 00:02.000\n";
        size_t hl = strlen(head), len = hl + words * 8 + 1;
        char *buf = malloc(len + 1);
        memcpy(buf, head, hl);
        for (size_t i = 0; i < words; i++)
            memcpy(buf + hl + i * 8, "abcdefg ", 8);
        buf[len - 1] = '\n';
        buf[len] = '\0';
        transcript tr;
        memset(&tr, 0, sizeof tr);
        rag_error err = { 0 };
        assert_int_equal(transcript_parse(f ? TR_SRT : TR_VTT, f ? "big.srt" : "big.vtt", buf, len, &tr, &err), RAG_OK);
        assert_int_equal(tr.n_segs, 1);
        assert_int_equal(tr.segs[0].len, words * 8 - 1); /* the trailing space trimmed */
        assert_int_equal(tr.segs[0].start_ms, 1000);
        transcript_free(&tr);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vtt_handles_bom_crlf_cr_blocks_voices_entities),
        cmocka_unit_test(test_vtt_collapses_rolling_auto_captions),
        cmocka_unit_test(test_vtt_skips_truncated_timing_with_a_warning_and_keeps_the_rest),
        cmocka_unit_test(test_srt_handles_formats_tags_coordinates_and_empty_cues),
        cmocka_unit_test(test_srt_skips_truncated_cues_with_a_warning_and_keeps_the_rest),
        cmocka_unit_test(test_json_reads_own_shape_and_whisper),
        cmocka_unit_test(test_backwards_cues_are_kept_with_a_warning),
        cmocka_unit_test(test_conformance_set_gives_the_expected_text),
        cmocka_unit_test(test_conformance_utf16_and_utf32_with_bom),
        cmocka_unit_test(test_conformance_ten_megabyte_single_line_cue),
        cmocka_unit_test(test_json_errors_name_line_column_or_path),
        cmocka_unit_test(test_txt_and_markdown_paragraphs_and_speaker_turns),
        cmocka_unit_test(test_encoding_transcodes_or_rejects_with_position),
        cmocka_unit_test(test_utf8_validator_rejects_overlong_surrogates_and_truncation),
        cmocka_unit_test(test_timestamps_accept_short_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
