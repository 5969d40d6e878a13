/* publish.h — the file-system side of an index generation's life: atomic
 * publication (link + unlink + folder fsync), removal of temporaries left
 * by killed runs, and retention of generations. (Manifest copies are kept by
 * rag_manifest_publish.) */
#ifndef INGEST_PUBLISH_H
#define INGEST_PUBLISH_H

#include "rag/common.h"

/* rename(tmp, final) — refusing to replace an existing file — then fsync dir. */
int publish_rename(const char *tmp, const char *final_path, const char *dir, rag_error *err);
/* Delete "gen-*.sqlite.tmp" (and their -journal) in index_dir and
 * "latest.json.tmp.*" / "*.json.tmp.*" in checkpoints_dir. Call with the
 * ingest lock held. Returns the number removed. */
int publish_remove_temporaries(const char *index_dir, const char *checkpoints_dir);
/* Keep the newest keep generations (by name = run id = time) plus keep_name;
 * delete the rest. Returns the number deleted. */
int publish_prune_generations(const char *index_dir, int keep, const char *keep_name);

#endif
