/* connguard.h — connection admission and the request deadline for one
 * listener (the main port or the admin port). libmicrohttpd's own limits
 * close connections silently and uncounted, and its timeout only measures
 * inactivity, so rag-api keeps its own books: the accept-policy callback
 * admits a connection only under the listener's total and per-IP caps
 * (refusals are counted by reason), every open connection is on a list with
 * the time the server started waiting for its next request, and a sweep
 * shuts down the socket of any connection whose request has not fully
 * arrived within the deadline (libmicrohttpd then sees end-of-file and
 * closes it; the entry leaves the list before the descriptor is closed). */
#ifndef API_CONNGUARD_H
#define API_CONNGUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stats.h"

typedef struct api_connguard api_connguard;
typedef struct api_conn api_conn;

/* max_conn: total cap; per_ip: cap per client address (0 = none);
 * deadline_ms: time allowed for a whole request; refusals beyond max_conn
 * are counted as total_reason. */
api_connguard *api_connguard_new(unsigned max_conn, unsigned per_ip, int64_t deadline_ms, api_stats *stats,
                                 api_refuse_reason total_reason);
void api_connguard_free(api_connguard *g);

/* Accept policy: true to admit addr, false (and counted) when a cap is hit. */
bool api_connguard_admit(api_connguard *g, const struct sockaddr *addr, socklen_t len);
/* A connection was set up (fd, client address): it is now waiting for its
 * first request. Returns its entry (the MHD socket context). */
api_conn *api_connguard_opened(api_connguard *g, int fd, const struct sockaddr *addr, int64_t now_mono_ms);
/* It closed (called before the descriptor is closed); frees the entry. */
void api_connguard_closed(api_connguard *g, api_conn *c);
/* The whole request has arrived: the deadline stops until the response is
 * sent. */
void api_connguard_received(api_conn *c);
/* The response is sent: the connection waits for its next request. */
void api_connguard_waiting(api_conn *c, int64_t now_mono_ms);
/* Shut down every connection overdue at now; returns how many (each counted
 * in the stats once). */
unsigned api_connguard_sweep(api_connguard *g, int64_t now_mono_ms);
unsigned api_connguard_open(api_connguard *g);

#endif
