/* progress.c — one-line progress bar for interactive runs (see progress.h).
 * The ETA extrapolates the byte rate so far; logs carry the same numbers in
 * batch_done events for consoles that draw their own bar. */
#include <stdio.h>

#include "progress.h"
#include "rag/timeutil.h"

void progress_start(progress *p, bool enabled, int64_t total_files, int64_t total_bytes)
{
    p->enabled = enabled;
    p->total_files = total_files;
    p->total_bytes = total_bytes > 0 ? total_bytes : 1;
    p->started_ms = rag_mono_ms();
    p->last_draw_ms = 0;
}

void progress_update(progress *p, int64_t files_done, int64_t bytes_done, int64_t chunks)
{
    if (!p->enabled)
        return;
    int64_t now = rag_mono_ms();
    if (now - p->last_draw_ms < 100 && files_done < p->total_files)
        return;
    p->last_draw_ms = now;
    double frac = (double)bytes_done / (double)p->total_bytes;
    if (frac > 1) frac = 1;
    int width = 30, fill = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double secs = (double)(now - p->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)bytes_done / secs : 0;
    char eta[32] = "--";
    if (rate > 0 && frac > 0 && frac < 1)
        rag_duration_format((int64_t)((double)(p->total_bytes - bytes_done) / rate * 1000.0), eta, sizeof eta);
    fprintf(stderr, "\r[%s] %lld/%lld files  %.1f/%.1f MB  %lld chunks  %.1f MB/s  ETA %s   ", bar,
            (long long)files_done, (long long)p->total_files, (double)bytes_done / 1e6, (double)p->total_bytes / 1e6,
            (long long)chunks, rate / 1e6, eta);
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->enabled)
        fprintf(stderr, "\r\033[K");
}
