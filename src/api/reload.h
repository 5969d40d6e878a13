/* reload.h — finding new index generations and swapping them in without
 * downtime. A thread watches the checkpoints folder with inotify (and stats
 * the manifest once a second as a fallback, e.g. on file systems without
 * inotify or before the folder exists); SIGHUP forces a re-read. A newer
 * manifest naming another generation gets it opened and checked, then
 * swapped in atomically; one that fails keeps the old generation serving and
 * is reported in /healthz and the log. */
#ifndef API_RELOAD_H
#define API_RELOAD_H

#include <stdbool.h>

#include "rag/common.h"

#include "app.h"

typedef struct api_reloader api_reloader;

api_reloader *api_reloader_new(api_app *app);
/* Look at the manifest now (used once at start, before serving). */
void api_reloader_check(api_reloader *r, bool force);
/* Start the watcher thread. */
int api_reloader_start(api_reloader *r, rag_error *err);
/* Ask the watcher to re-read the manifest (SIGHUP). Async-signal-safe. */
void api_reloader_trigger(api_reloader *r);
/* Stop the thread (if started) and free. */
void api_reloader_free(api_reloader *r);

#endif
