/* manifest.h — the freshness manifest (artifacts/checkpoints/latest.json):
 * which index generation is current, when it was built and last confirmed,
 * from which config, with what counts. Written last and atomically by
 * rag-ingest; read by rag-api, ragtop and the watcher. A file that is empty,
 * truncated, not JSON, missing fields or of a newer schema is reported as
 * such (RAG_ECORRUPT / RAG_EVERSION), never half-read. See docs/specs/manifest.md. */
#ifndef RAG_MANIFEST_H
#define RAG_MANIFEST_H

#include <stdbool.h>
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
    /* optional "failed_by_class": errors split into content failures (parse
     * errors, bad encoding: skipped until the file changes) and transient
     * ones (I/O errors, vanished files, permissions: retried every run).
     * Without the key (older writers) all errors count as content. */
    int64_t failed_content, failed_transient;
    char rollback_from[128];  /* optional: the generation a --rollback replaced ("" = none) */
    char tool_version[32];
    int index_schema_version; /* schema of the SQLite generation */
    /* optional "quality": the generation's figures on the golden queries,
     * measured by rag-ingest before publishing (docs/specs/quality.md).
     * quality.present is false when the run evaluated nothing (no golden
     * file) and in manifests of older writers. */
    struct {
        bool present;
        char golden_sha256[65];  /* of the golden file evaluated */
        int64_t queries;         /* golden queries evaluated */
        int k;                   /* cutoff of recall@k */
        char mode[16];           /* retrieval mode evaluated ("bm25", "hybrid", ...) */
        double ndcg_at_10;       /* means over the queries, 0..1 */
        double recall_at_k;
        double mrr;
        int64_t failed;          /* queries with none of their expected sources in the top k */
        cJSON *failed_queries;   /* owned; array of {"id","query","ndcg_at_10"}, at most 50, may be NULL */
        int64_t evaluated_at_ms;
        char gate[16];           /* "passed" | "forced" | "off" */
    } quality;
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
 * atomically. Temp files of killed writers older than a minute are removed
 * first. run_id must be a plain name ([A-Za-z0-9._-], not starting with
 * '.'). One transaction as a reader sees it: RAG_OK means latest.json now
 * names m; any error means latest.json is untouched and the per-run copy
 * this call wrote is removed again. Pruning is separate (below), so a
 * housekeeping problem can never turn a publish into a failure. */
int rag_manifest_publish(const char *dir, const rag_manifest *m, int keep, rag_error *err);
/* The per-run copies in dir, newest write first (then by name: run ids have
 * one-second resolution): a NULL-terminated malloc'd array of malloc'd file
 * names, *n of them (NULL when dir cannot be listed). */
char **rag_manifest_run_copies(const char *dir, size_t *n);
/* Delete the per-run copies beyond the newest keep (rag_manifest_run_copies'
 * order); never the copy of keep_run_id, never other files.
 * Returns the number deleted, or a negative RAG_E* code with err naming the
 * first copy that could not be deleted (the others are still tried). */
int rag_manifest_prune_copies(const char *dir, int keep, const char *keep_run_id, rag_error *err);
/* Is name a per-run copy ("YYYYMMDDT...json", not a temp file)? */
bool rag_manifest_is_run_copy(const char *name);
/* Is id a run id ("YYYYMMDDTHHMMSSZ-xxxxxx", the name of its per-run copy
 * without ".json"; no '/')? */
bool rag_manifest_is_run_id(const char *id);

#endif
