/* fuzz_glob.c — libFuzzer harness for the include/exclude globs of the config
 * (rag_glob_match, src/core/sources.c). Input: "pattern\npath". Any bytes must
 * give an answer without a crash, undefined behaviour or a hang (the matcher
 * remembers failed positions, so stars cannot make it exponential); a pattern
 * without metacharacters matches exactly the equal path; "**" matches every
 * path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/sources.h"

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
    if (!strpbrk(buf, "*?[") && m != (strcmp(buf, path) == 0))
        abort();
    if (!rag_glob_match("**", path))
        abort();
    if (m && !rag_glob_match(buf, path)) /* deterministic */
        abort();
    free(buf);
    return 0;
}
