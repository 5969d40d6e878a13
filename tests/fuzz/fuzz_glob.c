/* fuzz_glob.c — libFuzzer harness for the include/exclude globs of the config
 * (rag_glob_match, src/core/sources.c). Input: "pattern\npath". Any bytes must
 * give an answer without a crash, undefined behaviour or a hang (the matcher
 * remembers failed positions, so stars cannot make it exponential); a pattern
 * without metacharacters matches exactly the path equal to it but for the case
 * of ASCII letters; the answer does not change with that case; "**" matches
 * every path. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/sources.h"

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static bool same_but_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) return false;
    return *a == *b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *path = strchr(buf, '\n');
    if (path)
        *path++ = '\0';
    else
        path = buf + strlen(buf);
    bool m = rag_glob_match(buf, path);
    if (!strpbrk(buf, "*?[") && m != same_but_case(buf, path))
        abort();
    char *flipped = strdup(path); /* every ASCII letter's case swapped */
    for (char *c = flipped; *c; c++)
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')) *c ^= 0x20;
    if (rag_glob_match(buf, flipped) != m)
        abort();
    free(flipped);
    if (!rag_glob_match("**", path))
        abort();
    if (m && !rag_glob_match(buf, path)) /* deterministic */
        abort();
    free(buf);
    return 0;
}
