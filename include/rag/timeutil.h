/* timeutil.h — wall and monotonic clocks, RFC 3339 timestamps, durations,
 * sizes and human-readable ages. All times are int64 milliseconds. */
#ifndef RAG_TIMEUTIL_H
#define RAG_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t rag_now_ms(void);
/* Milliseconds from an arbitrary origin (CLOCK_MONOTONIC), for intervals. */
int64_t rag_mono_ms(void);
/* The same clock in microseconds, for timing short work. */
int64_t rag_mono_us(void);
/* The time on clock ms from now: a deadline for pthread_cond_timedwait
 * (CLOCK_REALTIME, or the clock set on the condition variable). */
struct timespec rag_timespec_in(clockid_t clock, int64_t ms);

#define RAG_TIME_BUFSZ 32
/* Format as RFC 3339 UTC with milliseconds: "2026-11-28T13:45:00.123Z". */
void rag_time_format(int64_t ms, char out[RAG_TIME_BUFSZ]);
/* Parse RFC 3339 ("...Z" or "+hh:mm", fraction optional). 0 ok, -1 invalid. */
int rag_time_parse(const char *s, int64_t *ms);

/* Parse a duration: "250ms", "30s", "5m", "24h", "7d" (also a bare integer
 * meaning seconds). Result in ms. 0 ok, -1 invalid (incl. negative). */
int rag_duration_parse(const char *s, int64_t *ms);
/* Parse a size: "512", "64KiB", "16MiB", "1GiB" (also KB/MB/GB = 1000^n). */
int rag_size_parse(const char *s, int64_t *bytes);

/* Human size in binary units, as df -h: "812 B", "45.3 KiB", "530 MiB",
 * "1.2 GiB" (one decimal below 100 of the unit). */
void rag_size_format(uint64_t bytes, char *out, size_t n);

/* Human age of a duration in ms: "now", "42s", "5m", "3h 12m", "3d 4h". */
void rag_age_format(int64_t ms, char *out, size_t n);
/* How long ago, as a phrase: "just now" (under a second, or in the future),
 * else rag_age_format's text + " ago": "42s ago", "3h 12m ago". */
void rag_ago_format(int64_t ms, char *out, size_t n);
/* How far a manifest time may lie in the future before the freshness checks
 * (rag-api /healthz, ragtop) say the clocks disagree instead of "just now":
 * a checked_at from a host whose clock runs ahead would otherwise hide a
 * stale index for as long as the clocks differ. */
#define RAG_CLOCK_SKEW_MAX_MS (5 * 60 * 1000LL)
/* Human duration for run times: "850ms", "12.3s", "4m 05s". */
void rag_duration_format(int64_t ms, char *out, size_t n);

#endif
