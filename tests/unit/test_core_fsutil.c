/* test_core_fsutil.c — mkdir -p, atomic replace (content, no temp left
 * behind, failure cleanup), bounded reads, path helpers, temp cleanup, and
 * the flock lock file across real processes (fork). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/timeutil.h"

static char *tmpdir_make(void)
{
    char tmpl[] = "/tmp/ragtop-fsutil.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", path, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
}

static int setup(void **state)
{
    *state = tmpdir_make();
    return 0;
}

static int teardown(void **state)
{
    rm_rf(*state);
    free(*state);
    return 0;
}

static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static void test_mkdir_p_creates_nested_folders_and_is_idempotent(void **state)
{
    char *p = rag_path_join(*state, "a/b/c/");
    rag_error err = {0};
    assert_int_equal(rag_mkdir_p(p, 0755, &err), RAG_OK);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(rag_mkdir_p(p, 0755, &err), RAG_OK);
    free(p);
}

static void test_mkdir_p_fails_when_a_component_is_a_file(void **state)
{
    char *f = rag_path_join(*state, "file");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(f, "x", 1, &err), RAG_OK);
    char *p = rag_path_join(f, "sub");
    assert_int_equal(rag_mkdir_p(p, 0755, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "file"));
    assert_non_null(strstr(err.msg, "not a folder"));
    free(p);
    free(f);
}

static void test_atomic_write_replaces_content_and_leaves_no_temp(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(p, "first\n", 6, &err), RAG_OK);
    assert_int_equal(rag_atomic_write(p, "second, longer\n", 15, &err), RAG_OK);
    char *buf;
    size_t len;
    assert_int_equal(rag_read_file(p, 1024, &buf, &len, &err), RAG_OK);
    assert_int_equal(len, 15);
    assert_string_equal(buf, "second, longer\n");
    free(buf);
    assert_int_equal(count_entries(*state, "latest.json.tmp."), 0);
    assert_int_equal(count_entries(*state, "latest.json"), 1);
    /* an empty payload is a valid (empty) file */
    assert_int_equal(rag_atomic_write(p, "", 0, &err), RAG_OK);
    assert_int_equal(rag_read_file(p, 1024, &buf, &len, &err), RAG_OK);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    free(p);
}

static void test_atomic_write_failure_removes_temp_and_keeps_old_file(void **state)
{
    /* A folder at the target path makes rename() fail after the temp was written. */
    char *p = rag_path_join(*state, "target");
    assert_int_equal(mkdir(p, 0755), 0);
    char *inside = rag_path_join(p, "keep");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(inside, "old", 3, &err), RAG_OK);
    assert_int_equal(rag_atomic_write(p, "new", 3, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "target"));
    assert_int_equal(count_entries(*state, "target.tmp."), 0);
    char *buf;
    assert_int_equal(rag_read_file(inside, 16, &buf, NULL, &err), RAG_OK);
    assert_string_equal(buf, "old");
    free(buf);
    free(inside);
    free(p);
}

static void test_atomic_write_into_missing_folder_fails_with_path(void **state)
{
    char *p = rag_path_join(*state, "nope/latest.json");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(p, "x", 1, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "nope/latest.json"));
    free(p);
}

static void test_atomic_write_creates_file_with_mode_0644(void **state)
{
    char *p = rag_path_join(*state, "m");
    rag_error err = {0};
    mode_t old = umask(022);
    assert_int_equal(rag_atomic_write(p, "x", 1, &err), RAG_OK);
    umask(old);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    free(p);
}

static void test_atomic_cleanup_removes_only_old_temps_of_that_file(void **state)
{
    char *p = rag_path_join(*state, "latest.json");
    char *old_tmp = rag_path_join(*state, "latest.json.tmp.999999.0");
    char *new_tmp = rag_path_join(*state, "latest.json.tmp.999999.1");
    char *other = rag_path_join(*state, "other.json.tmp.999999.0");
    rag_error err = {0};
    assert_int_equal(rag_atomic_write(p, "x", 1, &err), RAG_OK);
    const char *files[] = {old_tmp, new_tmp, other};
    for (int i = 0; i < 3; i++) {
        int fd = open(files[i], O_WRONLY | O_CREAT, 0644);
        assert_true(fd >= 0);
        close(fd);
    }
    struct timeval two_min_ago[2] = {{time(NULL) - 120, 0}, {time(NULL) - 120, 0}};
    assert_int_equal(utimes(old_tmp, two_min_ago), 0);
    assert_int_equal(utimes(other, two_min_ago), 0);
    assert_int_equal(rag_atomic_cleanup(p, 60000, &err), 1);
    assert_int_equal(access(old_tmp, F_OK), -1);
    assert_int_equal(access(new_tmp, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    assert_int_equal(access(p, F_OK), 0);
    free(p);
    free(old_tmp);
    free(new_tmp);
    free(other);
}

static void test_read_file_reports_missing_as_enoent(void **state)
{
    char *p = rag_path_join(*state, "missing");
    rag_error err = {0};
    char *buf = (char *)1;
    assert_int_equal(rag_read_file(p, 10, &buf, NULL, &err), RAG_ENOENT);
    assert_null(buf);
    assert_non_null(strstr(err.msg, "missing"));
    /* with no error record (callers that only want the code) */
    assert_int_equal(rag_read_file(p, 10, &buf, NULL, NULL), RAG_ENOENT);
    assert_int_equal(rag_read_file(p, 10, &buf, NULL, NULL), RAG_ENOENT);
    assert_int_equal(rag_read_file("/tmp", 10, &buf, NULL, NULL), RAG_ERR);
    free(p);
}

/* Every file read must be a regular file: a FIFO with no writer (one swapped
 * in for a transcript after a scan, or for latest.json under a monitor) is
 * refused at once instead of waiting for a writer (the alarm turns a hang
 * into a failure), and so is a device; a regular file reads. The tail
 * reader (run history) refuses the FIFO the same way. */
static void test_read_file_never_waits_on_a_fifo(void **state)
{
    char *fifo = rag_path_join(*state, "swapped.txt");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    rag_error err = {0};
    char *buf = NULL;
    alarm(10);
    assert_int_equal(rag_read_file(fifo, 1000, &buf, NULL, &err), RAG_ERR);
    alarm(0);
    assert_null(buf);
    assert_non_null(strstr(err.msg, "not a regular file"));
    rag_tail t;
    alarm(10);
    assert_int_equal(rag_tail_lines(fifo, 5, 4096, 4096, &t, &err), RAG_ERR);
    alarm(0);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_int_equal(rag_read_file("/dev/zero", 1000, &buf, NULL, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "not a regular file"));
    char *p = rag_path_join(*state, "plain.txt");
    assert_int_equal(rag_atomic_write(p, "hello", 5, &err), RAG_OK);
    size_t len = 0;
    assert_int_equal(rag_read_file(p, 1000, &buf, &len, &err), RAG_OK);
    assert_int_equal(len, 5);
    assert_string_equal(buf, "hello");
    free(buf);
    free(p);
    free(fifo);
}

static void test_read_file_rejects_file_larger_than_limit(void **state)
{
    char *p = rag_path_join(*state, "big");
    rag_error err = {0};
    char data[10000];
    memset(data, 'a', sizeof data);
    assert_int_equal(rag_atomic_write(p, data, sizeof data, &err), RAG_OK);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(rag_read_file(p, 9999, &buf, &len, &err), RAG_ERR);
    assert_null(buf);
    assert_non_null(strstr(err.msg, "larger than"));
    assert_int_equal(rag_read_file(p, 10000, &buf, &len, &err), RAG_OK);
    assert_int_equal(len, 10000);
    assert_int_equal(buf[9999], 'a');
    assert_int_equal(buf[10000], '\0');
    free(buf);
    free(p);
}

static void test_read_file_refuses_devices_and_folders(void **state)
{
    (void)state;
    /* /dev/zero never ends: refused before any read */
    rag_error err = {0};
    char *buf = NULL;
    assert_int_equal(rag_read_file("/dev/zero", 100000, &buf, NULL, &err), RAG_ERR);
    assert_null(buf);
    assert_int_equal(rag_read_file("/tmp", 100, &buf, NULL, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "folder"));
}

static void check_dirname(const char *in, const char *want)
{
    char *d = rag_dirname(in);
    if (strcmp(d, want) != 0) fail_msg("dirname(\"%s\") = \"%s\", want \"%s\"", in, d, want);
    free(d);
}

static void test_dirname_handles_edge_cases(void **state)
{
    (void)state;
    check_dirname("a/b", "a");
    check_dirname("a/b/c.json", "a/b");
    check_dirname("a", ".");
    check_dirname("", ".");
    check_dirname("/a", "/");
    check_dirname("/", "/");
    check_dirname("a/b/", "a");
    check_dirname("a//b", "a");
    check_dirname("/x/y", "/x");
}

static void check_join(const char *dir, const char *name, const char *want)
{
    char *j = rag_path_join(dir, name);
    if (strcmp(j, want) != 0) fail_msg("join(\"%s\", \"%s\") = \"%s\", want \"%s\"", dir, name, j, want);
    free(j);
}

static void test_path_join_handles_slashes_and_absolute_names(void **state)
{
    (void)state;
    check_join("a", "b", "a/b");
    check_join("a/", "b", "a/b");
    check_join("/", "b", "/b");
    check_join("a", "/abs/b", "/abs/b");
    check_join("", "b", "b");
    check_join("a", "", "a");
}

static void test_lock_records_pid_and_start_time(void **state)
{
    char *p = rag_path_join(*state, "ingest.lock");
    rag_lock lk;
    rag_error err = {0};
    int64_t t0 = rag_now_ms();
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_OK);
    char *buf;
    assert_int_equal(rag_read_file(p, 100, &buf, NULL, &err), RAG_OK);
    long pid;
    long long started;
    assert_int_equal(sscanf(buf, "%ld %lld", &pid, &started), 2);
    assert_int_equal(pid, getpid());
    assert_true(started >= t0 && started <= rag_now_ms());
    free(buf);
    rag_lock_release(&lk);
    assert_int_equal(lk.fd, -1);
    /* released: file stays, content cleared */
    assert_int_equal(rag_read_file(p, 100, &buf, NULL, &err), RAG_OK);
    assert_string_equal(buf, "");
    free(buf);
    /* and can be taken again */
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_OK);
    rag_lock_release(&lk);
    free(p);
}

/* Child: take the lock, tell the parent, wait until the pipe closes. */
static pid_t spawn_holder(const char *path, int *release_fd)
{
    int ready[2], hold[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(hold), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(hold[1]);
        rag_lock lk;
        rag_error err;
        char ok = rag_lock_acquire(path, &lk, NULL, &err) == RAG_OK ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1) _exit(3);
        char c;
        while (read(hold[0], &c, 1) > 0) {}
        rag_lock_release(&lk);
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    char c = 0;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    close(ready[0]);
    *release_fd = hold[1];
    return pid;
}

static void test_lock_contention_names_holder_pid_and_time(void **state)
{
    char *p = rag_path_join(*state, "ingest.lock");
    int release;
    int64_t t0 = rag_now_ms();
    pid_t child = spawn_holder(p, &release);

    rag_lock lk;
    rag_lock_holder h;
    rag_error err = {0};
    assert_int_equal(rag_lock_acquire(p, &lk, &h, &err), RAG_ELOCKED);
    assert_int_equal(err.code, RAG_ELOCKED);
    assert_int_equal(h.pid, child);
    assert_true(h.started_ms >= t0 && h.started_ms <= rag_now_ms());
    char want[128], when[RAG_TIME_BUFSZ];
    rag_time_format(h.started_ms, when);
    snprintf(want, sizeof want, "locked by pid %ld since %s", (long)child, when);
    if (!strstr(err.msg, want)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    assert_non_null(strstr(err.msg, "ingest.lock"));
    assert_int_equal(lk.fd, -1);

    /* when the holder releases, we can take it */
    close(release);
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(rag_lock_acquire(p, &lk, &h, &err), RAG_OK);
    rag_lock_release(&lk);
    free(p);
}

static void test_lock_is_released_when_holder_is_killed(void **state)
{
    char *p = rag_path_join(*state, "ingest.lock");
    int release;
    pid_t child = spawn_holder(p, &release);
    rag_lock lk;
    rag_error err = {0};
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_ELOCKED);
    kill(child, SIGKILL);
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFSIGNALED(st));
    close(release);
    /* the stale record still names the dead pid, but the lock is free */
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_OK);
    char *buf;
    assert_int_equal(rag_read_file(p, 100, &buf, NULL, &err), RAG_OK);
    assert_int_equal(atol(buf), getpid());
    free(buf);
    rag_lock_release(&lk);
    free(p);
}

/* rag_lock_peek: is a lock held, without keeping it; a killed holder's pid
 * left recorded, or a live process recorded that does not hold it (a pid
 * reused), is no holder. */
static void test_lock_peek_names_a_live_holder_only(void **state)
{
    char *p = rag_path_join(*state, "watch.lock");
    rag_lock_holder h = {0, 0};
    assert_false(rag_lock_peek(p, &h)); /* no file */
    int release;
    pid_t child = spawn_holder(p, &release);
    assert_true(rag_lock_peek(p, &h));
    assert_int_equal(h.pid, child);
    assert_true(h.started_ms > 0);
    rag_lock lk;
    rag_error err = {0};
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_ELOCKED); /* peeking took nothing */
    kill(child, SIGKILL);
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    close(release);
    assert_false(rag_lock_peek(p, &h)); /* its pid is still recorded, the process is gone */
    /* a live process (this one) recorded, not holding it: a reused pid */
    char rec[64];
    snprintf(rec, sizeof rec, "%ld %lld\n", (long)getpid(), (long long)rag_now_ms());
    assert_int_equal(rag_atomic_write(p, rec, strlen(rec), &err), RAG_OK);
    assert_false(rag_lock_peek(p, &h));
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_OK); /* ... which it is, once it holds it */
    assert_true(rag_lock_peek(p, &h));
    assert_int_equal(h.pid, getpid());
    rag_lock_release(&lk);
    assert_false(rag_lock_peek(p, &h)); /* released: cleared */
    free(p);
}

static void test_lock_is_not_inherited_by_spawned_programs(void **state)
{
    /* A holder that spawns a long-lived program and then dies must not leave
     * the lock held by that program (the descriptor is O_CLOEXEC). */
    char *p = rag_path_join(*state, "ingest.lock");
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t holder = fork();
    assert_true(holder >= 0);
    if (holder == 0) {
        close(ready[0]);
        rag_lock lk;
        rag_error err;
        if (rag_lock_acquire(p, &lk, NULL, &err) != RAG_OK) _exit(2);
        pid_t prog = fork();
        if (prog == 0) {
            execlp("sleep", "sleep", "30", (char *)NULL);
            _exit(127);
        }
        if (write(ready[1], &prog, sizeof prog) != sizeof prog) _exit(3);
        pause();
        _exit(0);
    }
    close(ready[1]);
    pid_t prog = 0;
    assert_int_equal(read(ready[0], &prog, sizeof prog), sizeof prog);
    close(ready[0]);
    usleep(100 * 1000); /* let the program exec */
    rag_lock lk;
    rag_error err = {0};
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_ELOCKED);
    kill(holder, SIGKILL);
    int st;
    waitpid(holder, &st, 0);
    int rc = rag_lock_acquire(p, &lk, NULL, &err);
    kill(prog, SIGKILL); /* prog was reparented; it is reaped by init */
    assert_int_equal(rc, RAG_OK);
    rag_lock_release(&lk);
    free(p);
}

static void test_lock_held_without_record_reports_unknown_holder(void **state)
{
    /* Another program flock()s the file but never writes a record (or we
     * caught a holder between flock and write for longer than the grace). */
    char *p = rag_path_join(*state, "ingest.lock");
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    rag_lock lk;
    rag_lock_holder h = {99, 99};
    rag_error err = {0};
    assert_int_equal(rag_lock_acquire(p, &lk, &h, &err), RAG_ELOCKED);
    assert_int_equal(h.pid, 0);
    assert_int_equal(h.started_ms, 0);
    assert_non_null(strstr(err.msg, "locked by another process (holder unknown)"));
    close(fd);
    assert_int_equal(rag_lock_acquire(p, &lk, &h, &err), RAG_OK);
    rag_lock_release(&lk);
    free(p);
}

static void test_lock_in_missing_folder_fails_with_path(void **state)
{
    char *p = rag_path_join(*state, "no/such/dir/ingest.lock");
    rag_lock lk;
    rag_error err = {0};
    assert_int_equal(rag_lock_acquire(p, &lk, NULL, &err), RAG_ERR);
    assert_non_null(strstr(err.msg, "no/such/dir/ingest.lock"));
    rag_lock_release(&lk); /* safe on a lock that was never taken */
    free(p);
}

static char *write_tmp(const char *dir, const char *name, const char *data, size_t len)
{
    char *p = rag_path_join(dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

static void assert_line(const rag_tail *t, size_t i, const char *want)
{
    assert_true(i < t->count);
    assert_int_equal(t->lines[i].len, strlen(want));
    assert_memory_equal(t->lines[i].s, want, strlen(want));
}

static void test_tail_returns_last_n_complete_lines_oldest_first(void **state)
{
    const char *d = "one\ntwo\nthree\nfour\n";
    char *p = write_tmp(*state, "m.jsonl", d, strlen(d));
    rag_tail t;
    assert_int_equal(rag_tail_lines(p, 2, 4096, 4096, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 2);
    assert_line(&t, 0, "three");
    assert_line(&t, 1, "four");
    rag_tail_free(&t);
    /* asking for more lines than the file has gives them all */
    assert_int_equal(rag_tail_lines(p, 10, 4096, 4096, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 4);
    assert_line(&t, 0, "one");
    assert_line(&t, 3, "four");
    rag_tail_free(&t);
    free(p);
}

static void test_tail_ignores_unterminated_last_line(void **state)
{
    const char *d = "done-1\ndone-2\n{\"half\":";
    char *p = write_tmp(*state, "m.jsonl", d, strlen(d));
    rag_tail t;
    assert_int_equal(rag_tail_lines(p, 1, 4096, 4096, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 1);
    assert_line(&t, 0, "done-2");
    rag_tail_free(&t);
    /* a file holding only an unfinished line has no complete line */
    char *q = write_tmp(*state, "half.jsonl", "{\"x\":1", 6);
    assert_int_equal(rag_tail_lines(q, 5, 4096, 4096, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 0);
    rag_tail_free(&t);
    free(q);
    free(p);
}

static void test_tail_skips_blank_lines(void **state)
{
    const char *d = "a\nb\n\n \r\n";
    char *p = write_tmp(*state, "m.jsonl", d, strlen(d));
    rag_tail t;
    assert_int_equal(rag_tail_lines(p, 1, 4096, 4096, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 1);
    assert_line(&t, 0, "b");
    rag_tail_free(&t);
    free(p);
}

static void test_tail_grows_window_for_line_longer_than_first_window(void **state)
{
    /* "short\n" + a 10000-byte line + "\n", read with a 64-byte first window */
    size_t big = 10000;
    char *d = malloc(6 + big + 1);
    memcpy(d, "short\n", 6);
    memset(d + 6, 'x', big);
    d[6 + big] = '\n';
    char *p = write_tmp(*state, "m.jsonl", d, 6 + big + 1);
    rag_tail t;
    assert_int_equal(rag_tail_lines(p, 1, 64, 1 << 20, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.lines[0].len, big);
    assert_memory_equal(t.lines[0].s, d + 6, big);
    rag_tail_free(&t);
    /* two lines need the window to reach the file's start */
    assert_int_equal(rag_tail_lines(p, 2, 64, 1 << 20, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 2);
    assert_line(&t, 0, "short");
    assert_int_equal(t.lines[1].len, big);
    rag_tail_free(&t);
    /* a cap below the line's length yields no line rather than a cut one */
    assert_int_equal(rag_tail_lines(p, 1, 64, 4096, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 0);
    rag_tail_free(&t);
    free(p);
    free(d);
}

static void test_tail_window_cap_keeps_only_lines_wholly_inside(void **state)
{
    /* 100 lines of "line-NN\n" (8 bytes each); a 20-byte window holds
     * "-97\nline-98\nline-99\n": only the last two are whole */
    char d[800 + 1];
    for (int i = 0; i < 100; i++) snprintf(d + i * 8, 9, "line-%02d\n", i);
    char *p = write_tmp(*state, "m.jsonl", d, 800);
    rag_tail t;
    assert_int_equal(rag_tail_lines(p, SIZE_MAX, 20, 20, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 2);
    assert_line(&t, 0, "line-98");
    assert_line(&t, 1, "line-99");
    rag_tail_free(&t);
    free(p);
}

static void test_tail_of_small_and_empty_files(void **state)
{
    char *p = write_tmp(*state, "small.jsonl", "only\n", 5);
    rag_tail t;
    assert_int_equal(rag_tail_lines(p, 3, 16 * 1024, 1 << 20, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 1); /* first line counts: window reaches the start */
    assert_line(&t, 0, "only");
    rag_tail_free(&t);
    char *e = write_tmp(*state, "empty.jsonl", "", 0);
    assert_int_equal(rag_tail_lines(e, 3, 16 * 1024, 1 << 20, &t, NULL), RAG_OK);
    assert_int_equal(t.count, 0);
    rag_tail_free(&t);
    free(e);
    free(p);
}

static void test_tail_reports_missing_file_as_enoent(void **state)
{
    char *p = rag_path_join(*state, "nope.jsonl");
    rag_tail t;
    rag_error err = {0};
    assert_int_equal(rag_tail_lines(p, 1, 64, 64, &t, &err), RAG_ENOENT);
    assert_int_equal(t.count, 0);
    assert_non_null(strstr(err.msg, "nope.jsonl"));
    rag_tail_free(&t); /* safe after a failure */
    free(p);
}

/* In a child limited by RLIMIT_FSIZE to `room` more bytes (a full disk as
 * far as write() can tell: a short write, then EFBIG), append len bytes.
 * Exit status: 0 appended, 1 refused with the file unchanged, 2 otherwise. */
static int append_with_room(const char *path, size_t room, size_t len)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) _exit(2);
        struct rlimit rl = { (rlim_t)st.st_size + room, (rlim_t)st.st_size + room };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
        char *buf = malloc(len);
        memset(buf, 'x', len);
        buf[len - 1] = '\n';
        int rc = rag_append_whole(fd, buf, len);
        int e = errno;
        struct stat after;
        fstat(fd, &after);
        free(buf);
        if (rc == 0) _exit(0);
        _exit(e == EFBIG && after.st_size == st.st_size ? 1 : 2);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

static void test_append_whole_truncates_a_short_write(void **state)
{
    char *path = rag_path_join(*state, "m.jsonl");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(rag_append_whole(fd, "{\"a\":1}\n", 8), 0);
    close(fd);
    /* 10 bytes of room for a 100-byte line: refused, nothing of it left */
    assert_int_equal(append_with_room(path, 10, 100), 1);
    char *buf = NULL;
    size_t len = 0;
    rag_error err = { 0 };
    assert_int_equal(rag_read_file(path, 1 << 20, &buf, &len, &err), RAG_OK);
    assert_int_equal(len, 8);
    assert_memory_equal(buf, "{\"a\":1}\n", 8);
    free(buf);
    /* with room, the next line is whole and starts on its own line */
    assert_int_equal(append_with_room(path, 1000, 100), 0);
    assert_int_equal(rag_read_file(path, 1 << 20, &buf, &len, &err), RAG_OK);
    assert_int_equal(len, 108);
    assert_int_equal(buf[8], 'x');
    assert_int_equal(buf[107], '\n');
    free(buf);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdir_p_creates_nested_folders_and_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_fails_when_a_component_is_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_replaces_content_and_leaves_no_temp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_failure_removes_temp_and_keeps_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_into_missing_folder_fails_with_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_creates_file_with_mode_0644, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_cleanup_removes_only_old_temps_of_that_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_reports_missing_as_enoent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_rejects_file_larger_than_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_refuses_devices_and_folders, setup, teardown),
        cmocka_unit_test(test_dirname_handles_edge_cases),
        cmocka_unit_test(test_path_join_handles_slashes_and_absolute_names),
        cmocka_unit_test_setup_teardown(test_lock_records_pid_and_start_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_contention_names_holder_pid_and_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_released_when_holder_is_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_not_inherited_by_spawned_programs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_held_without_record_reports_unknown_holder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_in_missing_folder_fails_with_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_returns_last_n_complete_lines_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_ignores_unterminated_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_skips_blank_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_grows_window_for_line_longer_than_first_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_peek_names_a_live_holder_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_window_cap_keeps_only_lines_wholly_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_of_small_and_empty_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_never_waits_on_a_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_reports_missing_file_as_enoent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_whole_truncates_a_short_write, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
