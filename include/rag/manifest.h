/* manifest.h — the freshness manifest (artifacts/checkpoints/latest.json):
 * which index generation is current, when it was built and last confirmed,
 * from which config, with what counts. Written last and atomically by
 * rag-ingest; read by rag-api, ragtop and the watcher. A file that is empty,
 * truncated, not JSON, missing fields or of a newer schema is reported as
 * such (RAG_ECORRUPT / RAG_EVERSION), never half-read. See docs/specs/manifest.md. */
#ifndef RAG_MANIFEST_H
#define RAG_MANIFEST_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "rag/common.h"

#define RAG_MANIFEST_SCHEMA_VERSION 1

typedef struct rag_manifest {
    int schema_version;
    char run_id[64];          /* "20261128T134500Z-1a2b3c" */
    char generation[128];     /* file name in artifacts/index/, e.g. "gen-...sqlite" */
    int64_t generated_at_ms;  /* when that generation was built */
    int64_t checked_at_ms;    /* last successful run that confirmed the sources */
    char config_hash[65];
    cJSON *config;            /* canonical config subtree (owned) */
    int64_t documents;
    int64_t chunks;
    int64_t tokens;
    char source_fingerprint[65]; /* sha256 over sorted (path, sha256) of sources */
    int64_t errors;           /* files that failed in the run that built it */
    char tool_version[32];
    int index_schema_version; /* schema of the SQLite generation */
} rag_manifest;

/* Load and validate. RAG_OK, RAG_ENOENT, RAG_ECORRUPT or RAG_EVERSION. */
int rag_manifest_load(const char *path, rag_manifest *m, rag_error *err);
/* Parse from memory (name used in messages). */
int rag_manifest_parse(const char *name, const char *buf, size_t len, rag_manifest *m, rag_error *err);
/* Render as pretty JSON (malloc'd). */
char *rag_manifest_render(const rag_manifest *m);
/* Write atomically (temp in same folder, fsync, rename, fsync folder). */
int rag_manifest_write(const char *path, const rag_manifest *m, rag_error *err);
void rag_manifest_free(rag_manifest *m);

/* Publish m from a successful run into the checkpoints folder dir: write the
 * per-run copy "<dir>/<run_id>.json" (skipped when keep is 0), then
 * "<dir>/latest.json" (last, so it never names a run without its copy), both
 * atomically; then delete the oldest per-run copies beyond keep (by name:
 * run ids start with a UTC timestamp). The copy latest.json names is never
 * deleted; temp files of killed writers older than a minute are removed.
 * run_id must be a plain name ([A-Za-z0-9._-], not starting with
 * '.'). A failure before latest.json is replaced leaves it untouched. */
int rag_manifest_publish(const char *dir, const rag_manifest *m, int keep, rag_error *err);

#endif
