/* probe.h — health probes with libcurl's multi interface: every service that
 * has a health URL is probed at the same time, each with its own timeout, so
 * one hung service never delays the others; total time is bounded by the
 * slowest timeout. The /healthz JSON body is parsed into rt_probe fields. */
#ifndef RAGTOP_PROBE_H
#define RAGTOP_PROBE_H

#include "model.h"

/* Call once from main before any thread starts (curl_global_init). */
void probe_global_init(void);
void probe_global_cleanup(void);

/* Probe services (out has svcs->count entries, in services order). When due
 * is not NULL only services with due[i] are probed; the others' entries are
 * left untouched. Services without a health URL get probed=false and their
 * pidfile state (probe_pidfile). */
void probe_run(const rag_services *svcs, const bool *due, rt_probe *out);
/* The same, giving up (results incomplete) within 100 ms of *stop turning
 * non-zero: the console quits without waiting for a hung URL's timeout. */
void probe_run_stoppable(const rag_services *svcs, const bool *due, rt_probe *out, const int *stop);
/* State of a service from its pidfile (no health URL): running (pid alive
 * and, when the file names a program, still that program) or stopped. */
void probe_pidfile(const rag_service *svc, rt_probe *p);

/* Parse a /healthz body into p (fields not present stay empty / -1). */
void probe_parse_healthz(const char *body, size_t len, rt_probe *p);

#endif
