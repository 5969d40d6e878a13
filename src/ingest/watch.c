/* watch.c — the long-running scheduler behind `rag-ingest --watch` (see
 * watch.h). One poll() loop waits on inotify and the next deadline; a signal
 * interrupts poll (no SA_RESTART) so a stop request is seen at once. Every
 * folder under the transcripts folder gets a watch; new folders are added as
 * they appear, and the whole set is rebuilt after each run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "rag/fsutil.h"
#include "rag/timeutil.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_ATTRIB)

static void add_tree(int ifd, const char *dir, int depth)
{
    if (depth > 64 || inotify_add_watch(ifd, dir, WATCH_MASK | IN_ONLYDIR | IN_DONT_FOLLOW) < 0)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
            char *sub = rag_path_join(dir, de->d_name);
            add_tree(ifd, sub, depth + 1);
            free(sub);
        }
    }
    closedir(d);
}

static int open_watches(const char *root)
{
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0)
        add_tree(ifd, root, 0);
    return ifd;
}

int64_t watch_ms_until_daily(const char *hhmm, int64_t now_ms)
{
    int h, m;
    char extra;
    if (!hhmm || sscanf(hhmm, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    time_t now = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t at = mktime(&tm);
    if (at <= now) {
        tm.tm_mday += 1;
        tm.tm_isdst = -1;
        at = mktime(&tm);
    }
    return (int64_t)(at - now) * 1000 - now_ms % 1000;
}

static int64_t next_deadline(const rag_config *cfg, int64_t last_run_ms)
{
    int64_t now = rag_now_ms(), next = INT64_MAX;
    if (cfg->ingest.schedule_interval_ms > 0)
        next = last_run_ms + cfg->ingest.schedule_interval_ms;
    int64_t daily = watch_ms_until_daily(cfg->ingest.schedule_daily_at, now);
    if (daily >= 0 && now + daily < next)
        next = now + daily;
    return next;
}

static void do_run(const char *config_path, rag_config *cfg, const run_opts *opts, rag_log *log, const char *why)
{
    rag_config fresh;
    rag_problems probs = { 0 };
    rag_error err = { 0 };
    if (rag_config_load(config_path, &fresh, &probs, &err) == RAG_OK) {
        rag_config_free(cfg);
        *cfg = fresh;
    } else {
        rag_log_eventf(log, RAG_LEVEL_ERROR, "config_invalid", NULL, "%s (%zu problem%s); keeping the last valid config",
                       err.msg, probs.count, probs.count == 1 ? "" : "s");
    }
    rag_problems_free(&probs);
    rag_log_eventf(log, RAG_LEVEL_INFO, "watch_trigger", NULL, "starting a run: %s", why);
    run_stats st;
    int rc = ingest_run(cfg, opts, log, &st);
    if (rc == RAG_ELOCKED)
        rag_log_eventf(log, RAG_LEVEL_WARN, "run_skipped", NULL, "another run holds the lock (pid %ld); skipped", st.lock_pid);
    run_stats_free(&st);
    malloc_trim(0); /* between runs, give back what the run freed (main.c keeps it during one) */
}

int watch_loop(const char *config_path, rag_config *cfg, const run_opts *opts, rag_log *log)
{
    rag_log_eventf(log, RAG_LEVEL_INFO, "watch_started", NULL, "watching %s (interval %llds, daily at \"%s\", debounce %lldms)",
                   cfg->paths.transcripts, (long long)(cfg->ingest.schedule_interval_ms / 1000),
                   cfg->ingest.schedule_daily_at ? cfg->ingest.schedule_daily_at : "",
                   (long long)cfg->ingest.watch_debounce_ms);
    if (!opts->quiet)
        fprintf(stderr, "rag-ingest: watching %s (Ctrl-C to stop)\n", cfg->paths.transcripts);
    run_opts ro = *opts;
    ro.progress = false;
    do_run(config_path, cfg, &ro, log, "start-up");
    int64_t last_run = rag_now_ms();
    int ifd = open_watches(cfg->paths.transcripts);
    bool dirty = false;
    int64_t settle_at = 0;
    while (!ingest_stop_requested()) {
        int64_t now = rag_now_ms();
        int64_t deadline = next_deadline(cfg, last_run);
        int64_t wait = deadline - now;
        if (dirty && settle_at - now < wait)
            wait = settle_at - now;
        if (wait > 1000)
            wait = 1000;
        if (wait < 0)
            wait = 0;
        struct pollfd pfd = { ifd, POLLIN, 0 };
        int pr = poll(&pfd, ifd >= 0 ? 1 : 0, (int)wait);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr > 0 && (pfd.revents & POLLIN)) {
            char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t n;
            while ((n = read(ifd, buf, sizeof buf)) > 0) {
                for (char *p = buf; p < buf + n;) {
                    struct inotify_event *ev = (struct inotify_event *)p;
                    if (ev->len == 0 || ev->name[0] != '.') {
                        dirty = true;
                        settle_at = rag_now_ms() + cfg->ingest.watch_debounce_ms;
                    }
                    p += sizeof(struct inotify_event) + ev->len;
                }
            }
        }
        if (ingest_stop_requested())
            break;
        now = rag_now_ms();
        const char *why = NULL;
        if (dirty && now >= settle_at)
            why = "transcripts folder changed";
        else if (now >= next_deadline(cfg, last_run))
            why = "schedule";
        if (why) {
            do_run(config_path, cfg, &ro, log, why);
            last_run = rag_now_ms();
            dirty = false;
            if (ifd >= 0)
                close(ifd);
            ifd = open_watches(cfg->paths.transcripts); /* folders may have come and gone */
        }
    }
    if (ifd >= 0)
        close(ifd);
    rag_log_event(log, RAG_LEVEL_INFO, "watch_stopped", "stop requested", NULL);
    if (!opts->quiet)
        fprintf(stderr, "rag-ingest: watch stopped\n");
    return RAG_EXIT_OK;
}
