/* test_ragtop_console.c — the console's pure parts: the escaper, the log
 * renderer, the status evaluation (severity order, config-hash explanation,
 * service states), the metrics-line and /healthz parsers, the theme parser,
 * the key table (include globs: test_core_sources.c) and the model keeping
 * each service's probes with it when services.yml is re-read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

#include "../../src/ragtop/collect.h"
#include "../../src/ragtop/keys.h"
#include "../../src/ragtop/logline.h"
#include "../../src/ragtop/probe.h"
#include "../../src/ragtop/escape.h"
#include "../../src/ragtop/status.h"
#include "../../src/ragtop/theme.h"
#include "../../src/ragtop/ui.h"
#include "rag/confighash.h"
#include "rag/jsonlog.h"

static const int64_t NOW = 1795874400000LL;
static const int64_t HOUR = 3600LL * 1000;

static void test_escape_escapes_control_and_escape_sequences(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "a\033[2Jb\033]0;t\007c\r\n\x7f";
    escape_text(in, sizeof in - 1, out, sizeof out, false);
    assert_string_equal(out, "a\\e[2Jb\\e]0;t\\x07c\\r\\n\\x7f");
}

static void test_escape_escapes_c1_bidi_and_invalid_utf8_keeps_text(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "h\xc3\xa9llo \xe2\x9c\x94 \xc2\x9b" "31m \xe2\x80\xae x \xff \xc0\xaf \\";
    escape_text(in, sizeof in - 1, out, sizeof out, false);
    assert_string_equal(out, "h\xc3\xa9llo \xe2\x9c\x94 \\u009b31m \\u202e x \\xff \\xc0\\xaf \\\\");
}

static void test_escape_truncates_on_a_character_boundary(void **state)
{
    (void)state;
    char out[6];
    size_t n = escape_text("ab\xe2\x9c\x94\xe2\x9c\x94", 8, out, sizeof out, false);
    assert_int_equal(n, 5);
    assert_string_equal(out, "ab\xe2\x9c\x94");
    n = escape_text("abcd\033", 5, out, sizeof out, false);
    assert_string_equal(out, "abcd"); /* "\e" does not fit: dropped whole */
    assert_int_equal(n, 4);
}

/* What the copy key (y) puts on the clipboard: a JSON log line as it is
 * (backslashes and all), anything with a control or format character only
 * escaped (a pasted CR would run a command, ESC [201~ end a bracketed paste). */
static void test_escape_needed_decides_what_is_copied_as_is(void **state)
{
    (void)state;
    assert_false(escape_needed("{\"msg\":\"a \\\"quoted\\\" path C:\\\\x\",\"t\":\"\tok\"} h\xc3\xa9 \xe2\x9c\x94"));
    assert_false(escape_needed("tab\tinside"));
    assert_true(escape_needed("rm -rf /tmp/x\r"));
    assert_true(escape_needed("a \033[201~ b"));
    assert_true(escape_needed("c1 \xc2\x9b" "31m"));
    assert_true(escape_needed("bidi \xe2\x80\xae"));
    assert_true(escape_needed("bad \xff"));
    assert_true(escape_needed("filler \xe3\x85\xa4")); /* U+3164, drawn blank */
    char out[64];
    escape_text("a\xe1\x85\x9f" "b", 5, out, sizeof out, false);
    assert_string_equal(out, "a\\u115fb");
    char *e = escape_dup("rm -rf /tmp/x\r");
    assert_string_equal(e, "rm -rf /tmp/x\\r");
    free(e);
}

static void test_logline_formats_json_and_keeps_raw_lines_inert(void **state)
{
    (void)state;
    char out[512];
    const char *js = "{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"error\",\"component\":\"api\","
                     "\"event\":\"boom\",\"msg\":\"bad \\u001b[2J\"}";
    logline_format(js, strlen(js), "api.jsonl", out, sizeof out);
    assert_string_equal(out, "13:45:00.123 error api.jsonl  api boom bad \\e[2J");
    const char *raw = "plain \033[31mred";
    logline_format(raw, strlen(raw), "x.log", out, sizeof out);
    assert_non_null(strstr(out, "?     x.log      plain \\e[31mred"));
    const char *pl = "{\"ts\":\"2026-11-28T13:45:00.000Z\",\"level\":\"info\",\"component\":\"rag-api\","
                     "\"event\":\"access\",\"payload\":{\"status\":200}}";
    logline_format(pl, strlen(pl), "api.jsonl", out, sizeof out);
    assert_non_null(strstr(out, "rag-api access {\"status\":200}"));
    /* a NUL does not end the line: shown as U+2400, the rest after it */
    const char nul[] = "head\0tail \033x";
    logline_format(nul, sizeof nul - 1, "x.log", out, sizeof out);
    assert_non_null(strstr(out, "x.log      head" RAG_NUL_SYMBOL "tail \\ex"));
    const char *jn = "{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"warn\",\"component\":\"api\","
                     "\"event\":\"e\",\"msg\":\"ok\\u0000rm -rf\"}";
    logline_format(jn, strlen(jn), "api.jsonl", out, sizeof out);
    assert_string_equal(out, "13:45:00.123 warn  api.jsonl  api e ok" RAG_NUL_SYMBOL "rm -rf");
    const char *jp = "{\"ts\":\"2026-11-28T13:45:00.123Z\",\"level\":\"warn\",\"component\":\"api\","
                     "\"event\":\"e\",\"payload\":{\"p\":\"a\\u0000b\"}}";
    logline_format(jp, strlen(jp), "api.jsonl", out, sizeof out);
    assert_non_null(strstr(out, "api e {\"p\":\"a" RAG_NUL_SYMBOL "b\"}"));
}

static void snap_with_config(rt_snapshot *s)
{
    snapshot_init(s);
    rag_config_defaults(&s->config.cfg, "/tmp");
    s->config.rc = RAG_OK;
    s->config.cfg.freshness.warn_after_ms = 24 * HOUR;
    s->config.cfg.freshness.error_after_ms = 72 * HOUR;
    s->config.cfg.watch.ingest_overdue_ms = 0;
    s->config.canonical = rag_config_canonical(&s->config.cfg);
    rag_json_hash(s->config.canonical, s->config.hash);
    s->services_rc = RAG_OK;
    snprintf(s->services_path, sizeof s->services_path, "services.yml");
}

static void with_manifest(rt_snapshot *s, const char *hash, cJSON *canonical, int64_t checked)
{
    s->manifest.rc = RAG_OK;
    memset(&s->manifest.m, 0, sizeof s->manifest.m);
    snprintf(s->manifest.m.generation, sizeof s->manifest.m.generation, "gen-a.sqlite");
    snprintf(s->manifest.m.config_hash, sizeof s->manifest.m.config_hash, "%s", hash);
    s->manifest.m.config = canonical;
    s->manifest.m.generated_at_ms = s->manifest.m.checked_at_ms = checked;
}

static void free_snap(rt_snapshot *s)
{
    rag_config_free(&s->config.cfg);
    cJSON_Delete(s->config.canonical);
    cJSON_Delete(s->manifest.m.config);
    free(s->probes);
    free(s->services.items);
}

/* s gets one service with a health URL and an empty probe for it. */
static void one_service(rt_snapshot *s, const char *name)
{
    s->services.count = 1;
    s->services.items = calloc(1, sizeof *s->services.items);
    s->services.items[0].name = (char *)name;
    s->services.items[0].health_url = "http://127.0.0.1:1/healthz";
    s->n_probes = 1;
    s->probes = calloc(1, sizeof *s->probes);
}

static void test_status_healthy_snapshot_is_ok(void **state)
{
    (void)state;
    rt_snapshot s;
    snap_with_config(&s);
    with_manifest(&s, s.config.hash, NULL, NOW - HOUR);
    s.sources.rc = RAG_OK;
    s.sources.total = 3;
    rt_status st;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(st.overall, RT_OK);
    assert_int_equal(status_find(&st, "freshness")->severity, RT_OK);
    status_free(&st);
    free_snap(&s);
}

static void test_status_explains_config_change_key_by_key(void **state)
{
    (void)state;
    rt_snapshot s;
    snap_with_config(&s);
    cJSON *old = cJSON_Duplicate(s.config.canonical, 1);
    cJSON *ch = cJSON_GetObjectItemCaseSensitive(old, "chunking");
    cJSON_ReplaceItemInObject(ch, "target_tokens", cJSON_CreateNumber(384));
    char oldhash[RAG_HASH_HEX];
    rag_json_hash(old, oldhash);
    with_manifest(&s, oldhash, old, NOW - HOUR);
    s.sources.rc = RAG_OK;
    rt_status st;
    status_evaluate(&s, NOW, &st);
    const rt_check *c = status_find(&st, "config_hash");
    assert_non_null(c);
    assert_int_equal(c->severity, RT_WARN);
    assert_string_equal(c->fix, "ingest");
    char want[64];
    snprintf(want, sizeof want, "chunking.target_tokens 384 -> %d", s.config.cfg.chunking.target_tokens);
    assert_non_null(strstr(c->details, want));
    assert_int_equal(st.overall, RT_WARN);
    status_free(&st);
    free_snap(&s);
}

static void test_status_freshness_thresholds(void **state)
{
    (void)state;
    rt_snapshot s;
    snap_with_config(&s);
    s.sources.rc = RAG_OK;
    with_manifest(&s, s.config.hash, NULL, NOW - 25 * HOUR);
    rt_status st;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(status_find(&st, "freshness")->severity, RT_WARN);
    status_free(&st);
    s.manifest.m.checked_at_ms = NOW - 73 * HOUR;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(status_find(&st, "freshness")->severity, RT_CRIT);
    assert_int_equal(st.overall, RT_CRIT);
    status_free(&st);
    free_snap(&s);
}

static void test_status_service_down_is_crit_unless_optional(void **state)
{
    (void)state;
    rt_snapshot s;
    snap_with_config(&s);
    with_manifest(&s, s.config.hash, NULL, NOW);
    s.sources.rc = RAG_OK;
    one_service(&s, "api");
    snprintf(s.probes[0].service, sizeof s.probes[0].service, "api");
    s.probes[0].probed = true;
    s.probes[0].recent_errors = -1;
    snprintf(s.probes[0].error, sizeof s.probes[0].error, "connection refused");
    rt_status st;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(status_find(&st, "service:api")->severity, RT_CRIT);
    assert_string_equal(status_find(&st, "service:api")->fix, ""); /* no start action: no fix */
    assert_int_equal(st.overall, RT_CRIT);
    status_free(&st);
    char *start_argv[] = {"make", "api", NULL};
    rag_action start = {.name = "start", .argv = start_argv, .argc = 2};
    s.services.items[0].actions = &start;
    s.services.items[0].n_actions = 1;
    status_evaluate(&s, NOW, &st);
    const rt_check *down = status_find(&st, "service:api");
    assert_string_equal(down->fix, "start");
    assert_string_equal(down->target, "api");
    const rag_service *target;
    assert_ptr_equal(status_fix_action(&s, down, &target), &start);
    assert_ptr_equal(target, &s.services.items[0]);
    assert_int_equal(status_fix_def(down->fix)->key, 'a');
    status_free(&st);
    s.services.items[0].optional = true;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(status_find(&st, "service:api")->severity, RT_OK);
    status_free(&st);
    s.probes[0].up = true;
    s.probes[0].http_code = 200;
    snprintf(s.probes[0].status, sizeof s.probes[0].status, "warn");
    snprintf(s.probes[0].generation, sizeof s.probes[0].generation, "gen-old.sqlite");
    status_evaluate(&s, NOW, &st);
    assert_int_equal(status_find(&st, "service:api")->severity, RT_WARN);
    assert_int_equal(status_find(&st, "served:api")->severity, RT_WARN);
    /* served:api's restart needs a restart action too */
    assert_string_equal(status_find(&st, "served:api")->fix, "");
    status_free(&st);
    s.services.items[0].actions = NULL;
    s.services.items[0].n_actions = 0;
    free_snap(&s);
}

/* A service whose first probe is in flight is UNKNOWN but never hides a
 * known problem; alone it makes the verdict UNKNOWN, not OK. */
static void test_status_pending_probe_ranks_below_known_problems(void **state)
{
    (void)state;
    rt_snapshot s;
    snap_with_config(&s);
    with_manifest(&s, s.config.hash, NULL, NOW);
    s.sources.rc = RAG_OK;
    one_service(&s, "hung");
    s.probes[0].probing = true;
    rt_status st;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(st.overall, RT_UNKNOWN);
    assert_true(status_find(&st, "service:hung")->pending);
    assert_non_null(strstr(st.headline, "hung probing"));
    status_free(&st);
    s.sources.added = 1;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(st.overall, RT_WARN);
    assert_non_null(strstr(st.headline, "WARN: 1 transcript not yet ingested"));
    status_free(&st);
    free_snap(&s);
}

/* The Problems view's selection stays on the problem chosen when the list
 * re-sorts between refreshes (a worse problem appears above it, one above
 * it is fixed), so Enter fixes what was highlighted, not what moved into
 * its row; when the chosen problem itself is fixed, its row's new problem
 * is selected and problems_follow says so. */
static void test_problem_selection_follows_the_problem_by_name(void **state)
{
    (void)state;
    static ui u;
    memset(&u, 0, sizeof u);
    rt_check checks[3] = {{.name = "freshness", .severity = RT_WARN},
                          {.name = "service:api", .severity = RT_CRIT},
                          {.name = "last_run", .severity = RT_WARN}};
    u.st.checks = checks;
    u.st.n = 3;
    const rt_check *list[8];
    size_t n = problems_list(&u, list, 8); /* service:api, freshness, last_run */
    assert_int_equal(n, 3);
    problems_select(&u, list, n, 1);
    assert_string_equal(u.prob_sel_name, "freshness");
    checks[1].severity = RT_OK; /* the problem above it is fixed */
    n = problems_list(&u, list, 8);
    assert_true(problems_follow(&u, list, n));
    assert_int_equal(u.prob_sel, 0);
    assert_string_equal(list[u.prob_sel]->name, "freshness");
    checks[2].severity = RT_CRIT; /* a worse one sorts above it */
    n = problems_list(&u, list, 8);
    assert_true(problems_follow(&u, list, n));
    assert_int_equal(u.prob_sel, 1);
    assert_string_equal(list[u.prob_sel]->name, "freshness");
    checks[0].severity = RT_OK; /* the chosen one is fixed */
    n = problems_list(&u, list, 8);
    assert_false(problems_follow(&u, list, n));
    assert_int_equal(u.prob_sel, 0);
    assert_string_equal(u.prob_sel_name, "last_run");
    checks[2].severity = RT_OK; /* none left */
    n = problems_list(&u, list, 8);
    assert_false(problems_follow(&u, list, n));
    assert_string_equal(u.prob_sel_name, "");
}

/* Pidfiles as scripts/daemon.sh writes them: the pid, then the program and
 * each argument on a line of its own; the process must still run exactly
 * that command (its command line's last items). */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Our own command line as daemon.sh records it: one item a line. */
static void own_record(char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/cmdline", "rb");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_true(n > 0 && n < cap);
    for (size_t i = 0; i < n; i++) out[i] = buf[i] ? buf[i] : '\n';
    out[n] = '\0';
}

static void test_pidfile_state_running_stale_and_reused(void **state)
{
    (void)state;
    char path[] = "/tmp/ragtop-pidfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    rag_service svc = {.name = "w", .pidfile = path};
    rt_probe p = {0};
    char rec[4096], text[4200];
    own_record(rec, sizeof rec);
    snprintf(text, sizeof text, "%d\n%s", (int)getpid(), rec); /* our pid, our command */
    write_file(path, text);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_RUNNING);
    assert_int_equal(p.pid, getpid());
    /* a pid alone proves nothing: a reused pid, another stack's process */
    snprintf(text, sizeof text, "%d\n", (int)getpid());
    write_file(path, text);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "records no command to prove it is this service"));
    /* our program, but another command (another stack's --config) */
    snprintf(text, sizeof text, "%d\n%s--config\n/tmp/other-stack/params.yaml\n", (int)getpid(), rec);
    write_file(path, text);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "is not the process it was written for"));
    snprintf(text, sizeof text, "%d\nno-such-program-xyz\n", (int)getpid()); /* our pid, another program */
    write_file(path, text);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "is not the process it was written for"));
    snprintf(text, sizeof text, "%d\n/bin/sleep\n", (int)getpid()); /* the old format, another program */
    write_file(path, text);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "is not the process it was written for"));
    /* 0 (our own process group) and 1 (init) are never a service */
    write_file(path, "0\n");
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_string_equal(p.pid_note, "pidfile has no pid");
    write_file(path, "1\n");
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_string_equal(p.pid_note, "pidfile has no pid");
    write_file(path, "garbage\n");
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_string_equal(p.pid_note, "pidfile has no pid");
    unlink(path);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_string_equal(p.pid_note, "no pidfile");
    /* a FIFO in its place is refused at once, never waited on */
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    probe_pidfile(&svc, &p);
    alarm(0);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "not a regular file"));
    unlink(path);
    svc.pidfile = NULL;
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_NONE);
}

/* A child started with `--pidfile PATH` (as apictl.sh starts rag-api), killed
 * by the teardown whatever the outcome. */
static pid_t pidfile_child = -1;

static int kill_pidfile_child(void **state)
{
    (void)state;
    if (pidfile_child > 0) {
        kill(pidfile_child, SIGKILL);
        waitpid(pidfile_child, NULL, 0);
        pidfile_child = -1;
    }
    return 0;
}

/* Has the child exec'd (its command line names --pidfile)? Polled. */
static bool child_execd(pid_t pid)
{
    char cpath[64], buf[4096];
    snprintf(cpath, sizeof cpath, "/proc/%d/cmdline", (int)pid);
    for (int i = 0; i < 200; i++) { /* 20 s at most */
        FILE *f = fopen(cpath, "rb");
        size_t n = 0;
        if (f) { n = fread(buf, 1, sizeof buf, f); fclose(f); }
        for (size_t k = 0; k + 9 <= n; k++)
            if (memcmp(buf + k, "--pidfile", 9) == 0) return true;
        usleep(100 * 1000);
    }
    return false;
}

static void test_pidfile_names_the_service_by_its_pidfile_argument(void **state)
{
    (void)state;
    char path[] = "/tmp/ragtop-pidfile-XXXXXX", other[] = "/tmp/ragtop-pidfile-XXXXXX";
    int fd = mkstemp(path), fd2 = mkstemp(other);
    assert_true(fd >= 0 && fd2 >= 0);
    close(fd);
    close(fd2);
    /* relative to the child's folder, as a --pidfile argument may be */
    pidfile_child = fork();
    assert_true(pidfile_child >= 0);
    if (pidfile_child == 0) {
        if (chdir("/tmp") != 0) _exit(127);
        execl("/bin/sh", "/bin/sh", "-c", "sleep 60; :", "sh", "--pidfile", path + 5, (char *)NULL);
        _exit(127);
    }
    assert_true(child_execd(pidfile_child));
    rag_service svc = {.name = "api", .pidfile = path};
    rt_probe p = {0};
    char text[64];
    snprintf(text, sizeof text, "%d\n", (int)pidfile_child); /* as rag-api writes it: the pid alone */
    write_file(path, text);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_RUNNING);
    assert_int_equal(p.pid, pidfile_child);
    /* another stack's pidfile names that process: not its service */
    write_file(other, text);
    svc.pidfile = other;
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "records no command"));
    /* the format daemon.sh wrote before the upgrade (pid, program): honoured
     * when that pid runs that program (argv[0] and its executable), said so */
    char legacy[128];
    snprintf(legacy, sizeof legacy, "%d\n/bin/sh\n", (int)pidfile_child);
    write_file(other, legacy);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_RUNNING);
    assert_non_null(strstr(p.pid_note, "old-format pidfile"));
    snprintf(legacy, sizeof legacy, "%d\n/bin/sleep\n", (int)pidfile_child); /* the old format, another program */
    write_file(other, legacy);
    probe_pidfile(&svc, &p);
    assert_int_equal(p.pid_state, RT_PID_STOPPED);
    assert_non_null(strstr(p.pid_note, "is not the process it was written for"));
    unlink(path);
    unlink(other);
}

static void test_status_crit_outranks_unknown_outranks_warn(void **state)
{
    (void)state;
    rt_snapshot s;
    snapshot_init(&s); /* no services file, no config */
    rt_status st;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(st.overall, RT_UNKNOWN);
    assert_int_equal(status_find(&st, "services_file")->severity, RT_UNKNOWN);
    status_free(&st);
    snap_with_config(&s);
    s.services_rc = RAG_ENOENT; /* UNKNOWN */
    s.sources.rc = RAG_OK;
    s.sources.added = 2;         /* WARN */
    s.manifest.rc = RAG_ENOENT;  /* CRIT: no index */
    status_evaluate(&s, NOW, &st);
    assert_int_equal(st.overall, RT_CRIT);
    assert_non_null(strstr(st.headline, "CRIT"));
    status_free(&st);
    s.manifest.rc = RAG_OK;
    memset(&s.manifest.m, 0, sizeof s.manifest.m);
    snprintf(s.manifest.m.config_hash, sizeof s.manifest.m.config_hash, "%s", s.config.hash);
    s.manifest.m.checked_at_ms = NOW;
    status_evaluate(&s, NOW, &st);
    assert_int_equal(st.overall, RT_UNKNOWN);
    assert_int_equal(status_find(&st, "sources")->severity, RT_WARN);
    assert_non_null(strstr(status_find(&st, "sources")->summary, "2 transcripts not yet ingested"));
    status_free(&st);
    free_snap(&s);
}

static void registry(rag_services *out, const char *names[], size_t n)
{
    char yaml[1024];
    int l = snprintf(yaml, sizeof yaml, "version: 1\nservices:\n");
    for (size_t i = 0; i < n; i++)
        l += snprintf(yaml + l, sizeof yaml - (size_t)l,
                      "  %s: {kind: server, health: {url: \"http://127.0.0.1:1/%s\"}}\n", names[i], names[i]);
    rag_error err = {0};
    assert_int_equal(rag_services_load_buffer("services.yml", "/tmp", yaml, (size_t)l, out, NULL, &err), RAG_OK);
}

static rt_probe probed(const char *name, bool up, int64_t latency_ms, int64_t at_ms)
{
    rt_probe p = {.probed = true, .up = up, .latency_ms = latency_ms, .probed_at_ms = at_ms};
    snprintf(p.service, sizeof p.service, "%s", name);
    return p;
}

/* services.yml re-read in another order (or with a service added): every
 * service's last probe, sparkline and last change stay with it, not with
 * the row it had; probes a prober of the replaced registry publishes late
 * (rows in the old order or count) change nothing. */
static void test_model_probes_follow_their_service_by_name(void **state)
{
    (void)state;
    rt_model m;
    assert_int_equal(model_init(&m), RAG_OK);
    rag_services reg;
    registry(&reg, (const char *[]){"api", "dead"}, 2);
    model_publish_services(&m, &reg);
    rt_probe old_rows[2] = {probed("api", true, 5, 1000), probed("dead", false, 0, 1000)};
    model_publish_probes(&m, old_rows, 2);
    registry(&reg, (const char *[]){"dead", "api"}, 2);
    model_publish_services(&m, &reg);
    assert_int_equal(m.n_hist, 2);
    assert_string_equal(m.snap.probes[0].service, "dead");
    assert_false(m.snap.probes[0].up);
    assert_int_equal(m.hist[0].n, 1);
    assert_int_equal(m.hist[0].latency[0], -1);
    assert_string_equal(m.snap.probes[1].service, "api");
    assert_true(m.snap.probes[1].up);
    assert_int_equal(m.hist[1].n, 1);
    assert_int_equal(m.hist[1].latency[0], 5);
    /* an old prober publishes its rows (api first) after the re-read */
    old_rows[0].probed_at_ms = old_rows[1].probed_at_ms = 2000;
    model_publish_probes(&m, old_rows, 2);
    assert_string_equal(m.snap.probes[0].service, "dead");
    assert_false(m.snap.probes[0].up);
    assert_int_equal(m.hist[0].n, 1);
    assert_int_equal(m.hist[1].n, 1);
    /* the new rows' probes land on their rows */
    rt_probe new_rows[2] = {probed("dead", false, 0, 3000), probed("api", true, 7, 3000)};
    model_publish_probes(&m, new_rows, 2);
    assert_int_equal(m.hist[1].n, 2);
    assert_int_equal(m.hist[1].latency[1], 7);
    assert_int_equal(m.hist[0].n, 2);
    /* a service added before them: they keep their histories, it has none */
    registry(&reg, (const char *[]){"new", "dead", "api"}, 3);
    model_publish_services(&m, &reg);
    assert_int_equal(m.n_hist, 3);
    assert_int_equal(m.hist[0].n, 0);
    assert_false(m.snap.probes[0].probed);
    assert_int_equal(m.hist[2].n, 2);
    assert_int_equal(m.hist[2].latency[1], 7);
    /* ... and the old two-row probers cannot wipe them */
    model_publish_probes(&m, new_rows, 2);
    assert_int_equal(m.n_hist, 3);
    assert_int_equal(m.hist[2].n, 2);
    model_destroy(&m);
}

static void test_runs_parse_rag_ingest_metrics_line(void **state)
{
    (void)state;
    const char *line = "{\"schema_version\":1,\"run_id\":\"R1\",\"status\":\"failed\",\"started_at\":\"2026-11-28T14:05:23.341Z\","
                       "\"duration_ms\":44,\"transcripts_processed\":7,\"chunks\":40,\"tokens\":900,"
                       "\"errors\":{\"count\":2,\"first\":[\"a.vtt:3: bad cue\"]},\"failure\":\"too many errors\","
                       "\"generation\":null}";
    rt_run r;
    assert_true(collect_runs_parse_line(line, strlen(line), &r));
    assert_string_equal(r.run_id, "R1");
    assert_false(r.ok);
    assert_int_equal(r.duration_ms, 44);
    assert_int_equal(r.files, 7);
    assert_int_equal(r.chunks, 40);
    assert_int_equal(r.errors, 2);
    assert_string_equal(r.first_error, "too many errors");
    assert_string_equal(r.generation, "");
    assert_false(collect_runs_parse_line("not json", 8, &r));
    assert_false(collect_runs_parse_line("{\"status\":\"published\"}", 22, &r));
    /* numbers no int64_t holds (fuzz finding): clamped, and the duration
     * from two extreme times does not overflow */
    const char *huge = "{\"run_id\":\"R\",\"status\":\"ok\",\"chunks\":1e300,\"tokens\":-1e300,"
                       "\"started_at\":-9e18,\"finished_at\":9e18}";
    assert_true(collect_runs_parse_line(huge, strlen(huge), &r));
    assert_true(r.chunks == RAG_EXACT_INT);
    assert_int_equal(r.tokens, 0);
    assert_true(r.duration_ms == 2 * RAG_EXACT_INT);
    const char *secs = "{\"run_id\":\"R\",\"status\":\"ok\",\"duration_s\":1e300,\"quality_ndcg_at_10\":1e300,"
                       "\"quality_recall_at_k\":-3,\"quality_mrr\":0.25}";
    assert_true(collect_runs_parse_line(secs, strlen(secs), &r));
    assert_true(r.duration_ms == RAG_EXACT_INT);
    assert_true(r.has_quality);
    assert_true(r.quality_ndcg == 1.0 && r.quality_recall == 0.0 && r.quality_mrr == 0.25);
}

static void test_runs_reads_the_tail_and_skips_malformed_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/ragtop-runs-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 50; i++) {
        fprintf(f, "{\"run_id\":\"R%d\",\"status\":\"published\",\"chunks\":%d}\n", i, i);
        if (i % 10 == 0) fprintf(f, "garbage %d\n", i);
    }
    fprintf(f, "{\"run_id\":\"partial\",\"sta"); /* still being written */
    fclose(f);
    rt_run runs[RT_MAX_RUNS];
    char why[256];
    size_t n = collect_runs(path, runs, RT_MAX_RUNS, why, sizeof why);
    assert_string_equal(why, "");
    assert_int_equal(n, RT_MAX_RUNS);
    assert_string_equal(runs[n - 1].run_id, "R50");
    assert_string_equal(runs[0].run_id, "R19");
    assert_true(runs[n - 1].ok);
    /* a 300 KiB last line (longer than the first tail window) hides nothing */
    f = fopen(path, "a");
    fprintf(f, "\n{\"run_id\":\"long\",\"status\":\"failed\",\"error\":\"");
    for (int i = 0; i < 300 * 1024; i++) fputc('x', f);
    fprintf(f, "\"}\n");
    fclose(f);
    n = collect_runs(path, runs, RT_MAX_RUNS, why, sizeof why);
    assert_int_equal(n, RT_MAX_RUNS);
    assert_string_equal(runs[n - 1].run_id, "long");
    assert_false(runs[n - 1].ok);
    assert_string_equal(runs[n - 2].run_id, "R50");
    /* a \u0000 in a run's error is shown (as U+2400), not a cut */
    f = fopen(path, "a");
    fprintf(f, "{\"run_id\":\"nul\",\"status\":\"failed\",\"failure\":\"bad\\u0000rest\"}\n");
    fclose(f);
    n = collect_runs(path, runs, RT_MAX_RUNS, why, sizeof why);
    assert_string_equal(runs[n - 1].run_id, "nul");
    assert_non_null(strstr(runs[n - 1].first_error, "bad\xe2\x90\x80rest"));
    unlink(path);
    assert_int_equal(collect_runs("/nonexistent/metrics.jsonl", runs, RT_MAX_RUNS, why, sizeof why), 0);
    assert_string_equal(why, ""); /* absent: no runs yet, nothing wrong */
    /* a run history that is there but cannot be read says why (it is not "no runs") */
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(collect_runs(path, runs, RT_MAX_RUNS, why, sizeof why), 0);
    assert_non_null(strstr(why, "not a regular file"));
    assert_non_null(strstr(why, path));
    unlink(path);
}

static void test_healthz_parse_reads_rag_api_shape(void **state)
{
    (void)state;
    const char *body = "{\"status\":\"warn\",\"service\":\"rag-api\",\"version\":\"0.1.0\",\"uptime_s\":42,"
                       "\"index\":{\"run_id\":\"R\",\"generation\":\"gen-x.sqlite\",\"generated_at\":\"2026-11-28T14:00:00.000Z\","
                       "\"checked_at\":\"2026-11-28T14:01:00.000Z\",\"config_hash\":\"abc\",\"chunk_count\":12},"
                       "\"checks\":{\"index_age\":{\"status\":\"warn\"},\"recent_errors\":{\"status\":\"pass\",\"observed_value\":3}}}";
    rt_probe p;
    memset(&p, 0, sizeof p);
    probe_parse_healthz(body, strlen(body), &p);
    assert_string_equal(p.status, "warn");
    assert_int_equal(p.uptime_s, 42);
    assert_string_equal(p.generation, "gen-x.sqlite");
    assert_string_equal(p.config_hash, "abc");
    assert_int_equal(p.chunk_count, 12);
    assert_int_equal(p.recent_errors, 3);
    assert_string_equal(p.failing, "index_age=warn");
    memset(&p, 0, sizeof p);
    probe_parse_healthz("<html>", 6, &p);
    assert_string_equal(p.status, "");
    assert_int_equal(p.uptime_s, -1);
    /* a probed service's numbers are any double (fuzz finding): clamped */
    const char *huge = "{\"status\":\"ok\",\"uptime_s\":1e300,\"index\":{\"chunk_count\":-1e300}}";
    memset(&p, 0, sizeof p);
    probe_parse_healthz(huge, strlen(huge), &p);
    assert_true(p.uptime_s == RAG_EXACT_INT);
    assert_true(p.chunk_count == -RAG_EXACT_INT);
    /* a \u0000 in a failing check's name is shown (as U+2400), not a cut */
    const char *nul = "{\"status\":\"warn\",\"checks\":{\"disk\\u0000hidden\":{\"status\":\"warn\"}}}";
    memset(&p, 0, sizeof p);
    probe_parse_healthz(nul, strlen(nul), &p);
    assert_string_equal(p.failing, "disk\xe2\x90\x80hidden=warn");
}

static void test_theme_parse_reports_file_line_and_problem(void **state)
{
    (void)state;
    theme t;
    rag_error err = {0};
    theme_builtin(&t);
    assert_int_equal(theme_parse("x.theme", "# c\nok = 114|green default bold\nfail = red\n", &t, &err), RAG_OK);
    assert_int_equal(t.roles[ROLE_OK].fg.c256, 114);
    assert_int_equal(t.roles[ROLE_OK].fg.c8, 2);
    assert_int_equal(t.roles[ROLE_OK].bg.c256, -1);
    assert_true(t.roles[ROLE_OK].attrs & THEME_A_BOLD);
    assert_int_equal(t.roles[ROLE_FAIL].fg.c256, 1);
    assert_int_equal(theme_parse("x.theme", "\n\nokk = red\n", &t, &err), RAG_ECORRUPT);
    assert_string_equal(err.msg, "x.theme:3: unknown role 'okk'");
    assert_int_equal(theme_parse("y.theme", "warn = 300\n", &t, &err), RAG_ECORRUPT);
    assert_string_equal(err.msg, "y.theme:1: warn: unknown colour or attribute '300'");
}

static void test_shipped_themes_load(void **state)
{
    (void)state;
    const char *names[] = {"default-dark", "light", "high-contrast", "monochrome"};
    setenv("RAGTOP_THEMES_DIR", "themes", 1);
    for (size_t i = 0; i < 4; i++) {
        theme t;
        rag_error err = {0};
        assert_int_equal(theme_load(names[i], &t, &err), RAG_OK);
        assert_non_null(strstr(t.path, names[i]));
    }
    theme t;
    rag_error err = {0};
    assert_int_equal(theme_load("no-such-theme", &t, &err), RAG_ENOENT);
    assert_non_null(strstr(err.msg, "theme 'no-such-theme' not found"));
}

/* + halves and - doubles the refresh interval within 250ms .. 1m; an
 * --interval already outside that range (100ms .. 1h are allowed) is left
 * as it is: a key never moves the interval against its direction. */
static void test_refresh_keys_never_move_against_their_direction(void **state)
{
    (void)state;
    assert_int_equal(keys_refresh_step(2000, true), 1000);
    assert_int_equal(keys_refresh_step(2000, false), 4000);
    assert_int_equal(keys_refresh_step(400, true), 250);
    assert_int_equal(keys_refresh_step(250, true), 250);
    assert_int_equal(keys_refresh_step(100, true), 100);
    assert_int_equal(keys_refresh_step(100, false), 200);
    assert_int_equal(keys_refresh_step(40000, false), 60000);
    assert_int_equal(keys_refresh_step(60000, false), 60000);
    assert_int_equal(keys_refresh_step(3600000, false), 3600000);
    assert_int_equal(keys_refresh_step(3600000, true), 1800000);
    for (int64_t iv = 100; iv <= 3600000; iv = iv * 3 / 2) {
        assert_true(keys_refresh_step(iv, true) <= iv);
        assert_true(keys_refresh_step(iv, false) >= iv);
    }
}

static void test_key_table_drives_bar_help_and_man(void **state)
{
    (void)state;
    size_t n;
    const key_def *t = keys_table(&n);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].help);
        if (t[i].cmd == CMD_NONE) continue; /* a note row: the prompts' editing keys */
        assert_ptr_equal(keys_lookup(t[i].codes[0]), &t[i]);
    }
    assert_int_equal(keys_lookup('q')->cmd, CMD_QUIT);
    assert_true(keys_lookup('s')->destructive);
    assert_true(keys_lookup('r')->destructive);
    assert_false(keys_lookup('i')->destructive);
    assert_true(keys_lookup('i')->action);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    keys_write_man(f);
    fclose(f);
    assert_non_null(strstr(buf, ".SH KEYS"));
    assert_non_null(strstr(buf, ".B Ctrl\\-L"));
    free(buf);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_escapes_control_and_escape_sequences),
        cmocka_unit_test(test_escape_escapes_c1_bidi_and_invalid_utf8_keeps_text),
        cmocka_unit_test(test_escape_truncates_on_a_character_boundary),
        cmocka_unit_test(test_escape_needed_decides_what_is_copied_as_is),
        cmocka_unit_test(test_logline_formats_json_and_keeps_raw_lines_inert),
        cmocka_unit_test(test_status_healthy_snapshot_is_ok),
        cmocka_unit_test(test_status_explains_config_change_key_by_key),
        cmocka_unit_test(test_status_freshness_thresholds),
        cmocka_unit_test(test_status_service_down_is_crit_unless_optional),
        cmocka_unit_test(test_status_crit_outranks_unknown_outranks_warn),
        cmocka_unit_test(test_status_pending_probe_ranks_below_known_problems),
        cmocka_unit_test(test_problem_selection_follows_the_problem_by_name),
        cmocka_unit_test(test_pidfile_state_running_stale_and_reused),
        cmocka_unit_test_teardown(test_pidfile_names_the_service_by_its_pidfile_argument, kill_pidfile_child),
        cmocka_unit_test(test_model_probes_follow_their_service_by_name),
        cmocka_unit_test(test_runs_parse_rag_ingest_metrics_line),
        cmocka_unit_test(test_runs_reads_the_tail_and_skips_malformed_lines),
        cmocka_unit_test(test_healthz_parse_reads_rag_api_shape),
        cmocka_unit_test(test_theme_parse_reports_file_line_and_problem),
        cmocka_unit_test(test_shipped_themes_load),
        cmocka_unit_test(test_key_table_drives_bar_help_and_man),
        cmocka_unit_test(test_refresh_keys_never_move_against_their_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
