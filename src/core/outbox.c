/* outbox.c — the persistent alert outbox: one JSON file per delivery under
 * <run>/outbox/pending/, written atomically; a flush POSTs due deliveries
 * with libcurl, retries failures with capped exponential backoff plus
 * jitter, and moves each file to sent/ or expired/ (pruned to the newest
 * keep_done). A crash between a successful POST and the move can resend
 * that one delivery (at-least-once); nothing is ever dropped silently. */
#include "rag/jsonlog.h"
#include "rag/outbox.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "rag/fsutil.h"
#include "rag/timeutil.h"

struct rag_outbox {
    char *dir;      /* <run>/outbox */
    char *pending, *sent, *expired, *lockpath;
    rag_outbox_policy policy;
    rag_log *log;
    unsigned int seed; /* jitter */
    bool curl_ready;
};

#define MAX_DELIVERY_BYTES (4u << 20)
/* receivers whose order a flush tracks, and room for a name (config allows
 * up to 64 characters) */
#define MAX_BLOCKED 64
#define NAME_ROOM 72

void rag_outbox_policy_defaults(rag_outbox_policy *p)
{
    p->expire_ms = 24LL * 3600 * 1000;
    p->backoff_base_ms = 1000;
    p->backoff_max_ms = 15000;
    p->timeout_ms = 5000;
    p->keep_done = 100;
}

rag_outbox *rag_outbox_open(const char *run_dir, const rag_outbox_policy *policy, rag_log *log,
                            rag_error *err)
{
    rag_outbox *ob = rag_xcalloc(1, sizeof *ob);
    ob->dir = rag_path_join(run_dir, "outbox");
    ob->pending = rag_path_join(ob->dir, "pending");
    ob->sent = rag_path_join(ob->dir, "sent");
    ob->expired = rag_path_join(ob->dir, "expired");
    ob->lockpath = rag_path_join(ob->dir, ".lock");
    if (policy) ob->policy = *policy;
    else rag_outbox_policy_defaults(&ob->policy);
    ob->log = log;
    ob->seed = (unsigned int)(rag_now_ms() ^ ((int64_t)getpid() << 16));
    if (rag_mkdir_p(ob->pending, 0755, err) || rag_mkdir_p(ob->sent, 0755, err) ||
        rag_mkdir_p(ob->expired, 0755, err)) {
        rag_outbox_close(ob);
        return NULL;
    }
    ob->curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    return ob;
}

void rag_outbox_close(rag_outbox *ob)
{
    if (!ob) return;
    free(ob->dir); free(ob->pending); free(ob->sent); free(ob->expired); free(ob->lockpath);
    if (ob->curl_ready) curl_global_cleanup();
    free(ob);
}

static bool safe_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

/* "<key>--<receiver>.json" with anything outside [A-Za-z0-9._-] turned to '_'. */
static char *delivery_name(const char *key, const char *receiver)
{
    char *s = rag_xasprintf("%s--%s.json", key, receiver);
    for (char *p = s; *p; p++)
        if (!safe_name_char(*p)) *p = '_';
    if (s[0] == '.') s[0] = '_';
    return s;
}

static bool exists_in(const char *dir, const char *name)
{
    char *p = rag_path_join(dir, name);
    struct stat st;
    bool ok = stat(p, &st) == 0;
    free(p);
    return ok;
}

char *rag_receiver_url(const rag_receiver *rcv, rag_error *err)
{
    const char *v = rcv->url_env ? getenv(rcv->url_env) : NULL;
    if (!v || !*v) {
        rag_error_set(err, RAG_EINVAL, "receiver %s: environment variable %s is not set", rcv->name,
                      rcv->url_env ? rcv->url_env : "(none)");
        return NULL;
    }
    if (rcv->format && strcmp(rcv->format, "alertmanager") == 0 && !strstr(v, "/api/v2/alerts")) {
        size_t n = strlen(v);
        while (n > 0 && v[n - 1] == '/') n--;
        return rag_xasprintf("%.*s/api/v2/alerts", (int)n, v);
    }
    return rag_xstrdup(v);
}

int rag_outbox_enqueue(rag_outbox *ob, const char *key, const rag_receiver *rcv,
                       const rag_alert *a, int64_t now_ms, bool *created, rag_error *err)
{
    if (created) *created = false;
    int fmt = rag_alert_format_parse(rcv->format);
    if (fmt < 0)
        return rag_error_set(err, RAG_EINVAL, "receiver %s: unknown format \"%s\"", rcv->name,
                             rcv->format ? rcv->format : "");
    char *name = delivery_name(key, rcv->name);
    if (exists_in(ob->pending, name) || exists_in(ob->sent, name) || exists_in(ob->expired, name)) {
        free(name);
        return RAG_OK;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "key", key);
    cJSON_AddStringToObject(o, "receiver", rcv->name);
    cJSON_AddStringToObject(o, "format", rcv->format);
    cJSON_AddStringToObject(o, "url_env", rcv->url_env ? rcv->url_env : "");
    cJSON_AddNumberToObject(o, "created_ms", (double)now_ms);
    cJSON_AddNumberToObject(o, "expires_ms", (double)(now_ms + ob->policy.expire_ms));
    cJSON_AddNumberToObject(o, "next_attempt_ms", (double)now_ms);
    cJSON_AddNumberToObject(o, "attempts", 0);
    cJSON_AddStringToObject(o, "last_error", "");
    cJSON_AddNumberToObject(o, "done_ms", 0);
    cJSON_AddItemToObject(o, "alert", rag_alert_to_json(a));
    char *body = rag_alert_render(a, (rag_alert_format)fmt, now_ms);
    cJSON_AddStringToObject(o, "body", body);
    free(body);
    char *text = rag_json_print(o, true, NULL);
    cJSON_Delete(o);
    char *path = rag_path_join(ob->pending, name);
    int rc = rag_atomic_write(path, text, strlen(text), err);
    if (rc == RAG_OK && created) *created = true;
    if (rc == RAG_OK && ob->log) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "delivery", name);
        cJSON_AddStringToObject(p, "receiver", rcv->name);
        cJSON_AddStringToObject(p, "check", a->check);
        cJSON_AddStringToObject(p, "status", rag_alert_status_name(a->status));
        cJSON_AddStringToObject(p, "fingerprint", a->fingerprint);
        rag_log_event(ob->log, RAG_LEVEL_INFO, "alert_queued", NULL, p);
    }
    free(path);
    free(text);
    free(name);
    return rc;
}

/* ---------------------------------------------------------------- listing */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "*.json" names in dir (temp files of rag_atomic_write excluded). */
static char **list_names(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = rag_xrealloc(names, cap * sizeof *names);
        }
        names[(*n)++] = rag_xstrdup(de->d_name);
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static cJSON *load_delivery(const char *dir, const char *name, rag_error *err)
{
    char *path = rag_path_join(dir, name);
    char *buf = NULL;
    size_t len = 0;
    cJSON *o = NULL;
    if (rag_read_file(path, MAX_DELIVERY_BYTES, &buf, &len, err) == RAG_OK) {
        o = cJSON_ParseWithLength(buf, len);
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            o = NULL;
            rag_error_set(err, RAG_ECORRUPT, "%s: not a delivery (invalid JSON)", path);
        }
    }
    free(buf);
    free(path);
    return o;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? rag_clamp_i64(v->valuedouble, -RAG_EXACT_INT, RAG_EXACT_INT) : 0;
}

static void set_num(cJSON *o, const char *key, int64_t v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, (double)v);
}

static void set_str(cJSON *o, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, v);
}

int rag_outbox_list(const char *run_dir, const char *which, rag_delivery **out, size_t *n,
                    rag_error *err)
{
    (void)err;
    char *ob = rag_path_join(run_dir, "outbox");
    char *dir = rag_path_join(ob, which);
    free(ob);
    size_t nn = 0;
    char **names = list_names(dir, &nn);
    rag_delivery *items = nn ? rag_xcalloc(nn, sizeof *items) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < nn; i++) {
        cJSON *o = load_delivery(dir, names[i], NULL);
        if (!o) continue;
        rag_delivery *d = &items[k++];
        const cJSON *al = cJSON_GetObjectItemCaseSensitive(o, "alert");
        snprintf(d->name, sizeof d->name, "%s", names[i]);
        snprintf(d->receiver, sizeof d->receiver, "%s", jstr(o, "receiver"));
        snprintf(d->format, sizeof d->format, "%s", jstr(o, "format"));
        snprintf(d->url_env, sizeof d->url_env, "%s", jstr(o, "url_env"));
        snprintf(d->check, sizeof d->check, "%s", jstr(al, "check"));
        snprintf(d->status, sizeof d->status, "%s", jstr(al, "status"));
        snprintf(d->severity, sizeof d->severity, "%s", jstr(al, "severity"));
        snprintf(d->fingerprint, sizeof d->fingerprint, "%s", jstr(al, "fingerprint"));
        d->reminder = (int)jnum(al, "reminder");
        d->created_ms = jnum(o, "created_ms");
        d->expires_ms = jnum(o, "expires_ms");
        d->next_attempt_ms = jnum(o, "next_attempt_ms");
        d->done_ms = jnum(o, "done_ms");
        d->attempts = (int)jnum(o, "attempts");
        snprintf(d->last_error, sizeof d->last_error, "%s", jstr(o, "last_error"));
        cJSON_Delete(o);
    }
    free_names(names, nn);
    free(dir);
    *out = items;
    *n = k;
    return RAG_OK;
}

int64_t rag_outbox_next_due(rag_outbox *ob)
{
    size_t n = 0;
    char **names = list_names(ob->pending, &n);
    int64_t due = 0;
    /* only each receiver's first delivery (in key order) can go out: the
     * later ones wait behind it whatever their own times say (counting them
     * made a watcher re-flush in a loop through a receiver's outage) */
    char heads[MAX_BLOCKED][NAME_ROOM];
    int nh = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *o = load_delivery(ob->pending, names[i], NULL);
        if (!o) {
            if (due == 0 || 1 < due) due = 1; /* corrupt: the next flush sets it aside */
            continue;
        }
        const char *receiver = jstr(o, "receiver");
        bool seen = false;
        for (int h = 0; h < nh && !seen; h++) seen = strcmp(heads[h], receiver) == 0;
        if (!seen) {
            if (nh < MAX_BLOCKED) snprintf(heads[nh++], sizeof heads[0], "%s", receiver);
            int64_t t = jnum(o, "next_attempt_ms");
            const int64_t expires = jnum(o, "expires_ms");
            if (expires < t) t = expires;
            if (due == 0 || t < due) due = t;
        }
        cJSON_Delete(o);
    }
    free_names(names, n);
    return due;
}

/* ---------------------------------------------------------------- delivery */

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr; (void)ud;
    return size * nmemb;
}

/* Remove every occurrence of the URL's secret part from msg (libcurl error
 * texts can quote a URL). */
static void scrub(char *msg, size_t n, const char *url)
{
    const char *sep = strstr(url, "://");
    const char *secret = sep ? sep + 3 + strcspn(sep + 3, "/?#") : url;
    if (strlen(secret) < 2) return;
    char red[256];
    rag_url_redact(url, red, sizeof red);
    if (strstr(msg, secret) || strstr(msg, url)) snprintf(msg, n, "request to %s failed", red);
}

/* The longest Retry-After honoured: a receiver cannot park a delivery past
 * this (it still expires at expires_ms). */
#define RETRY_AFTER_MAX_MS (60LL * 60 * 1000)

/* POST body to url. RAG_OK on HTTP 2xx; otherwise err says why, and
 * *retry_after_ms is what a 429 or 503 asked for in Retry-After (seconds or
 * an HTTP date, capped at RETRY_AFTER_MAX_MS), else 0. */
static int http_post(const char *url, const char *body, int64_t timeout_ms, int64_t *retry_after_ms, rag_error *err)
{
    *retry_after_ms = 0;
    CURL *c = curl_easy_init();
    if (!c) return rag_error_set(err, RAG_ERR, "libcurl: cannot create a handle");
    char cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ragtop/" RAG_VERSION);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_off_t wait_s = 0;
    if (cc == CURLE_OK && (code == 429 || code == 503) && curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &wait_s) == CURLE_OK &&
        wait_s > 0)
        *retry_after_ms = wait_s >= RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (int64_t)wait_s * 1000;
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    int rc = RAG_OK;
    if (cc != CURLE_OK) {
        char msg[CURL_ERROR_SIZE + 64];
        snprintf(msg, sizeof msg, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
        scrub(msg, sizeof msg, url);
        rc = rag_error_set(err, RAG_ERR, "%s", msg);
    } else if (code < 200 || code > 299) {
        if (*retry_after_ms)
            rc = rag_error_set(err, RAG_ERR, "HTTP %ld (Retry-After %lld s)", code, (long long)(*retry_after_ms / 1000));
        else
            rc = rag_error_set(err, RAG_ERR, "HTTP %ld", code);
    }
    return rc;
}

/* Delay before retry number `attempts` (1-based): base * 2^(attempts-1),
 * capped, then scaled by a random factor in [0.5, 1.0] so many watchers do
 * not retry in lockstep. */
static int64_t backoff_ms(rag_outbox *ob, int attempts)
{
    int64_t d = ob->policy.backoff_base_ms;
    for (int i = 1; i < attempts && d < ob->policy.backoff_max_ms; i++) d *= 2;
    if (d > ob->policy.backoff_max_ms) d = ob->policy.backoff_max_ms;
    double f = 0.5 + 0.5 * ((double)rand_r(&ob->seed) / (double)RAND_MAX);
    int64_t r = (int64_t)((double)d * f);
    return r < 1 ? 1 : r;
}

/* Write o to dir/name atomically, then remove pending/name. */
static int move_to(rag_outbox *ob, cJSON *o, const char *dir, const char *name, rag_error *err)
{
    char *text = rag_json_print(o, true, NULL);
    char *dst = rag_path_join(dir, name);
    int rc = rag_atomic_write(dst, text, strlen(text), err);
    if (rc == RAG_OK) {
        char *src = rag_path_join(ob->pending, name);
        unlink(src);
        free(src);
        rag_fsync_dir(ob->pending, NULL);
    }
    free(dst);
    free(text);
    return rc;
}

static void prune(const char *dir, int keep)
{
    size_t n = 0;
    char **names = list_names(dir, &n);
    for (size_t i = 0; keep >= 0 && i + (size_t)keep < n; i++) {
        char *p = rag_path_join(dir, names[i]);
        unlink(p);
        free(p);
    }
    free_names(names, n);
}

static void log_delivery(rag_outbox *ob, rag_level level, const char *event, const char *name,
                         const cJSON *o, const char *url, const char *error, int64_t next_ms)
{
    if (!ob->log) return;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "delivery", name);
    cJSON_AddStringToObject(p, "receiver", jstr(o, "receiver"));
    cJSON_AddStringToObject(p, "format", jstr(o, "format"));
    if (url) {
        char red[256];
        rag_url_redact(url, red, sizeof red);
        cJSON_AddStringToObject(p, "url", red);
    }
    cJSON_AddNumberToObject(p, "attempts", (double)jnum(o, "attempts"));
    if (error) cJSON_AddStringToObject(p, "error", error);
    if (next_ms) {
        char ts[RAG_TIME_BUFSZ];
        rag_time_format(next_ms, ts);
        cJSON_AddStringToObject(p, "next_attempt_at", ts);
    }
    rag_log_event(ob->log, level, event, NULL, p);
}

static bool is_blocked(char blocked[][NAME_ROOM], int nb, const char *r)
{
    for (int i = 0; i < nb; i++)
        if (strcmp(blocked[i], r) == 0) return true;
    return false;
}

int rag_outbox_flush(rag_outbox *ob, int64_t now_ms, int64_t budget_ms, rag_outbox_stats *st,
                     rag_error *err)
{
    rag_outbox_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    rag_lock lock;
    int rc = rag_lock_acquire(ob->lockpath, &lock, NULL, err);
    if (rc == RAG_ELOCKED) {
        st->locked = true;
        return RAG_OK;
    }
    if (rc != RAG_OK) return rc;

    int64_t t0 = rag_mono_ms();
    size_t n = 0;
    char **names = list_names(ob->pending, &n);
    char blocked[MAX_BLOCKED][NAME_ROOM];
    int nb = 0;
    bool changed_done = false;
    rag_error first_error = {0}; /* the first outbox file that could not be written */
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        if (exists_in(ob->sent, name)) { /* crashed after delivering, before unlinking */
            char *p = rag_path_join(ob->pending, name);
            unlink(p);
            free(p);
            continue;
        }
        rag_error lerr = {0};
        cJSON *o = load_delivery(ob->pending, name, &lerr);
        if (!o) {
            /* A corrupt file cannot be delivered; keep it visible in expired/. */
            char *src = rag_path_join(ob->pending, name);
            char *dst = rag_path_join(ob->expired, name);
            rename(src, dst);
            free(src); free(dst);
            if (ob->log) rag_log_eventf(ob->log, RAG_LEVEL_ERROR, "alert_delivery_corrupt", NULL, "%s", lerr.msg);
            st->expired++;
            continue;
        }
        const char *receiver = jstr(o, "receiver");
        if (is_blocked(blocked, nb, receiver)) {
            st->pending++;
            cJSON_Delete(o);
            continue;
        }
        if (now_ms >= jnum(o, "expires_ms")) {
            set_num(o, "done_ms", now_ms);
            if (move_to(ob, o, ob->expired, name, err) == RAG_OK) {
                st->expired++;
                changed_done = true;
                log_delivery(ob, RAG_LEVEL_ERROR, "alert_expired", name, o, NULL, jstr(o, "last_error"), 0);
            }
            cJSON_Delete(o);
            continue;
        }
        int64_t left = budget_ms - (rag_mono_ms() - t0);
        if (jnum(o, "next_attempt_ms") > now_ms || left < 100) {
            if (nb < MAX_BLOCKED) snprintf(blocked[nb++], sizeof blocked[0], "%s", receiver);
            st->pending++;
            cJSON_Delete(o);
            continue;
        }
        rag_receiver rcv = { .name = (char *)receiver, .format = (char *)jstr(o, "format"),
                             .url_env = (char *)jstr(o, "url_env") };
        rag_error perr = {0};
        char *url = rag_receiver_url(&rcv, &perr);
        int64_t timeout = ob->policy.timeout_ms < left ? ob->policy.timeout_ms : left;
        int64_t retry_after = 0;
        int prc = url ? http_post(url, jstr(o, "body"), timeout, &retry_after, &perr) : RAG_ERR;
        int attempts = (int)jnum(o, "attempts") + 1;
        set_num(o, "attempts", attempts);
        int64_t done_at = now_ms + (rag_mono_ms() - t0);
        if (prc == RAG_OK) {
            set_num(o, "done_ms", done_at);
            set_str(o, "last_error", "");
            rag_error merr = {0};
            if (move_to(ob, o, ob->sent, name, &merr) == RAG_OK) {
                st->delivered++;
                changed_done = true;
                log_delivery(ob, RAG_LEVEL_INFO, "alert_delivered", name, o, url, NULL, 0);
            } else {
                /* Delivered, but its record in sent/ cannot be written (no
                 * space or inodes): leaving it pending would send it again
                 * at every flush. Removing it needs no space; only the
                 * record is lost, and that is said. */
                char *p = rag_path_join(ob->pending, name);
                const bool removed = unlink(p) == 0;
                free(p);
                if (removed) {
                    st->delivered++;
                    log_delivery(ob, RAG_LEVEL_INFO, "alert_delivered", name, o, url, NULL, 0);
                }
                if (ob->log)
                    rag_log_eventf(ob->log, RAG_LEVEL_ERROR, "outbox_write_failed", NULL,
                                   "%s: delivered, but not recorded in sent/ (%s)%s", name, merr.msg,
                                   removed ? "" : "; it stays pending and may be sent again");
                if (!removed) {
                    st->pending++;
                    if (nb < MAX_BLOCKED) snprintf(blocked[nb++], sizeof blocked[0], "%s", receiver);
                    if (!first_error.msg[0]) first_error = merr;
                }
            }
        } else {
            /* the receiver's Retry-After when it asks for longer than the backoff */
            const int64_t wait = backoff_ms(ob, attempts);
            int64_t next = done_at + (retry_after > wait ? retry_after : wait);
            set_num(o, "next_attempt_ms", next);
            set_str(o, "last_error", perr.msg);
            char *text = rag_json_print(o, true, NULL);
            char *path = rag_path_join(ob->pending, name);
            rag_error werr = {0};
            if (rag_atomic_write(path, text, strlen(text), &werr) != RAG_OK) {
                /* the attempt and its backoff are not on disk: the caller
                 * is told, so it waits instead of retrying at once */
                if (ob->log)
                    rag_log_eventf(ob->log, RAG_LEVEL_ERROR, "outbox_write_failed", NULL,
                                   "%s: the failed attempt could not be recorded (%s)", name, werr.msg);
                if (!first_error.msg[0]) first_error = werr;
            }
            free(path);
            free(text);
            st->failed++;
            st->pending++;
            log_delivery(ob, RAG_LEVEL_WARN, "alert_delivery_failed", name, o, url, perr.msg, next);
            if (nb < MAX_BLOCKED) snprintf(blocked[nb++], sizeof blocked[0], "%s", receiver);
        }
        free(url);
        cJSON_Delete(o);
    }
    free_names(names, n);
    if (changed_done) {
        prune(ob->sent, ob->policy.keep_done);
        prune(ob->expired, ob->policy.keep_done);
    }
    rag_lock_release(&lock);
    if (first_error.msg[0]) return rag_error_set(err, first_error.code ? first_error.code : RAG_ERR, "%s", first_error.msg);
    return RAG_OK;
}

int rag_outbox_post(const rag_config *cfg, const rag_alert *a, const char *key, int64_t budget_ms,
                    rag_log *log, rag_outbox_stats *st, rag_error *err)
{
    if (st) memset(st, 0, sizeof *st);
    if (cfg->watch.n_receivers == 0) return RAG_OK;
    char *run = rag_config_run_dir(cfg);
    rag_outbox_policy pol;
    rag_outbox_policy_defaults(&pol);
    if (cfg->watch.delivery_expire_ms > 0) pol.expire_ms = cfg->watch.delivery_expire_ms;
    rag_outbox *ob = rag_outbox_open(run, &pol, log, err);
    free(run);
    if (!ob) return err ? err->code : RAG_ERR;
    int64_t now = rag_now_ms();
    int rc = RAG_OK;
    for (size_t i = 0; i < cfg->watch.n_receivers && rc == RAG_OK; i++)
        rc = rag_outbox_enqueue(ob, key, &cfg->watch.receivers[i], a, now, NULL, err);
    if (rc == RAG_OK) rc = rag_outbox_flush(ob, now, budget_ms, st, err);
    rag_outbox_close(ob);
    return rc;
}
