/* test_api_listen.c — binding rag-api's ports (listen_group.c): a port
 * another socket holds is refused with the reason, a second group cannot
 * join a running one, and a connection made from a thread on CPU c is
 * accepted on the group's socket c % n (real sockets over 127.0.0.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/api/listen_group.h"

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

static int plain_listener(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

static void test_a_port_someone_holds_is_refused_with_the_reason(void **state)
{
    (void)state;
    int holder = plain_listener();
    rag_error err = {0};
    for (int group = 0; group <= 1; group++) {
        memset(&err, 0, sizeof err);
        assert_true(api_listen_bind("127.0.0.1", port_of(holder), group, &err) < 0);
        assert_non_null(strstr(err.msg, strerror(EADDRINUSE)));
        assert_non_null(strstr(err.msg, "is rag-api already running?"));
    }
    close(holder);
    assert_true(api_listen_bind("localhost", 8080, true, &err) < 0);
    assert_non_null(strstr(err.msg, "not a numeric IP address"));
}

static void test_a_second_group_cannot_join_a_running_one(void **state)
{
    (void)state;
    rag_error err = {0};
    int first = api_listen_bind("127.0.0.1", 0, true, &err);
    assert_true(first >= 0);
    int fds[2];
    assert_int_equal(api_listen_group_extend(first, 2, fds, &err), 2);
    assert_int_equal(port_of(fds[1]), port_of(first));
    assert_true(api_listen_bind("127.0.0.1", port_of(first), true, &err) < 0);
    assert_non_null(strstr(err.msg, strerror(EADDRINUSE)));
    close(fds[0]);
    close(fds[1]);
}

typedef struct {
    int cpu, port, fd, pinned;
} client_arg;

/* connects from a thread pinned to arg->cpu (the SYN is processed there) */
static void *connect_from_cpu(void *p)
{
    client_arg *c = p;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(c->cpu, &set);
    c->pinned = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 && sched_getcpu() == c->cpu;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
    }
    return NULL;
}

static void test_a_connection_goes_to_the_socket_of_the_cpu_it_came_from(void **state)
{
    (void)state;
    cpu_set_t allowed;
    assert_int_equal(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    if (CPU_COUNT(&allowed) < 2) skip(); /* nothing to steer between */
    rag_error err = {0};
    int first = api_listen_bind("127.0.0.1", 0, true, &err);
    assert_true(first >= 0);
    enum { N = 2 };
    int fds[N];
    assert_int_equal(api_listen_group_extend(first, N, fds, &err), N);
    assert_string_equal(err.msg, ""); /* the steering program is attached */
    int tried = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && tried < 4; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        for (int round = 0; round < 3; round++) {
            client_arg c = {.cpu = cpu, .port = port_of(first), .fd = -1};
            pthread_t t;
            assert_int_equal(pthread_create(&t, NULL, connect_from_cpu, &c), 0);
            pthread_join(t, NULL);
            assert_true(c.pinned);
            assert_true(c.fd >= 0);
            /* the handshake is done: the connection waits in one backlog */
            struct pollfd p[N];
            for (int i = 0; i < N; i++) p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
            assert_int_equal(poll(p, N, 5000), 1);
            const int want = cpu % N;
            assert_true(p[want].revents & POLLIN);
            int s = accept(fds[want], NULL, NULL);
            assert_true(s >= 0);
            close(s);
            close(c.fd);
        }
        tried++;
    }
    for (int i = 0; i < N; i++) close(fds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_port_someone_holds_is_refused_with_the_reason),
        cmocka_unit_test(test_a_second_group_cannot_join_a_running_one),
        cmocka_unit_test(test_a_connection_goes_to_the_socket_of_the_cpu_it_came_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
