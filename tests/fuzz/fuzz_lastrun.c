/* fuzz_lastrun.c — libFuzzer harness for rag-api's reader of the newest
 * ingest run (src/api/lastrun.c): any bytes as ingestion_metrics.jsonl give
 * 1, 0 or -1 (never a crash or sanitizer report), and -1 whenever the file
 * holds no complete line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/api/lastrun.h"

static char path[64];

static void remove_dir(void)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        char dir[] = "/tmp/fuzz-lastrun.XXXXXX";
        if (!mkdtemp(dir)) abort();
        snprintf(path, sizeof path, "%s/ingestion_metrics.jsonl", dir);
        atexit(remove_dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    api_lastrun *w = api_lastrun_new(path);
    int v = api_lastrun_get(w, 0);
    api_lastrun_free(w);
    if (v < -1 || v > 1) abort();
    if (v != -1 && !memchr(data, '\n', size)) abort();
    return 0;
}
