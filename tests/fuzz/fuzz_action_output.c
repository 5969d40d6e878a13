/* fuzz_action_output.c — libFuzzer harness for action_output_line, which
 * reads what an action printed (make's "*** [...] Error N" lines, the last
 * line, the last error line): any bytes, split into lines, give
 * NUL-terminated fields within their buffers and a make status of -1 or
 * 1..255, never a crash, overread or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/action.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    action_output o;
    action_output_init(&o);
    size_t at = 0;
    while (at <= size) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
        char *line = malloc(len + 1); /* exact size: ASan sees any overread */
        memcpy(line, data + at, len);
        line[len] = '\0';
        action_output_line(&o, line);
        free(line);
        at += len + 1;
    }
    if (!memchr(o.last_line, '\0', sizeof o.last_line) || !memchr(o.err_line, '\0', sizeof o.err_line) ||
        !memchr(o.make_target, '\0', sizeof o.make_target))
        abort();
    if (o.make_status != -1 && (o.make_status < 1 || o.make_status > 255)) abort();
    return 0;
}
