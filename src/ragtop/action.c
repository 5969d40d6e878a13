/* action.c — one worker thread per running action: at most one per service
 * (and one ingest or rollback at all), actions on different services at
 * once. The child gets its own
 * process group (so the terminal's signals don't reach it and a timeout can
 * kill everything it started), stdin from /dev/null and stdout/stderr on
 * its own output file (action-<service>-<action>.out next to the action
 * log; a file, not a pipe, so an action left running when ragtop quits
 * keeps a place to write). The thread polls waitpid, enforces the timeout,
 * follows the output (its last line goes to the status line) and publishes
 * the result: the real exit status — make's "*** [...] Error 78" line
 * names the status of the program make ran, which make's own exit 2 hides —
 * and the last line the program printed. The output is then appended to
 * the action log. The children's environment is ragtop's with the stack's
 * files named (RAG_CONFIG/CONFIG, RAG_SERVICES/SERVICES: absolute) and
 * make's MAKEFLAGS & co. left out (actions_new). */
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
    bool running;      /* under the model lock: set by actions_start, cleared by publish_result */
    char service[RAG_SERVICE_NAME_MAX + 1];
    char label[96];
    char **argv;
    int64_t timeout_ms;
    pid_t pid;
    pthread_t tid;
    bool started, joined;
    char out_path[PATH_MAX];
    /* output follower */
    char partial[512]; size_t partial_len;
    action_output said;
} job;

struct actions {
    rt_model *m;
    char *log_path;
    char *cwd;
    char **envp;    /* the children's environment (actions_new) */
    pthread_mutex_t lock;
    job jobs[ACTIONS_MAX];  /* a slot per running (or finished, unjoined) action */
    int stopping; /* atomic: ragtop is quitting: stop the actions */
    int detach;   /* atomic: ragtop is quitting: leave the actions running */
};

/* path made absolute against the current folder (realpath when it exists:
 * actions run in services.yml's folder, not ragtop's). */
static char *absolute(const char *path)
{
    char buf[PATH_MAX];
    if (realpath(path, buf)) return rag_xstrdup(buf);
    if (path[0] == '/') return rag_xstrdup(path);
    if (!getcwd(buf, sizeof buf)) return rag_xstrdup(path);
    return rag_xasprintf("%s/%s", buf, path);
}

/* Names the console sets for its children (or removes): the stack's files,
 * and make's own variables — an action's make is not a sub-make of the
 * make that may have started ragtop, whose command-line variables
 * (MAKEFLAGS "-- CONFIG=...") would override ours. */
static bool replaced_name(const char *kv)
{
    static const char *const names[] = {"RAG_CONFIG", "RAG_SERVICES", "CONFIG", "SERVICES",
                                        "MAKEFLAGS",  "MFLAGS",       "MAKELEVEL", "MAKEOVERRIDES"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t l = strlen(names[i]);
        if (strncmp(kv, names[i], l) == 0 && kv[l] == '=') return true;
    }
    return false;
}

actions *actions_new(rt_model *m, const char *log_path, const char *cwd, const char *config_path,
                     const char *services_path)
{
    actions *a = rag_xcalloc(1, sizeof *a);
    a->m = m;
    a->log_path = rag_xstrdup(log_path);
    a->cwd = rag_xstrdup(cwd ? cwd : ".");
    size_t n = 0, k = 0;
    while (environ && environ[n]) n++;
    a->envp = rag_xcalloc(n + 5, sizeof *a->envp);
    for (size_t i = 0; i < n; i++)
        if (!replaced_name(environ[i])) a->envp[k++] = rag_xstrdup(environ[i]);
    if (config_path && *config_path) {
        char *abs = absolute(config_path);
        a->envp[k++] = rag_xasprintf("RAG_CONFIG=%s", abs);
        a->envp[k++] = rag_xasprintf("CONFIG=%s", abs);
        free(abs);
    }
    if (services_path && *services_path) {
        char *abs = absolute(services_path);
        a->envp[k++] = rag_xasprintf("RAG_SERVICES=%s", abs);
        a->envp[k++] = rag_xasprintf("SERVICES=%s", abs);
        free(abs);
    }
    pthread_mutex_init(&a->lock, NULL);
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
    j->running = false;
    rt_action_state *st = &a->m->action;
    bool shown = strcmp(st->label, j->label) == 0;
    if (shown || st->phase != RT_ACT_RUNNING) {
        if (!shown) { /* it ran alongside the one shown, which ended first: show this one whole */
            size_t argc = 0;
            while (j->argv[argc]) argc++;
            rag_action act = {.argv = j->argv, .argc = argc};
            rt_fmt(st->label, sizeof st->label, "%s", j->label);
            action_argv_text(&act, st->argv, sizeof st->argv);
            rt_fmt(st->output_path, sizeof st->output_path, "%s", j->out_path);
            st->done = st->total = 0;
        }
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

/* "path:12:3: what" (the project's problem format) or a word of failure. */
static bool looks_like_error(const char *line)
{
    const char *c = strchr(line, ':');
    if (c && c > line && c[1] >= '0' && c[1] <= '9') {
        const char *q = c + 1;
        while (*q >= '0' && *q <= '9') q++;
        if (*q == ':') return true;
    }
    return strcasestr(line, "error") || strcasestr(line, "failed") || strcasestr(line, "cannot") ||
           strcasestr(line, "fatal");
}

void action_output_init(action_output *o)
{
    memset(o, 0, sizeof *o);
    o->make_status = -1;
}

void action_output_line(action_output *o, char *line)
{
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = '\0';
    if (!l) return;
    const char *stars = strstr(line, "*** [");
    if (!strncmp(line, "make", 4) && stars) {
        const char *close = strstr(stars, "] Error ");
        if (close && o->make_status < 0) {
            long n = strtol(close + 8, NULL, 10);
            o->make_status = n > 0 && n < 256 ? (int)n : 1;
            const char *t = stars + 5, *colon = NULL;
            for (const char *q = t; q < close; q++)
                if (*q == ':' && q[1] == ' ') colon = q;
            if (colon) t = colon + 2;
            rt_fmt(o->make_target, sizeof o->make_target, "%.*s", (int)(close - t), t);
        }
        return;
    }
    if (!strncmp(line, "make", 4) && strstr(line, ": Leaving directory")) return;
    if (!strncmp(line, "make", 4) && strstr(line, ": Entering directory")) return;
    rt_fmt(o->last_line, sizeof o->last_line, "%s", line);
    if (looks_like_error(line)) rt_fmt(o->err_line, sizeof o->err_line, "%s", line);
}

/* Read what the child wrote since the last call; true when a new last line. */
static bool follow_output(job *j, int fd)
{
    char buf[4096];
    bool changed = false;
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                j->partial[j->partial_len] = '\0';
                char before[256];
                rt_fmt(before, sizeof before, "%s", j->said.last_line);
                action_output_line(&j->said, j->partial);
                changed = changed || strcmp(before, j->said.last_line) != 0;
                j->partial_len = 0;
            } else if (j->partial_len + 1 < sizeof j->partial) {
                j->partial[j->partial_len++] = buf[i];
            }
        }
    }
    return changed;
}

static void publish_last_line(actions *a, job *j)
{
    model_lock(a->m);
    if (strcmp(a->m->action.label, j->label) == 0) {
        rt_fmt(a->m->action.last_line, sizeof a->m->action.last_line, "%s", j->said.last_line);
        a->m->version++;
    }
    model_unlock(a->m);
    model_wake(a->m);
}

/* Append the action's output to the action log (then the result line). */
static void append_to_log(actions *a, job *j, const char *result)
{
    int fd = open(a->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    int in = open(j->out_path, O_RDONLY | O_CLOEXEC);
    char buf[8192];
    ssize_t n;
    while (in >= 0 && (n = read(in, buf, sizeof buf)) > 0) {
        ssize_t w = write(fd, buf, (size_t)n);
        (void)w;
    }
    if (in >= 0) close(in);
    dprintf(fd, "== %s\n", result);
    close(fd);
}

static void *job_thread(void *arg)
{
    job *j = arg;
    actions *a = j->owner;
    char why[256];
    if (spawn_child(a, j, why, sizeof why) != 0) {
        append_to_log(a, j, why);
        publish_result(a, j, -1, why);
        return NULL;
    }
    int64_t t0 = rag_mono_ms();
    int out = open(j->out_path, O_RDONLY | O_CLOEXEC);
    int status = 0;
    bool timed_out = false, stopped = false, reaped = false, detached = false;
    while (!reaped) {
        pid_t r = waitpid(j->pid, &status, WNOHANG);
        if (r == j->pid) { reaped = true; break; }
        if (r < 0 && errno != EINTR) break;
        if (__atomic_load_n(&a->detach, __ATOMIC_SEQ_CST)) { detached = true; break; }
        if (__atomic_load_n(&a->stopping, __ATOMIC_SEQ_CST)) { stopped = true; break; }
        if (j->timeout_ms > 0 && rag_mono_ms() - t0 > j->timeout_ms) { timed_out = true; break; }
        if (follow_output(j, out)) publish_last_line(a, j);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!reaped && !detached) kill_group(j->pid, 2000);
    follow_output(j, out);
    if (j->partial_len) { /* an unterminated last line */
        j->partial[j->partial_len] = '\0';
        action_output_line(&j->said, j->partial);
        j->partial_len = 0;
    }
    if (out >= 0) close(out);
    int64_t took = rag_mono_ms() - t0;
    char d[32];
    rag_duration_format(took, d, sizeof d);
    char result[512];
    int code = -1, real = -1;
    const char *said = j->said.last_line;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && j->said.err_line[0]) said = j->said.err_line;
    if (detached) rt_fmt(result, sizeof result, "%s: left running (pid %d) when ragtop quit; output in %s", j->label, (int)j->pid, j->out_path);
    else if (timed_out) rt_fmt(result, sizeof result, "%s: timed out after %s, stopped", j->label, d);
    else if (stopped) rt_fmt(result, sizeof result, "%s: stopped (ragtop quit)", j->label);
    else if (WIFEXITED(status)) {
        code = real = WEXITSTATUS(status);
        if (code == 0 && (strstr(said, "already running") || strstr(said, "not running")))
            rt_fmt(result, sizeof result, "%s: nothing to do (exit 0): %s", j->label, said);
        else if (code == 0)
            rt_fmt(result, sizeof result, "%s: done (exit 0) in %s%s%s", j->label, d, said[0] ? ": " : "", said);
        else if (j->said.make_status > 0) {
            /* the reason first: it is what has to fit on the status line */
            real = j->said.make_status;
            rt_fmt(result, sizeof result, "%s: FAILED, exit %d%s%s  [make %s: Error %d; make exited %d; %s]", j->label,
                   real, said[0] ? ": " : "", said, j->said.make_target, real, code, d);
        } else
            rt_fmt(result, sizeof result, "%s: FAILED, exit %d%s%s  [%s]", j->label, code, said[0] ? ": " : "", said, d);
    } else if (WIFSIGNALED(status)) {
        rt_fmt(result, sizeof result, "%s: killed by signal %d after %s%s%s", j->label, WTERMSIG(status), d,
               said[0] ? ": " : "", said);
    } else rt_fmt(result, sizeof result, "%s: ended after %s", j->label, d);

    append_to_log(a, j, result);
    publish_result(a, j, code, result);
    model_lock(a->m);
    if (strcmp(a->m->action.label, j->label) == 0) {
        a->m->action.real_exit = real;
        a->m->action.detached = detached;
        rt_fmt(a->m->action.last_line, sizeof a->m->action.last_line, "%s", j->said.last_line);
    }
    model_unlock(a->m);
    return NULL;
}

/* Open the action log, write the header line and spawn the child in its
 * own process group. Runs on the worker thread (disk work stays off the UI
 * thread). Returns 0, or -1 with why filled. */
static int spawn_child(actions *a, job *j, char *why, size_t why_len)
{
    char *dir = rag_dirname(a->log_path); /* created when first needed: a remote context never runs one */
    rag_error err;
    rag_mkdir_p(dir, 0755, &err);
    free(dir);
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
    close(fd);
    fd = open(j->out_path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rt_fmt(why, why_len, "%s: cannot open %s: %s", j->label, j->out_path, strerror(errno));
        return -1;
    }

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
    sigaddset(&defs, SIGXFSZ); /* ignored by ragtop itself (rag_signals_catch) */
    sigaddset(&defs, SIGTSTP);
    sigaddset(&defs, SIGWINCH);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defs);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&j->pid, j->argv[0], &fa, &at, j->argv, a->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        dprintf(fd, "cannot start %s: %s\n", j->argv[0], strerror(rc));
        rt_fmt(why, why_len, "%s: cannot start %s: %s", j->label, j->argv[0], strerror(rc));
    }
    close(fd);
    return rc == 0 ? 0 : -1;
}

/* The running action that forbids kind on service (called with the model
 * locked): one on the same service, or, for an ingest or a rollback, one
 * changing the served index (any service's). NULL when none. */
static const job *blocking_job(actions *a, action_kind kind, const char *service)
{
    for (int i = 0; i < ACTIONS_MAX; i++) {
        const job *j = &a->jobs[i];
        if (!j->running) continue;
        if (strcmp(j->service, service) == 0) return j;
        if (kind == ACT_KIND_INGEST && j->kind == ACT_KIND_INGEST) return j;
    }
    return NULL;
}

int actions_start(actions *a, action_kind kind, const rag_service *svc, const rag_action *act, char *why, size_t why_len)
{
    pthread_mutex_lock(&a->lock);
    job *j = NULL;
    model_lock(a->m);
    const job *b = blocking_job(a, kind, svc->name);
    if (b) {
        /* what was not done first: it is what has to fit on the status line */
        if (strcmp(b->service, svc->name) == 0)
            rt_fmt(why, why_len, "%s %s not started: %s is still running (one action per service at a time)", svc->name,
                   act->name, b->label);
        else
            rt_fmt(why, why_len, "%s %s not started: %s is still running (one ingest or rollback at a time)", svc->name,
                   act->name, b->label);
    }
    for (int i = 0; !b && !j && i < ACTIONS_MAX; i++)
        if (!a->jobs[i].running) j = &a->jobs[i];
    if (!b && !j) rt_fmt(why, why_len, "%d actions are running: %s %s not started", ACTIONS_MAX, svc->name, act->name);
    if (j) j->running = true; /* taken: no other start can pick this slot */
    model_unlock(a->m);
    if (!j) {
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
    j->running = true;
    rt_fmt(j->service, sizeof j->service, "%s", svc->name);
    rt_fmt(j->label, sizeof j->label, "%s %s", svc->name, act->name);
    j->timeout_ms = act->timeout_ms;
    action_output_init(&j->said);
    j->argv = rag_xcalloc(act->argc + 1, sizeof *j->argv);
    for (size_t i = 0; i < act->argc; i++) j->argv[i] = rag_xstrdup(act->argv[i]);
    char *dir = rag_dirname(a->log_path);
    rt_fmt(j->out_path, sizeof j->out_path, "%s/action-%s-%s.out", dir, svc->name, act->name);
    free(dir);

    model_lock(a->m);
    rt_action_state *st = &a->m->action;
    memset(st, 0, sizeof *st);
    st->phase = RT_ACT_RUNNING;
    rt_fmt(st->label, sizeof st->label, "%s", j->label);
    action_argv_text(act, st->argv, sizeof st->argv);
    rt_fmt(st->output_path, sizeof st->output_path, "%s", j->out_path);
    st->real_exit = -1;
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
        j->running = false;
        a->m->action.phase = RT_ACT_IDLE;
        model_unlock(a->m);
    }
    pthread_mutex_unlock(&a->lock);
    return j->started ? 0 : -1;
}

void action_argv_text(const rag_action *act, char *out, size_t n)
{
    size_t l = 0;
    out[0] = '\0';
    for (size_t i = 0; i < act->argc && l < n; i++) {
        const char *w = act->argv[i];
        bool quote = !*w || strpbrk(w, " \t'\"\\$`") != NULL;
        l += (size_t)snprintf(out + l, n - l, quote ? "%s'%s'" : "%s%s", i ? " " : "", w);
    }
}

bool actions_running(actions *a, char *label, size_t n)
{
    bool any = false;
    model_lock(a->m);
    for (int k = 0; k < ACTIONS_MAX; k++)
        if (a->jobs[k].running) {
            if (label && !any) rt_fmt(label, n, "%s", a->jobs[k].label);
            any = true;
        }
    model_unlock(a->m);
    return any;
}

void actions_detach(actions *a)
{
    if (a) __atomic_store_n(&a->detach, 1, __ATOMIC_SEQ_CST);
}

void actions_free(actions *a)
{
    if (!a) return;
    __atomic_store_n(&a->stopping, 1, __ATOMIC_SEQ_CST);
    for (int k = 0; k < ACTIONS_MAX; k++) {
        job *j = &a->jobs[k];
        if (j->started && !j->joined) pthread_join(j->tid, NULL);
        free_argv(j->argv);
    }
    pthread_mutex_destroy(&a->lock);
    free_argv(a->envp);
    free(a->log_path);
    free(a->cwd);
    free(a);
}
