/* fsutil.c — crash-safe file helpers. rag_atomic_write never lets a reader
 * see a partial file: data goes to a unique temp file in the same folder
 * ("<path>.tmp.<pid>.<n>"), is fsynced, renamed over the target, and the
 * folder is fsynced so the rename itself survives a power cut. The lock file
 * uses flock(2): the kernel drops it when the holder dies, so a stale lock
 * can never block a later run; the file's content only names the holder. */
#include "rag/fsutil.h"
#include "rag/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int rag_mkdir_p(const char *path, mode_t mode, rag_error *err)
{
    if (!path || !*path) return rag_error_set(err, RAG_EINVAL, "mkdir: empty path");
    char *buf = rag_xstrdup(path);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
    int rc = RAG_OK;
    /* Create each prefix in turn; only the final component's failure is fatal
     * beyond "it already exists as a directory". */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST) {
            rc = rag_error_set(err, RAG_ERR, "%s: cannot create folder: %s", buf, strerror(errno));
            break;
        }
        struct stat st;
        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = rag_error_set(err, RAG_ERR, "%s: exists and is not a folder", buf);
            break;
        }
        *p = saved;
        if (saved == '\0') break;
    }
    free(buf);
    return rc;
}

int rag_fsync_dir(const char *dir, rag_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return rag_error_set(err, errno == ENOENT ? RAG_ENOENT : RAG_ERR,
                                     "%s: cannot open folder: %s", dir, strerror(errno));
    int rc = RAG_OK;
    /* Some file systems cannot fsync a directory (EINVAL); nothing to do then. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        rc = rag_error_set(err, RAG_ERR, "%s: cannot fsync folder: %s", dir, strerror(errno));
    close(fd);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) { /* should not happen for regular files; avoid spinning */
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rag_append_whole(int fd, const void *data, size_t len)
{
    bool locked = flock(fd, LOCK_EX) == 0;
    struct stat st;
    off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
    const char *p = data;
    size_t left = len;
    int rc = 0, saved = 0;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            saved = n < 0 ? errno : EIO;
            rc = -1;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (rc != 0 && left < len && before >= 0 && ftruncate(fd, before) != 0 && !saved) saved = errno;
    if (locked) flock(fd, LOCK_UN);
    if (rc != 0) errno = saved;
    return rc;
}

int rag_atomic_write(const char *path, const void *data, size_t len, rag_error *err)
{
    static unsigned long counter; /* unique temp names across threads of one process */
    unsigned long n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    char *tmp = rag_xasprintf("%s.tmp.%ld.%lu", path, (long)getpid(), n);
    char *dir = rag_dirname(path);
    int rc = RAG_OK;

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot create temp file %s: %s", path, tmp, strerror(errno));
        goto out;
    }
    if (write_all(fd, data, len) != 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot write %s: %s", path, tmp, strerror(errno));
        close(fd);
        goto fail;
    }
    if (fsync(fd) != 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot fsync %s: %s", path, tmp, strerror(errno));
        close(fd);
        goto fail;
    }
    if (close(fd) != 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot close %s: %s", path, tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        goto fail;
    }
    rc = rag_fsync_dir(dir, err);
    goto out;
fail:
    unlink(tmp);
out:
    free(tmp);
    free(dir);
    return rc;
}

int rag_atomic_cleanup(const char *path, int64_t older_than_ms, rag_error *err)
{
    char *dir = rag_dirname(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *prefix = rag_xasprintf("%s.tmp.", base);
    size_t plen = strlen(prefix);
    int removed = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int rc = errno == ENOENT ? 0 : rag_error_set(err, RAG_ERR, "%s: cannot list folder: %s", dir, strerror(errno));
        free(dir);
        free(prefix);
        return rc;
    }
    int64_t now = rag_now_ms();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, plen) != 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (now - mtime < older_than_ms) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0) removed++;
    }
    closedir(d);
    free(dir);
    free(prefix);
    return removed;
}

/* Open path for reading into *fd without waiting on a FIFO (opened
 * non-blocking, then made blocking again) and refusing anything but a
 * regular file: a FIFO, socket or device swapped in for a file the project
 * reads would otherwise hang the reader (a monitor blinded, a run that
 * never ends). RAG_OK, or the code (err, which may be NULL, set). */
static int open_for_read(const char *path, struct stat *st, int *fd, rag_error *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0) {
        if (errno == ENOENT) return rag_error_set(err, RAG_ENOENT, "%s: no such file", path);
        return rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    const char *refuse = NULL;
    int e = 0;
    if (fstat(*fd, st) != 0) e = errno;
    else if (S_ISDIR(st->st_mode)) refuse = "is a folder, not a file";
    else if (!S_ISREG(st->st_mode)) refuse = "not a regular file (a FIFO, socket or device)";
    if (e || refuse) {
        close(*fd);
        *fd = -1;
        return e ? rag_error_set(err, RAG_ERR, "%s: cannot stat: %s", path, strerror(e))
                 : rag_error_set(err, RAG_ERR, "%s: %s", path, refuse);
    }
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
    return RAG_OK;
}

int rag_read_file(const char *path, size_t max, char **out, size_t *len, rag_error *err)
{
    *out = NULL;
    if (len) *len = 0;
    struct stat st;
    int fd;
    const int orc = open_for_read(path, &st, &fd, err);
    if (orc != RAG_OK) return orc;
    size_t cap = 4096, n = 0;
    if ((size_t)st.st_size < max) cap = (size_t)st.st_size + 1;
    char *buf = rag_xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap > max) break; /* already read more than max: stop */
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            buf = rag_xrealloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            free(buf);
            return rag_error_set(err, RAG_ERR, "%s: cannot read: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(buf);
        return rag_error_set(err, RAG_ERR, "%s: larger than the limit of %zu bytes", path, max);
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return RAG_OK;
}


static bool tail_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\r') return false;
    return true;
}

/* Complete, non-blank lines of buf[0..n) (the window at the file's end);
 * from_start says whether the window begins at the file's first byte. Keeps
 * the newest max_lines. */
static size_t tail_scan(char *buf, size_t n, bool from_start, size_t max_lines, rag_tail_line *out)
{
    size_t count = 0, end = n;
    while (end > 0 && buf[end - 1] != '\n') end--; /* drop the unfinished last line */
    while (end > 0 && count < max_lines) {
        size_t stop = end - 1; /* the '\n' ending this line */
        size_t start = stop;
        while (start > 0 && buf[start - 1] != '\n') start--;
        if (start == 0 && !from_start) break; /* may begin before the window */
        if (!tail_blank(buf + start, stop - start)) {
            out[count].s = buf + start;
            out[count].len = stop - start;
            count++;
        }
        end = start;
    }
    for (size_t i = 0; i < count / 2; i++) { /* oldest first */
        rag_tail_line x = out[i];
        out[i] = out[count - 1 - i];
        out[count - 1 - i] = x;
    }
    return count;
}

int rag_tail_lines(const char *path, size_t max_lines, size_t first_window, size_t max_window,
                   rag_tail *t, rag_error *err)
{
    memset(t, 0, sizeof *t);
    if (first_window == 0 || max_window < first_window)
        return rag_error_set(err, RAG_EINVAL, "%s: bad tail window %zu..%zu", path, first_window, max_window);
    struct stat st; /* size of what was opened, in case the file is replaced */
    int fd;
    const int orc = open_for_read(path, &st, &fd, err);
    if (orc != RAG_OK) return orc;
    size_t win = first_window;
    for (;;) {
        size_t n = (off_t)win < st.st_size ? win : (size_t)st.st_size;
        char *buf = rag_xmalloc(n + 1);
        size_t got = 0;
        int e = 0;
        while (got < n) {
            ssize_t r = pread(fd, buf + got, n - got, st.st_size - (off_t)n + (off_t)got);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) e = errno;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got != n) { /* read error, or the file shrank under us */
            free(buf);
            close(fd);
            return rag_error_set(err, RAG_ERR, "%s: cannot read its last %zu bytes: %s", path, n,
                                 e ? strerror(e) : "file shrank while reading");
        }
        buf[n] = '\0';
        bool from_start = (off_t)n == st.st_size;
        size_t nl = 0;
        for (size_t i = 0; i < n; i++) nl += buf[i] == '\n';
        size_t cap = nl < max_lines ? nl : max_lines;
        rag_tail_line *lines = rag_xmalloc((cap ? cap : 1) * sizeof *lines);
        size_t count = tail_scan(buf, n, from_start, cap, lines);
        if (count < max_lines && !from_start && win < max_window) {
            free(lines);
            free(buf);
            win = win > max_window / 2 ? max_window : win * 2;
            continue;
        }
        close(fd);
        t->buf = buf;
        t->lines = lines;
        t->count = count;
        return RAG_OK;
    }
}

void rag_tail_free(rag_tail *t)
{
    if (!t) return;
    free(t->buf);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

char *rag_dirname(const char *path)
{
    if (!path) return rag_xstrdup(".");
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;     /* trailing slashes */
    while (len > 0 && path[len - 1] != '/') len--;     /* last component */
    if (len == 0) return rag_xstrdup(".");
    while (len > 1 && path[len - 1] == '/') len--;     /* separator(s) */
    return strndup(path, len) ?: rag_xstrdup(".");
}

char *rag_path_join(const char *dir, const char *name)
{
    if (!name) name = "";
    if (name[0] == '/' || !dir || !*dir) return rag_xstrdup(name);
    size_t dl = strlen(dir);
    if (!*name) return rag_xstrdup(dir);
    return dir[dl - 1] == '/' ? rag_xasprintf("%s%s", dir, name) : rag_xasprintf("%s/%s", dir, name);
}

/* Read "pid start_ms" from an open lock file. Returns 0 when both parsed. */
static int lock_read_holder(int fd, rag_lock_holder *h)
{
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = '\0';
    long pid;
    long long started;
    if (sscanf(buf, "%ld %lld", &pid, &started) != 2 || pid <= 0) return -1;
    h->pid = pid;
    h->started_ms = started;
    return 0;
}

int rag_lock_acquire(const char *path, rag_lock *lock, rag_lock_holder *holder, rag_error *err)
{
    lock->fd = -1;
    lock->path = NULL;
    if (holder) {
        holder->pid = 0;
        holder->started_ms = 0;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return rag_error_set(err, RAG_ERR, "%s: cannot open lock file: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno != EWOULDBLOCK) {
            int e = errno;
            close(fd);
            return rag_error_set(err, RAG_ERR, "%s: cannot lock: %s", path, strerror(e));
        }
        /* Try again for a moment: it may be a reader's instant look
         * (rag_lock_peek), gone at once — whatever pid a killed holder
         * left recorded; a real holder writes its pid right after taking
         * the lock, so by then it is there to be named. */
        bool got = false;
        for (int i = 0; i < 20 && !got; i++) {
            nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
            got = flock(fd, LOCK_EX | LOCK_NB) == 0;
        }
        if (got) break;
        rag_lock_holder h = {0, 0};
        lock_read_holder(fd, &h);
        close(fd);
        if (holder) *holder = h;
        if (h.pid == 0)
            return rag_error_set(err, RAG_ELOCKED, "%s: locked by another process (holder unknown)", path);
        char when[RAG_TIME_BUFSZ];
        rag_time_format(h.started_ms, when);
        return rag_error_set(err, RAG_ELOCKED, "%s: locked by pid %ld since %s", path, h.pid, when);
    }
    char rec[64];
    int n = snprintf(rec, sizeof rec, "%ld %" PRId64 "\n", (long)getpid(), rag_now_ms());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, rec, (size_t)n, 0) != n) {
        int e = errno;
        close(fd); /* closing drops the flock */
        return rag_error_set(err, RAG_ERR, "%s: cannot record lock holder: %s", path, strerror(e));
    }
    lock->fd = fd;
    lock->path = rag_xstrdup(path);
    return RAG_OK;
}

bool rag_lock_peek(const char *path, rag_lock_holder *holder)
{
    /* A shared lock for an instant: refused while the holder has its
     * exclusive one — the kernel's answer, true across pid namespaces
     * (a watcher in another container) and never fooled by a pid left
     * recorded by a killed holder. A holder-to-be that meets it retries
     * (rag_lock_acquire). */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool held = false;
    while (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        held = errno == EWOULDBLOCK;
        break;
    }
    if (!held) flock(fd, LOCK_UN);
    rag_lock_holder h = {0, 0};
    if (held && holder) { /* who: as it recorded itself (its pid is 0 here when unknown) */
        lock_read_holder(fd, &h);
        *holder = h;
    }
    close(fd);
    return held;
}

void rag_lock_release(rag_lock *lock)
{
    if (!lock || lock->fd < 0) return;
    /* Clear the record while still holding the lock, so nobody reads a stale pid. */
    if (ftruncate(lock->fd, 0) != 0) { /* harmless: the next holder overwrites it */ }
    flock(lock->fd, LOCK_UN);
    close(lock->fd);
    lock->fd = -1;
    free(lock->path);
    lock->path = NULL;
}
