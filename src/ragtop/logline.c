/* logline.c — the display form of a log line (see logline.h). Parsing uses
 * the shared tolerant JSON-lines reader; the assembled text goes through the
 * escaper last, so no field (message, component, payload, source name) can
 * reach the terminal unescaped. */
#include "logline.h"

#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"
#include "escape.h"

size_t logline_format(const char *raw, size_t len, const char *source, char *out, size_t cap)
{
    if (cap == 0) return 0;
    rag_log_entry e;
    bool ok = rag_log_parse_line(raw, len, &e);
    char *text;
    if (ok) {
        const char *ts = strchr(e.ts, 'T');
        /* no message: show the payload compactly instead */
        char *extra = NULL;
        const cJSON *pl = e.msg ? NULL : cJSON_GetObjectItemCaseSensitive(e.json, "payload");
        if (pl) extra = cJSON_PrintUnformatted(pl);
        const char *tail = e.msg ? e.msg : extra;
        text = rag_xasprintf("%.12s %-5s %-10.10s %s %s%s%s", ts ? ts + 1 : e.ts, rag_level_name(e.level), source,
                             e.component, e.event, tail ? " " : "", tail ? tail : "");
        free(extra);
    } else {
        text = rag_xasprintf("%-12s %-5s %-10.10s %.*s", "", "?", source, (int)len, raw);
    }
    rag_log_entry_free(&e);
    size_t n = escape_text(text, strlen(text), out, cap, true);
    free(text);
    return n;
}
