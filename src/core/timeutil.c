/* timeutil.c — clocks, RFC 3339 timestamps, duration and size parsing, and
 * human-readable ages. Everything is int64 milliseconds so callers never mix
 * units. (Written by core-config to unblock config loading; core-store owns
 * this module and the lead keeps whichever version is more complete.) */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rag/timeutil.h"

int64_t rag_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rag_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rag_time_format(int64_t ms, char out[RAG_TIME_BUFSZ])
{
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, RAG_TIME_BUFSZ, "invalid");
        return;
    }
    char date[24];
    if (strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        date[0] = '\0';
    snprintf(out, RAG_TIME_BUFSZ, "%.20s.%03dZ", date, (int)frac);
}

/* Read exactly n digits. */
static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int rag_time_parse(const char *s, int64_t *ms)
{
    if (!s)
        return -1;
    int y, mo, d, h, mi, se;
    const char *p = s;
    if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) || *p++ != '-' ||
        read_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi) || *p++ != ':' ||
        read_digits(&p, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (read_digits(&p, 2, &oh) || *p++ != ':' || read_digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - offset_s) * 1000 + frac_ms;
    return 0;
}

/* Parse a non-negative decimal integer prefix; returns the end or NULL. */
static const char *parse_count(const char *s, int64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return NULL;
    int64_t v = 0;
    while (isdigit((unsigned char)*s)) {
        int dgt = *s - '0';
        if (v > (INT64_MAX - dgt) / 10)
            return NULL;
        v = v * 10 + dgt;
        s++;
    }
    *out = v;
    return s;
}

static int scale(int64_t v, int64_t mult, int64_t *out)
{
    if (mult != 0 && v > INT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int rag_duration_parse(const char *s, int64_t *ms)
{
    static const struct { const char *unit; int64_t mult; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"", 1000},
    };
    int64_t v;
    const char *end;
    if (!s || !(end = parse_count(s, &v)))
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0)
            return scale(v, units[i].mult, ms);
    return -1;
}

int rag_size_parse(const char *s, int64_t *bytes)
{
    static const struct { const char *unit; int64_t mult; } units[] = {
        {"", 1}, {"B", 1},
        {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024LL * 1024 * 1024},
        {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000LL * 1000 * 1000},
    };
    int64_t v;
    const char *end;
    if (!s || !(end = parse_count(s, &v)))
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0)
            return scale(v, units[i].mult, bytes);
    return -1;
}

void rag_age_format(int64_t ms, char *out, size_t n)
{
    if (ms < 1000) {
        snprintf(out, n, "now");
        return;
    }
    int64_t s = ms / 1000;
    if (s < 60)
        snprintf(out, n, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(out, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

void rag_duration_format(int64_t ms, char *out, size_t n)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000)
        snprintf(out, n, "%lldms", (long long)ms);
    else if (ms < 60000)
        snprintf(out, n, "%lld.%llds", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
    else
        snprintf(out, n, "%lldm %02llds", (long long)(ms / 60000), (long long)(ms % 60000 / 1000));
}
