/* fuzz_settings.c — libFuzzer harness for the console's settings.yaml
 * parser: any bytes give settings within their ranges, or the defaults with
 * a message naming what is wrong; never a crash, leak or sanitizer report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/model.h"
#include "../../src/ragtop/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rt_settings s;
    char why[512];
    int rc = settings_parse("settings.yaml", (const char *)data, size, &s, why, sizeof why);
    if (rc == 0 && why[0]) abort();
    if (rc != 0 && !why[0]) abort();
    if (s.log_lines < RT_LOG_RING_MIN || s.log_lines > RT_LOG_RING_MAX) abort();
    if (s.log_level < -1 || s.log_level > 3) abort();
    if (s.refresh_ms != 0 && (s.refresh_ms < 250 || s.refresh_ms > 60000)) abort();
    if (memchr(s.theme, 0, sizeof s.theme) == NULL || memchr(s.zoom, 0, sizeof s.zoom) == NULL) abort();
    return 0;
}
