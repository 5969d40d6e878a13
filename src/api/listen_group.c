/* listen_group.c — binding rag-api's ports; the main one as a
 * SO_REUSEPORT group of listening sockets, one per connection thread, with
 * a classic BPF program that picks a new connection's socket by the CPU
 * its SYN was processed on.
 *
 * Why: over loopback a client's packets are processed on the CPU its
 * sending thread runs on (over a NIC, on the CPU its receive queue is
 * handled on). A connection accepted by that CPU's thread keeps one client
 * thread's connections on one server thread, which the scheduler then
 * keeps beside it: a request's wakeup stays on one CPU instead of a
 * cross-CPU kick (an IPI; a hypervisor exit in a VM). With one shared
 * socket every thread serves connections of every client thread. Measured
 * in docs/architecture.md ("rag-api").
 *
 * The threads are not pinned: a CPU busy with other work does not hold its
 * connections back. When the program cannot be attached the group still
 * works, the kernel's hash spreading new connections over it. */
#include "listen_group.h"

#include <errno.h>
#include <linux/filter.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bind_one(const struct sockaddr *addr, socklen_t len, bool reuseport, int *err_no)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err_no = errno;
        return -1;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
        bind(fd, addr, len) != 0) {
        *err_no = errno;
        close(fd);
        return -1;
    }
    return fd;
}

int api_listen_bind(const char *host, int port, bool group, rag_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0)
        return rag_error_set(err, RAG_EINVAL, "cannot listen on %s:%d: not a numeric IP address (%s)", host, port,
                             gai_strerror(gai));
    /* A socket without SO_REUSEPORT cannot share the port: binding one
     * first fails when anything (another rag-api's group included) holds
     * it. A group's first socket then takes its place (port 0: the port
     * the kernel picked for it). */
    struct sockaddr_storage addr;
    socklen_t len = (socklen_t)res->ai_addrlen;
    memcpy(&addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    int e = 0;
    int fd = bind_one((struct sockaddr *)&addr, len, false, &e);
    if (fd >= 0 && group) {
        len = sizeof addr;
        if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) e = errno;
        close(fd);
        fd = e ? -1 : bind_one((struct sockaddr *)&addr, len, true, &e);
    }
    if (fd < 0 || listen(fd, 1024) != 0) {
        if (fd >= 0) {
            e = errno;
            close(fd);
        }
        return rag_error_set(err, RAG_ERR, "cannot listen on %s:%d: %s%s", host, port, strerror(e),
                             e == EADDRINUSE ? " (another process holds the port; is rag-api already running?)" : "");
    }
    return fd;
}

int api_listen_group_extend(int first_fd, int n, int *fds, rag_error *err)
{
    fds[0] = first_fd;
    if (n <= 1) return 1;
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(first_fd, (struct sockaddr *)&addr, &len) != 0) {
        rag_error_set(err, RAG_ERR, "getsockname: %s", strerror(errno));
        return 1;
    }
    int have = 1;
    for (; have < n; have++) {
        int e = 0;
        int fd = bind_one((struct sockaddr *)&addr, len, true, &e);
        if (fd >= 0 && listen(fd, 1024) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
        if (fd < 0) {
            rag_error_set(err, RAG_ERR, "cannot add listening socket %d of %d: %s", have + 1, n, strerror(e));
            break;
        }
        fds[have] = fd;
    }
    /* socket = CPU % sockets (an index past the group's end falls back to
     * the kernel's hash, so a socket closed at shutdown is harmless) */
    struct sock_filter code[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU)},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, (uint32_t)have},
        {BPF_RET | BPF_A, 0, 0, 0},
    };
    /* zeroed whole: the padding after .len goes to the kernel too (sizeof
     * prog bytes), and uninitialised bytes there are a memory error under
     * valgrind (tests/integration/test_valgrind.sh) */
    struct sock_fprog prog;
    memset(&prog, 0, sizeof prog);
    prog.len = sizeof code / sizeof code[0];
    prog.filter = code;
    if (have > 1 && setsockopt(first_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0)
        rag_error_set(err, RAG_ERR, "cannot attach the CPU steering program: %s", strerror(errno));
    return have;
}
