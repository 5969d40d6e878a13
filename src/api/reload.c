/* reload.c — manifest watcher and generation swap (see reload.h). Only the
 * watcher thread (or main, before the thread starts) runs a check, so checks
 * never overlap. A manifest that failed is not retried until it changes or
 * SIGHUP arrives, so a bad generation produces one error, not one a second. */
#include "reload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rag/fsutil.h"
#include "rag/manifest.h"
#include "rag/timeutil.h"
#include "rag/vector_index.h"

typedef struct sig {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} sig;

struct api_reloader {
    api_app *app;
    int wake[2];
    int ino_fd;
    int watch;
    bool started;
    pthread_t thread;
    bool have_seen;
    sig seen; /* manifest state last acted upon */
    char served_path[4096]; /* the generation file we opened last ("" = none) */
    sig served_sig;         /* its identity when we opened it */
    bool have_tried;
    sig tried_sig;          /* a changed file we failed to reopen (not retried until it changes again) */
    bool have_served_seen;
    sig served_seen;        /* the served file's change last acted upon (a failed reload is not
                             * retried each second while it stays so, e.g. deleted by retention) */
};

static void sig_read(const char *path, sig *s)
{
    struct stat st;
    memset(s, 0, sizeof *s);
    if (stat(path, &st) != 0) return;
    s->exists = true;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
}

static bool sig_equal(const sig *a, const sig *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

api_reloader *api_reloader_new(api_app *app)
{
    api_reloader *r = rag_xcalloc(1, sizeof *r);
    r->app = app;
    r->wake[0] = r->wake[1] = -1;
    r->ino_fd = -1;
    r->watch = -1;
    if (pipe2(r->wake, O_NONBLOCK | O_CLOEXEC) != 0) r->wake[0] = r->wake[1] = -1;
    return r;
}

static bool valid_generation_name(const char *name)
{
    return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 120;
}

static void fail(api_reloader *r, const char *generation, const char *msg)
{
    api_app *app = r->app;
    const int64_t now = rag_now_ms();
    api_store_fail(app->store, generation, msg, now);
    api_stats_error(app->stats, API_ERR_RELOAD, now);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "generation", generation);
    rag_log_event(app->log, RAG_LEVEL_ERROR, "reload_failed", msg, p);
}

/* The served generation's file was replaced or rewritten since we opened
 * it (and we have not already failed on this version of it). */
static bool served_file_changed(api_reloader *r)
{
    if (!r->served_path[0]) return false;
    sig now;
    sig_read(r->served_path, &now);
    if (sig_equal(&now, &r->served_sig)) return false;
    if (r->have_tried && sig_equal(&now, &r->tried_sig)) return false;
    if (r->have_served_seen && sig_equal(&now, &r->served_seen)) return false; /* acted on already */
    r->served_seen = now;
    r->have_served_seen = true;
    return true;
}

void api_reloader_check(api_reloader *r, bool force)
{
    api_app *app = r->app;
    sig now_sig;
    sig_read(app->manifest_path, &now_sig);
    const bool file_changed = served_file_changed(r);
    if (!force && !file_changed && r->have_seen && sig_equal(&now_sig, &r->seen)) return;
    r->seen = now_sig;
    r->have_seen = true;
    char msg[640];
    if (!now_sig.exists) { /* waiting for the first ingest, or keeping what we serve */
        snprintf(msg, sizeof msg, "%s does not exist", app->manifest_path);
        api_store_manifest(app->store, API_MANIFEST_MISSING, msg, rag_now_ms());
        return;
    }

    rag_manifest m;
    memset(&m, 0, sizeof m);
    rag_error err = {0};
    int rc = rag_manifest_load(app->manifest_path, &m, &err);
    if (rc == RAG_ENOENT) {
        snprintf(msg, sizeof msg, "%s does not exist", app->manifest_path);
        api_store_manifest(app->store, API_MANIFEST_MISSING, msg, rag_now_ms());
        return;
    }
    if (rc != RAG_OK) {
        api_store_manifest(app->store, API_MANIFEST_UNREADABLE, err.msg, rag_now_ms());
        fail(r, "latest.json", err.msg);
        return;
    }
    api_store_manifest(app->store, API_MANIFEST_OK, NULL, rag_now_ms());
    api_generation *cur = api_store_acquire(app->store);
    bool same = cur && strcmp(cur->generation, m.generation) == 0;
    api_generation_release(cur);
    /* The same generation is reopened on SIGHUP and when its file changed
     * on disk (a corrupted or restored file); otherwise only touched. */
    if (same && !force && !file_changed) {
        api_store_touch(app->store, &m);
        rag_manifest_free(&m);
        return;
    }
    if (!valid_generation_name(m.generation)) {
        snprintf(msg, sizeof msg, "%s: generation \"%.100s\" is not a file name in the index folder",
                 app->manifest_path, m.generation);
        fail(r, m.generation, msg);
        rag_manifest_free(&m);
        return;
    }
    char *path = rag_path_join(app->index_dir, m.generation);
    sig before;
    sig_read(path, &before);
    const int64_t t0 = rag_mono_ms();
    api_generation *g = api_generation_open(path, &m, app->cfg, app->workers, &err);
    if (!g) {
        fail(r, m.generation, err.msg);
        r->have_tried = true;
        r->tried_sig = before;
    } else {
        api_store_publish(app->store, g, &m, rag_now_ms());
        snprintf(r->served_path, sizeof r->served_path, "%s", path);
        r->served_sig = before;
        r->have_tried = false;
        r->have_served_seen = false;
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "generation", m.generation);
        cJSON_AddStringToObject(p, "run_id", m.run_id);
        cJSON_AddNumberToObject(p, "chunks", (double)m.chunks);
        cJSON_AddNumberToObject(p, "load_ms", (double)(rag_mono_ms() - t0));
        /* segments already open for the previous generation are shared, not read again */
        cJSON_AddNumberToObject(p, "segments", (double)g->gs.n);
        cJSON_AddNumberToObject(p, "segments_read", (double)g->segments_read);
        cJSON_AddBoolToObject(p, "reopened", same);
        /* hnsw-int8: every segment's vectors through its graph; +exact: some
         * segments (below embedding.ann_min_chunks) are scanned exactly */
        cJSON_AddStringToObject(p, "vector_search", !g->n_ann ? (g->n_exact ? "exact" : "none")
                                                    : g->n_exact ? RAG_VINDEX_KIND "+exact" : RAG_VINDEX_KIND);
        cJSON_AddNumberToObject(p, "ann_segments", g->n_ann);
        rag_log_eventf(app->log, RAG_LEVEL_INFO, "reload", p, "%s %s (%lld chunks)", same ? "reopened" : "serving",
                       m.generation, (long long)m.chunks);
    }
    free(path);
    rag_manifest_free(&m);
}

static void add_watch(api_reloader *r)
{
    if (r->ino_fd < 0 || r->watch >= 0) return;
    r->watch = inotify_add_watch(r->ino_fd, r->app->checkpoints_dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                     IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB);
}

static void drain_inotify(api_reloader *r)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(r->ino_fd, buf, sizeof buf);
        if (n <= 0) return;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                if (r->watch >= 0 && (ev->mask & IN_IGNORED)) r->watch = -1;
            }
            p += sizeof *ev + ev->len;
        }
    }
}

static void *watch_main(void *p)
{
    api_reloader *r = p;
    for (;;) {
        add_watch(r);
        struct pollfd fds[2] = {{.fd = r->wake[0], .events = POLLIN}, {.fd = r->ino_fd, .events = POLLIN}};
        int n = poll(fds, r->ino_fd >= 0 ? 2 : 1, 1000);
        bool force = false;
        if (n > 0 && (fds[0].revents & POLLIN)) {
            char c[64];
            ssize_t got;
            while ((got = read(r->wake[0], c, sizeof c)) > 0)
                for (ssize_t i = 0; i < got; i++) {
                    if (c[i] == 'Q') return NULL;
                    if (c[i] == 'H') force = true;
                }
        }
        if (n > 0 && r->ino_fd >= 0 && (fds[1].revents & POLLIN)) drain_inotify(r);
        if (force) rag_log_event(r->app->log, RAG_LEVEL_INFO, "sighup", "re-reading the manifest", NULL);
        api_reloader_check(r, force);
    }
}

int api_reloader_start(api_reloader *r, rag_error *err)
{
    if (r->wake[0] < 0) return rag_error_set(err, RAG_ERR, "cannot create the reload wake-up pipe: %s", strerror(errno));
    r->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    /* Without inotify the one-second stat poll still notices new manifests. */
    if (pthread_create(&r->thread, NULL, watch_main, r) != 0)
        return rag_error_set(err, RAG_ERR, "cannot start the reload thread: %s", strerror(errno));
    r->started = true;
    return RAG_OK;
}

void api_reloader_trigger(api_reloader *r)
{
    if (r && r->wake[1] >= 0) {
        ssize_t w = write(r->wake[1], "H", 1);
        (void)w;
    }
}

void api_reloader_free(api_reloader *r)
{
    if (!r) return;
    if (r->started) {
        ssize_t w = write(r->wake[1], "Q", 1);
        (void)w;
        pthread_join(r->thread, NULL);
    }
    if (r->ino_fd >= 0) close(r->ino_fd);
    if (r->wake[0] >= 0) close(r->wake[0]);
    if (r->wake[1] >= 0) close(r->wake[1]);
    free(r);
}
