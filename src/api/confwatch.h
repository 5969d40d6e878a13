/* confwatch.h — the config file as it is now, for /healthz's config-hash
 * check. The file is stat()ed at most once per second and re-loaded and
 * re-hashed only when its mtime, size or inode changed, so /healthz never
 * does file I/O on its own. */
#ifndef API_CONFWATCH_H
#define API_CONFWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

typedef struct api_confwatch api_confwatch;

typedef struct api_config_view {
    bool ok;              /* the file loaded and validated */
    char hash[65];        /* its config hash when ok */
    char error[512];      /* why not ok */
    cJSON *canonical;     /* copy of its canonical subtree (caller frees), NULL when !ok */
} api_config_view;

api_confwatch *api_confwatch_new(const char *config_path);
void api_confwatch_free(api_confwatch *w);
/* Current view; now_mono_ms paces the stat(). want_tree: also copy the
 * canonical subtree (for explaining a mismatch). */
void api_confwatch_get(api_confwatch *w, int64_t now_mono_ms, bool want_tree, api_config_view *out);
/* Bumps whenever the view changed (for response caches). */
uint64_t api_confwatch_version(api_confwatch *w, int64_t now_mono_ms);

#endif
