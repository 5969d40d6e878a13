/* test_ragtop_action.c — the console's action runner (src/ragtop/action.c)
 * with real child processes: which actions may run at the same time (one
 * per service, one ingest or rollback at all, different services at once)
 * and the environment they get (the stack the console shows). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/ragtop/action.h"
#include "rag/timeutil.h"

typedef struct fx {
    char dir[64];
    char log[PATH_MAX];
    rt_model m;
    actions *a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", "/tmp/ragtop-action-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->log, sizeof f->log, "%s/logs/actions.log", f->dir);
    if (model_init(&f->m) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    actions_free(f->a); /* stops what still runs (SIGTERM to its group) */
    model_destroy(&f->m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir); /* our own mkdtemp folder */
    int rc = system(cmd);
    (void)rc;
    free(f);
    return 0;
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Poll (deadline 20 s: a loaded machine) until path exists. */
static bool wait_file(const char *path)
{
    int64_t until = rag_mono_ms() + 20000;
    while (rag_mono_ms() < until) {
        if (exists(path)) return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static bool wait_idle(actions *a)
{
    int64_t until = rag_mono_ms() + 20000;
    while (rag_mono_ms() < until) {
        if (!actions_running(a, NULL, 0)) return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* An action that runs until the test ends (actions_free stops it). */
static char *hold_argv[] = {"sleep", "60", NULL};
static rag_action hold(const char *name) { return (rag_action){.name = (char *)name, .argv = hold_argv, .argc = 2}; }

static void test_one_action_per_service_others_run_at_once(void **state)
{
    fx *f = *state;
    f->a = actions_new(&f->m, f->log, f->dir, NULL, NULL);
    rag_service api = {.name = "rag_api"}, watch = {.name = "rag_watch"};
    rag_action restart = hold("restart");
    char why[256] = "";
    assert_int_equal(actions_start(f->a, ACT_KIND_RESTART, &api, &restart, why, sizeof why), 0);

    /* the stop during the restart: refused, naming the restart */
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/stopped", f->dir);
    char *touch_argv[] = {"touch", marker, NULL};
    rag_action stop = {.name = "stop", .argv = touch_argv, .argc = 2};
    assert_int_equal(actions_start(f->a, ACT_KIND_STOP, &api, &stop, why, sizeof why), -1);
    assert_string_equal(why, "rag_api stop not started: rag_api restart is still running (one action per service at a time)");
    /* a start of the same service too (another kind, same service) */
    rag_action start = {.name = "start", .argv = touch_argv, .argc = 2};
    assert_int_equal(actions_start(f->a, ACT_KIND_START, &api, &start, why, sizeof why), -1);
    assert_string_equal(why, "rag_api start not started: rag_api restart is still running (one action per service at a time)");

    /* another service's start of the same kind runs now, next to it */
    char started[PATH_MAX];
    snprintf(started, sizeof started, "%s/watch-started", f->dir);
    char *touch2[] = {"touch", started, NULL};
    rag_action wstart = {.name = "start", .argv = touch2, .argc = 2};
    rag_action astart = hold("start");
    assert_int_equal(actions_start(f->a, ACT_KIND_START, &watch, &wstart, why, sizeof why), 0);
    assert_true(wait_file(started));
    /* ... and a third service's start while the other two kinds run */
    rag_service cron = {.name = "rag_ingest_cron"};
    assert_int_equal(actions_start(f->a, ACT_KIND_START, &cron, &astart, why, sizeof why), 0);
    char label[96];
    assert_true(actions_running(f->a, label, sizeof label));
    assert_false(exists(marker)); /* the refused stop never ran */
}

static void test_one_ingest_or_rollback_at_all(void **state)
{
    fx *f = *state;
    f->a = actions_new(&f->m, f->log, f->dir, NULL, NULL);
    rag_service ingest = {.name = "rag_ingest"}, other = {.name = "other_job"};
    rag_action run = hold("run");
    char why[256] = "";
    assert_int_equal(actions_start(f->a, ACT_KIND_INGEST, &ingest, &run, why, sizeof why), 0);
    rag_action rollback = hold("rollback");
    assert_int_equal(actions_start(f->a, ACT_KIND_INGEST, &other, &rollback, why, sizeof why), -1);
    assert_string_equal(why, "other_job rollback not started: rag_ingest run is still running (one ingest or rollback at a time)");
}

static void test_a_finished_action_frees_its_service(void **state)
{
    fx *f = *state;
    f->a = actions_new(&f->m, f->log, f->dir, NULL, NULL);
    rag_service api = {.name = "rag_api"};
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/second", f->dir);
    char *true_argv[] = {"true", NULL}, *touch_argv[] = {"touch", marker, NULL};
    rag_action first = {.name = "restart", .argv = true_argv, .argc = 1};
    rag_action second = {.name = "stop", .argv = touch_argv, .argc = 2};
    char why[256] = "";
    assert_int_equal(actions_start(f->a, ACT_KIND_RESTART, &api, &first, why, sizeof why), 0);
    assert_true(wait_idle(f->a));
    assert_int_equal(actions_start(f->a, ACT_KIND_STOP, &api, &second, why, sizeof why), 0);
    assert_true(wait_file(marker));
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return strdup("");
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The children act on the stack the console shows: its config and services
 * files, named relative to ragtop's folder, reach them as absolute paths
 * (they run in services.yml's folder) in RAG_CONFIG/CONFIG and
 * RAG_SERVICES/SERVICES; a make that started ragtop (MAKEFLAGS "-- CONFIG=")
 * does not override them in the action's make. */
static void test_children_get_the_stack_shown(void **state)
{
    fx *f = *state;
    char path[PATH_MAX], run[PATH_MAX], home[PATH_MAX];
    assert_non_null(getcwd(home, sizeof home));
    snprintf(run, sizeof run, "%s/stack", f->dir);
    assert_int_equal(mkdir(run, 0755), 0);
    snprintf(path, sizeof path, "%s/other", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/other/params_c.yaml", f->dir);
    write_file(path, "schema_version: 1\n");
    snprintf(path, sizeof path, "%s/stack/show.mk", f->dir);
    write_file(path, "CONFIG ?= config/params.yaml\nSERVICES ?= services.yml\n"
                     "show:\n\t@echo \"make CONFIG=$(CONFIG) SERVICES=$(SERVICES)\"\n");
    setenv("MAKEFLAGS", " -- CONFIG=config/params.yaml", 1);
    setenv("MAKELEVEL", "1", 1);
    setenv("RAG_CONFIG", "/nowhere/params.yaml", 1);
    assert_int_equal(chdir(f->dir), 0); /* ragtop's folder: the paths are relative to it */
    f->a = actions_new(&f->m, f->log, run, "other/params_c.yaml", "other/svc_c.yml");
    assert_int_equal(chdir(home), 0);
    unsetenv("MAKEFLAGS");
    unsetenv("MAKELEVEL");
    unsetenv("RAG_CONFIG");

    rag_service svc = {.name = "rag_api"};
    char *env_argv[] = {"env", NULL};
    rag_action envact = {.name = "restart", .argv = env_argv, .argc = 1};
    char why[256] = "";
    assert_int_equal(actions_start(f->a, ACT_KIND_RESTART, &svc, &envact, why, sizeof why), 0);
    assert_true(wait_idle(f->a));
    snprintf(path, sizeof path, "%s/logs/action-rag_api-restart.out", f->dir);
    char *out = slurp(path), want[PATH_MAX + 64];
    snprintf(want, sizeof want, "\nRAG_CONFIG=%s/other/params_c.yaml\n", f->dir);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "\nCONFIG=%s/other/params_c.yaml\n", f->dir);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "\nRAG_SERVICES=%s/other/svc_c.yml\n", f->dir);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "\nSERVICES=%s/other/svc_c.yml\n", f->dir);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "MAKEFLAGS="));
    assert_null(strstr(out, "MAKELEVEL="));
    assert_null(strstr(out, "/nowhere/"));
    free(out);

    char *make_argv[] = {"make", "--no-print-directory", "-f", "show.mk", "show", NULL};
    rag_action makeact = {.name = "stop", .argv = make_argv, .argc = 5};
    assert_int_equal(actions_start(f->a, ACT_KIND_STOP, &svc, &makeact, why, sizeof why), 0);
    assert_true(wait_idle(f->a));
    snprintf(path, sizeof path, "%s/logs/action-rag_api-stop.out", f->dir);
    out = slurp(path);
    snprintf(want, sizeof want, "make CONFIG=%s/other/params_c.yaml SERVICES=%s/other/svc_c.yml\n", f->dir, f->dir);
    assert_string_equal(out, want);
    free(out);
}

/* The console ignores SIGPIPE and SIGXFSZ (rag_signals_catch); an ignored
 * signal survives exec, so an action's child must get them back at their
 * defaults — else a make recipe past a file-size limit, or a pipeline whose
 * reader quit, would behave otherwise than from a shell. */
static void test_children_get_default_signal_dispositions(void **state)
{
    fx *f = *state;
    char run[PATH_MAX], path[PATH_MAX];
    snprintf(run, sizeof run, "%s/stack", f->dir);
    assert_int_equal(mkdir(run, 0755), 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    f->a = actions_new(&f->m, f->log, run, NULL, NULL);
    rag_service svc = {.name = "rag_api"};
    char *argv[] = {"grep", "^SigIgn:", "/proc/self/status", NULL};
    rag_action act = {.name = "restart", .argv = argv, .argc = 3};
    char why[256] = "";
    assert_int_equal(actions_start(f->a, ACT_KIND_RESTART, &svc, &act, why, sizeof why), 0);
    assert_true(wait_idle(f->a));
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    snprintf(path, sizeof path, "%s/logs/action-rag_api-restart.out", f->dir);
    char *out = slurp(path);
    unsigned long long ign = 0;
    assert_int_equal(sscanf(out, "SigIgn: %llx", &ign), 1);
    assert_int_equal(ign >> (SIGPIPE - 1) & 1, 0);
    assert_int_equal(ign >> (SIGXFSZ - 1) & 1, 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_action_per_service_others_run_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_ingest_or_rollback_at_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_finished_action_frees_its_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_get_the_stack_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_get_default_signal_dispositions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
