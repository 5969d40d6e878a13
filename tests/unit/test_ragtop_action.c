/* test_ragtop_action.c — the console's action runner (src/ragtop/action.c)
 * with real child processes: which actions may run at the same time (one
 * per service, one ingest or rollback at all, different services at once). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
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
    f->a = actions_new(&f->m, f->log, f->dir);
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
    assert_non_null(strstr(why, "rag_api restart is still running"));
    assert_non_null(strstr(why, "rag_api stop not started"));
    /* a start of the same service too (another kind, same service) */
    rag_action start = {.name = "start", .argv = touch_argv, .argc = 2};
    assert_int_equal(actions_start(f->a, ACT_KIND_START, &api, &start, why, sizeof why), -1);
    assert_non_null(strstr(why, "rag_api restart is still running"));

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
    f->a = actions_new(&f->m, f->log, f->dir);
    rag_service ingest = {.name = "rag_ingest"}, other = {.name = "other_job"};
    rag_action run = hold("run");
    char why[256] = "";
    assert_int_equal(actions_start(f->a, ACT_KIND_INGEST, &ingest, &run, why, sizeof why), 0);
    rag_action rollback = hold("rollback");
    assert_int_equal(actions_start(f->a, ACT_KIND_INGEST, &other, &rollback, why, sizeof why), -1);
    assert_non_null(strstr(why, "rag_ingest run is still running: one ingest or rollback at a time"));
}

static void test_a_finished_action_frees_its_service(void **state)
{
    fx *f = *state;
    f->a = actions_new(&f->m, f->log, f->dir);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_action_per_service_others_run_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_ingest_or_rollback_at_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_finished_action_frees_its_service, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
