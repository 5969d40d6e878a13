/* timeutil.c — clocks, RFC 3339 timestamps, and the duration / size / age
 * notations used in config files and on screen. Parsers are strict: the whole
 * string must match, negatives and overflow are rejected, nothing is guessed.
 * Calendar arithmetic is done here (days from civil date) rather than with
 * timegm/mktime so results never depend on the process's TZ or locale. */
#include "rag/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t rag_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rag_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t rag_mono_ms(void) { return rag_mono_us() / 1000; }

struct timespec rag_timespec_in(clockid_t clock, int64_t ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void rag_time_format(int64_t ms, char out[RAG_TIME_BUFSZ])
{
    /* Clamp to years 0000..9999 so the output is always valid RFC 3339. */
    const int64_t min_ms = days_from_civil(0, 1, 1) * 86400000LL;
    const int64_t max_ms = days_from_civil(10000, 1, 1) * 86400000LL - 1;
    if (ms < min_ms) ms = min_ms;
    if (ms > max_ms) ms = max_ms;
    int64_t days = floor_div(ms, 86400000LL);
    int64_t rem = ms - days * 86400000LL;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    /* The modulos are no-ops on clamped values; they bound the widths for the compiler. */
    snprintf(out, RAG_TIME_BUFSZ, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)y % 10000u,
             (unsigned)m % 100u, (unsigned)d % 100u, (unsigned)(rem / 3600000) % 100u,
             (unsigned)(rem / 60000 % 60), (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
}

/* Read exactly n digits at *p; advances *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int rag_time_parse(const char *s, int64_t *ms)
{
    if (!s || !ms) return -1;
    const char *p = s;
    int y, mo, d, h, mi, sec, frac = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ') return -1;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return -1;
        int n = 0;
        for (; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3) frac = frac * 10 + (*p - '0');
        for (; n < 3; n++) frac *= 10; /* ".5" is 500 ms; digits past ms are truncated */
    }
    int off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om)) return -1;
        if (oh > 23 || om > 59) return -1;
        off_min = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (*p != '\0') return -1;
    /* Second 60 is allowed for a leap second (it folds into the next second). */
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return -1;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off_min * 60;
    *ms = t * 1000 + frac;
    return 0;
}

/* Parse a non-negative decimal integer prefix (no sign, no spaces), with
 * overflow detection. Returns false when there is no digit or on overflow. */
static bool parse_uint(const char **p, int64_t *out)
{
    const char *q = *p;
    int64_t v = 0;
    if (*q < '0' || *q > '9') return false;
    for (; *q >= '0' && *q <= '9'; q++) {
        int dgt = *q - '0';
        if (v > (INT64_MAX - dgt) / 10) return false;
        v = v * 10 + dgt;
    }
    *p = q;
    *out = v;
    return true;
}

static int scale(int64_t v, int64_t mult, int64_t *out)
{
    if (v > INT64_MAX / mult) return -1;
    *out = v * mult;
    return 0;
}

int rag_duration_parse(const char *s, int64_t *ms)
{
    if (!s || !ms) return -1;
    const char *p = s;
    int64_t v;
    if (!parse_uint(&p, &v)) return -1;
    static const struct { const char *unit; int64_t mult; } units[] = {
        {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(p, units[i].unit) == 0) return scale(v, units[i].mult, ms);
    return -1;
}

int rag_size_parse(const char *s, int64_t *bytes)
{
    if (!s || !bytes) return -1;
    const char *p = s;
    int64_t v;
    if (!parse_uint(&p, &v)) return -1;
    static const struct { const char *unit; int64_t mult; } units[] = {
        {"", 1}, {"B", 1},
        {"KiB", 1LL << 10}, {"MiB", 1LL << 20}, {"GiB", 1LL << 30}, {"TiB", 1LL << 40},
        {"KB", 1000LL}, {"MB", 1000000LL}, {"GB", 1000000000LL}, {"TB", 1000000000000LL},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(p, units[i].unit) == 0) return scale(v, units[i].mult, bytes);
    return -1;
}

void rag_size_format(uint64_t bytes, char *out, size_t n)
{
    if (!out || n == 0) return;
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(out, n, "%llu B", (unsigned long long)bytes);
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1023.5 && u + 1 < sizeof unit / sizeof *unit) v /= 1024, u++; /* never "1024 KiB" */
    if (v < 99.95) snprintf(out, n, "%.1f %s", v, unit[u]);
    else snprintf(out, n, "%.0f %s", v, unit[u]);
}

void rag_age_format(int64_t ms, char *out, size_t n)
{
    if (!out || n == 0) return;
    if (ms < 1000) { /* under a second, or in the future (clock skew) */
        snprintf(out, n, "now");
        return;
    }
    int64_t s = ms / 1000;
    if (s < 60)
        snprintf(out, n, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
    else
        snprintf(out, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
}

void rag_ago_format(int64_t ms, char *out, size_t n)
{
    if (!out || n == 0) return;
    if (ms < 1000) {
        snprintf(out, n, "just now");
        return;
    }
    char age[32];
    rag_age_format(ms, age, sizeof age);
    snprintf(out, n, "%s ago", age);
}

void rag_duration_format(int64_t ms, char *out, size_t n)
{
    if (!out || n == 0) return;
    if (ms < 0) ms = 0;
    if (ms < 1000)
        snprintf(out, n, "%lldms", (long long)ms);
    else if (ms < 60000) /* tenths are truncated so 59.99 s never shows as "60.0s" */
        snprintf(out, n, "%lld.%llds", (long long)(ms / 1000), (long long)(ms / 100 % 10));
    else if (ms < 3600000)
        snprintf(out, n, "%lldm %02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
    else
        snprintf(out, n, "%lldh %02lldm", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
}
