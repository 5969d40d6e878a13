/* fuzz_logline.c — libFuzzer harness for rag_log_parse_line: any bytes give
 * an entry (ok or flagged with a reason) with the raw text kept, never a
 * crash, overread or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size copy: ASan reports any read past size */
    char *line = malloc(size ? size : 1);
    if (size) memcpy(line, data, size);
    rag_log_entry e;
    bool ok = rag_log_parse_line(line, size, &e);
    if (ok != e.ok || !e.raw) abort();
    if (!ok && (!e.reason[0] || e.json || e.msg)) abort();
    if (ok && (!e.json || !e.event[0] || !e.component[0] || e.level > RAG_LEVEL_ERROR)) abort();
    rag_log_entry_free(&e);
    free(line);
    return 0;
}
