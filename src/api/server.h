/* server.h — rag-api's HTTP server on libmicrohttpd: one epoll thread per
 * CPU (listen_group.h) answers /healthz, /metrics and errors directly,
 * while /query requests are suspended and handed to a separate pool of
 * query workers, so a saturated /query never queues a health probe behind
 * it. A second, small listener (api.admin_listen) answers /healthz and
 * /metrics only, so probes keep answering when the main port is flooded.
 * Connection timeout, request deadline, total and per-IP connection limits
 * (connguard.c) and the request body cap come from the config (api.*). */
#ifndef API_SERVER_H
#define API_SERVER_H

#include "rag/common.h"

#include "app.h"

typedef struct api_server api_server;

/* Start MHD on listen_fd (a group's first socket, api_listen_bind: one
 * connection thread per online CPU, each on its own socket), the admin
 * listener (/healthz, /metrics only, its own small connection budget) on
 * admin_fd (-1 = none), both taken over, the query workers and the
 * request-deadline sweep. */
api_server *api_server_start(api_app *app, int listen_fd, int admin_fd, rag_error *err);

/* Stop accepting, let requests in flight finish (at most grace_ms), then
 * stop the workers and the daemons and free. Returns the number of requests
 * that were still in flight when the grace period ended (0 = clean). */
int api_server_shutdown(api_server *srv, int64_t grace_ms);

#endif
