/* probe.c — concurrent health probes (libcurl multi). Every due service gets
 * its own easy handle with its own timeout; one curl_multi_poll loop drives
 * them all, so the whole pass takes as long as the slowest probe, not the
 * sum. Bodies are capped at 1 MiB and parsed as /healthz JSON. */
#include "probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <curl/curl.h>


#include "rag/timeutil.h"

#define BODY_MAX (1024 * 1024)

typedef struct body { char *buf; size_t len; } body;

void probe_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }
void probe_global_cleanup(void) { curl_global_cleanup(); }

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    body *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > BODY_MAX) return 0; /* abort: too large */
    b->buf = rag_xrealloc(b->buf, b->len + n + 1);
    memcpy(b->buf + b->len, ptr, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return n;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static void sget(char *dst, size_t n, const cJSON *v)
{
    if (cJSON_IsString(v)) rt_fmt(dst, n, "%s", v->valuestring);
}

static int64_t iget(const cJSON *v, int64_t dflt)
{
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static int64_t tget(const cJSON *v)
{
    int64_t ms = 0;
    if (cJSON_IsString(v) && rag_time_parse(v->valuestring, &ms) == 0) return ms;
    return 0;
}

static void add_failing(rt_probe *p, const char *name, const char *status)
{
    size_t l = strlen(p->failing);
    rt_fmt(p->failing + l, sizeof p->failing - l, "%s%s=%s", l ? "," : "", name, status);
}

void probe_parse_healthz(const char *text, size_t len, rt_probe *p)
{
    p->uptime_s = p->requests = p->errors = p->recent_errors = -1;
    p->generated_at_ms = p->checked_at_ms = 0;
    p->chunk_count = -1;
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return;
    }
    sget(p->status, sizeof p->status, get(o, "status"));
    sget(p->version, sizeof p->version, get(o, "version"));
    const cJSON *up = get(o, "uptime_s");
    if (!up) up = get(o, "uptime");
    if (cJSON_IsNumber(up)) p->uptime_s = (int64_t)up->valuedouble;
    else if (cJSON_IsNumber(get(o, "uptime_ms"))) p->uptime_s = iget(get(o, "uptime_ms"), 0) / 1000;

    const cJSON *rq = get(o, "requests");
    if (cJSON_IsObject(rq)) {
        /* queries only when reported: ragtop's own /healthz probes are not
         * the service's traffic */
        p->requests = iget(get(rq, "queries"), iget(get(rq, "total"), -1));
        p->errors = iget(get(rq, "query_errors"), iget(get(rq, "errors"), -1));
    } else {
        p->requests = iget(rq, -1);
        p->errors = iget(get(o, "errors"), -1);
    }
    const cJSON *re = get(o, "recent_errors");
    if (cJSON_IsArray(re)) p->recent_errors = cJSON_GetArraySize(re);
    else if (cJSON_IsObject(re)) p->recent_errors = iget(get(re, "count"), -1);
    else p->recent_errors = iget(re, -1);

    /* rag-api reports errors in a sliding window as checks.recent_errors */
    const cJSON *rec = get(get(o, "checks"), "recent_errors");
    if (p->recent_errors < 0 && cJSON_IsObject(rec)) p->recent_errors = iget(get(rec, "observed_value"), -1);
    if (p->errors < 0) p->errors = p->recent_errors;

    const cJSON *ix = get(o, "index");
    if (!cJSON_IsObject(ix)) ix = o; /* flat fields */
    sget(p->run_id, sizeof p->run_id, get(ix, "run_id"));
    sget(p->generation, sizeof p->generation, get(ix, "generation"));
    sget(p->config_hash, sizeof p->config_hash, get(ix, "config_hash"));
    p->generated_at_ms = tget(get(ix, "generated_at"));
    p->checked_at_ms = tget(get(ix, "checked_at"));
    p->chunk_count = iget(get(ix, "chunk_count"), -1);

    /* checks: object {name: {status}} or {name: [{status}]} or array [{name,status}] */
    const cJSON *checks = get(o, "checks");
    const cJSON *c;
    cJSON_ArrayForEach(c, checks) {
        const cJSON *item = cJSON_IsArray(c) ? cJSON_GetArrayItem(c, 0) : c;
        const cJSON *st = get(item, "status");
        const char *name = c->string ? c->string : (cJSON_IsString(get(item, "name")) ? get(item, "name")->valuestring : "?");
        if (cJSON_IsString(st) && strcmp(st->valuestring, "pass") != 0) add_failing(p, name, st->valuestring);
    }
    cJSON_Delete(o);
}

typedef struct slot {
    CURL *h;
    body b;
    size_t idx;
    int64_t t0;
} slot;

/* Does /proc/PID/cmdline contain prog as one of its arguments (daemon.sh's
 * check: a recycled pid running something else is not our program)? */
static bool cmdline_has(long pid, const char *prog)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
        if (strcmp(buf + i, prog) == 0) return true;
    return false;
}

void probe_pidfile(const rag_service *svc, rt_probe *p)
{
    p->pid_state = RT_PID_NONE;
    if (!svc->pidfile) return;
    p->pid_state = RT_PID_STOPPED;
    p->pid = 0;
    struct stat st;
    FILE *f = fopen(svc->pidfile, "r");
    if (!f || fstat(fileno(f), &st) != 0) {
        if (f) fclose(f);
        rt_fmt(p->pid_note, sizeof p->pid_note, "no pidfile");
        return;
    }
    char line1[64] = "", line2[1024] = "";
    if (!fgets(line1, sizeof line1, f)) line1[0] = '\0';
    if (!fgets(line2, sizeof line2, f)) line2[0] = '\0';
    fclose(f);
    line2[strcspn(line2, "\n")] = '\0';
    char *end;
    long pid = strtol(line1, &end, 10);
    if (pid <= 0 || (*end && *end != '\n')) {
        rt_fmt(p->pid_note, sizeof p->pid_note, "pidfile has no pid");
        return;
    }
    p->pid = pid;
    bool alive = kill((pid_t)pid, 0) == 0 || errno == EPERM;
    if (!alive || (line2[0] && !cmdline_has(pid, line2))) {
        rt_fmt(p->pid_note, sizeof p->pid_note, "stale pidfile: pid %ld is %s", pid, alive ? "another program" : "gone");
        return;
    }
    p->pid_state = RT_PID_RUNNING;
    p->pid_since_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

void probe_run(const rag_services *svcs, const bool *due, rt_probe *out)
{
    probe_run_stoppable(svcs, due, out, NULL);
}

void probe_run_stoppable(const rag_services *svcs, const bool *due, rt_probe *out, const int *stop)
{
    size_t n = svcs->count;
    slot *slots = rag_xcalloc(n ? n : 1, sizeof *slots);
    CURLM *multi = curl_multi_init();
    size_t active = 0;
    for (size_t i = 0; i < n; i++) {
        const rag_service *svc = &svcs->items[i];
        if (due && !due[i]) continue;
        rt_probe *p = &out[i];
        memset(p, 0, sizeof *p);
        rt_fmt(p->service, sizeof p->service, "%s", svc->name);
        p->uptime_s = p->requests = p->errors = p->recent_errors = p->chunk_count = -1;
        if (!svc->health_url) {
            probe_pidfile(svc, p);
            continue;
        }
        p->probed = true;
        CURL *h = curl_easy_init();
        slots[i] = (slot){.h = h, .idx = i, .t0 = rag_mono_ms()};
        long timeout = svc->health_timeout_ms > 0 ? (long)svc->health_timeout_ms : 2000;
        curl_easy_setopt(h, CURLOPT_URL, svc->health_url);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "ragtop/" RAG_VERSION);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &slots[i].b);
        curl_easy_setopt(h, CURLOPT_PRIVATE, &slots[i]);
        curl_multi_add_handle(multi, h);
        active++;
    }
    int running = (int)active;
    while (running > 0) {
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            slot *s = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            rt_probe *p = &out[s->idx];
            p->latency_ms = rag_mono_ms() - s->t0;
            p->probed_at_ms = rag_now_ms();
            if (msg->data.result == CURLE_OK) {
                p->up = true;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &p->http_code);
                if (s->b.buf) {
                    probe_parse_healthz(s->b.buf, s->b.len, p);
                    rt_fmt(p->body, sizeof p->body, "%s", s->b.buf);
                    p->body_cut = s->b.len >= sizeof p->body;
                }
                if (!p->status[0]) rt_fmt(p->status, sizeof p->status, "%s", p->http_code < 400 ? "pass" : "fail");
            } else if (msg->data.result == CURLE_OPERATION_TIMEDOUT) {
                char d[32];
                rag_duration_format(svcs->items[s->idx].health_timeout_ms > 0 ? svcs->items[s->idx].health_timeout_ms : 2000, d, sizeof d);
                rt_fmt(p->error, sizeof p->error, "timeout after %s", d);
            } else if (msg->data.result == CURLE_COULDNT_CONNECT) {
                rt_fmt(p->error, sizeof p->error, "connection refused");
            } else {
                rt_fmt(p->error, sizeof p->error, "%s", curl_easy_strerror(msg->data.result));
            }
        }
        if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) break;
        if (running > 0) curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (!slots[i].h) continue;
        curl_multi_remove_handle(multi, slots[i].h);
        curl_easy_cleanup(slots[i].h);
        free(slots[i].b.buf);
    }
    curl_multi_cleanup(multi);
    free(slots);
}
