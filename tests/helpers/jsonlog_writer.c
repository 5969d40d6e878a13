/* jsonlog_writer — test helper: append N log lines through rag_log as
 * writer ID, each with payload {"writer":ID,"seq":i}. Line sizes vary, and
 * every 97th line carries a ~10 KB msg (larger than PIPE_BUF) so the test
 * covers big single writes too. Waits until GO_FILE exists before writing,
 * so all writers start together, and sleeps briefly every 50 lines so the
 * writers' lines interleave even on a busy machine with few cores.
 * Usage: jsonlog_writer PATH ID N GO_FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rag/jsonlog.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: jsonlog_writer PATH ID N GO_FILE\n");
        return 2;
    }
    int id = atoi(argv[2]);
    long n = atol(argv[3]);
    rag_error err;
    rag_log *log = rag_log_open(argv[1], "writer", &err);
    if (!log) {
        fprintf(stderr, "jsonlog_writer: %s\n", err.msg);
        return 1;
    }
    char run_id[32];
    snprintf(run_id, sizeof run_id, "writer-%d", id);
    rag_log_set_run_id(log, run_id);
    while (access(argv[4], F_OK) != 0) nanosleep(&(struct timespec){0, 200 * 1000}, NULL);

    static char pad[10001];
    memset(pad, 'a' + id % 26, sizeof pad - 1);
    for (long i = 0; i < n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "writer", id);
        cJSON_AddNumberToObject(p, "seq", (double)i);
        int padlen = i % 97 == 0 ? 10000 : (int)((i * 7 + id * 13) % 300);
        if (rag_log_eventf(log, RAG_LEVEL_INFO, "line", p, "w%d #%ld %.*s", id, i, padlen, pad) != RAG_OK) {
            fprintf(stderr, "jsonlog_writer: write failed at line %ld\n", i);
            return 1;
        }
        if (i % 50 == 49)
            nanosleep(&(struct timespec){0, 50 * 1000}, NULL);
    }
    rag_log_close(log);
    return 0;
}
