/* listen_group.h — binding rag-api's ports; the main one as a group of
 * listening sockets (one per connection thread), each new connection
 * steered to the socket of the CPU that processed its first packet, so a
 * client's connections are served by the thread that runs beside it (see
 * listen_group.c). */
#ifndef API_LISTEN_GROUP_H
#define API_LISTEN_GROUP_H

#include "rag/common.h"

/* Bind and listen on host:port now (so "address already in use" is
 * reported before anything starts). group: as the first socket of a group
 * (api_listen_group_extend), after checking that no other socket holds the
 * port, so a second rag-api is refused rather than joining the group.
 * Returns the listening socket, or a negative rag code with err. */
int api_listen_bind(const char *host, int port, bool group, rag_error *err);

/* Adds n - 1 sockets on first_fd's address to its group (fds[0] = first_fd)
 * and attaches the steering program: a connection whose SYN was processed
 * on CPU c goes to fds[c % n]. Returns how many sockets the group has (1
 * when no more could be bound: the port still works, unsteered); err gets
 * why steering is off, if it is. */
int api_listen_group_extend(int first_fd, int n, int *fds, rag_error *err);

#endif
