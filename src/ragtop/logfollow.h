/* logfollow.h — follows log files like `tail -F` in one worker thread:
 * starts at the end (reads only the last lines, never the whole file),
 * wakes on inotify and re-checks every file with stat() on a short timer
 * (the fallback when inotify is missing or the file is on NFS), survives
 * truncation (re-reads from the start) and rename-rotation (drains the old
 * file, then opens the new one). Lines go into the model's bounded ring. */
#ifndef RAGTOP_LOGFOLLOW_H
#define RAGTOP_LOGFOLLOW_H

#include "model.h"

typedef struct logfollow logfollow;

/* Follow paths (deduplicated; labels name them in the model's
 * log_sources). backfill = lines read from each file's tail at start. */
logfollow *logfollow_start(rt_model *m, char **paths, size_t n, size_t backfill);
/* The same with a label per path (the service's name; NULL = the file's
 * name); sets the model's source column width to the longest label (6..16). */
logfollow *logfollow_start_labeled(rt_model *m, char **paths, char **labels, size_t n, size_t backfill);
/* Stop the thread and free everything. */
void logfollow_stop(logfollow *lf);

#endif
