/* bench/api/http_floor.c — the floor of a /healthz answer on this machine:
 * a bare HTTP/1.1 keep-alive responder that does nothing per request but
 * find the end of its headers and send one fixed response (no parsing, no
 * Date header, no limits, no logging). bench/api/run.sh runs it beside
 * rag-api, nginx and Node on the same body, so what is left per request
 * after the kernel's loopback TCP and the scheduler — what no server can
 * save — is measured in the same run as the figures it bounds.
 *
 * One thread per core, each with its own SO_REUSEPORT listening socket and
 * edge-triggered epoll set (the fastest layout on 2 cores: a second thread
 * per core cost ~20% more CPU per request), new connections steered to the
 * socket of the CPU their SYN was processed on: the group is rag-api's own
 * (src/api/listen_group.c: one client thread's connections on one server
 * thread, which the scheduler keeps beside it). Requests are GETs without a
 * body; pipelined requests get one response each. For the bench only: it
 * listens on 127.0.0.1 and is stopped by the bench script.
 *
 * Usage: http_floor PORT BODY_FILE [THREADS] [CONTENT_TYPE] */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/api/listen_group.h"

#define MAX_FDS 65536

static char *response;
static size_t response_len;
/* per connection: how many bytes of "\r\n\r\n" the last read ended with */
static unsigned char matched[MAX_FDS];

/* The number of requests whose headers end in buf[0..n), carrying the
 * partial "\r\n\r\n" match across reads in *state. */
static int count_requests(const char *buf, size_t n, unsigned char *state)
{
    static const char end[] = "\r\n\r\n";
    int requests = 0;
    unsigned m = *state;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == end[m]) m++;
        else m = buf[i] == '\r' ? 1 : 0;
        if (m == 4) {
            requests++;
            m = 0;
        }
    }
    *state = (unsigned char)m;
    return requests;
}

/* Reads everything fd has and answers each complete request; false when
 * the connection is over (closed, reset, or a short send). */
static bool serve(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
        if (r == 0) return false;
        for (int k = count_requests(buf, (size_t)r, &matched[fd]); k > 0; k--)
            if (send(fd, response, response_len, MSG_NOSIGNAL) != (ssize_t)response_len) return false;
        if ((size_t)r < sizeof buf) return true; /* edge-triggered: drained */
    }
}

static void *worker(void *arg)
{
    const int one = 1;
    const int ls = (int)(intptr_t)arg, ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || fcntl(ls, F_SETFL, O_NONBLOCK) != 0) {
        perror("http_floor: epoll");
        exit(1);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event ready[128];
    for (;;) {
        int n = epoll_wait(ep, ready, 128, -1);
        for (int i = 0; i < n; i++) {
            const int fd = ready[i].data.fd;
            if (fd != ls) {
                if (!serve(fd)) close(fd);
                continue;
            }
            int c;
            while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                if (c >= MAX_FDS) {
                    close(c);
                    continue;
                }
                matched[c] = 0;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event ce = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = c};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce) < 0) close(c);
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: http_floor PORT BODY_FILE [THREADS] [CONTENT_TYPE]\n");
        return 2;
    }
    long threads = argc > 3 ? atol(argv[3]) : sysconf(_SC_NPROCESSORS_ONLN);
    const char *type = argc > 4 ? argv[4] : "application/health+json";
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    static char body[1 << 16];
    size_t body_len = fread(body, 1, sizeof body, f);
    fclose(f);
    char head[256];
    int head_len = snprintf(head, sizeof head,
                            "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", type, body_len);
    if (head_len < 0 || (size_t)head_len >= sizeof head) return 1;
    response_len = (size_t)head_len + body_len;
    response = malloc(response_len);
    if (!response) return 1;
    memcpy(response, head, (size_t)head_len);
    memcpy(response + head_len, body, body_len);
    rag_error err = {0};
    int fds[64];
    const int first = api_listen_bind("127.0.0.1", atoi(argv[1]), true, &err);
    if (first < 0) {
        fprintf(stderr, "http_floor: %s\n", err.msg);
        return 1;
    }
    threads = api_listen_group_extend(first, (int)threads, fds, &err);
    if (err.msg[0]) fprintf(stderr, "http_floor: %s\n", err.msg);
    pthread_t t[64];
    for (long i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)fds[i]) != 0) return 1;
    pthread_join(t[0], NULL);
    return 0;
}
