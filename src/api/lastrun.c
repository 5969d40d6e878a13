/* lastrun.c — outcome of the newest ingest run from the tail of
 * ingestion_metrics.jsonl (see lastrun.h). Only complete lines count: a line
 * still being appended (no newline yet) is ignored until it is finished. */
#include "lastrun.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rag/common.h"

#define TAIL_FIRST (16 * 1024)
#define TAIL_MAX (1024 * 1024)

struct api_lastrun {
    pthread_mutex_t lock;
    char *path;
    int64_t last_check_ms;
    bool have_stat;
    struct stat st;
    int value;
    uint64_t reads;
};

api_lastrun *api_lastrun_new(const char *metrics_path)
{
    api_lastrun *w = rag_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    w->path = rag_xstrdup(metrics_path);
    w->last_check_ms = INT64_MIN;
    w->value = -1;
    return w;
}

void api_lastrun_free(api_lastrun *w)
{
    if (!w) return;
    free(w->path);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static int status_of_line(const char *line, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "status");
    int v = -1;
    if (cJSON_IsString(s)) {
        if (strcmp(s->valuestring, "published") == 0 || strcmp(s->valuestring, "unchanged") == 0) v = 1;
        else if (strcmp(s->valuestring, "failed") == 0 || strcmp(s->valuestring, "error") == 0) v = 0;
    }
    cJSON_Delete(j);
    return v;
}

/* The newest complete line of the file's last `size` bytes: reads a tail
 * window, doubling it (up to TAIL_MAX) until a whole line is in it. */
static int read_tail(int fd, off_t size)
{
    size_t win = TAIL_FIRST;
    for (;;) {
        size_t n = (off_t)win < size ? win : (size_t)size;
        char *buf = rag_xmalloc(n + 1);
        ssize_t got = pread(fd, buf, n, size - (off_t)n);
        if (got != (ssize_t)n) {
            free(buf);
            return -1;
        }
        size_t end = n; /* drop an unfinished last line */
        while (end > 0 && buf[end - 1] != '\n') end--;
        while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r' || buf[end - 1] == ' ')) end--;
        if (end == 0) { /* no complete non-empty line in the window */
            free(buf);
            if ((off_t)n == size || win >= TAIL_MAX) return -1;
            win *= 2;
            continue;
        }
        size_t start = end;
        while (start > 0 && buf[start - 1] != '\n') start--;
        if (start == 0 && (off_t)n < size) { /* the line may begin before the window */
            free(buf);
            if (win >= TAIL_MAX) return -1;
            win *= 2;
            continue;
        }
        int v = status_of_line(buf + start, end - start);
        free(buf);
        return v;
    }
}

static void refresh_locked(api_lastrun *w, int64_t now_mono_ms)
{
    if (w->last_check_ms != INT64_MIN && now_mono_ms - w->last_check_ms < 1000) return;
    w->last_check_ms = now_mono_ms;
    struct stat st;
    if (stat(w->path, &st) != 0) {
        w->have_stat = false;
        w->value = -1;
        return;
    }
    if (w->have_stat && st.st_ino == w->st.st_ino && st.st_size == w->st.st_size &&
        st.st_mtim.tv_sec == w->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == w->st.st_mtim.tv_nsec)
        return;
    w->st = st;
    w->have_stat = true;
    w->reads++;
    int fd = open(w->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        w->value = -1;
        return;
    }
    struct stat fst; /* size of what was opened, in case the file was replaced */
    w->value = fstat(fd, &fst) == 0 && fst.st_size > 0 ? read_tail(fd, fst.st_size) : -1;
    close(fd);
}

int api_lastrun_get(api_lastrun *w, int64_t now_mono_ms)
{
    pthread_mutex_lock(&w->lock);
    refresh_locked(w, now_mono_ms);
    int v = w->value;
    pthread_mutex_unlock(&w->lock);
    return v;
}

uint64_t api_lastrun_reads(api_lastrun *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t r = w->reads;
    pthread_mutex_unlock(&w->lock);
    return r;
}
