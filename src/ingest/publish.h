/* publish.h — the file-system side of an index generation's life: atomic
 * publication (link + unlink + folder fsync), removal of temporaries left
 * by killed runs, and retention of generations. (Manifest copies are kept by
 * rag_manifest_publish.) */
#ifndef INGEST_PUBLISH_H
#define INGEST_PUBLISH_H

#include "rag/common.h"
#include "rag/manifest.h"

/* rename(tmp, final) — refusing to replace an existing file — then fsync dir. */
int publish_rename(const char *tmp, const char *final_path, const char *dir, rag_error *err);
/* Delete "gen-*.sqlite.tmp" and "seg-*.sqlite.tmp" (and their -journal) in index_dir and
 * "latest.json.tmp.*" / "*.json.tmp.*" in checkpoints_dir. Call with the
 * ingest lock held. Returns the number removed. */
int publish_remove_temporaries(const char *index_dir, const char *checkpoints_dir);
/* Call cb for every manifest in the checkpoints folder that loads:
 * latest.json first, then the per-run copies, newest written first. */
typedef void (*names_cb)(const rag_manifest *m, void *ud);
void publish_named_generations(const char *ckpt_dir, names_cb cb, void *ud);
/* Retention: keep served plus the newest keep generations a manifest names
 * (in the order above) that exist; delete every other "gen-*.sqlite" in
 * index_dir — orphans that no manifest names included — and every
 * "seg-*.sqlite" no kept generation names. Call with the ingest
 * lock held. *deleted counts the deletions; an error names the first file
 * that could not be deleted (the others are still tried). */
int publish_prune_generations(const char *index_dir, const char *ckpt_dir, int keep, const char *served, int *deleted,
                              rag_error *err);

#endif
