/* lastrun.c — outcome of the newest ingest run from the tail of
 * ingestion_metrics.jsonl (see lastrun.h). Only complete lines count: a line
 * still being appended (no newline yet) is ignored until it is finished.
 * A rag-ingest --rollback line ("rollback": true) is not an ingest run: the
 * newest line before it decides. */
#include "lastrun.h"
#include "filecheck.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rag/common.h"
#include "rag/fsutil.h"

#define TAIL_FIRST (16 * 1024)
#define TAIL_MAX (1024 * 1024)
#define TAIL_LINES 64 /* rollback lines looked past at most */

struct api_lastrun {
    pthread_mutex_t lock;
    char *path;
    api_filecheck check;
    int value;
    uint64_t reads;
};

api_lastrun *api_lastrun_new(const char *metrics_path)
{
    api_lastrun *w = rag_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    w->path = rag_xstrdup(metrics_path);
    api_filecheck_init(&w->check);
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

/* 1 success, 0 failed, -1 not a metrics line, -2 a rollback's line */
static int status_of_line(const char *line, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "status");
    int v = -1;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "rollback"))) v = -2;
    else if (cJSON_IsString(s)) {
        if (strcmp(s->valuestring, "published") == 0 || strcmp(s->valuestring, "unchanged") == 0) v = 1;
        else if (strcmp(s->valuestring, "failed") == 0 || strcmp(s->valuestring, "error") == 0) v = 0;
    }
    cJSON_Delete(j);
    return v;
}

static void refresh_locked(api_lastrun *w, int64_t now_mono_ms)
{
    api_file_state fs = api_filecheck_poll(&w->check, w->path, now_mono_ms);
    if (fs == API_FILE_GONE) w->value = -1;
    if (fs != API_FILE_CHANGED) return;
    w->reads++;
    int v = -1;
    /* the newest line; the last TAIL_LINES only when that one is a rollback's */
    for (size_t want = 1;; want = TAIL_LINES) {
        rag_tail t; /* zeroed when it fails */
        v = -1;
        if (rag_tail_lines(w->path, want, TAIL_FIRST, TAIL_MAX, &t, NULL) == RAG_OK)
            for (size_t i = t.count; i-- > 0 && (v = status_of_line(t.lines[i].s, t.lines[i].len)) == -2;)
                ;
        size_t n = t.count;
        rag_tail_free(&t);
        if (v != -2 || want == TAIL_LINES || n < want) break;
    }
    w->value = v == -2 ? -1 : v; /* only rollbacks in the tail: no ingest run to judge */
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
