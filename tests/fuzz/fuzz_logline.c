/* fuzz_logline.c — libFuzzer harness for rag_log_parse_line: any bytes give
 * an entry (ok or flagged with a reason) with the raw text kept whole (a
 * NUL byte in it shown as U+2400, never ending it), never a crash, overread
 * or leak; the same for rag_json_parse_showing_nul, the JSON reader under
 * it that decodes a \u0000 escape as U+2400. */
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
    /* raw is the line without its \n / \r\n, each NUL three bytes longer (␀) */
    size_t len = size, nuls = 0;
    if (len && line[len - 1] == '\n') len--;
    if (len && line[len - 1] == '\r') len--;
    for (size_t i = 0; i < len; i++) nuls += line[i] == '\0';
    if (strlen(e.raw) != len + 2 * nuls) abort();
    if (!nuls && memcmp(e.raw, line, len) != 0) abort();
    rag_log_entry_free(&e);
    const char *end = NULL;
    cJSON *j = rag_json_parse_showing_nul(line, size, &end);
    if (end && (end < line || end > line + size)) abort();
    cJSON_Delete(j);
    free(line);
    return 0;
}
