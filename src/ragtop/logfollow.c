/* logfollow.c — the log follower thread. Each file keeps its fd, inode and
 * offset; every wake-up (inotify event, stat timer) compares the path's
 * inode and size with ours: a new inode means rotation (drain the old fd,
 * reopen at 0), a smaller size means truncation (seek to 0), more bytes are
 * read in 64 KiB blocks and split into lines (a partial last line waits; a
 * line longer than RT_LOG_LINE_MAX is cut). A stop pipe ends the thread. */
#include "logfollow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/jsonlog.h"

#define STAT_PERIOD_MS 250
#define READ_BLOCK (64 * 1024)
#define TAIL_WINDOW (256 * 1024)

typedef struct lf_file {
    char *path;
    int fd;
    ino_t ino;
    dev_t dev;
    off_t off;
    char *part; size_t part_len; /* incomplete last line */
    int source;
} lf_file;

struct logfollow {
    rt_model *m;
    lf_file *files; size_t n;
    int ino_fd;
    int stop_rd, stop_wr;
    pthread_t tid;
    size_t backfill;
};

static void emit(logfollow *lf, lf_file *f, const char *line, size_t len)
{
    if (len && line[len - 1] == '\r') len--;
    model_log_append(lf->m, f->source, line, len);
}

/* Split buf into lines, keeping the tail in f->part. Returns lines emitted. */
static size_t feed(logfollow *lf, lf_file *f, const char *buf, size_t len)
{
    size_t lines = 0;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t chunk = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (f->part_len + chunk > RT_LOG_LINE_MAX) { /* cut an endless line */
            size_t take = RT_LOG_LINE_MAX - f->part_len;
            f->part = rag_xrealloc(f->part, RT_LOG_LINE_MAX + 1);
            memcpy(f->part + f->part_len, p, take);
            emit(lf, f, f->part, RT_LOG_LINE_MAX);
            lines++;
            f->part_len = 0;
            p += take;
            continue;
        }
        if (!nl) {
            f->part = rag_xrealloc(f->part, f->part_len + chunk + 1);
            memcpy(f->part + f->part_len, p, chunk);
            f->part_len += chunk;
            break;
        }
        if (f->part_len) {
            f->part = rag_xrealloc(f->part, f->part_len + chunk + 1);
            memcpy(f->part + f->part_len, p, chunk);
            emit(lf, f, f->part, f->part_len + chunk);
            f->part_len = 0;
        } else {
            emit(lf, f, p, chunk);
        }
        lines++;
        p = nl + 1;
    }
    return lines;
}

static size_t drain(logfollow *lf, lf_file *f)
{
    static __thread char buf[READ_BLOCK];
    size_t lines = 0;
    for (;;) {
        ssize_t r = pread(f->fd, buf, sizeof buf, f->off);
        if (r <= 0) break;
        f->off += r;
        lines += feed(lf, f, buf, (size_t)r);
    }
    return lines;
}

/* seq: the order read (files in turn, each in file order), which breaks
 * ties so that lines with one time stay in their order */
typedef struct pending { int64_t ts; size_t seq; int source; char *line; size_t len; } pending;

static int pending_cmp(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Open a log for reading: never waiting on a FIFO (non-blocking open) and
 * only a regular file (a FIFO, socket or device swapped in for a log would
 * block the follower, and with it every log and the console's exit). -1
 * when it cannot be followed now (it is tried again at the next check). */
static int open_log(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Open f at its end; collect up to lf->backfill of its last lines. A line
 * without its own time (plain text, e.g. a program's stderr) takes the time
 * of the log line before it in the file (or after it, at the top), or the
 * file's modification time in a file without any: it stays where the file
 * put it instead of sorting before every other log's lines. */
static void open_at_end(logfollow *lf, lf_file *f, pending **pv, size_t *pn)
{
    struct stat st;
    f->fd = open_log(f->path, &st);
    if (f->fd < 0) return;
    f->ino = st.st_ino;
    f->dev = st.st_dev;
    f->off = st.st_size;
    if (lf->backfill == 0 || st.st_size == 0) return;
    off_t start = st.st_size > TAIL_WINDOW ? st.st_size - TAIL_WINDOW : 0;
    size_t want = (size_t)(st.st_size - start);
    char *buf = rag_xmalloc(want + 1);
    ssize_t got = pread(f->fd, buf, want, start);
    if (got <= 0) {
        free(buf);
        return;
    }
    /* walk back lf->backfill newlines from the end */
    size_t end = (size_t)got;
    if (buf[end - 1] != '\n') { /* partial last line: leave it for later */
        char *lastnl = memrchr(buf, '\n', end);
        size_t keep = lastnl ? (size_t)(lastnl - buf) + 1 : 0;
        f->off = start + (off_t)keep;
        end = keep;
    }
    size_t b = end, count = 0;
    while (b > 0 && count < lf->backfill) {
        char *nl = b >= 2 ? memrchr(buf, '\n', b - 1) : NULL;
        b = nl ? (size_t)(nl - buf) + 1 : 0;
        count++;
    }
    if (b == 0 && start > 0) { /* first line may be partial */
        char *nl = memchr(buf, '\n', end);
        b = nl ? (size_t)(nl - buf) + 1 : end;
    }
    const size_t first = *pn;
    for (size_t p = b; p < end;) {
        char *nl = memchr(buf + p, '\n', end - p);
        size_t len = (size_t)(nl - (buf + p));
        const size_t next = p + len + 1;
        if (len && buf[p + len - 1] == '\r') len--; /* as lines read later (emit) */
        rag_log_entry e;
        rag_log_parse_line(buf + p, len, &e);
        char *copy = rag_xmemdup(buf + p, len); /* all len bytes: NULs are shown, not cut at */
        *pv = rag_xrealloc(*pv, (*pn + 1) * sizeof **pv);
        (*pv)[*pn] = (pending){e.ok ? e.ts_ms : 0, *pn, f->source, copy, len};
        (*pn)++;
        rag_log_entry_free(&e);
        p = next;
    }
    free(buf);
    /* lines without a time: the time before them, else after, else the file's */
    int64_t carry = 0;
    for (size_t i = first; i < *pn; i++) {
        if ((*pv)[i].ts) carry = (*pv)[i].ts;
        else (*pv)[i].ts = carry;
    }
    carry = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    for (size_t i = *pn; i-- > first;) {
        if ((*pv)[i].ts) carry = (*pv)[i].ts;
        else (*pv)[i].ts = carry;
    }
}

/* stat the path; handle rotation, truncation, appearance. */
static size_t check(logfollow *lf, lf_file *f)
{
    struct stat st;
    size_t lines = 0;
    if (stat(f->path, &st) != 0) return f->fd >= 0 ? drain(lf, f) : 0; /* gone: finish the old one */
    if (f->fd < 0 || st.st_ino != f->ino || st.st_dev != f->dev) {
        if (f->fd >= 0) {
            lines += drain(lf, f); /* rotated: the rest of the old file first */
            close(f->fd);
        }
        f->fd = open_log(f->path, &st);
        if (f->fd < 0) return lines;
        f->ino = st.st_ino;
        f->dev = st.st_dev;
        f->off = 0;
        f->part_len = 0;
    } else if (st.st_size < f->off) {
        f->off = 0; /* truncated */
        f->part_len = 0;
    }
    if (st.st_size > f->off) lines += drain(lf, f);
    return lines;
}

static void add_watches(logfollow *lf)
{
    if (lf->ino_fd < 0) return;
    for (size_t i = 0; i < lf->n; i++) {
        inotify_add_watch(lf->ino_fd, lf->files[i].path, IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB);
        char *dir = rag_dirname(lf->files[i].path);
        inotify_add_watch(lf->ino_fd, dir, IN_CREATE | IN_MOVED_TO);
        free(dir);
    }
}

static void *follow_thread(void *arg)
{
    logfollow *lf = arg;
    pending *pv = NULL;
    size_t pn = 0;
    for (size_t i = 0; i < lf->n; i++) open_at_end(lf, &lf->files[i], &pv, &pn);
    if (pn) qsort(pv, pn, sizeof *pv, pending_cmp); /* merged tail in time order */
    for (size_t i = 0; i < pn; i++) {
        model_log_append(lf->m, pv[i].source, pv[i].line, pv[i].len);
        free(pv[i].line);
    }
    free(pv);
    model_wake(lf->m);
    add_watches(lf);

    char evbuf[8192];
    for (;;) {
        struct pollfd pfd[2] = {{lf->stop_rd, POLLIN, 0}, {lf->ino_fd, POLLIN, 0}};
        int r = poll(pfd, lf->ino_fd >= 0 ? 2 : 1, STAT_PERIOD_MS);
        if (r > 0 && pfd[0].revents) break;
        bool rewatch = false;
        if (r > 0 && lf->ino_fd >= 0 && (pfd[1].revents & POLLIN)) {
            ssize_t n = read(lf->ino_fd, evbuf, sizeof evbuf);
            for (ssize_t p = 0; p < n;) {
                const struct inotify_event *ev = (const void *)(evbuf + p);
                if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED)) rewatch = true;
                p += (ssize_t)sizeof *ev + ev->len;
            }
        }
        size_t lines = 0;
        for (size_t i = 0; i < lf->n; i++) lines += check(lf, &lf->files[i]);
        if (rewatch) add_watches(lf); /* re-adding an existing watch is harmless */
        if (lines) model_wake(lf->m);
    }
    return NULL;
}

logfollow *logfollow_start(rt_model *m, char **paths, size_t n, size_t backfill)
{
    return logfollow_start_labeled(m, paths, NULL, n, backfill);
}

logfollow *logfollow_start_labeled(rt_model *m, char **paths, char **labels, size_t n, size_t backfill)
{
    logfollow *lf = rag_xcalloc(1, sizeof *lf);
    lf->m = m;
    lf->backfill = backfill;
    lf->files = rag_xcalloc(n ? n : 1, sizeof *lf->files);
    model_lock(m);
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < lf->n; j++) dup |= strcmp(lf->files[j].path, paths[i]) == 0;
        if (dup) continue;
        lf_file *f = &lf->files[lf->n++];
        f->path = rag_xstrdup(paths[i]);
        f->fd = -1;
        f->source = (int)m->n_log_sources;
        m->log_sources = rag_xrealloc(m->log_sources, (m->n_log_sources + 1) * sizeof *m->log_sources);
        const char *base = strrchr(paths[i], '/');
        const char *label = labels && labels[i] ? labels[i] : base ? base + 1 : paths[i];
        m->log_sources[m->n_log_sources++] = rag_xstrdup(label);
    }
    model_log_source_width(m);
    model_unlock(m);
    lf->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC); /* -1: stat polling only */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fds[0] = fds[1] = -1;
    }
    lf->stop_rd = fds[0];
    lf->stop_wr = fds[1];
    if (pthread_create(&lf->tid, NULL, follow_thread, lf) != 0) {
        logfollow_stop(lf);
        return NULL;
    }
    return lf;
}

void logfollow_stop(logfollow *lf)
{
    if (!lf) return;
    if (lf->tid) {
        char c = 1;
        ssize_t w = write(lf->stop_wr, &c, 1);
        (void)w;
        pthread_join(lf->tid, NULL);
    }
    for (size_t i = 0; i < lf->n; i++) {
        if (lf->files[i].fd >= 0) close(lf->files[i].fd);
        free(lf->files[i].path);
        free(lf->files[i].part);
    }
    free(lf->files);
    if (lf->ino_fd >= 0) close(lf->ino_fd);
    close(lf->stop_rd);
    close(lf->stop_wr);
    free(lf);
}
