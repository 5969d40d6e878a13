/* progress.h — the human progress bar on stderr (only when stderr is a
 * terminal): files done / total, MB, rate and ETA, redrawn at most 10 times
 * a second on one line. */
#ifndef INGEST_PROGRESS_H
#define INGEST_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct progress {
    bool enabled;
    int64_t total_files, total_bytes;
    int64_t started_ms, last_draw_ms;
} progress;

void progress_start(progress *p, bool enabled, int64_t total_files, int64_t total_bytes);
void progress_update(progress *p, int64_t files_done, int64_t bytes_done, int64_t chunks);
/* Clear the bar line. */
void progress_end(progress *p);

#endif
