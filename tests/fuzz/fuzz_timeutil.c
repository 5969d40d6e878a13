/* fuzz_timeutil.c — libFuzzer harness for the notations read from config
 * files and other programs' output: RFC 3339 timestamps, durations, sizes.
 * Any bytes must give ok or -1, never a crash or overflow (UBSan); a parsed
 * timestamp must survive format -> parse unchanged; results are never
 * negative for durations and sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t v;
    if (rag_time_parse(s, &v) == 0) {
        char buf[RAG_TIME_BUFSZ];
        int64_t again;
        rag_time_format(v, buf);
        if (rag_time_parse(buf, &again) != 0) abort();
        /* years 0000..9999 with any offset stay within the clamped range */
        if (again != v && v >= 0 && v < 253402300800000LL) abort();
        char age[32];
        rag_age_format(v, age, sizeof age);
        rag_duration_format(v, age, sizeof age);
        char ago[40];
        rag_ago_format(v, ago, sizeof ago);
        if (!strstr(ago, v < 1000 ? "just now" : " ago")) abort();
    }
    if (rag_duration_parse(s, &v) == 0 && v < 0) abort();
    if (rag_size_parse(s, &v) == 0 && v < 0) abort();
    free(s);
    return 0;
}
