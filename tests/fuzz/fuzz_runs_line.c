/* fuzz_runs_line.c — libFuzzer harness for collect_runs_parse_line (a line
 * of ingestion_metrics.jsonl as ragtop reads it, with the quality_* fields):
 * any bytes give a run or false, never a crash, overread or leak; the
 * strings it keeps are NUL-terminated within their fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size copy: ASan reports any read past size */
    char *line = malloc(size ? size : 1);
    if (size) memcpy(line, data, size);
    rt_run r;
    if (collect_runs_parse_line(line, size, &r)) {
        if (!r.run_id[0] || !r.status[0]) abort();
        if (strnlen(r.quality_gate, sizeof r.quality_gate) == sizeof r.quality_gate) abort();
        if (strnlen(r.first_error, sizeof r.first_error) == sizeof r.first_error) abort();
    }
    free(line);
    return 0;
}
