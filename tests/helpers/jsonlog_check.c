/* jsonlog_check — test helper: read a log written by W jsonlog_writer
 * processes of N lines each and verify it with rag_log_parse_line: the file
 * ends with a newline, every line is a valid log line, and each writer's
 * sequence numbers appear exactly once, in order, 0..N-1. Prints a summary.
 * Usage: jsonlog_check PATH W N     Exit 0 when everything holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/fsutil.h"
#include "rag/jsonlog.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: jsonlog_check PATH WRITERS N\n");
        return 2;
    }
    int writers = atoi(argv[2]);
    long n = atol(argv[3]);
    char *buf;
    size_t len;
    rag_error err;
    if (rag_read_file(argv[1], (size_t)1 << 30, &buf, &len, &err) != RAG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    long *next = calloc((size_t)writers, sizeof *next);
    long lines = 0, malformed = 0, out_of_order = 0, foreign = 0;
    int bad = 0;
    if (len > 0 && buf[len - 1] != '\n') {
        fprintf(stderr, "file does not end with a newline\n");
        bad = 1;
    }
    for (char *p = buf; p < buf + len;) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
        lines++;
        rag_log_entry e;
        if (!rag_log_parse_line(p, l, &e)) {
            if (malformed++ < 5) fprintf(stderr, "line %ld malformed (%s): %.120s\n", lines, e.reason, e.raw);
        } else {
            cJSON *pl = cJSON_GetObjectItem(e.json, "payload");
            cJSON *w = cJSON_GetObjectItem(pl, "writer"), *s = cJSON_GetObjectItem(pl, "seq");
            char want_run[32];
            int wid = cJSON_IsNumber(w) ? w->valueint : -1;
            snprintf(want_run, sizeof want_run, "writer-%d", wid);
            if (wid < 0 || wid >= writers || !cJSON_IsNumber(s) || strcmp(e.run_id, want_run) != 0) {
                foreign++;
            } else if ((long)s->valuedouble != next[wid]) {
                if (out_of_order++ < 5)
                    fprintf(stderr, "line %ld: writer %d seq %ld, expected %ld\n", lines, wid, (long)s->valuedouble, next[wid]);
                next[wid] = (long)s->valuedouble + 1;
            } else {
                next[wid]++;
            }
        }
        rag_log_entry_free(&e);
        p += l + 1;
    }
    int complete = 0;
    for (int i = 0; i < writers; i++) {
        if (next[i] == n) complete++;
        else fprintf(stderr, "writer %d: last seq %ld, expected %ld\n", i, next[i] - 1, n - 1);
    }
    printf("lines=%ld malformed=%ld out_of_order=%ld foreign=%ld writers_complete=%d/%d\n", lines, malformed,
           out_of_order, foreign, complete, writers);
    free(next);
    free(buf);
    return bad || malformed || out_of_order || foreign || complete != writers || lines != (long)writers * n;
}
