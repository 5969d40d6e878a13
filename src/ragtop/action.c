/* action.c — one worker thread per running action. The child gets its own
 * process group (so the terminal's signals don't reach it and a timeout can
 * kill everything it started), stdin from /dev/null and stdout/stderr on
 * the action log; the thread polls waitpid, enforces the timeout, and
 * publishes the result ("ingest: exit 0 in 4.2s"). */
#include "action.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/timeutil.h"

extern char **environ;

typedef struct job {
    struct actions *owner;
    action_kind kind;
    char label[96];
    char **argv;
    int64_t timeout_ms;
    pid_t pid;
    pthread_t tid;
    bool started, joined;
} job;

struct actions {
    rt_model *m;
    char *log_path;
    char *cwd;
    pthread_mutex_t lock;
    job jobs[ACT_KIND_COUNT];
    int stopping; /* atomic: ragtop is quitting */
};

actions *actions_new(rt_model *m, const char *log_path, const char *cwd)
{
    actions *a = rag_xcalloc(1, sizeof *a);
    a->m = m;
    a->log_path = rag_xstrdup(log_path);
    a->cwd = rag_xstrdup(cwd ? cwd : ".");
    pthread_mutex_init(&a->lock, NULL);
    char *dir = rag_dirname(log_path);
    rag_error err;
    rag_mkdir_p(dir, 0755, &err);
    free(dir);
    return a;
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}

static void kill_group(pid_t pid, int64_t grace_ms)
{
    kill(-pid, SIGTERM);
    int64_t until = rag_mono_ms() + grace_ms;
    while (rag_mono_ms() < until) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int spawn_child(actions *a, job *j, char *why, size_t why_len);

static void publish_result(actions *a, job *j, int code, const char *result)
{
    model_lock(a->m);
    a->m->action_busy[j->kind] = false;
    if (strcmp(a->m->action.label, j->label) == 0 || a->m->action.phase != RT_ACT_RUNNING) {
        a->m->action.phase = RT_ACT_DONE;
        a->m->action.finished_ms = rag_now_ms();
        a->m->action.exit_status = code;
        rt_fmt(a->m->action.result, sizeof a->m->action.result, "%s", result);
    }
    rt_fmt(a->m->notice, sizeof a->m->notice, "%s", result);
    a->m->version++;
    model_unlock(a->m);
    model_wake(a->m);
}

static void *job_thread(void *arg)
{
    job *j = arg;
    actions *a = j->owner;
    char why[256];
    if (spawn_child(a, j, why, sizeof why) != 0) {
        publish_result(a, j, -1, why);
        return NULL;
    }
    int64_t t0 = rag_mono_ms();
    int status = 0;
    bool timed_out = false, stopped = false, reaped = false;
    while (!reaped) {
        pid_t r = waitpid(j->pid, &status, WNOHANG);
        if (r == j->pid) { reaped = true; break; }
        if (r < 0 && errno != EINTR) break;
        if (__atomic_load_n(&a->stopping, __ATOMIC_SEQ_CST)) { stopped = true; break; }
        if (j->timeout_ms > 0 && rag_mono_ms() - t0 > j->timeout_ms) { timed_out = true; break; }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!reaped) kill_group(j->pid, 2000);
    int64_t took = rag_mono_ms() - t0;
    char d[32];
    rag_duration_format(took, d, sizeof d);
    char result[256];
    int code = -1;
    if (timed_out) rt_fmt(result, sizeof result, "%s: timed out after %s, stopped", j->label, d);
    else if (stopped) rt_fmt(result, sizeof result, "%s: stopped (ragtop quit)", j->label);
    else if (WIFEXITED(status)) {
        code = WEXITSTATUS(status);
        rt_fmt(result, sizeof result, "%s: %s (exit %d) in %s", j->label, code == 0 ? "done" : "FAILED", code, d);
    } else if (WIFSIGNALED(status)) {
        rt_fmt(result, sizeof result, "%s: killed by signal %d after %s", j->label, WTERMSIG(status), d);
    } else rt_fmt(result, sizeof result, "%s: ended after %s", j->label, d);

    /* a line in the action log too */
    int fd = open(a->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        char line[320];
        int n = snprintf(line, sizeof line, "== %s\n", result);
        ssize_t w = write(fd, line, (size_t)(n > 0 ? n : 0));
        (void)w;
        close(fd);
    }

    publish_result(a, j, code, result);
    return NULL;
}

/* Open the action log, write the header line and spawn the child in its
 * own process group. Runs on the worker thread (disk work stays off the UI
 * thread). Returns 0, or -1 with why filled. */
static int spawn_child(actions *a, job *j, char *why, size_t why_len)
{
    int fd = open(a->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rt_fmt(why, why_len, "%s: cannot open action log %s: %s", j->label, a->log_path, strerror(errno));
        return -1;
    }
    char ts[RAG_TIME_BUFSZ];
    rag_time_format(rag_now_ms(), ts);
    dprintf(fd, "== %s %s:", ts, j->label);
    for (size_t i = 0; j->argv[i]; i++) dprintf(fd, " %s", j->argv[i]);
    dprintf(fd, "\n");

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    posix_spawn_file_actions_addchdir_np(&fa, a->cwd);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, defs;
    sigemptyset(&none);
    sigemptyset(&defs);
    sigaddset(&defs, SIGINT);
    sigaddset(&defs, SIGTERM);
    sigaddset(&defs, SIGHUP);
    sigaddset(&defs, SIGPIPE);
    sigaddset(&defs, SIGTSTP);
    sigaddset(&defs, SIGWINCH);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defs);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&j->pid, j->argv[0], &fa, &at, j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        dprintf(fd, "== %s: cannot start %s: %s\n", j->label, j->argv[0], strerror(rc));
        rt_fmt(why, why_len, "%s: cannot start %s: %s", j->label, j->argv[0], strerror(rc));
    }
    close(fd);
    return rc == 0 ? 0 : -1;
}

int actions_start(actions *a, action_kind kind, const rag_service *svc, const rag_action *act, char *why, size_t why_len)
{
    pthread_mutex_lock(&a->lock);
    job *j = &a->jobs[kind];
    model_lock(a->m);
    bool busy = a->m->action_busy[kind];
    model_unlock(a->m);
    if (busy) {
        rt_fmt(why, why_len, "%s is already running", j->label);
        pthread_mutex_unlock(&a->lock);
        return -1;
    }
    if (j->started && !j->joined) { /* finished: collect its thread */
        pthread_join(j->tid, NULL);
        j->joined = true;
    }
    free_argv(j->argv);
    memset(j, 0, sizeof *j);
    j->owner = a;
    j->kind = kind;
    rt_fmt(j->label, sizeof j->label, "%s %s", svc->name, act->name);
    j->timeout_ms = act->timeout_ms;
    j->argv = rag_xcalloc(act->argc + 1, sizeof *j->argv);
    for (size_t i = 0; i < act->argc; i++) j->argv[i] = rag_xstrdup(act->argv[i]);

    model_lock(a->m);
    a->m->action_busy[kind] = true;
    rt_action_state *st = &a->m->action;
    memset(st, 0, sizeof *st);
    st->phase = RT_ACT_RUNNING;
    rt_fmt(st->label, sizeof st->label, "%s", j->label);
    st->started_ms = rag_now_ms();
    st->progress_at_ms = rag_mono_ms();
    a->m->version++;
    model_unlock(a->m);
    model_wake(a->m);

    /* the worker must not receive the terminal's signals */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    j->started = pthread_create(&j->tid, NULL, job_thread, j) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!j->started) {
        rt_fmt(why, why_len, "%s: cannot start a worker thread", j->label);
        model_lock(a->m);
        a->m->action_busy[kind] = false;
        a->m->action.phase = RT_ACT_IDLE;
        model_unlock(a->m);
    }
    pthread_mutex_unlock(&a->lock);
    return j->started ? 0 : -1;
}

void actions_free(actions *a)
{
    if (!a) return;
    __atomic_store_n(&a->stopping, 1, __ATOMIC_SEQ_CST);
    for (int k = 0; k < ACT_KIND_COUNT; k++) {
        job *j = &a->jobs[k];
        if (j->started && !j->joined) pthread_join(j->tid, NULL);
        free_argv(j->argv);
    }
    pthread_mutex_destroy(&a->lock);
    free(a->log_path);
    free(a->cwd);
    free(a);
}
