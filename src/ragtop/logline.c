/* logline.c — the display form of a log line (see logline.h). Parsing uses
 * the shared tolerant JSON-lines reader; the assembled text goes through the
 * escaper last, so no field (message, component, payload, source name) can
 * reach the terminal unescaped. */
#include "logline.h"

#include <stdlib.h>
#include <string.h>

#include "rag/jsonlog.h"
#include "escape.h"

/* source in exactly w columns: padded, or cut with an ellipsis (UTF-8
 * aware: counts characters, labels are service names) */
static void source_column(const char *source, int w, char *out, size_t cap)
{
    size_t n = 0;
    int cols = 0;
    const char *p = source;
    if (w < 1) w = 1;
    int total = 0;
    for (const char *q = source; *q; q++) total += ((unsigned char)*q & 0xC0) != 0x80;
    int keep = total > w ? w - 1 : total;
    while (*p && cols < keep && n + 8 < cap) {
        out[n++] = *p++;
        while (*p && ((unsigned char)*p & 0xC0) == 0x80 && n + 8 < cap) out[n++] = *p++;
        cols++;
    }
    if (total > w && n + 4 < cap) { memcpy(out + n, "\xe2\x80\xa6", 3); n += 3; cols++; } /* … */
    while (cols < w && n + 1 < cap) { out[n++] = ' '; cols++; }
    out[n] = '\0';
}

size_t logline_format(const char *raw, size_t len, const char *source, char *out, size_t cap)
{
    return logline_format_w(raw, len, source, 10, out, cap);
}

size_t logline_format_w(const char *raw, size_t len, const char *source, int source_w, char *out, size_t cap)
{
    if (cap == 0) return 0;
    if (source_w > 32) source_w = 32;
    char src[160];
    source_column(source, source_w, src, sizeof src);
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
        text = rag_xasprintf("%.12s %-5s %s %s %s%s%s", ts ? ts + 1 : e.ts, rag_level_name(e.level), src,
                             e.component, e.event, tail ? " " : "", tail ? tail : "");
        free(extra);
    } else {
        text = rag_xasprintf("%-12s %-5s %s %s", "", "?", src, e.raw); /* whole: a NUL shown as ␀ */
    }
    rag_log_entry_free(&e);
    size_t n = escape_text(text, strlen(text), out, cap, true);
    free(text);
    return n;
}
