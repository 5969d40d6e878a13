/* test_core_outbox.c — the persistent alert outbox against a real HTTP
 * receiver (libmicrohttpd on a free 127.0.0.1 port, recording every POST
 * and answering with a status the test sets): one file per delivery,
 * idempotent enqueue, delivery, retry with backoff, per-receiver order,
 * expiry, missing URL variables, the flush lock, and no secret on disk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>

#include "rag/fsutil.h"
#include "rag/outbox.h"
#include "rag/timeutil.h"

/* ---------------------------------------------------------------- receiver */

#define MAX_REQ 32
typedef struct receiver {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    unsigned int status;     /* answer with this */
    const char *retry_after; /* and this Retry-After header, when set */
    int n;
    char *bodies[MAX_REQ];
    char paths[MAX_REQ][128];
} receiver;

typedef struct conn_buf {
    char *data;
    size_t len;
} conn_buf;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version; (void)method;
    receiver *r = cls;
    conn_buf *b = *con_cls;
    if (!b) {
        *con_cls = calloc(1, sizeof *b);
        return MHD_YES;
    }
    if (*upload_size) {
        b->data = realloc(b->data, b->len + *upload_size + 1);
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        b->data[b->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->mu);
    unsigned int status = r->status;
    const char *retry_after = r->retry_after;
    if (r->n < MAX_REQ) {
        r->bodies[r->n] = b->data ? b->data : strdup("");
        snprintf(r->paths[r->n], sizeof r->paths[0], "%s", url);
        r->n++;
    } else {
        free(b->data);
    }
    b->data = NULL;
    pthread_mutex_unlock(&r->mu);
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, "ok", MHD_RESPMEM_PERSISTENT);
    if (retry_after) MHD_add_response_header(resp, "Retry-After", retry_after);
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls; (void)c; (void)t;
    conn_buf *b = *con_cls;
    if (b) free(b->data);
    free(b);
    *con_cls = NULL;
}

static void receiver_start(receiver *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->status = 200;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, r,
                            MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                            MHD_OPTION_END);
    assert_non_null(r->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    r->port = info->port;
    assert_true(r->port > 0);
}

static int receiver_count(receiver *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static void receiver_stop(receiver *r)
{
    if (r->d) MHD_stop_daemon(r->d);
    for (int i = 0; i < r->n; i++) free(r->bodies[i]);
    pthread_mutex_destroy(&r->mu);
}

/* ---------------------------------------------------------------- fixture */

typedef struct fixture {
    char dir[64];
    receiver rcv;
    rag_outbox *ob;
    rag_receiver hook;
    char env[64];
} fixture;

static int count_files(const char *run, const char *which)
{
    char path[256];
    snprintf(path, sizeof path, "%s/outbox/%s", run, which);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".json") && !strstr(de->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ragtop-outbox-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    receiver_start(&f->rcv);
    snprintf(f->env, sizeof f->env, "RAGTOP_TEST_HOOK_%d", (int)getpid());
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/T0SECRETPART/B1", f->rcv.port);
    setenv(f->env, url, 1);
    f->hook = (rag_receiver){ .name = "ops", .format = "json", .url_env = f->env };
    rag_outbox_policy pol;
    rag_outbox_policy_defaults(&pol);
    pol.backoff_base_ms = 400;
    pol.backoff_max_ms = 1600;
    pol.expire_ms = 60000;
    pol.timeout_ms = 2000;
    rag_error err = {0};
    f->ob = rag_outbox_open(f->dir, &pol, NULL, &err);
    assert_non_null(f->ob);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rag_outbox_close(f->ob);
    receiver_stop(&f->rcv);
    unsetenv(f->env);
    assert_int_equal(nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
    free(f);
    return 0;
}

static void make_alert(rag_alert *a, rag_alert_status st, const char *check)
{
    rag_alert_init(a, "demo", "watch", check, st, RAG_SEVERITY_CRIT, "api down", rag_now_ms() - 5000);
}

static void enqueue(fixture *f, const char *key, rag_alert_status st, bool expect_created)
{
    rag_alert a;
    make_alert(&a, st, "service:api");
    bool created = !expect_created;
    rag_error err = {0};
    assert_int_equal(rag_outbox_enqueue(f->ob, key, &f->hook, &a, rag_now_ms(), &created, &err), RAG_OK);
    assert_int_equal(created, expect_created);
    rag_alert_clear(&a);
}

/* ---------------------------------------------------------------- tests */

static void test_enqueue_writes_one_file_and_is_idempotent(void **state)
{
    fixture *f = *state;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, false);
    assert_int_equal(count_files(f->dir, "pending"), 1);
    rag_delivery *d = NULL;
    size_t n = 0;
    assert_int_equal(rag_outbox_list(f->dir, "pending", &d, &n, NULL), RAG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].receiver, "ops");
    assert_string_equal(d[0].check, "service:api");
    assert_string_equal(d[0].status, "firing");
    assert_int_equal(d[0].attempts, 0);
    assert_string_equal(d[0].name, "0000000001000-abc-firing--ops.json");
    free(d);
    /* the URL (a secret) is never written to disk, only the variable's name */
    char *buf = NULL;
    size_t len = 0;
    char path[256];
    snprintf(path, sizeof path, "%s/outbox/pending/0000000001000-abc-firing--ops.json", f->dir);
    assert_int_equal(rag_read_file(path, 1 << 20, &buf, &len, NULL), RAG_OK);
    assert_null(strstr(buf, "T0SECRETPART"));
    assert_non_null(strstr(buf, f->env));
    free(buf);
}

static void test_flush_delivers_body_and_moves_to_sent(void **state)
{
    fixture *f = *state;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.pending, 0);
    assert_int_equal(receiver_count(&f->rcv), 1);
    assert_string_equal(f->rcv.paths[0], "/hooks/T0SECRETPART/B1");
    cJSON *o = cJSON_Parse(f->rcv.bodies[0]);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring, "firing");
    assert_string_equal(cJSON_GetObjectItem(o, "check")->valuestring, "service:api");
    cJSON_Delete(o);
    assert_int_equal(count_files(f->dir, "pending"), 0);
    assert_int_equal(count_files(f->dir, "sent"), 1);
    /* a delivered transition cannot be queued again */
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, false);
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(receiver_count(&f->rcv), 1);
}

static void test_failed_delivery_is_retried_with_backoff_then_sent_once(void **state)
{
    fixture *f = *state;
    f->rcv.status = 500;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    int64_t t0 = rag_now_ms();
    assert_int_equal(rag_outbox_flush(f->ob, t0, 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.pending, 1);
    rag_delivery *d = NULL;
    size_t n = 0;
    rag_outbox_list(f->dir, "pending", &d, &n, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].attempts, 1);
    assert_string_equal(d[0].last_error, "HTTP 500");
    /* first retry after base * [0.5, 1.0] */
    assert_true(d[0].next_attempt_ms >= t0 + 200);
    assert_true(d[0].next_attempt_ms <= rag_now_ms() + 400);
    int64_t next = d[0].next_attempt_ms;
    free(d);
    /* not due yet: no request */
    assert_int_equal(rag_outbox_flush(f->ob, next - 1, 5000, &st, NULL), RAG_OK);
    assert_int_equal(receiver_count(&f->rcv), 1);
    /* second failure doubles the delay */
    assert_int_equal(rag_outbox_flush(f->ob, next, 5000, &st, NULL), RAG_OK);
    assert_int_equal(receiver_count(&f->rcv), 2);
    rag_outbox_list(f->dir, "pending", &d, &n, NULL);
    assert_int_equal(d[0].attempts, 2);
    assert_true(d[0].next_attempt_ms - next >= 400);
    assert_true(d[0].next_attempt_ms - next <= 800 + 300); /* + time spent in the request */
    next = d[0].next_attempt_ms;
    free(d);
    f->rcv.status = 200;
    assert_int_equal(rag_outbox_flush(f->ob, next, 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(receiver_count(&f->rcv), 3);
    assert_int_equal(rag_outbox_flush(f->ob, next + 100000, 5000, &st, NULL), RAG_OK);
    assert_int_equal(receiver_count(&f->rcv), 3);
    assert_int_equal(count_files(f->dir, "sent"), 1);
}

/* A 429 or 503 with Retry-After waits as long as the receiver asks when
 * that is longer than the backoff (seconds or an HTTP date, at most an
 * hour); other statuses' Retry-After is not a request to wait. */
static void test_retry_after_of_429_and_503_is_honoured(void **state)
{
    fixture *f = *state;
    static const struct {
        unsigned status;
        const char *header, *error;
        int64_t min_wait_ms, max_wait_ms;
    } cases[] = {
        { 429, "7", "HTTP 429 (Retry-After 7 s)", 7000, 7000 + 1000 },
        { 503, "120", "HTTP 503 (Retry-After 120 s)", 120000, 120000 + 1000 },
        { 429, "99999999", "HTTP 429 (Retry-After 3600 s)", 3600000, 3600000 + 1000 },
        { 429, "Wed, 21 Oct 2015 07:28:00 GMT", "HTTP 429", 200, 1000 + 1000 }, /* in the past: the backoff */
        { 500, "60", "HTTP 500", 200, 1000 + 1000 },                          /* not 429/503: the backoff */
        { 429, "soon", "HTTP 429", 200, 1000 + 1000 },                          /* unreadable: the backoff */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        f->rcv.status = cases[c].status;
        f->rcv.retry_after = cases[c].header;
        char key[64];
        snprintf(key, sizeof key, "00000000010%02zu-ra-firing", c);
        enqueue(f, key, RAG_ALERT_FIRING, true);
        rag_outbox_stats st;
        int64_t t0 = rag_now_ms();
        assert_int_equal(rag_outbox_flush(f->ob, t0, 5000, &st, NULL), RAG_OK);
        assert_int_equal(st.failed, 1);
        rag_delivery *d = NULL;
        size_t n = 0;
        rag_outbox_list(f->dir, "pending", &d, &n, NULL);
        assert_int_equal(n, 1);
        assert_string_equal(d[0].last_error, cases[c].error);
        assert_in_range(d[0].next_attempt_ms - t0, cases[c].min_wait_ms, cases[c].max_wait_ms);
        const int64_t next = d[0].next_attempt_ms;
        free(d);
        /* not before (nor before the fixture's 60 s expiry): no request;
         * then due: the retry goes out */
        const int before = receiver_count(&f->rcv);
        const int64_t early = next - 1 < t0 + 59000 ? next - 1 : t0 + 59000;
        assert_int_equal(rag_outbox_flush(f->ob, early, 5000, &st, NULL), RAG_OK);
        assert_int_equal(st.pending, 1);
        assert_int_equal(receiver_count(&f->rcv), before);
        if (next < t0 + 60000) { /* within the fixture's 60 s expiry */
            f->rcv.status = 200;
            f->rcv.retry_after = NULL;
            assert_int_equal(rag_outbox_flush(f->ob, next, 5000, &st, NULL), RAG_OK);
            assert_int_equal(st.delivered, 1);
            assert_int_equal(receiver_count(&f->rcv), before + 1);
        } else { /* a wait past the expiry does not keep it: it expires */
            assert_int_equal(rag_outbox_flush(f->ob, next, 5000, &st, NULL), RAG_OK);
            assert_int_equal(st.expired, 1);
            assert_int_equal(receiver_count(&f->rcv), before);
        }
        assert_int_equal(count_files(f->dir, "pending"), 0);
    }
}

static void test_backoff_is_capped(void **state)
{
    fixture *f = *state;
    f->rcv.status = 503;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    int64_t t = rag_now_ms();
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, t, 5000, &st, NULL), RAG_OK);
    for (int i = 1; i < 8; i++) {
        rag_delivery *d = NULL;
        size_t n = 0;
        rag_outbox_list(f->dir, "pending", &d, &n, NULL);
        t = d[0].next_attempt_ms;
        free(d);
        assert_int_equal(rag_outbox_flush(f->ob, t, 5000, &st, NULL), RAG_OK);
    }
    rag_delivery *d = NULL;
    size_t n = 0;
    rag_outbox_list(f->dir, "pending", &d, &n, NULL);
    assert_int_equal(d[0].attempts, 8);
    assert_true(d[0].next_attempt_ms - t >= 800);        /* cap 1600 x jitter >= 0.5 */
    assert_true(d[0].next_attempt_ms - t <= 1600 + 300); /* never above the cap */
    free(d);
}

static void test_deliveries_keep_order_per_receiver(void **state)
{
    fixture *f = *state;
    f->rcv.status = 500;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    enqueue(f, "0000000002000-abc-resolved", RAG_ALERT_RESOLVED, true);
    rag_outbox_stats st;
    int64_t now = rag_now_ms();
    assert_int_equal(rag_outbox_flush(f->ob, now, 5000, &st, NULL), RAG_OK);
    /* the resolved notice waits behind the failed firing one */
    assert_int_equal(receiver_count(&f->rcv), 1);
    assert_int_equal(st.pending, 2);
    f->rcv.status = 200;
    assert_int_equal(rag_outbox_flush(f->ob, now + 10000, 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 2);
    assert_int_equal(receiver_count(&f->rcv), 3);
    assert_non_null(strstr(f->rcv.bodies[1], "\"firing\""));
    assert_non_null(strstr(f->rcv.bodies[2], "\"resolved\""));
}

/* The next delivery due is the head of a receiver's queue: while the
 * failed firing notice backs off, the resolved one behind it is not due,
 * whatever its own time says (counting it kept a watcher flushing in a
 * loop through a receiver's outage). */
static void test_next_due_is_the_receivers_head_after_a_failure(void **state)
{
    fixture *f = *state;
    f->rcv.status = 500;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    enqueue(f, "0000000002000-abc-resolved", RAG_ALERT_RESOLVED, true);
    const int64_t now = rag_now_ms();
    assert_true(rag_outbox_next_due(f->ob) <= now); /* both new: due now */
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, now, 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.failed, 1);
    rag_delivery *d = NULL;
    size_t n = 0;
    rag_outbox_list(f->dir, "pending", &d, &n, NULL);
    assert_int_equal(n, 2);
    const int64_t retry = d[0].attempts == 1 ? d[0].next_attempt_ms : d[1].next_attempt_ms;
    free(d);
    assert_true(retry > now);
    assert_int_equal(rag_outbox_next_due(f->ob), retry);
}

/* A delivery the receiver accepted but whose record cannot be written to
 * sent/ (here sent/ is a file; in the field: no inodes left) is removed
 * from pending/ and reported, never sent again at every flush. */
static void test_unwritable_records_never_resend_in_a_loop(void **state)
{
    fixture *f = *state;
    char sent[512];
    snprintf(sent, sizeof sent, "%s/outbox/sent", f->dir);
    assert_int_equal(rmdir(sent), 0);
    assert_int_equal(rag_atomic_write(sent, "x", 1, NULL), RAG_OK);
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    const int64_t now = rag_now_ms();
    assert_int_equal(rag_outbox_flush(f->ob, now, 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(count_files(f->dir, "pending"), 0);
    assert_int_equal(rag_outbox_flush(f->ob, now + 1, 5000, &st, NULL), RAG_OK);
    assert_int_equal(receiver_count(&f->rcv), 1);

}

static void test_expired_delivery_moves_to_expired_without_request(void **state)
{
    fixture *f = *state;
    f->rcv.status = 500;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms() + 61000, 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.expired, 1);
    assert_int_equal(receiver_count(&f->rcv), 0);
    assert_int_equal(count_files(f->dir, "pending"), 0);
    assert_int_equal(count_files(f->dir, "expired"), 1);
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, false);
}

static void test_unset_url_variable_keeps_delivery_pending_with_reason(void **state)
{
    fixture *f = *state;
    unsetenv(f->env);
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.failed, 1);
    rag_delivery *d = NULL;
    size_t n = 0;
    rag_outbox_list(f->dir, "pending", &d, &n, NULL);
    assert_int_equal(n, 1);
    assert_non_null(strstr(d[0].last_error, f->env));
    assert_non_null(strstr(d[0].last_error, "not set"));
    free(d);
}

static void test_unreachable_receiver_error_does_not_leak_url(void **state)
{
    fixture *f = *state;
    int port = f->rcv.port;
    MHD_stop_daemon(f->rcv.d);
    f->rcv.d = NULL;
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/T0SECRETPART/B1", port);
    setenv(f->env, url, 1);
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.failed, 1);
    rag_delivery *d = NULL;
    size_t n = 0;
    rag_outbox_list(f->dir, "pending", &d, &n, NULL);
    assert_true(d[0].last_error[0] != '\0');
    assert_null(strstr(d[0].last_error, "T0SECRETPART"));
    free(d);
}

static void test_alertmanager_receiver_posts_to_api_v2_alerts(void **state)
{
    fixture *f = *state;
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", f->rcv.port);
    setenv(f->env, url, 1);
    rag_receiver am = { .name = "am", .format = "alertmanager", .url_env = f->env };
    rag_error err = {0};
    char *u = rag_receiver_url(&am, &err);
    char want[160];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/api/v2/alerts", f->rcv.port);
    assert_string_equal(u, want);
    free(u);
    rag_alert a;
    make_alert(&a, RAG_ALERT_FIRING, "freshness");
    assert_int_equal(rag_outbox_enqueue(f->ob, "0000000001000-abc-firing", &am, &a, rag_now_ms(), NULL, &err), RAG_OK);
    rag_alert_clear(&a);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 1);
    assert_string_equal(f->rcv.paths[0], "/api/v2/alerts");
    cJSON *arr = cJSON_Parse(f->rcv.bodies[0]);
    assert_true(cJSON_IsArray(arr));
    cJSON_Delete(arr);
}

static void test_unknown_format_is_rejected_at_enqueue(void **state)
{
    fixture *f = *state;
    rag_receiver bad = { .name = "x", .format = "pagerduty", .url_env = f->env };
    rag_alert a;
    make_alert(&a, RAG_ALERT_FIRING, "freshness");
    rag_error err = {0};
    assert_int_equal(rag_outbox_enqueue(f->ob, "k", &bad, &a, rag_now_ms(), NULL, &err), RAG_EINVAL);
    assert_non_null(strstr(err.msg, "pagerduty"));
    rag_alert_clear(&a);
    assert_int_equal(count_files(f->dir, "pending"), 0);
}

static void test_second_flusher_backs_off_while_locked(void **state)
{
    fixture *f = *state;
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    char lockpath[256];
    snprintf(lockpath, sizeof lockpath, "%s/outbox/.lock", f->dir);
    rag_lock l;
    assert_int_equal(rag_lock_acquire(lockpath, &l, NULL, NULL), RAG_OK);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_true(st.locked);
    assert_int_equal(receiver_count(&f->rcv), 0);
    rag_lock_release(&l);
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 1);
}

static void test_corrupt_delivery_file_is_set_aside(void **state)
{
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/outbox/pending/0000000000001-x--ops.json", f->dir);
    assert_int_equal(rag_atomic_write(path, "{\"receiver\":", 12, NULL), RAG_OK);
    enqueue(f, "0000000001000-abc-firing", RAG_ALERT_FIRING, true);
    rag_outbox_stats st;
    assert_int_equal(rag_outbox_flush(f->ob, rag_now_ms(), 5000, &st, NULL), RAG_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(count_files(f->dir, "expired"), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_enqueue_writes_one_file_and_is_idempotent),
        T(test_flush_delivers_body_and_moves_to_sent),
        T(test_failed_delivery_is_retried_with_backoff_then_sent_once),
        T(test_retry_after_of_429_and_503_is_honoured),
        T(test_backoff_is_capped),
        T(test_deliveries_keep_order_per_receiver),
        T(test_next_due_is_the_receivers_head_after_a_failure),
        T(test_unwritable_records_never_resend_in_a_loop),
        T(test_expired_delivery_moves_to_expired_without_request),
        T(test_unset_url_variable_keeps_delivery_pending_with_reason),
        T(test_unreachable_receiver_error_does_not_leak_url),
        T(test_alertmanager_receiver_posts_to_api_v2_alerts),
        T(test_unknown_format_is_rejected_at_enqueue),
        T(test_second_flusher_backs_off_while_locked),
        T(test_corrupt_delivery_file_is_set_aside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
