/* server.c — HTTP front end (see server.h). Request lifecycle: the first
 * access-handler call creates a request context; POST bodies are collected
 * up to api.max_body_bytes (beyond: 413); the route handler either answers
 * at once (healthz, metrics, errors) or, for /query, pins the served
 * generation, suspends the connection and queues a job; a query worker runs
 * it (several at once when more wait: their vector sides first, see
 * worker_main) and resumes the connection; the next handler call sends the
 * response.
 * A query whose mode needs a vector from a model behind the network goes
 * through the query-embedding stage first (embedq.h), which hands it to
 * the workers with its vector.
 * The completion callback records stats and writes the access event.
 * Each listener (main port, admin port) has a connection guard
 * (connguard.c): the accept policy applies its caps, the connection
 * notifications keep its list, dispatch stops the request-deadline clock
 * and completion restarts it; a sweep thread enforces the deadline. */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "rag/timeutil.h"

#include "accesslog.h"
#include "connguard.h"
#include "embedq.h"
#include "listen_group.h"
#include "query.h"
#include "query_body.h"
#include "route_healthz.h"
#include "route_metrics.h"
#include "router.h"
#include "route_status.h"

#define QUEUE_CAP 1024
/* Per-connection buffer pool for request line, headers and response
 * headers (bodies are buffered by us). MHD (0.9.75) zeroes the whole pool
 * after every request, so a smaller pool is cheaper on the keep-alive hot
 * path (at 16 KiB the zeroing is ~2.7% of a /healthz probe's CPU). */
#define API_CONN_MEMORY (16 * 1024)
/* The admin listener (/healthz, /metrics for probes and Prometheus): its own
 * epoll thread, a small connection budget, and a short request deadline —
 * a probe sends its whole request at once. */
#define ADMIN_MAX_CONNECTIONS 32
#define ADMIN_DEADLINE_MS 2000
#define SWEEP_EVERY_MS 250
/* http_error log lines (requests libmicrohttpd rejected) per minute; the
 * rest are only counted (rag_api_protocol_errors_total, summary). */
#define PROTOCOL_LOG_PER_MIN 10

/* One listening port: the main one or the admin one. */
typedef struct api_listener {
    struct api_server *srv;
    bool admin;
    struct MHD_Daemon **daemons; /* one per socket of the listening group */
    int n_daemons;
    api_connguard *guard;
} api_listener;

typedef enum { JOB_NONE = 0, JOB_QUEUED, JOB_DONE } job_state;

typedef struct req_ctx {
    api_route route;
    char method[16];
    char path[201];
    int64_t start_us;
    int status;
    uint64_t bytes;
    char *body;
    size_t body_len;
    size_t body_cap;
    int too_large;
    struct MHD_Connection *conn;
    api_conn *gconn; /* the connection's entry in its listener's guard */
    job_state job;
    api_query_req qreq;
    api_generation *gen;
    struct api_server *srv;
    api_embed_job embed; /* the query-embedding stage's job (embedq.h) */
    char run_id[64];
    char *resp;
    int resp_status;
    const char *resp_type;
} req_ctx;

struct api_server {
    api_app *app;
    api_listener main, admin;
    /* deadline sweep */
    pthread_t sweeper;
    bool sweeper_started;
    pthread_mutex_t sweep_lock;
    pthread_cond_t sweep_cond;
    bool sweep_stop;
    /* http_error lines logged in the current minute */
    pthread_mutex_t plog_lock;
    int64_t plog_minute;
    int plog_count;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    req_ctx *queue[QUEUE_CAP]; /* queries for the workers */
    size_t qhead, qlen;
    size_t admitted; /* queries queued here or in the embedding stage (at most QUEUE_CAP) */
    atomic_size_t ready;       /* qlen, for the embedding stage (read without qlock) */
    atomic_size_t held;        /* queries a worker has taken in a batch and not yet started */
    _Atomic int64_t query_us;  /* moving average of a query's time on a worker */
    api_embedq *embedq;
    int stopping;
    int n_workers;
    pthread_t *threads;
    /* /healthz: one MHD response shared by every probe until the cached
     * body changes; re-checked at most every HZ_RECHECK_MS. hz_lock guards
     * hz_cur (held for a pointer copy); hz_refresh serialises re-checks and
     * guards hz_version. */
    pthread_mutex_t hz_lock;
    pthread_mutex_t hz_refresh;
    struct hz_entry *hz_cur;
    uint64_t hz_version;
    struct worker_arg { api_server *srv; int id; } *args;
};

/* ------------------------------------------------------------ responses */

static enum MHD_Result send_body(req_ctx *ctx, struct MHD_Connection *conn, int status, char *body, size_t len,
                                 const char *type, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    ctx->status = status;
    ctx->bytes = len;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(api_app *app, req_ctx *ctx, struct MHD_Connection *conn, int status,
                                  api_error_kind kind, const char *message, const char *allow)
{
    api_stats_error(app->stats, kind, rag_now_ms());
    char *body = api_error_body(status, api_error_kind_name(kind), message);
    return send_body(ctx, conn, status, body, strlen(body), "application/json", allow);
}

/* ------------------------------------------------------------ query workers */

/* Run ctx's query (its vector side may have been computed ahead), hand
 * the response to its connection and resume it. */
static void answer(api_server *srv, int worker, req_ctx *ctx)
{
    rag_error err = {0};
    char *body = NULL;
    int rc = RAG_ERR;
    if (ctx->embed.error[0])
        rag_error_set(&err, RAG_ERR, "embedding the query failed: %s", ctx->embed.error);
    else
        rc = api_query_run(ctx->gen, worker, &ctx->qreq, ctx->run_id, ctx->start_us, &body, &err);
    if (rc == RAG_OK) {
        ctx->resp = body;
        ctx->resp_status = 200;
    } else {
        api_stats_error(srv->app->stats, API_ERR_QUERY, rag_now_ms());
        if (err.code == RAG_ECORRUPT) api_store_broken(srv->app->store, ctx->gen, err.msg, rag_now_ms());
        rag_log_eventf(srv->app->log, RAG_LEVEL_ERROR, "query_failed", NULL, "query failed on %s: %s",
                       ctx->gen->generation, err.msg);
        ctx->resp = api_error_body(500, "query_failed", err.msg);
        ctx->resp_status = 500;
    }
    api_generation_release(ctx->gen);
    ctx->gen = NULL;
    ctx->job = JOB_DONE;
    MHD_resume_connection(ctx->conn);
}

/* A worker takes up to WORKER_BATCH queries at once when more are waiting
 * (its share of the queue, rounded down, so the other workers get theirs
 * and none waits idle while another holds a query it has not started):
 * the vector sides of the hybrid ones first, one after the other, then
 * each query's lexical side, fusion and response. Interleaved query by
 * query, each side evicted the other's data from the CPU's caches (graph
 * lines against FTS5 pages); a lone query is a batch of one, answered as
 * before. */
#define WORKER_BATCH 8

static void *worker_main(void *p)
{
    struct worker_arg *wa = p;
    api_server *srv = wa->srv;
    req_ctx *batch[WORKER_BATCH];
    for (;;) {
        pthread_mutex_lock(&srv->qlock);
        while (srv->qlen == 0 && !srv->stopping) pthread_cond_wait(&srv->qcond, &srv->qlock);
        if (srv->qlen == 0 && srv->stopping) {
            pthread_mutex_unlock(&srv->qlock);
            return NULL;
        }
        size_t n = srv->qlen / (size_t)srv->n_workers;
        if (n < 1) n = 1;
        if (n > WORKER_BATCH) n = WORKER_BATCH;
        for (size_t i = 0; i < n; i++) {
            batch[i] = srv->queue[srv->qhead];
            srv->qhead = (srv->qhead + 1) % QUEUE_CAP;
        }
        srv->qlen -= n;
        srv->admitted -= n;
        const size_t left = srv->qlen;
        /* the batch's queries still count as ready for the embedding stage
         * until each one's turn comes */
        atomic_fetch_add(&srv->held, n - 1);
        atomic_store(&srv->ready, left);
        pthread_mutex_unlock(&srv->qlock);
        api_embedq_demand(srv->embedq, left + atomic_load(&srv->held));

        const int64_t t0 = rag_mono_us();
        if (n > 1)
            for (size_t i = 0; i < n; i++) {
                rag_error err = {0}; /* a failure here is met again, and reported, when the query runs */
                if (!batch[i]->embed.error[0]) api_query_vector_ahead(batch[i]->gen, wa->id, &batch[i]->qreq, &err);
            }
        for (size_t i = 0; i < n; i++) {
            if (i > 0) { /* one fewer held: the stage may need to send more now */
                const size_t held = atomic_fetch_sub(&srv->held, 1) - 1;
                api_embedq_demand(srv->embedq, atomic_load(&srv->ready) + held);
            }
            answer(srv, wa->id, batch[i]);
        }
        /* a rough moving average of a query's time (racing updates may
         * drop one): the embedding stage's measure of how fast the workers
         * go */
        const int64_t took = (rag_mono_us() - t0) / (int64_t)n;
        for (size_t i = 0; i < n; i++) {
            const int64_t avg = atomic_load_explicit(&srv->query_us, memory_order_relaxed);
            atomic_store_explicit(&srv->query_us, avg ? avg + (took - avg) / 16 : took, memory_order_relaxed);
        }
    }
}

/* Queue ctx for the workers; with qlock held (there is room: every queued
 * query was admitted, and at most QUEUE_CAP are). */
static void push_locked(api_server *srv, req_ctx *ctx)
{
    srv->queue[(srv->qhead + srv->qlen) % QUEUE_CAP] = ctx;
    srv->qlen++;
    atomic_store(&srv->ready, srv->qlen);
    pthread_cond_signal(&srv->qcond);
}

/* The workers' backlog, for the embedding stage (embedq.h). */
static void worker_backlog(void *arg, size_t *ready, int64_t *query_us)
{
    api_server *srv = arg;
    *ready = atomic_load(&srv->ready) + atomic_load(&srv->held); /* sequentially consistent: embedq.c's wake-up */
    *query_us = atomic_load_explicit(&srv->query_us, memory_order_relaxed) / srv->n_workers;
}

/* The query-embedding stage is done with ctx's text: on to the workers. */
static void on_embedded(api_embed_job *job)
{
    req_ctx *ctx = (req_ctx *)((char *)job - offsetof(req_ctx, embed));
    ctx->qreq.qvec = job->vec;
    job->vec = NULL;
    pthread_mutex_lock(&ctx->srv->qlock);
    push_locked(ctx->srv, ctx);
    pthread_mutex_unlock(&ctx->srv->qlock);
}

/* Suspend the connection and queue its job — for the query-embedding stage
 * when its mode needs a vector from a provider over the network, else for
 * the workers — or return -1 (queue full or shutting down) leaving the
 * connection as it was. Suspending under the queue lock guarantees the
 * worker's resume comes after the suspend. */
static int enqueue(api_server *srv, req_ctx *ctx)
{
    const api_mode mode = api_mode_resolve(ctx->qreq.mode, ctx->qreq.default_mode, ctx->gen->provider);
    const bool embed_first = api_generation_embeds_remotely(ctx->gen) && mode != API_MODE_BM25;
    pthread_mutex_lock(&srv->qlock);
    if (srv->admitted >= QUEUE_CAP || srv->stopping) {
        pthread_mutex_unlock(&srv->qlock);
        return -1;
    }
    ctx->job = JOB_QUEUED;
    ctx->srv = srv;
    MHD_suspend_connection(ctx->conn);
    srv->admitted++;
    if (!embed_first) push_locked(srv, ctx);
    pthread_mutex_unlock(&srv->qlock);
    if (embed_first) {
        ctx->embed = (api_embed_job){.text = ctx->qreq.q, .gen = ctx->gen, .done = on_embedded};
        api_embedq_submit(srv->embedq, &ctx->embed);
    }
    return 0;
}

/* ------------------------------------------------------------ routes */

static enum MHD_Result collect_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                        const char *value, size_t value_size)
{
    (void)kind;
    api_query_args_add(cls, key, key_size, value, value_size);
    return MHD_YES;
}

/* The request's framing headers, counted (MHD reads the first
 * Content-Length of several and waits forever for a body in a transfer
 * coding it does not know). */
typedef struct framing_headers {
    int content_length, transfer_encoding;
    char coding[48];
} framing_headers;

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    framing_headers *f = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) f->content_length++;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 && f->transfer_encoding++ == 0)
        snprintf(f->coding, sizeof f->coding, "%s", value ? value : "");
    return MHD_YES;
}

/* 0 when the body's length is unambiguous (RFC 9112 6.3), else the status
 * to refuse the request with (msg set): several Content-Length headers or
 * Transfer-Encoding headers, or both kinds, are 400 (a proxy in front may
 * read the other length: a request hidden in a body); a coding other than
 * chunked is 501. The connection closes after the answer. */
static int framing_problem(struct MHD_Connection *conn, char *msg, size_t msgsz)
{
    framing_headers f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_length > 1 || f.transfer_encoding > 1) {
        snprintf(msg, msgsz, "ambiguous request length: %d Content-Length and %d Transfer-Encoding headers",
                 f.content_length, f.transfer_encoding);
        return 400;
    }
    if (f.content_length && f.transfer_encoding) {
        snprintf(msg, msgsz, "ambiguous request length: both Content-Length and Transfer-Encoding");
        return 400;
    }
    if (f.transfer_encoding && strcasecmp(f.coding, "chunked") != 0) {
        char shown[sizeof f.coding];
        size_t n = 0;
        for (const char *c = f.coding; *c && n + 1 < sizeof shown; c++)
            shown[n++] = *c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\' ? *c : '?';
        shown[n] = '\0';
        snprintf(msg, msgsz, "Transfer-Encoding \"%s\" is not supported (only chunked)", shown);
        return 501;
    }
    return 0;
}

static enum MHD_Result handle_query(api_server *srv, req_ctx *ctx, struct MHD_Connection *conn, const char *method)
{
    api_app *app = srv->app;
    const rag_config *cfg = app->cfg;
    char msg[256];
    int rc;
    if (strcmp(method, "POST") == 0) {
        if (ctx->too_large) {
            snprintf(msg, sizeof msg, "request body is larger than %lld bytes", (long long)cfg->api.max_body_bytes);
            return send_error(app, ctx, conn, 413, API_ERR_TOO_LARGE, msg, NULL);
        }
        rc = api_query_parse_json(ctx->body, ctx->body_len, cfg->api.default_k, cfg->api.max_k, &ctx->qreq, msg, sizeof msg);
    } else {
        /* every argument as sent (MHD's lookups match names without case
         * and return the first of several: a typo or a repeat would pass) */
        api_query_args a = {0};
        MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_query_arg, &a);
        if (a.error[0]) return send_error(app, ctx, conn, 400, API_ERR_BAD_REQUEST, a.error, NULL);
        rc = api_query_parse_args(a.value[0], a.len[0], a.value[1], a.value[2], a.value[3], cfg->api.default_k,
                                  cfg->api.max_k, &ctx->qreq, msg, sizeof msg);
    }
    if (rc) return send_error(app, ctx, conn, 400, API_ERR_BAD_REQUEST, msg, NULL);
    api_query_req_settings(&ctx->qreq, cfg);
    api_served_info info;
    ctx->gen = api_store_acquire(app->store);
    if (!ctx->gen) {
        api_store_info(app->store, &info);
        if (info.last_error[0])
            snprintf(msg, sizeof msg, "no generation is being served: %.100s failed to open: %.100s",
                     info.failed_generation, info.last_error);
        else if (info.manifest_state == API_MANIFEST_MISSING)
            snprintf(msg, sizeof msg, "no index yet: no generation has been published (run rag-ingest / make ingest)");
        else
            snprintf(msg, sizeof msg, "no generation is being served: %.200s", info.manifest_error);
        return send_error(app, ctx, conn, 503, API_ERR_NO_INDEX, msg, NULL);
    }
    api_store_info(app->store, &info);
    snprintf(ctx->run_id, sizeof ctx->run_id, "%s", info.run_id);
    ctx->conn = conn;
    if (enqueue(srv, ctx) != 0) {
        api_generation_release(ctx->gen);
        ctx->gen = NULL;
        return send_error(app, ctx, conn, 503, API_ERR_BUSY, "too many queries queued; retry shortly", NULL);
    }
    return MHD_YES;
}

/* A rendered /healthz response shared by the probes that arrive while it is
 * current; reference counted so a swap never frees one still being queued
 * (MHD then holds its own reference to the MHD_Response). */
typedef struct hz_entry {
    struct MHD_Response *resp;
    int status;
    size_t len;
    int64_t recheck_ms;
    atomic_int refs;
} hz_entry;

#define HZ_RECHECK_MS 50

static void hz_put(hz_entry *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        MHD_destroy_response(e->resp);
        free(e);
    }
}

/* A new entry for the healthz cache's body if it changed since
 * srv->hz_version (NULL when it did not). Call with hz_refresh held. */
static hz_entry *hz_build(api_server *srv)
{
    size_t len = 0;
    int status = 503;
    char *body = api_healthz_refresh(srv->app, &srv->hz_version, &len, &status);
    if (!body) return NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        srv->hz_version = 0;
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/health+json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    hz_entry *n = rag_xcalloc(1, sizeof *n);
    n->resp = r;
    n->status = status;
    n->len = len;
    atomic_init(&n->refs, 1); /* the server's */
    return n;
}

/* The current entry with a reference, re-checked against the healthz cache
 * when HZ_RECHECK_MS have passed (so a new generation or config shows
 * within 50 ms). One probe does the re-check while the others keep
 * answering with the current entry rather than queueing behind it (a
 * re-check that renders takes far longer than a probe, and a preempted one
 * would stall every connection thread); hz_lock is held only for pointer
 * copies. */
static hz_entry *hz_get(api_server *srv)
{
    const int64_t now = rag_mono_ms();
    pthread_mutex_lock(&srv->hz_lock);
    hz_entry *e = srv->hz_cur;
    const bool due = !e || now >= e->recheck_ms;
    if (e) atomic_fetch_add(&e->refs, 1);
    pthread_mutex_unlock(&srv->hz_lock);
    if (!due) return e;
    if (e ? pthread_mutex_trylock(&srv->hz_refresh) != 0 : pthread_mutex_lock(&srv->hz_refresh) != 0) return e;
    pthread_mutex_lock(&srv->hz_lock);
    const bool still_due = !srv->hz_cur || now >= srv->hz_cur->recheck_ms; /* not just re-checked by another */
    pthread_mutex_unlock(&srv->hz_lock);
    hz_entry *n = still_due ? hz_build(srv) : NULL;
    pthread_mutex_lock(&srv->hz_lock);
    hz_entry *old = NULL;
    if (n) {
        old = srv->hz_cur;
        srv->hz_cur = n;
    }
    if (still_due && srv->hz_cur) srv->hz_cur->recheck_ms = now + HZ_RECHECK_MS;
    hz_entry *cur = srv->hz_cur;
    if (cur) atomic_fetch_add(&cur->refs, 1);
    pthread_mutex_unlock(&srv->hz_lock);
    pthread_mutex_unlock(&srv->hz_refresh);
    hz_put(old);
    hz_put(e);
    return cur;
}

static enum MHD_Result send_healthz(api_server *srv, req_ctx *ctx, struct MHD_Connection *conn)
{
    hz_entry *e = hz_get(srv);
    if (!e) return MHD_NO;
    ctx->status = e->status;
    ctx->bytes = e->len;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)e->status, e->resp);
    hz_put(e);
    return ret;
}

static enum MHD_Result dispatch(api_listener *l, req_ctx *ctx, struct MHD_Connection *conn, const char *url,
                                const char *method)
{
    api_server *srv = l->srv;
    api_app *app = srv->app;
    const char *allow = NULL;
    api_connguard_received(ctx->gconn);
    if (ctx->route == API_ROUTE_OTHER || (l->admin && ctx->route == API_ROUTE_QUERY) ||
        (!l->admin && ctx->route == API_ROUTE_STATUS)) {
        char msg[400];
        if (l->admin)
            snprintf(msg, sizeof msg, "no such path on the admin listener: %.200s (routes: /healthz, /metrics, /status; "
                     "/query is on http://%s:%d)", url, app->listen_host, app->listen_port);
        else if (ctx->route == API_ROUTE_STATUS)
            snprintf(msg, sizeof msg, "/status is served on the admin listener only (api.admin_listen)");
        else
            snprintf(msg, sizeof msg, "no such path: %.200s (routes: /query, /healthz, /metrics)", url);
        return send_error(app, ctx, conn, 404, API_ERR_NOT_FOUND, msg, NULL);
    }
    if (!api_router_method_ok(ctx->route, method, &allow)) {
        char msg[160];
        snprintf(msg, sizeof msg, "method %.20s is not allowed on %s (allowed: %s)", method,
                 api_route_name(ctx->route), allow);
        return send_error(app, ctx, conn, 405, API_ERR_METHOD, msg, allow);
    }
    if (ctx->route == API_ROUTE_HEALTHZ) return send_healthz(srv, ctx, conn);
    if (ctx->route == API_ROUTE_STATUS) {
        int status = 200;
        const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        /* 401/404 are counted by code in the request totals, not as errors:
         * a client with a stale token must not turn the stack's health to warn */
        char *body = api_status_handle(app, auth, &status);
        return send_body(ctx, conn, status, body, strlen(body), "application/json", NULL);
    }
    if (ctx->route == API_ROUTE_METRICS) {
        size_t len = 0;
        char *body = api_metrics_render(app, &len);
        return send_body(ctx, conn, 200, body, len, "text/plain; version=0.0.4; charset=utf-8", NULL);
    }
    return handle_query(srv, ctx, conn, method);
}

/* Marks a request whose path holds "%00": MHD decodes it to a NUL, which
 * would cut "/healthz%00anything" to "/healthz" and serve the route. */
static char nul_in_path_mark;

/* MHD's hook on the request target before it is decoded: what it returns
 * is the request's first *con_cls (nothing is allocated here, so a request
 * MHD refuses itself leaves nothing behind). */
static void *on_raw_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    const size_t path_len = strcspn(uri, "?");
    for (size_t i = 0; i + 3 <= path_len; i++)
        if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0') return &nul_in_path_mark;
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    api_listener *l = cls;
    api_server *srv = l->srv;
    api_app *app = srv->app;
    req_ctx *ctx = *con_cls;
    const bool nul_in_path = *con_cls == (void *)&nul_in_path_mark;
    if (nul_in_path) ctx = NULL;
    if (!ctx) {
        ctx = rag_xcalloc(1, sizeof *ctx);
        ctx->start_us = rag_mono_us();
        ctx->route = api_router_match(url);
        snprintf(ctx->method, sizeof ctx->method, "%s", method);
        snprintf(ctx->path, sizeof ctx->path, "%s", url);
        ctx->status = 500;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        ctx->gconn = ci ? ci->socket_context : NULL;
        *con_cls = ctx;
        atomic_fetch_add(&app->inflight, 1);
        char framing[160];
        int refuse = framing_problem(conn, framing, sizeof framing);
        if (!refuse && nul_in_path) {
            snprintf(framing, sizeof framing, "the path contains %%00 (a NUL byte)");
            refuse = 400;
        }
        if (refuse) {
            api_connguard_received(ctx->gconn);
            return send_error(app, ctx, conn, refuse, API_ERR_BAD_REQUEST, framing, NULL);
        }
        /* Answer on the next call, once MHD has the whole request: a response
         * queued on this first call makes MHD close the connection after it
         * (no keep-alive). A too-large body is refused right away, though. */
        const char *cl = ctx->route == API_ROUTE_QUERY
                             ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)
                             : NULL;
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > (unsigned long long)app->cfg->api.max_body_bytes) {
                ctx->too_large = 1;
                return dispatch(l, ctx, conn, url, method);
            }
        }
        return MHD_YES;
    }
    if (ctx->job == JOB_DONE) {
        char *resp = ctx->resp;
        ctx->resp = NULL;
        ctx->job = JOB_NONE;
        return send_body(ctx, conn, ctx->resp_status, resp, strlen(resp), "application/json", NULL);
    }
    if (ctx->job == JOB_QUEUED) return MHD_YES; /* resumed spuriously; the worker is not done */
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        const size_t cap = (size_t)app->cfg->api.max_body_bytes;
        if (!ctx->too_large && ctx->body_len + n <= cap) {
            if (ctx->body_len + n + 1 > ctx->body_cap) {
                ctx->body_cap = (ctx->body_len + n + 1) * 2;
                if (ctx->body_cap > cap + 1) ctx->body_cap = cap + 1;
                ctx->body = rag_xrealloc(ctx->body, ctx->body_cap);
            }
            memcpy(ctx->body + ctx->body_len, upload_data, n);
            ctx->body_len += n;
            ctx->body[ctx->body_len] = '\0';
        } else {
            ctx->too_large = 1;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(l, ctx, conn, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    api_listener *l = cls;
    api_app *app = l->srv->app;
    req_ctx *ctx = *con_cls;
    if (!ctx || *con_cls == (void *)&nul_in_path_mark) return; /* never reached on_request */
    const int64_t now_us = rag_mono_us();
    api_connguard_waiting(ctx->gconn, now_us / 1000); /* the same clock as rag_mono_ms */
    int64_t lat = now_us - ctx->start_us;
    int status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ctx->status : 499;
    api_stats_request(app->stats, ctx->route, status, lat, ctx->bytes);
    /* Successful health/metrics/status reads are counted (stats, minutely summary)
     * but not logged one line each unless asked: at probe rates they would
     * drown the log and halve the throughput. */
    const bool probe_ok =
        (ctx->route == API_ROUTE_HEALTHZ || ctx->route == API_ROUTE_METRICS || ctx->route == API_ROUTE_STATUS) && status < 300;
    if (!probe_ok || app->log_probes)
        api_log_access(app->log, ctx->route, ctx->method, ctx->path, status, lat, ctx->bytes);
    api_query_req_free(&ctx->qreq);
    api_generation_release(ctx->gen);
    free(ctx->body);
    free(ctx->resp);
    free(ctx);
    *con_cls = NULL;
    atomic_fetch_sub(&app->inflight, 1);
}

/* libmicrohttpd's own messages. Its connection-limit refusals are counted
 * (never logged one by one); a request it rejected itself is counted and
 * logged as a status and a plain message — its HTML error page is left out
 * — at most PROTOCOL_LOG_PER_MIN times a minute. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    api_listener *l = cls;
    api_server *srv = l->srv;
    if (strstr(fmt, "reached connection limit")) {
        api_stats_refused(srv->app->stats, l->admin ? API_REFUSE_ADMIN : API_REFUSE_MAX_CONNECTIONS);
        return;
    }
    char msg[512];
    int http_status = 0;
    if (strstr(fmt, "HTTP response code is %u")) {
        http_status = (int)va_arg(ap, unsigned);
        const char *page = va_arg(ap, const char *);
        const char *t0 = page ? strstr(page, "<title>") : NULL;
        const char *t1 = t0 ? strstr(t0, "</title>") : NULL;
        if (t0 && t1) snprintf(msg, sizeof msg, "rejected by libmicrohttpd: %.*s", (int)(t1 - t0 - 7), t0 + 7);
        else snprintf(msg, sizeof msg, "rejected by libmicrohttpd");
        api_stats_protocol_error(srv->app->stats);
    } else {
        vsnprintf(msg, sizeof msg, fmt, ap);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
        /* Its notes on a request it then rejects ("Failed to parse
         * Content-Length", ...) are part of that rejection. */
        if (strstr(msg, "Content-Length")) return;
    }
    const int64_t minute = rag_mono_ms() / 60000;
    pthread_mutex_lock(&srv->plog_lock);
    if (srv->plog_minute != minute) {
        srv->plog_minute = minute;
        srv->plog_count = 0;
    }
    const bool log_it = srv->plog_count++ < PROTOCOL_LOG_PER_MIN;
    pthread_mutex_unlock(&srv->plog_lock);
    if (!log_it) return;
    cJSON *p = NULL;
    if (http_status) {
        p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "status", http_status);
        cJSON_AddStringToObject(p, "listener", l->admin ? "admin" : "main");
    }
    rag_log_event(srv->app->log, RAG_LEVEL_WARN, "http_error", msg, p);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    api_listener *l = cls;
    return api_connguard_admit(l->guard, addr, len) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    api_listener *l = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context = api_connguard_opened(l->guard, fd ? fd->connect_fd : -1, ad ? ad->client_addr : NULL,
                                               rag_mono_ms());
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        api_connguard_closed(l->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* Every SWEEP_EVERY_MS: close connections whose request is overdue. */
static void *sweeper_main(void *p)
{
    api_server *srv = p;
    pthread_mutex_lock(&srv->sweep_lock);
    while (!srv->sweep_stop) {
        const struct timespec ts = rag_timespec_in(CLOCK_MONOTONIC, SWEEP_EVERY_MS);
        pthread_cond_timedwait(&srv->sweep_cond, &srv->sweep_lock, &ts);
        if (srv->sweep_stop) break;
        pthread_mutex_unlock(&srv->sweep_lock);
        const int64_t now = rag_mono_ms();
        api_connguard_sweep(srv->main.guard, now);
        if (srv->admin.guard) api_connguard_sweep(srv->admin.guard, now);
        pthread_mutex_lock(&srv->sweep_lock);
    }
    pthread_mutex_unlock(&srv->sweep_lock);
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static struct MHD_Daemon *start_daemon(api_listener *l, int listen_fd, unsigned timeout_s, unsigned mhd_limit)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    /* The logger goes first so libmicrohttpd's messages about the other
     * options reach it (it warns otherwise). Its own connection limit is
     * only a backstop above the guard's (which counts what it refuses). */
    return MHD_start_daemon(flags, 0, on_accept, l, on_request, l,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
                            MHD_OPTION_URI_LOG_CALLBACK, on_raw_uri, NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
                            MHD_OPTION_END);
}

api_server *api_server_start(api_app *app, int listen_fd, int admin_fd, rag_error *err)
{
    const rag_config *cfg = app->cfg;
    api_server *srv = rag_xcalloc(1, sizeof *srv);
    srv->app = app;
    pthread_mutex_init(&srv->qlock, NULL);
    pthread_cond_init(&srv->qcond, NULL);
    pthread_mutex_init(&srv->hz_lock, NULL);
    pthread_mutex_init(&srv->hz_refresh, NULL);
    pthread_mutex_init(&srv->plog_lock, NULL);
    pthread_mutex_init(&srv->sweep_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->sweep_cond, &ca);
    pthread_condattr_destroy(&ca);
    srv->main.srv = srv->admin.srv = srv;
    srv->admin.admin = true;
    srv->n_workers = app->workers > 0 ? app->workers : 1;
    srv->threads = rag_xcalloc((size_t)srv->n_workers, sizeof *srv->threads);
    srv->args = rag_xcalloc((size_t)srv->n_workers, sizeof *srv->args);
    for (int i = 0; i < srv->n_workers; i++) {
        srv->args[i].srv = srv;
        srv->args[i].id = i;
        if (pthread_create(&srv->threads[i], NULL, worker_main, &srv->args[i]) != 0) {
            rag_error_set(err, RAG_ERR, "cannot start query worker %d: %s", i, strerror(errno));
            srv->n_workers = i;
            api_server_shutdown(srv, 0);
            close(listen_fd);
            if (admin_fd >= 0) close(admin_fd);
            return NULL;
        }
    }
    srv->embedq = api_embedq_new(cfg->embedding.batch_size, srv->n_workers, worker_backlog, srv, app->stats, err);
    if (!srv->embedq) {
        close(listen_fd);
        if (admin_fd >= 0) close(admin_fd);
        api_server_shutdown(srv, 0);
        return NULL;
    }
    /* One connection thread per online CPU, each on its own socket of the
     * port's listening group (listen_group.c): a connection is accepted by
     * the thread of the CPU its client sends from, so the scheduler keeps
     * each thread beside its clients and a request's wakeup stays on one
     * CPU. /healthz on 2 cores (bench/api/run.sh): see docs/architecture.md
     * ("rag-api") for the layouts measured. */
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const int threads = cpus > 0 ? (int)(cpus < 256 ? cpus : 256) : 2;
    unsigned timeout_s = cfg->api.connection_timeout_ms > 0 ? (unsigned)((cfg->api.connection_timeout_ms + 999) / 1000) : 30;
    unsigned max_conn = cfg->api.max_connections > 0 ? (unsigned)cfg->api.max_connections : 256;
    unsigned per_ip = cfg->api.max_connections_per_ip > 0 ? (unsigned)cfg->api.max_connections_per_ip : max_conn;
    int64_t deadline = cfg->api.request_deadline_ms > 0 ? cfg->api.request_deadline_ms : 10000;
    srv->main.guard = api_connguard_new(max_conn, per_ip, deadline, app->stats, API_REFUSE_MAX_CONNECTIONS);
    int *fds = rag_xcalloc((size_t)threads, sizeof *fds);
    rag_error gerr = {0};
    const int n_socks = api_listen_group_extend(listen_fd, threads, fds, &gerr);
    if (gerr.msg[0]) rag_log_event(app->log, RAG_LEVEL_WARN, "listen_group", gerr.msg, NULL);
    srv->main.daemons = rag_xcalloc((size_t)n_socks, sizeof *srv->main.daemons);
    int i = 0;
    for (; i < n_socks; i++) {
        struct MHD_Daemon *d = start_daemon(&srv->main, fds[i], timeout_s, max_conn + 16);
        if (!d) break;
        srv->main.daemons[srv->main.n_daemons++] = d;
    }
    for (; i < n_socks; i++) close(fds[i]); /* after a refusal nothing serves them */
    free(fds);
    if (srv->main.n_daemons < n_socks) {
        rag_error_set(err, RAG_ERR, "cannot start the HTTP server (libmicrohttpd refused the settings: "
                      "max_connections=%u)", max_conn);
        if (admin_fd >= 0) close(admin_fd);
        api_server_shutdown(srv, 0);
        return NULL;
    }
    if (admin_fd >= 0) {
        srv->admin.guard = api_connguard_new(ADMIN_MAX_CONNECTIONS, 0, deadline < ADMIN_DEADLINE_MS ? deadline : ADMIN_DEADLINE_MS,
                                             app->stats, API_REFUSE_ADMIN);
        srv->admin.daemons = rag_xcalloc(1, sizeof *srv->admin.daemons);
        srv->admin.daemons[0] = start_daemon(&srv->admin, admin_fd, timeout_s, ADMIN_MAX_CONNECTIONS + 4);
        srv->admin.n_daemons = srv->admin.daemons[0] ? 1 : 0;
        if (!srv->admin.daemons[0]) {
            rag_error_set(err, RAG_ERR, "cannot start the admin HTTP listener");
            close(admin_fd);
            api_server_shutdown(srv, 0);
            return NULL;
        }
    }
    if (pthread_create(&srv->sweeper, NULL, sweeper_main, srv) != 0) {
        rag_error_set(err, RAG_ERR, "cannot start the request-deadline thread: %s", strerror(errno));
        api_server_shutdown(srv, 0);
        return NULL;
    }
    srv->sweeper_started = true;
    return srv;
}

int api_server_shutdown(api_server *srv, int64_t grace_ms)
{
    if (!srv) return 0;
    int left = 0;
    if (srv->sweeper_started) {
        pthread_mutex_lock(&srv->sweep_lock);
        srv->sweep_stop = true;
        pthread_cond_signal(&srv->sweep_cond);
        pthread_mutex_unlock(&srv->sweep_lock);
        pthread_join(srv->sweeper, NULL);
    }
    for (int i = 0; i < srv->admin.n_daemons; i++) /* probes stop first: the process is going away */
        MHD_stop_daemon(srv->admin.daemons[i]);
    srv->admin.n_daemons = 0;
    if (srv->main.n_daemons > 0) {
        for (int i = 0; i < srv->main.n_daemons; i++) {
            MHD_socket fd = MHD_quiesce_daemon(srv->main.daemons[i]);
            if (fd != MHD_INVALID_SOCKET) close(fd);
        }
        const int64_t deadline = rag_mono_ms() + grace_ms;
        while ((left = atomic_load(&srv->app->inflight)) > 0 && rag_mono_ms() < deadline) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    api_embedq_free(srv->embedq); /* its last jobs go to the workers, which finish them */
    srv->embedq = NULL;
    pthread_mutex_lock(&srv->qlock);
    srv->stopping = 1;
    pthread_cond_broadcast(&srv->qcond);
    pthread_mutex_unlock(&srv->qlock);
    for (int i = 0; i < srv->n_workers; i++) pthread_join(srv->threads[i], NULL);
    for (int i = 0; i < srv->main.n_daemons; i++) MHD_stop_daemon(srv->main.daemons[i]);
    free(srv->main.daemons);
    free(srv->admin.daemons);
    api_connguard_free(srv->main.guard);
    api_connguard_free(srv->admin.guard);
    hz_put(srv->hz_cur);
    pthread_mutex_destroy(&srv->plog_lock);
    pthread_mutex_destroy(&srv->sweep_lock);
    pthread_cond_destroy(&srv->sweep_cond);
    pthread_mutex_destroy(&srv->hz_lock);
    pthread_mutex_destroy(&srv->hz_refresh);
    pthread_cond_destroy(&srv->qcond);
    pthread_mutex_destroy(&srv->qlock);
    free(srv->threads);
    free(srv->args);
    free(srv);
    return left;
}
