/* fuzz_status_body.c — libFuzzer harness for ragtop's reader of a rag-api
 * /status answer (collect_remote_parse, src/ragtop/collect_remote.c): any
 * body fills the snapshot or says why not; runs and log events stay within
 * their bounds; never a crash, leak or sanitizer report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ragtop/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rt_snapshot s;
    snapshot_init(&s);
    collect_remote_init(&s, "http://127.0.0.1:1");
    rt_remote_logs logs = {0};
    collect_remote_parse(&s, (const char *)data, size, &logs);
    if (s.remote.rc != RAG_OK && !s.remote.error[0]) abort();
    if (s.n_runs > RT_MAX_RUNS) abort();
    for (size_t i = 0; i < logs.n; i++)
        if (!logs.lines[i] || !logs.sources[i]) abort();
    collect_remote_logs_free(&logs);
    snapshot_free(&s);
    return 0;
}
