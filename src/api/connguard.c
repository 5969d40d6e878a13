/* connguard.c — per-listener connection caps and the request deadline (see
 * connguard.h). One mutex guards the list and the per-address counts; it is
 * taken once per accept, once per close and by the sweep (four times a
 * second), never on the request path, which only stores an atomic. */
#include "connguard.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rag/common.h"

#define IP_BUCKETS 512

typedef struct ip_key {
    unsigned char bytes[16]; /* IPv4 as ::ffff:a.b.c.d */
} ip_key;

typedef struct ip_count {
    struct ip_count *next;
    ip_key key;
    unsigned n;
} ip_count;

struct api_conn {
    api_conn *prev, *next;
    int fd;
    ip_key key;
    bool shut;                      /* the sweep already shut it down */
    _Atomic int64_t waiting_since;  /* monotonic ms; 0 = not waiting for a request */
};

struct api_connguard {
    pthread_mutex_t lock;
    unsigned max_conn, per_ip, open;
    int64_t deadline_ms;
    api_stats *stats;
    api_refuse_reason total_reason;
    api_conn *head;
    ip_count *buckets[IP_BUCKETS];
};

static void key_of(const struct sockaddr *addr, ip_key *k)
{
    memset(k, 0, sizeof *k);
    if (!addr) return;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        k->bytes[10] = k->bytes[11] = 0xff;
        memcpy(k->bytes + 12, &a->sin_addr, 4);
    } else if (addr->sa_family == AF_INET6) {
        memcpy(k->bytes, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
    }
}

static unsigned bucket_of(const ip_key *k)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) h = (h ^ k->bytes[i]) * 16777619u;
    return h % IP_BUCKETS;
}

static ip_count **find(api_connguard *g, const ip_key *k)
{
    ip_count **p = &g->buckets[bucket_of(k)];
    while (*p && memcmp(&(*p)->key, k, sizeof *k) != 0) p = &(*p)->next;
    return p;
}

api_connguard *api_connguard_new(unsigned max_conn, unsigned per_ip, int64_t deadline_ms, api_stats *stats,
                                 api_refuse_reason total_reason)
{
    api_connguard *g = rag_xcalloc(1, sizeof *g);
    pthread_mutex_init(&g->lock, NULL);
    g->max_conn = max_conn;
    g->per_ip = per_ip;
    g->deadline_ms = deadline_ms;
    g->stats = stats;
    g->total_reason = total_reason;
    return g;
}

void api_connguard_free(api_connguard *g)
{
    if (!g) return;
    while (g->head) {
        api_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    for (int i = 0; i < IP_BUCKETS; i++)
        while (g->buckets[i]) {
            ip_count *n = g->buckets[i];
            g->buckets[i] = n->next;
            free(n);
        }
    pthread_mutex_destroy(&g->lock);
    free(g);
}

bool api_connguard_admit(api_connguard *g, const struct sockaddr *addr, socklen_t len)
{
    (void)len;
    ip_key k;
    key_of(addr, &k);
    pthread_mutex_lock(&g->lock);
    int refuse = -1;
    if (g->open >= g->max_conn) refuse = (int)g->total_reason;
    else if (g->per_ip) {
        ip_count *n = *find(g, &k);
        if (n && n->n >= g->per_ip) refuse = API_REFUSE_PER_IP;
    }
    pthread_mutex_unlock(&g->lock);
    if (refuse < 0) return true;
    api_stats_refused(g->stats, (api_refuse_reason)refuse);
    return false;
}

api_conn *api_connguard_opened(api_connguard *g, int fd, const struct sockaddr *addr, int64_t now_mono_ms)
{
    api_conn *c = rag_xcalloc(1, sizeof *c);
    c->fd = fd;
    key_of(addr, &c->key);
    atomic_init(&c->waiting_since, now_mono_ms > 0 ? now_mono_ms : 1);
    pthread_mutex_lock(&g->lock);
    c->next = g->head;
    if (g->head) g->head->prev = c;
    g->head = c;
    g->open++;
    ip_count **p = find(g, &c->key);
    if (!*p) {
        *p = rag_xcalloc(1, sizeof **p);
        (*p)->key = c->key;
    }
    (*p)->n++;
    pthread_mutex_unlock(&g->lock);
    return c;
}

void api_connguard_closed(api_connguard *g, api_conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->lock);
    if (c->prev) c->prev->next = c->next;
    else g->head = c->next;
    if (c->next) c->next->prev = c->prev;
    g->open--;
    ip_count **p = find(g, &c->key);
    if (*p && --(*p)->n == 0) {
        ip_count *dead = *p;
        *p = dead->next;
        free(dead);
    }
    pthread_mutex_unlock(&g->lock);
    free(c);
}

void api_connguard_received(api_conn *c)
{
    if (c) atomic_store_explicit(&c->waiting_since, 0, memory_order_relaxed);
}

void api_connguard_waiting(api_conn *c, int64_t now_mono_ms)
{
    if (c) atomic_store_explicit(&c->waiting_since, now_mono_ms > 0 ? now_mono_ms : 1, memory_order_relaxed);
}

unsigned api_connguard_sweep(api_connguard *g, int64_t now_mono_ms)
{
    unsigned closed = 0;
    pthread_mutex_lock(&g->lock);
    for (api_conn *c = g->head; c; c = c->next) {
        const int64_t since = atomic_load_explicit(&c->waiting_since, memory_order_relaxed);
        if (c->shut || since == 0 || now_mono_ms - since < g->deadline_ms) continue;
        /* The descriptor is still open: MHD closes it only after the
         * "closed" notification, which needs this lock. */
        shutdown(c->fd, SHUT_RDWR);
        c->shut = true;
        closed++;
        api_stats_deadline_closed(g->stats);
    }
    pthread_mutex_unlock(&g->lock);
    return closed;
}

unsigned api_connguard_open(api_connguard *g)
{
    pthread_mutex_lock(&g->lock);
    unsigned n = g->open;
    pthread_mutex_unlock(&g->lock);
    return n;
}
