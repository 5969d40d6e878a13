/* test_core_jsonlog.c — JSON Lines writer (key order, one line per event,
 * run_id, payload, UTF-8 repair, the 64 KiB line cap, threads) and the
 * tolerant reader (every kind of malformed line is flagged with a reason and
 * kept raw, never a crash). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

#define LINE_MAX_BYTES (64 * 1024)

static int setup(void **state)
{
    char tmpl[] = "/tmp/ragtop-jsonlog.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    *state = strdup(d);
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

/* Read the file and split it into lines (each without its newline). */
static size_t read_lines(const char *path, char ***lines)
{
    char *buf;
    size_t len;
    rag_error err;
    assert_int_equal(rag_read_file(path, 64 << 20, &buf, &len, &err), RAG_OK);
    if (len) assert_int_equal(buf[len - 1], '\n'); /* every line is terminated */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += buf[i] == '\n';
    *lines = calloc(n + 1, sizeof **lines);
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        char *nl = strchr(p, '\n');
        (*lines)[i] = strndup(p, (size_t)(nl - p));
        p = nl + 1;
    }
    free(buf);
    return n;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

static void test_log_writes_one_object_per_line_in_key_order(void **state)
{
    char *path = rag_path_join(*state, "logs/ingest.jsonl"); /* parent is created */
    rag_error err = {0};
    rag_log *log = rag_log_open(path, "ingest", &err);
    assert_non_null(log);
    int64_t t0 = rag_now_ms();
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddNumberToObject(payload, "batch", 3);
    cJSON_AddNumberToObject(payload, "files", 25);
    rag_log_set_run_id(log, "20261128T134500Z-1a2b3c");
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "batch_done", "batch 3 of 8", payload), RAG_OK);
    rag_log_set_run_id(log, NULL);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_WARN, "file_failed", NULL, NULL), RAG_OK);
    assert_int_equal(rag_log_eventf(log, RAG_LEVEL_ERROR, "run_failed", NULL, "%d files failed (%s)", 4, "max ratio"), RAG_OK);
    rag_log_close(log);

    char **lines;
    size_t n = read_lines(path, &lines);
    assert_int_equal(n, 3);
    char want_prefix[] = "{\"ts\":\"";
    assert_memory_equal(lines[0], want_prefix, strlen(want_prefix));
    /* key order and compact rendering */
    const char *after_ts = strstr(lines[0], "\",\"level\"");
    assert_non_null(after_ts);
    assert_string_equal(after_ts, "\",\"level\":\"info\",\"component\":\"ingest\",\"event\":\"batch_done\","
                                  "\"run_id\":\"20261128T134500Z-1a2b3c\",\"msg\":\"batch 3 of 8\","
                                  "\"payload\":{\"batch\":3,\"files\":25}}");
    assert_string_equal(strstr(lines[1], "\",\"level\""),
                        "\",\"level\":\"warn\",\"component\":\"ingest\",\"event\":\"file_failed\"}");
    assert_non_null(strstr(lines[2], "\"msg\":\"4 files failed (max ratio)\""));

    rag_log_entry e;
    assert_true(rag_log_parse_line(lines[0], strlen(lines[0]), &e));
    assert_true(e.ts_ms >= t0 - 1 && e.ts_ms <= rag_now_ms());
    assert_int_equal(strlen(e.ts), 24); /* 2026-11-28T13:45:00.123Z */
    assert_int_equal(e.ts[23], 'Z');
    assert_int_equal(e.level, RAG_LEVEL_INFO);
    assert_string_equal(e.component, "ingest");
    assert_string_equal(e.event, "batch_done");
    assert_string_equal(e.run_id, "20261128T134500Z-1a2b3c");
    assert_string_equal(e.msg, "batch 3 of 8");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e.json, "payload"), "files")->valueint, 25);
    assert_string_equal(e.raw, lines[0]);
    rag_log_entry_free(&e);
    assert_true(rag_log_parse_line(lines[1], strlen(lines[1]), &e));
    assert_null(e.msg);
    assert_string_equal(e.run_id, "");
    rag_log_entry_free(&e);
    free_lines(lines, n);
    free(path);
}

static void test_log_appends_to_existing_file(void **state)
{
    char *path = rag_path_join(*state, "api.jsonl");
    rag_error err;
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    assert_true(write(fd, "previous line\n", 14) == 14);
    close(fd);
    rag_log *log = rag_log_open(path, "api", &err);
    assert_non_null(log);
    rag_log_event(log, RAG_LEVEL_INFO, "request", NULL, NULL);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    assert_int_equal(n, 2);
    assert_string_equal(lines[0], "previous line");
    free_lines(lines, n);
    free(path);
}

/* A full disk (RLIMIT_FSIZE in a child: a short write, then EFBIG): the
 * event is refused and no part of it stays in the file, so the next line
 * does not glue onto half a line. */
static void test_log_line_is_whole_or_absent_when_the_disk_fills(void **state)
{
    char *path = rag_path_join(*state, "ingest.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "ingest", &err);
    assert_non_null(log);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "first", NULL, NULL), RAG_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    int note[2]; /* the child's stderr: the failure is said there once (a pipe: no file size limit) */
    assert_int_equal(pipe(note), 0);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        dup2(note[1], STDERR_FILENO);
        close(note[0]);
        close(note[1]);
        struct rlimit rl = { (rlim_t)st.st_size + 20, (rlim_t)st.st_size + 20 };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
        int bad = 0;
        for (int i = 0; i < 3; i++) /* three lost lines, said once */
            bad += rag_log_event(log, RAG_LEVEL_INFO, "refused_because_the_disk_is_full", "a message longer than 20 bytes",
                                 NULL) == RAG_ERR;
        rag_log_writes w;
        rag_log_write_state(log, &w);
        _exit(bad == 3 && w.failures == 3 && w.failing ? 0 : 1);
    }
    close(note[1]);
    char said[1024] = "";
    size_t got = 0;
    for (ssize_t r; got < sizeof said - 1 && (r = read(note[0], said + got, sizeof said - 1 - got)) > 0;) got += (size_t)r;
    said[got] = '\0';
    close(note[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(said, "ingest: cannot append to "));
    assert_non_null(strstr(said, "log lines are lost (and counted)"));
    assert_null(strstr(strstr(said, "cannot append") + 1, "cannot append")); /* once, not once a line */
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, st.st_size);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "third", NULL, NULL), RAG_OK);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    assert_int_equal(n, 2);
    assert_non_null(strstr(lines[0], "\"event\":\"first\""));
    assert_non_null(strstr(lines[1], "\"event\":\"third\""));
    assert_int_equal(lines[1][0], '{');
    free_lines(lines, n);
    free(path);
}

static void test_log_open_reports_unwritable_path(void **state)
{
    char *path = rag_path_join(*state, "file");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(path, "x", 1, &err), RAG_OK);
    char *bad = rag_path_join(path, "log.jsonl"); /* parent is a regular file */
    assert_null(rag_log_open(bad, "ingest", &err));
    assert_non_null(strstr(err.msg, "file"));
    free(bad);
    free(path);
}

static void test_log_escapes_control_characters_and_newlines(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "ingest", &err);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "file_failed", "line1\nline2\r\x1b[31mred\"q\\", NULL), RAG_OK);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    assert_int_equal(n, 1); /* the embedded newline did not split the line */
    rag_log_entry e;
    assert_true(rag_log_parse_line(lines[0], strlen(lines[0]), &e));
    assert_string_equal(e.msg, "line1\nline2\r\x1b[31mred\"q\\");
    assert_null(strchr(lines[0], '\x1b')); /* raw escape never reaches the file */
    rag_log_entry_free(&e);
    free_lines(lines, n);
    free(path);
}

static void test_log_replaces_invalid_utf8(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "ingest", &err);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "path", "caf\xe9.txt"); /* Latin-1 byte */
    assert_int_equal(rag_log_event(log, RAG_LEVEL_WARN, "file_failed", "bad \xc3\x28 \xed\xa0\x80 ok \xc3\xa9", p), RAG_OK);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    rag_log_entry e;
    assert_true(rag_log_parse_line(lines[0], strlen(lines[0]), &e));
    assert_string_equal(e.msg, "bad \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e.json, "payload"), "path")->valuestring,
                        "caf\xef\xbf\xbd.txt");
    rag_log_entry_free(&e);
    free_lines(lines, n);
    free(path);
}

static void test_log_wraps_non_object_payload(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "api", &err);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "summary", NULL, cJSON_CreateNumber(7)), RAG_OK);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    assert_non_null(strstr(lines[0], "\"payload\":{\"value\":7}"));
    free_lines(lines, n);
    free(path);
}

static void test_log_caps_line_length_with_truncation_marker(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "ingest", &err);
    /* a huge msg made of characters that JSON escapes 6x */
    size_t big = 200 * 1024;
    char *msg = malloc(big + 1);
    for (size_t i = 0; i < big; i++) msg[i] = (i % 2) ? '\x01' : 'a';
    msg[big] = '\0';
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "batch_done", msg, NULL), RAG_OK);
    /* a huge payload with a short msg: payload is replaced, msg kept */
    cJSON *p = cJSON_CreateObject();
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    cJSON_AddStringToObject(p, "text", s);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "batch_done", "short", p), RAG_OK);
    /* both huge */
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "text", s);
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "batch_done", s, p), RAG_OK);
    /* just under the cap is untouched */
    rag_log_event(log, RAG_LEVEL_INFO, "batch_done", "end", NULL);
    rag_log_close(log);

    char **lines;
    size_t n = read_lines(path, &lines);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 3; i++) {
        assert_true(strlen(lines[i]) + 1 <= LINE_MAX_BYTES);
        if (i != 1) /* a cut msg is cut close to the cap, not to nothing */
            assert_true(strlen(lines[i]) + 1 > LINE_MAX_BYTES - 16);
        rag_log_entry e;
        if (!rag_log_parse_line(lines[i], strlen(lines[i]), &e)) fail_msg("line %zu: %s", i, e.reason);
        rag_log_entry_free(&e);
    }
    rag_log_entry e;
    assert_true(rag_log_parse_line(lines[0], strlen(lines[0]), &e));
    assert_int_equal(strcmp(e.msg + strlen(e.msg) - strlen(" [truncated]"), " [truncated]"), 0);
    assert_memory_equal(e.msg, msg, strlen(e.msg) - strlen(" [truncated]"));
    rag_log_entry_free(&e);
    assert_true(rag_log_parse_line(lines[1], strlen(lines[1]), &e));
    assert_string_equal(e.msg, "short");
    cJSON *pl = cJSON_GetObjectItem(e.json, "payload");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(pl, "truncated")));
    assert_true(cJSON_GetObjectItem(pl, "bytes")->valuedouble > (double)big);
    assert_null(cJSON_GetObjectItem(pl, "text"));
    rag_log_entry_free(&e);
    assert_true(rag_log_parse_line(lines[2], strlen(lines[2]), &e));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(e.json, "payload"), "truncated")));
    assert_non_null(strstr(e.msg, " [truncated]"));
    rag_log_entry_free(&e);
    free_lines(lines, n);
    free(msg);
    free(s);
    free(path);
}

static void test_log_cut_never_splits_a_utf8_character(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "ingest", &err);
    size_t big = 100 * 1024;
    char *msg = malloc(big + 1);
    for (size_t i = 0; i + 3 <= big; i += 3) memcpy(msg + i, "\xe2\x82\xac", 3); /* euro sign */
    msg[big - big % 3] = '\0';
    assert_int_equal(rag_log_event(log, RAG_LEVEL_INFO, "x", msg, NULL), RAG_OK);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    rag_log_entry e;
    assert_true(rag_log_parse_line(lines[0], strlen(lines[0]), &e));
    assert_null(strstr(e.msg, "\xef\xbf\xbd")); /* no replacement char: no broken sequence */
    rag_log_entry_free(&e);
    free_lines(lines, n);
    free(msg);
    free(path);
}

struct thread_arg {
    rag_log *log;
    int id;
};

static void *log_thread(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 2000; i++) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddNumberToObject(pl, "thread", a->id);
        cJSON_AddNumberToObject(pl, "seq", i);
        rag_log_event(a->log, RAG_LEVEL_DEBUG, "tick", "thread line with some text to make it longer", pl);
    }
    return NULL;
}

static void test_log_is_thread_safe(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    rag_error err;
    rag_log *log = rag_log_open(path, "api", &err);
    pthread_t t[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){log, i};
        pthread_create(&t[i], NULL, log_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    rag_log_close(log);
    char **lines;
    size_t n = read_lines(path, &lines);
    assert_int_equal(n, 8000);
    int next[4] = {0};
    for (size_t i = 0; i < n; i++) {
        rag_log_entry e;
        if (!rag_log_parse_line(lines[i], strlen(lines[i]), &e)) fail_msg("line %zu: %s: %s", i, e.reason, e.raw);
        cJSON *pl = cJSON_GetObjectItem(e.json, "payload");
        int th = cJSON_GetObjectItem(pl, "thread")->valueint, seq = cJSON_GetObjectItem(pl, "seq")->valueint;
        assert_int_equal(seq, next[th]); /* per-thread order kept, nothing lost */
        next[th]++;
        rag_log_entry_free(&e);
    }
    free_lines(lines, n);
    free(path);
}

static void test_log_echo_copies_lines_to_stderr(void **state)
{
    char *path = rag_path_join(*state, "x.jsonl");
    char *errpath = rag_path_join(*state, "stderr.txt");
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    close(fd);
    rag_error err;
    rag_log *log = rag_log_open(path, "ingest", &err);
    rag_log_event(log, RAG_LEVEL_INFO, "quiet", NULL, NULL);
    rag_log_set_echo(log, true);
    rag_log_event(log, RAG_LEVEL_INFO, "loud", NULL, NULL);
    rag_log_close(log);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char **lines;
    size_t n = read_lines(errpath, &lines);
    assert_int_equal(n, 1);
    assert_non_null(strstr(lines[0], "\"event\":\"loud\""));
    free_lines(lines, n);
    n = read_lines(path, &lines);
    assert_int_equal(n, 2);
    free_lines(lines, n);
    free(errpath);
    free(path);
}

static void test_level_names_and_aliases(void **state)
{
    (void)state;
    assert_string_equal(rag_level_name(RAG_LEVEL_DEBUG), "debug");
    assert_string_equal(rag_level_name(RAG_LEVEL_INFO), "info");
    assert_string_equal(rag_level_name(RAG_LEVEL_WARN), "warn");
    assert_string_equal(rag_level_name(RAG_LEVEL_ERROR), "error");
    assert_int_equal(rag_level_parse("debug"), RAG_LEVEL_DEBUG);
    assert_int_equal(rag_level_parse("warning"), RAG_LEVEL_WARN);
    assert_int_equal(rag_level_parse("err"), RAG_LEVEL_ERROR);
    assert_int_equal(rag_level_parse("INFO"), -1);
    assert_int_equal(rag_level_parse("fatal"), -1);
    assert_int_equal(rag_level_parse(""), -1);
    assert_int_equal(rag_level_parse(NULL), -1);
}

static void expect_malformed(const char *line, const char *reason)
{
    rag_log_entry e;
    memset(&e, 0x5a, sizeof e);
    if (rag_log_parse_line(line, strlen(line), &e)) fail_msg("accepted malformed line: %s", line);
    assert_false(e.ok);
    if (!strstr(e.reason, reason)) fail_msg("line %s: reason \"%s\" lacks \"%s\"", line, e.reason, reason);
    assert_null(e.json);
    assert_null(e.msg);
    assert_non_null(e.raw);
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    assert_int_equal(strlen(e.raw), len);
    assert_memory_equal(e.raw, line, len); /* kept raw for display */
    rag_log_entry_free(&e);
}

#define OKHEAD "\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"info\",\"component\":\"api\""

static void test_reader_flags_each_kind_of_malformed_line(void **state)
{
    (void)state;
    expect_malformed("", "empty line");
    expect_malformed("   \n", "empty line");
    expect_malformed("plain text from a crashing program", "not a JSON object");
    expect_malformed("[1,2,3]", "not a JSON object");
    expect_malformed("\"just a string\"", "not a JSON object");
    expect_malformed("{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"in", "not valid JSON");
    expect_malformed("{" OKHEAD ",\"event\":\"request\"} trailing", "unexpected data");
    expect_malformed("{" OKHEAD ",\"event\":\"request\"}{\"second\":1}", "unexpected data");
    expect_malformed("{\"level\":\"info\",\"component\":\"api\",\"event\":\"request\"}", "missing ts");
    expect_malformed("{\"ts\":\"yesterday\",\"level\":\"info\",\"component\":\"api\",\"event\":\"request\"}", "bad ts");
    expect_malformed("{\"ts\":1795873500123,\"level\":\"info\",\"component\":\"api\",\"event\":\"request\"}", "ts is not a string");
    expect_malformed("{\"ts\":\"2026-11-28T13:45:00.123Z\",\"component\":\"api\",\"event\":\"request\"}", "missing level");
    expect_malformed("{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"loud\",\"component\":\"api\",\"event\":\"request\"}", "bad level");
    expect_malformed("{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":3,\"component\":\"api\",\"event\":\"request\"}", "bad level");
    expect_malformed("{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"info\",\"event\":\"request\"}", "missing component");
    expect_malformed("{" OKHEAD "}", "missing event");
    expect_malformed("{" OKHEAD ",\"event\":\"\"}", "event is empty");
    expect_malformed("{" OKHEAD ",\"event\":\"request\",\"run_id\":7}", "run_id is not a string");
    expect_malformed("{" OKHEAD ",\"event\":\"request\",\"msg\":{}}", "msg is not a string");
    expect_malformed("{" OKHEAD ",\"event\":\"request\",\"payload\":[1]}", "payload is not an object");
    expect_malformed("{" OKHEAD ",\"event\":\"request\",\"payload\":\"x\"}", "payload is not an object");
    char longcomp[200];
    snprintf(longcomp, sizeof longcomp, "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"info\",\"component\":\"%0100d\",\"event\":\"x\"}", 0);
    expect_malformed(longcomp, "component is too long");
}

static void test_reader_flags_nul_byte_inside_line(void **state)
{
    (void)state;
    const char line[] = "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"info\",\"component\":\"a\",\"event\":\"b\"}\0junk";
    rag_log_entry e;
    assert_false(rag_log_parse_line(line, sizeof line - 1, &e));
    assert_non_null(strstr(e.reason, "NUL"));
    /* kept whole for display: the NUL as U+2400, what follows it after it */
    assert_non_null(strstr(e.raw, "\"event\":\"b\"}" RAG_NUL_SYMBOL "junk"));
    rag_log_entry_free(&e);
    const char plain[] = "before\0\0after";
    assert_false(rag_log_parse_line(plain, sizeof plain - 1, &e));
    assert_string_equal(e.raw, "before" RAG_NUL_SYMBOL RAG_NUL_SYMBOL "after");
    rag_log_entry_free(&e);
}

/* cJSON decodes \u0000 into a C string, which ends there: the reader
 * decodes it as U+2400 instead, so the rest of the text is not lost. An
 * escaped backslash followed by "u0000" is text, not a NUL. */
static void test_reader_shows_a_json_nul_escape_and_what_follows(void **state)
{
    (void)state;
    const char *line = "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"info\",\"component\":\"a\",\"event\":\"b\","
                       "\"msg\":\"shown\\u0000hidden\\u0000\",\"payload\":{\"k\\u0000x\":\"v\\u0000tail\","
                       "\"lit\":\"a\\\\u0000b\",\"odd\":\"\\\\\\u0000c\"}}";
    rag_log_entry e;
    assert_true(rag_log_parse_line(line, strlen(line), &e));
    assert_string_equal(e.msg, "shown" RAG_NUL_SYMBOL "hidden" RAG_NUL_SYMBOL);
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(e.json, "payload");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pl, "k" RAG_NUL_SYMBOL "x");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, "v" RAG_NUL_SYMBOL "tail");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(pl, "lit")->valuestring, "a\\u0000b");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(pl, "odd")->valuestring, "\\" RAG_NUL_SYMBOL "c");
    assert_string_equal(e.raw, line); /* the raw text is left as it was */
    rag_log_entry_free(&e);
    /* the rewrite keeps the length: trailing data after the object is still found */
    const char *junk = "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"info\",\"component\":\"a\",\"event\":\"b\","
                       "\"msg\":\"\\u0000\"} x";
    assert_false(rag_log_parse_line(junk, strlen(junk), &e));
    assert_non_null(strstr(e.reason, "unexpected data"));
    rag_log_entry_free(&e);
    /* a \u0000 cut short, at the end of the buffer: never read past it */
    const char *cut = "{\"msg\":\"\\u000";
    char *copy = malloc(strlen(cut));
    memcpy(copy, cut, strlen(cut));
    const char *end = NULL;
    assert_null(rag_json_parse_showing_nul(copy, strlen(cut), &end));
    free(copy);
}

static void test_reader_accepts_crlf_and_optional_fields(void **state)
{
    (void)state;
    const char *line = "{\"ts\":\"2026-11-28T15:45:00+02:00\",\"level\":\"warning\",\"component\":\"watch\","
                       "\"event\":\"alert\",\"run_id\":null,\"msg\":null,\"extra\":[1]}\r\n";
    rag_log_entry e;
    assert_true(rag_log_parse_line(line, strlen(line), &e));
    assert_int_equal(e.ts_ms, 1795873500000LL);
    assert_int_equal(e.level, RAG_LEVEL_WARN);
    assert_string_equal(e.component, "watch");
    assert_null(e.msg);
    assert_string_equal(e.raw, "{\"ts\":\"2026-11-28T15:45:00+02:00\",\"level\":\"warning\",\"component\":\"watch\","
                               "\"event\":\"alert\",\"run_id\":null,\"msg\":null,\"extra\":[1]}");
    rag_log_entry_free(&e);
}

static void test_reader_parses_line_without_nul_terminator(void **state)
{
    (void)state;
    /* The reader gets a slice of a buffer: it must not read past len. */
    const char *buf = "{\"ts\":\"2026-11-28T13:45:00Z\",\"level\":\"info\",\"component\":\"a\",\"event\":\"b\"}\n{\"next\":";
    size_t len = (size_t)(strchr(buf, '\n') - buf) + 1;
    char *copy = malloc(len); /* exact size, no terminator: ASan catches overreads */
    memcpy(copy, buf, len);
    rag_log_entry e;
    assert_true(rag_log_parse_line(copy, len, &e));
    assert_string_equal(e.event, "b");
    rag_log_entry_free(&e);
    assert_false(rag_log_parse_line(copy, len - 5, &e));
    rag_log_entry_free(&e);
    free(copy);
    assert_false(rag_log_parse_line(NULL, 0, &e));
    assert_string_equal(e.raw, "");
    rag_log_entry_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_writes_one_object_per_line_in_key_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_appends_to_existing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_line_is_whole_or_absent_when_the_disk_fills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_open_reports_unwritable_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_escapes_control_characters_and_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_replaces_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_wraps_non_object_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_caps_line_length_with_truncation_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_cut_never_splits_a_utf8_character, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_is_thread_safe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_echo_copies_lines_to_stderr, setup, teardown),
        cmocka_unit_test(test_level_names_and_aliases),
        cmocka_unit_test(test_reader_flags_each_kind_of_malformed_line),
        cmocka_unit_test(test_reader_flags_nul_byte_inside_line),
        cmocka_unit_test(test_reader_shows_a_json_nul_escape_and_what_follows),
        cmocka_unit_test(test_reader_accepts_crlf_and_optional_fields),
        cmocka_unit_test(test_reader_parses_line_without_nul_terminator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
