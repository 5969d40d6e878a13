/* confighash.h — the canonical config hash. SHA-256 (OpenSSL EVP) over a
 * canonical JSON (sorted keys, no whitespace, normalised numbers; durations in
 * ms, sizes in bytes) of only the settings that change what the index
 * contains: schema_version, ingest.include/exclude, chunking.*, and
 * embedding.provider/model/dimensions. Comments, key order, formatting and
 * api/freshness/watch settings do not change it. The canonical subtree is
 * stored in the manifest so a mismatch can be explained key by key. */
#ifndef RAG_CONFIGHASH_H
#define RAG_CONFIGHASH_H

#include <cjson/cJSON.h>
#include "rag/config.h"

#define RAG_HASH_HEX 65 /* 64 hex chars + NUL */

/* The canonical subtree as a cJSON object (caller frees). */
cJSON *rag_config_canonical(const rag_config *cfg);
/* Render any cJSON canonically (sorted keys, compact); malloc'd string. */
char *rag_json_canonical_string(const cJSON *json);
/* sha256 hex of the canonical rendering of json. */
void rag_json_hash(const cJSON *json, char out[RAG_HASH_HEX]);
/* rag_json_hash(rag_config_canonical(cfg)). */
void rag_config_hash(const rag_config *cfg, char out[RAG_HASH_HEX]);
/* sha256 hex of a buffer (used for documents and fingerprints too). */
void rag_sha256_hex(const void *data, size_t len, char out[RAG_HASH_HEX]);

/* Explain how two canonical subtrees differ: calls cb once per differing leaf
 * with a dotted key and both values rendered ("chunking.target_tokens",
 * "256", "384"; "(absent)" where a side lacks it). Returns the count. */
typedef void (*rag_diff_cb)(const char *key, const char *old_value, const char *new_value, void *ud);
int rag_json_diff(const cJSON *old_tree, const cJSON *new_tree, rag_diff_cb cb, void *ud);

#endif
