/* probe.c — concurrent health probes (libcurl multi). Every due service gets
 * its own easy handle with its own timeout — a replicated service one per
 * instance (health.urls, or every address its DNS name resolves to, resolved
 * again on every probe); one curl_multi_poll loop drives them all, so the
 * whole pass takes as long as the slowest probe, not the sum. Bodies are
 * capped at 1 MiB and parsed as /healthz JSON. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <curl/curl.h>


#include "rag/fsutil.h"
#include "rag/jsonlog.h"
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
    return cJSON_IsNumber(v) ? rag_clamp_i64(v->valuedouble, -RAG_EXACT_INT, RAG_EXACT_INT) : dflt;
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
    p->generated_at_ms = p->checked_at_ms = p->loaded_at_ms = 0;
    p->chunk_count = -1;
    cJSON *o = rag_json_parse_showing_nul(text, len, NULL); /* a \u0000 in a check name shown as ␀, not cut */
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return;
    }
    sget(p->status, sizeof p->status, get(o, "status"));
    sget(p->version, sizeof p->version, get(o, "version"));
    const cJSON *up = get(o, "uptime_s");
    if (!up) up = get(o, "uptime");
    if (cJSON_IsNumber(up)) p->uptime_s = iget(up, 0);
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
    p->loaded_at_ms = tget(get(ix, "loaded_at"));

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

/* Up to max bytes of a file into a NUL-terminated heap buffer (*len bytes
 * read); NULL when it cannot be opened. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    if (!buf) { fclose(f); return NULL; }
    size_t n = fread(buf, 1, max, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Is the process pid this pidfile's service? The rule of scripts/pidlib.sh
 * (docs/specs/services.md): its /proc/PID/cmdline names this very pidfile
 * (`--pidfile PATH` or `--pidfile=PATH`, the same file — relative to the
 * process's folder — as rag-api is started), or ends with, item for item,
 * the command recorded on the pidfile's lines after the pid (as
 * scripts/daemon.sh writes it; an interpreter may come first). A pid alone
 * proves nothing: a reused pid, or another stack's process, is not ours. */
static bool pid_is_service(long pid, const char *pidfile, const char *record)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    size_t n = 0;
    char *cmd = slurp(path, 256 * 1024, &n);
    if (!cmd) return false;
    bool ok = false;
    struct stat want;
    size_t nargs = 0;
    for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) nargs++;
    const char **args = nargs ? calloc(nargs, sizeof *args) : NULL;
    if (!args || stat(pidfile, &want) != 0) goto out;
    size_t k = 0;
    for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) args[k++] = cmd + i;
    for (size_t i = 0; i < nargs && !ok; i++) {
        const char *named = NULL;
        if (strcmp(args[i], "--pidfile") == 0 && i + 1 < nargs) named = args[i + 1];
        else if (strncmp(args[i], "--pidfile=", 10) == 0) named = args[i] + 10;
        if (!named || !*named) continue;
        char rel[4096];
        if (named[0] != '/') {
            int w = snprintf(rel, sizeof rel, "/proc/%ld/cwd/%s", pid, named);
            if (w < 0 || (size_t)w >= sizeof rel) continue;
            named = rel;
        }
        struct stat got;
        ok = stat(named, &got) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino;
    }
    if (!ok && *record) {
        /* the recorded lines against the last items of the command line */
        size_t nrec = 1;
        for (const char *c = record; *c; c++) if (*c == '\n' && c[1]) nrec++;
        if (nrec <= nargs) {
            ok = true;
            const char *line = record;
            for (size_t i = nargs - nrec; i < nargs && ok; i++) {
                size_t len = strcspn(line, "\n");
                ok = strlen(args[i]) == len && memcmp(args[i], line, len) == 0;
                line += len + (line[len] == '\n');
            }
        }
    }
out:
    free(args);
    free(cmd);
    return ok;
}

/* The pid file format scripts/daemon.sh wrote before it recorded the whole
 * command: the pid and the program only (record is one line). Such a
 * process outlives an upgrade; as in pidlib.sh's legacy_service_pid, it is
 * taken for the service when its argv[0] is the recorded program and its
 * executable (/proc/PID/exe, " (deleted)" after a rebuild) is that file (a
 * relative program taken from the process's folder). */
static bool pid_is_legacy_service(long pid, const char *record)
{
    size_t len = strcspn(record, "\n");
    if (len == 0 || len >= 4096 || (record[len] == '\n' && record[len + 1])) return false;
    char program[4096], path[64], cmd[4096], exe[4096], want[4096], real[PATH_MAX];
    memcpy(program, record, len);
    program[len] = '\0';
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    size_t n = 0;
    char *args = slurp(path, sizeof cmd - 1, &n);
    bool same_argv0 = args && n > 0 && strcmp(args, program) == 0;
    free(args);
    if (!same_argv0) return false;
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    ssize_t el = readlink(path, exe, sizeof exe - 1);
    if (el <= 0) return false;
    exe[el] = '\0';
    const char *deleted = " (deleted)";
    size_t dl = strlen(deleted);
    if ((size_t)el > dl && strcmp(exe + el - dl, deleted) == 0) exe[el - dl] = '\0';
    if (program[0] == '/') {
        snprintf(want, sizeof want, "%s", program);
    } else {
        char cwd[4096];
        snprintf(path, sizeof path, "/proc/%ld/cwd", pid);
        ssize_t cl = readlink(path, cwd, sizeof cwd - 1);
        if (cl <= 0) return false;
        cwd[cl] = '\0';
        if ((size_t)snprintf(want, sizeof want, "%s/%s", cwd, program) >= sizeof want) return false;
    }
    /* the recorded program's real path (it still exists after a rebuild) */
    return realpath(want, real) && strcmp(real, exe) == 0;
}

void probe_pidfile(const rag_service *svc, rt_probe *p)
{
    p->pid_state = RT_PID_NONE;
    if (!svc->pidfile) return;
    p->pid_state = RT_PID_STOPPED;
    p->pid = 0;
    p->pid_note[0] = '\0';
    struct stat st;
    size_t n = 0;
    char *text = NULL;
    /* a regular file only, read without waiting (a FIFO in its place would
     * block the prober, and the console's screen with it) */
    rag_error rerr = {0};
    const int rrc = rag_read_file(svc->pidfile, 64 * 1024, &text, &n, &rerr);
    if (rrc != RAG_OK || stat(svc->pidfile, &st) != 0) {
        free(text);
        if (rrc == RAG_ENOENT || rrc == RAG_OK) rt_fmt(p->pid_note, sizeof p->pid_note, "no pidfile");
        else rt_fmt(p->pid_note, sizeof p->pid_note, "pidfile unreadable: %s", rerr.msg);
        return;
    }
    /* line 1: the pid, digits only, > 1 (0 is the reader's own process
     * group, 1 is init); the lines after it: the recorded command */
    size_t l1 = strcspn(text, "\n");
    const char *record = text + l1 + (text[l1] == '\n');
    long pid = 0;
    bool digits = l1 > 0 && l1 <= 9;
    for (size_t i = 0; i < l1 && digits; i++) {
        if (text[i] < '0' || text[i] > '9') digits = false;
        else pid = pid * 10 + (text[i] - '0');
    }
    if (!digits || text[0] == '0' || pid <= 1) {
        free(text);
        rt_fmt(p->pid_note, sizeof p->pid_note, "pidfile has no pid");
        return;
    }
    p->pid = pid;
    bool alive = kill((pid_t)pid, 0) == 0 || errno == EPERM;
    bool ours = alive && pid_is_service(pid, svc->pidfile, record);
    const bool legacy = alive && !ours && pid_is_legacy_service(pid, record);
    if (!ours && !legacy) {
        if (!alive) rt_fmt(p->pid_note, sizeof p->pid_note, "stale pidfile: pid %ld is gone", pid);
        else if (!*record)
            rt_fmt(p->pid_note, sizeof p->pid_note, "stale pidfile: pid %ld is alive, but the pidfile records no command to prove it is this service", pid);
        else
            rt_fmt(p->pid_note, sizeof p->pid_note, "stale pidfile: pid %ld is not the process it was written for", pid);
        free(text);
        return;
    }
    free(text);
    if (legacy)
        rt_fmt(p->pid_note, sizeof p->pid_note, "old-format pidfile (pid and program only): restart the service once to record its whole command");
    p->pid_state = RT_PID_RUNNING;
    p->pid_since_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}


/* ------------------------------------------------------------ instances */

/* host, port and the authority ("host:port", the default port added) of an
 * http(s) URL; false when it has none (services.c checked the URL). */
static bool url_parts(const char *url, char *host, size_t hn, int *port, char *auth, size_t an)
{
    bool tls = strncmp(url, "https://", 8) == 0;
    const char *a = strstr(url, "://");
    if (!a) return false;
    a += 3;
    size_t len = strcspn(a, "/?#");
    const char *colon = NULL, *hend = a + len;
    if (*a == '[') {
        const char *rb = memchr(a, ']', len);
        if (!rb) return false;
        rt_fmt(host, hn, "%.*s", (int)(rb - a - 1), a + 1);
        if (rb + 1 < a + len && rb[1] == ':') colon = rb + 1;
    } else {
        colon = memchr(a, ':', len);
        rt_fmt(host, hn, "%.*s", (int)((colon ? colon : hend) - a), a);
    }
    *port = colon ? atoi(colon + 1) : tls ? 443 : 80;
    if (!host[0] || *port <= 0 || *port > 65535) return false;
    if (strchr(host, ':')) rt_fmt(auth, an, "[%s]:%d", host, *port);
    else rt_fmt(auth, an, "%s:%d", host, *port);
    return true;
}

typedef struct target {
    size_t svc;               /* index into the registry */
    int inst;                 /* index into out[svc].inst, -1 = the service itself */
    char connect_to[96];      /* CURLOPT_CONNECT_TO entry for a DNS instance, "" = none */
    const char *url;
} target;

typedef struct addr_key { int family; unsigned char bytes[16]; char text[INET6_ADDRSTRLEN]; } addr_key;

static int addr_cmp(const void *a, const void *b)
{
    const addr_key *x = a, *y = b;
    if (x->family != y->family) return x->family == AF_INET ? -1 : 1;
    return memcmp(x->bytes, y->bytes, sizeof x->bytes);
}

/* Every A/AAAA record of the URL's host, sorted (the display order must not
 * follow DNS round-robin), without duplicates; at most RT_MAX_INSTANCES
 * kept, all counted in *found. 0 on success, else the resolver's error. */
static int resolve_all(const char *host, int port, addr_key *out, size_t *n, size_t *found, char *err, size_t en)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char ps[16];
    rt_fmt(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    *n = *found = 0;
    if (rc != 0) {
        rt_fmt(err, en, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    addr_key all[256];
    size_t na = 0;
    for (struct addrinfo *ai = res; ai && na < sizeof all / sizeof *all; ai = ai->ai_next) {
        addr_key k = {.family = ai->ai_family};
        if (ai->ai_family == AF_INET) memcpy(k.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
        else if (ai->ai_family == AF_INET6) memcpy(k.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
        else continue;
        inet_ntop(k.family, k.bytes, k.text, sizeof k.text);
        bool dup = false;
        for (size_t i = 0; i < na && !dup; i++) dup = addr_cmp(&all[i], &k) == 0;
        if (!dup) all[na++] = k;
    }
    freeaddrinfo(res);
    qsort(all, na, sizeof *all, addr_cmp);
    *found = na;
    *n = na < RT_MAX_INSTANCES ? na : RT_MAX_INSTANCES;
    memcpy(out, all, *n * sizeof *out);
    if (na == 0) rt_fmt(err, en, "%s has no A/AAAA record", host);
    return na ? 0 : -1;
}

/* The instances of a replicated service into p->inst and targets. */
static void expand_instances(const rag_service *svc, size_t idx, rt_probe *p, target *t, size_t *nt)
{
    p->replicated = true;
    if (svc->n_health_urls) {
        p->n_inst_found = svc->n_health_urls;
        for (size_t i = 0; i < svc->n_health_urls && p->n_inst < RT_MAX_INSTANCES; i++) {
            char host[256], auth[300];
            int port;
            rt_instance *in = &p->inst[p->n_inst];
            if (url_parts(svc->health_urls[i], host, sizeof host, &port, auth, sizeof auth)) rt_fmt(in->name, sizeof in->name, "%s", auth);
            else rt_fmt(in->name, sizeof in->name, "%s", svc->health_urls[i]);
            t[(*nt)++] = (target){.svc = idx, .inst = (int)p->n_inst++, .url = svc->health_urls[i]};
        }
        return;
    }
    char host[256], auth[300];
    int port;
    if (!url_parts(svc->health_url, host, sizeof host, &port, auth, sizeof auth)) {
        rt_fmt(p->error, sizeof p->error, "cannot read the host of %s", svc->health_url);
        return;
    }
    addr_key addrs[RT_MAX_INSTANCES];
    size_t n = 0;
    if (resolve_all(host, port, addrs, &n, &p->n_inst_found, p->error, sizeof p->error) != 0) return;
    for (size_t i = 0; i < n; i++) {
        rt_instance *in = &p->inst[p->n_inst];
        bool v6 = addrs[i].family == AF_INET6;
        rt_fmt(in->name, sizeof in->name, v6 ? "[%s]:%d" : "%s:%d", addrs[i].text, port);
        target *tg = &t[(*nt)++];
        *tg = (target){.svc = idx, .inst = (int)p->n_inst++, .url = svc->health_url};
        /* connect to this address while Host and TLS name stay the URL's */
        rt_fmt(tg->connect_to, sizeof tg->connect_to, v6 ? "::[%s]:%d" : "::%s:%d", addrs[i].text, port);
    }
}

static int status_rank_of(const char *s)
{
    return !strcmp(s, "fail") ? 3 : !strcmp(s, "warn") ? 2 : !strcmp(s, "pass") ? 1 : 0;
}

/* The service's fields from its instances' probes (ip[i] the parsed probe of
 * inst[i]): up when any is up; requests and errors summed; latency the
 * slowest; status the worst; the rest (generation, hashes, body) from the
 * first instance serving the most common generation. */
static void aggregate(rt_probe *p, const rt_probe *ip)
{
    p->up = false;
    p->n_inst_up = 0;
    p->probed_at_ms = rag_now_ms();
    int best = -1, best_votes = 0, worst = 0;
    for (size_t i = 0; i < p->n_inst; i++) {
        if (!ip[i].up) continue;
        p->n_inst_up++;
        int votes = 0;
        for (size_t j = 0; j < p->n_inst; j++)
            votes += ip[j].up && strcmp(ip[j].generation, ip[i].generation) == 0;
        if (votes > best_votes || (votes == best_votes && ip[i].generated_at_ms > ip[best].generated_at_ms))
            best = (int)i, best_votes = votes;
    }
    if (best < 0) {
        if (!p->error[0] && p->n_inst)
            rt_fmt(p->error, sizeof p->error, "0/%zu up: %s: %s", p->n_inst_found, p->inst[0].name, p->inst[0].error);
        else if (!p->error[0]) rt_fmt(p->error, sizeof p->error, "no instances");
        return;
    }
    const rt_probe *r = &ip[best];
    rt_fmt(p->status, sizeof p->status, "%s", r->status);
    rt_fmt(p->version, sizeof p->version, "%s", r->version);
    rt_fmt(p->run_id, sizeof p->run_id, "%s", r->run_id);
    rt_fmt(p->generation, sizeof p->generation, "%s", r->generation);
    rt_fmt(p->config_hash, sizeof p->config_hash, "%s", r->config_hash);
    rt_fmt(p->failing, sizeof p->failing, "%s", r->failing);
    memcpy(p->body, r->body, sizeof p->body);
    p->body_cut = r->body_cut;
    p->uptime_s = r->uptime_s;
    p->generated_at_ms = r->generated_at_ms;
    p->checked_at_ms = r->checked_at_ms;
    p->loaded_at_ms = r->loaded_at_ms;
    p->chunk_count = r->chunk_count;
    p->up = true;
    p->requests = p->errors = p->recent_errors = -1;
    for (size_t i = 0; i < p->n_inst; i++) {
        const rt_probe *q = &ip[i];
        if (!q->up) continue;
        if (q->latency_ms > p->latency_ms) p->latency_ms = q->latency_ms;
        if (q->http_code > p->http_code) p->http_code = q->http_code;
        if (status_rank_of(q->status) > worst) {
            worst = status_rank_of(q->status);
            rt_fmt(p->status, sizeof p->status, "%s", q->status);
        }
        if (q->requests >= 0) p->requests = (p->requests > 0 ? p->requests : 0) + q->requests;
        if (q->errors >= 0) p->errors = (p->errors > 0 ? p->errors : 0) + q->errors;
        if (q->recent_errors >= 0) p->recent_errors = (p->recent_errors > 0 ? p->recent_errors : 0) + q->recent_errors;
    }
}

static void instance_from(rt_instance *in, const rt_probe *q)
{
    in->up = q->up;
    in->http_code = q->http_code;
    in->latency_ms = q->latency_ms;
    rt_fmt(in->error, sizeof in->error, "%s", q->error);
    rt_fmt(in->status, sizeof in->status, "%s", q->status);
    rt_fmt(in->generation, sizeof in->generation, "%s", q->generation);
    in->generated_at_ms = q->generated_at_ms;
    in->loaded_at_ms = q->loaded_at_ms;
    in->uptime_s = q->uptime_s;
    in->requests = q->requests;
    in->errors = q->errors;
    in->recent_errors = q->recent_errors;
}

/* ------------------------------------------------------------ the pass */

typedef struct slot {
    CURL *h;
    body b;
    int64_t t0;
    const target *t;
    rt_probe *res;            /* where the result goes */
    struct curl_slist *ct;    /* CURLOPT_CONNECT_TO list (libcurl does not copy it) */
} slot;

static void finish(slot *s, CURLcode result, int64_t timeout_ms)
{
    rt_probe *p = s->res;
    p->latency_ms = rag_mono_ms() - s->t0;
    p->probed_at_ms = rag_now_ms();
    if (result == CURLE_OK) {
        p->up = true;
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &p->http_code);
        if (s->b.buf) {
            probe_parse_healthz(s->b.buf, s->b.len, p);
            rt_fmt(p->body, sizeof p->body, "%s", s->b.buf);
            p->body_cut = s->b.len >= sizeof p->body;
        }
        const bool known = strcmp(p->status, "pass") == 0 || strcmp(p->status, "warn") == 0 ||
                           strcmp(p->status, "fail") == 0;
        if (p->http_code >= 500 && !known) {
            rt_fmt(p->status, sizeof p->status, "fail");
        } else if (p->http_code >= 400 && !known) {
            rt_fmt(p->status, sizeof p->status, "warn"); /* 4xx: WARN (once.md) */
        } else if (!known) {
            /* any program that holds the port answers 200: only a health
             * body (a JSON object whose "status" is pass, warn or fail, as
             * /healthz sends) says pass */
            rt_fmt(p->failing, sizeof p->failing, "%s",
                   p->status[0] ? "unknown health status in the answer"
                                : "no health status in the answer (not a /healthz body: another program on the port?)");
            rt_fmt(p->status, sizeof p->status, "warn");
        }
    } else if (result == CURLE_OPERATION_TIMEDOUT) {
        char d[32];
        rag_duration_format(timeout_ms, d, sizeof d);
        rt_fmt(p->error, sizeof p->error, "timeout after %s", d);
    } else if (result == CURLE_COULDNT_CONNECT) {
        rt_fmt(p->error, sizeof p->error, "connection refused");
    } else {
        rt_fmt(p->error, sizeof p->error, "%s", curl_easy_strerror(result));
    }
}

void probe_run(const rag_services *svcs, const bool *due, rt_probe *out)
{
    probe_run_stoppable(svcs, due, out, NULL);
}

void probe_run_stoppable(const rag_services *svcs, const bool *due, rt_probe *out, const int *stop)
{
    size_t n = svcs->count, cap = 0;
    for (size_t i = 0; i < n; i++)
        cap += rag_service_replicated(&svcs->items[i]) ? RT_MAX_INSTANCES : 1;
    target *targets = rag_xcalloc(cap ? cap : 1, sizeof *targets);
    size_t nt = 0;
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
        if (rag_service_replicated(svc)) expand_instances(svc, i, p, targets, &nt);
        else targets[nt++] = (target){.svc = i, .inst = -1, .url = svc->health_url};
    }
    /* a replica's result is parsed into its own rt_probe, then aggregated */
    rt_probe *iprobe = rag_xcalloc(nt ? nt : 1, sizeof *iprobe);
    slot *slots = rag_xcalloc(nt ? nt : 1, sizeof *slots);
    CURLM *multi = curl_multi_init();
    for (size_t k = 0; k < nt; k++) {
        const target *t = &targets[k];
        const rag_service *svc = &svcs->items[t->svc];
        CURL *h = curl_easy_init();
        slots[k] = (slot){.h = h, .t0 = rag_mono_ms(), .t = t, .res = t->inst < 0 ? &out[t->svc] : &iprobe[k]};
        if (t->inst >= 0) iprobe[k].uptime_s = iprobe[k].requests = iprobe[k].errors = iprobe[k].recent_errors = -1;
        long timeout = svc->health_timeout_ms > 0 ? (long)svc->health_timeout_ms : 2000;
        curl_easy_setopt(h, CURLOPT_URL, t->url);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "ragtop/" RAG_VERSION);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &slots[k].b);
        curl_easy_setopt(h, CURLOPT_PRIVATE, &slots[k]);
        struct curl_slist *ct = NULL;
        if (t->connect_to[0]) {
            ct = curl_slist_append(NULL, t->connect_to);
            curl_easy_setopt(h, CURLOPT_CONNECT_TO, ct);
        }
        slots[k].ct = ct;
        curl_multi_add_handle(multi, h);
    }
    int running = (int)nt;
    while (running > 0) {
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            slot *s = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            const rag_service *svc = &svcs->items[s->t->svc];
            finish(s, msg->data.result, svc->health_timeout_ms > 0 ? svc->health_timeout_ms : 2000);
        }
        if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) break;
        if (running > 0) curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    for (size_t k = 0; k < nt; k++) {
        curl_multi_remove_handle(multi, slots[k].h);
        curl_easy_cleanup(slots[k].h);
        curl_slist_free_all(slots[k].ct);
        free(slots[k].b.buf);
    }
    curl_multi_cleanup(multi);
    /* replicated services: instances in order, then the aggregate */
    for (size_t i = 0; i < n; i++) {
        rt_probe *p = &out[i];
        if ((due && !due[i]) || !p->replicated) continue;
        rt_probe *ip = rag_xcalloc(p->n_inst ? p->n_inst : 1, sizeof *ip);
        for (size_t k = 0; k < nt; k++)
            if (targets[k].svc == i && targets[k].inst >= 0) {
                ip[targets[k].inst] = iprobe[k];
                instance_from(&p->inst[targets[k].inst], &iprobe[k]);
            }
        aggregate(p, ip);
        free(ip);
    }
    free(iprobe);
    free(slots);
    free(targets);
}
