/* index_store.h — the index generation rag-api serves and the atomic swap to
 * a newer one. A generation is opened read-only (the file is immutable once
 * published), checked (schema version, chunk count against the manifest,
 * config hash, vector sizes), its vectors loaded into one contiguous,
 * column-major float array, and one "lease" (SQLite connection + prepared
 * statements + query embedder + scratch) prepared per query worker.
 * Generations are reference counted: a query holds a reference for its whole
 * run, so a swap never pulls the data from under a query in flight. */
#ifndef API_INDEX_STORE_H
#define API_INDEX_STORE_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "rag/common.h"
#include "rag/config.h"
#include "rag/embed.h"
#include "rag/genset.h"
#include "rag/manifest.h"
#include "rag/ann.h"

#include <pthread.h>
#include <stdbool.h>

#define API_DF_SLOTS 8192
/* SQLite page cache of each lease's connection, KiB (a string: it is
 * pasted into the PRAGMA); one lease per query worker. */
#define API_LEASE_CACHE_KIB "16384"

struct api_df_slot {
    bool used;
    char term[65];
    int64_t df;
};

/* Per-generation cache of query-term document frequencies (open addressing,
 * filled up to 3/4; the file is immutable, so entries never go stale). */
struct api_df_cache {
    pthread_mutex_t lock;
    size_t used;
    struct api_df_slot slots[API_DF_SLOTS];
};

/* A lease has one connection over the whole generation (rag_genset_attach:
 * segment i attached as "s<i>", or a v1 file as "main") and each
 * statement once per segment, over that segment's live rows only. */
typedef struct api_lease {
    sqlite3 *db;
    sqlite3_stmt *bm25[RAG_GENSET_MAX_SEGMENTS];  /* ?1 MATCH expression, ?2 api_bm25_top: its best matches */
    sqlite3_stmt *fetch[RAG_GENSET_MAX_SEGMENTS]; /* ?1 chunk rowid -> chunk + document fields */
    sqlite3_stmt *count[RAG_GENSET_MAX_SEGMENTS]; /* ?1 MATCH expression -> number of matching live chunks */
    sqlite3_stmt *rows[RAG_GENSET_MAX_SEGMENTS];  /* ?1 MATCH expression, ?2 api_bm25_rows: collects every live match (rag_bm25_rows) */
    sqlite3_stmt *rows_first[RAG_GENSET_MAX_SEGMENTS]; /* the same, stopping after ?3 rows */
    sqlite3_stmt *rows_at[RAG_GENSET_MAX_SEGMENTS];    /* the same for chunk rowid ?3 only (0 or 1 row) */
    /* segment k's float32 vectors, one blob handle moved from row to row
     * and kept between queries (opened on first use; vector_ann.c) */
    sqlite3_blob *vec_blob[RAG_GENSET_MAX_SEGMENTS];
    float *qvec;   /* dims */
    float *scores; /* exact_max (exact search's scratch) */
} api_lease;

/* The rows of one segment file that a generation loads into memory (FTS5
 * lengths, and vectors unless opened without: the segment's approximate
 * vector index when it has one, else its float32 vectors), shared by every
 * generation that names the file: a reload reads only the segments it has
 * not seen. */
typedef struct api_segdata api_segdata;

typedef struct api_generation {
    atomic_int refs;
    api_segdata *segdata[RAG_GENSET_MAX_SEGMENTS];
    int segments_read; /* segments whose rows this open read from disk (the others were shared) */
    char *path;
    rag_genset gs;   /* its segments (one for a v1 file) and tombstones */
    int64_t *dead;   /* chunk rowids of tombstoned documents, ascending */
    size_t n_dead;
    char generation[128];
    char config_hash[65];
    int64_t generated_at_ms;
    int64_t chunk_count;
    int64_t documents;
    int schema_version;
    cJSON *config; /* canonical config it was built from (from the manifest) */
    char provider[32];
    char model[128];
    int dims;
    size_t n;        /* live chunks (rowids, doc_ids, lengths) */
    int64_t *rowids; /* n, ascending chunk rowids */
    int64_t *doc_ids; /* n, the document of rowids[i] */
    uint32_t *lengths; /* n, tokens of rowids[i] as FTS5 counted them (its docsize table) */
    double avg_length; /* mean FTS5 length of every live chunk of every segment: BM25's avgdl */
    int64_t bm25_probe_entries; /* 0 = API_BM25_PROBE_ENTRIES (query.h); tests set it lower to reach that shortcut on small data */
    /* Exact search scans, segment by segment, the float32 vectors of the
     * segments without an approximate index (all of them when none has
     * one), held by the shared segment data (so a reload copies none of
     * them); tombstoned rows are skipped as the scan meets them: */
    size_t n_exact;   /* live chunks scanned exactly */
    size_t exact_max; /* rows of the largest such segment (the size of a lease's scratch) */
    const float *exact_cols[RAG_GENSET_MAX_SEGMENTS];     /* segment k's vectors column-major, or NULL:
                                                            column j of row i at [j * exact_stride[k] + i] */
    size_t exact_stride[RAG_GENSET_MAX_SEGMENTS];
    size_t exact_n[RAG_GENSET_MAX_SEGMENTS];              /* rows of segment k, tombstoned ones included */
    const int64_t *exact_rowids[RAG_GENSET_MAX_SEGMENTS]; /* row i's chunk rowid, ascending */
    /* Segments with an approximate vector index (rag/vector_index.h), searched
     * per segment, tombstoned rows skipped, candidates rescored exactly
     * (vector_ann.h): */
    int n_ann;                                    /* how many segments have one */
    const rag_ann *ann[RAG_GENSET_MAX_SEGMENTS];  /* segment k's graph or NULL */
    const int64_t *ann_rowids[RAG_GENSET_MAX_SEGMENTS]; /* graph id -> chunk rowid (segment k's embeddings) */
    size_t ann_n[RAG_GENSET_MAX_SEGMENTS];        /* vectors in segment k's graph */
    size_t ann_dead[RAG_GENSET_MAX_SEGMENTS];     /* of them tombstoned */
    int ann_ef;                                   /* search breadth (api.ann_ef_search) */
    int n_leases;
    api_lease *leases;
    rag_embedder *embedder; /* the queries' embedder, shared by every thread that ranks or embeds
                               (both providers are thread-safe) */
    int64_t loaded_at_ms;
    struct api_df_cache *df; /* term -> number of chunks containing it */
} api_generation;

/* Whether g's model is behind the network (any provider but hashing): rag-api
 * then embeds query texts in its query-embedding stage (embedq.h), many
 * queries a request. */
static inline bool api_generation_embeds_remotely(const api_generation *g)
{
    return strcmp(g->provider, "hashing") != 0;
}

/* Open and check path (a generation named by manifest m). n_leases = number
 * of query workers. cfg supplies the embedder's transport settings (URL, key
 * variable, timeouts); provider, model and dimensions come from the
 * generation's own meta table. NULL with err on any failure. */
api_generation *api_generation_open(const char *path, const rag_manifest *m, const rag_config *cfg,
                                    int n_leases, rag_error *err);
/* The same; vectors false leaves the vectors on disk (n_exact 0, no
 * approximate indexes,
 * vector matches; rowids, documents and lengths are loaded all the same, so
 * BM25 ranks exactly as with vectors): for BM25-only use, e.g. rag-ingest evaluating golden queries in
 * bm25 mode, whose memory must not grow with the corpus. */
api_generation *api_generation_open_ex(const char *path, const rag_manifest *m, const rag_config *cfg,
                                       int n_leases, bool vectors, rag_error *err);
void api_generation_release(api_generation *g);

/* The document id of chunk rowid (binary search over the loaded rowids);
 * -1 when g has no such chunk. */
int64_t api_generation_doc_of(const api_generation *g, int64_t rowid);
/* Is chunk rowid tombstoned in g? */
bool api_generation_is_dead(const api_generation *g, int64_t rowid);
/* The schema name segment k is attached under on a lease's connection
 * ("main" for a v1 file, else "s<k>"). */
void api_segment_schema(const api_generation *g, size_t k, char out[16]);
/* The segment holding chunk rowid (segments hold ascending id ranges). */
size_t api_generation_segment_of(const api_generation *g, int64_t rowid);

/* Number of live chunks containing term (a lower-cased query term) summed
 * over the segments (tombstoned rows left out), counted once per generation
 * through lease l's connection and then cached. -1 on error. */
int64_t api_generation_df(api_generation *g, api_lease *l, const char *term);

/* latest.json as the reloader last saw it. */
typedef enum { API_MANIFEST_MISSING = 0, API_MANIFEST_OK, API_MANIFEST_UNREADABLE } api_manifest_state;

/* The served generation's figures on the golden queries: the manifest's
 * optional "quality" object (docs/specs/manifest.md), from the manifest that
 * named or last confirmed it; present false = not measured. */
typedef struct api_quality_info {
    bool present;
    int64_t queries, failed;
    int k;
    char mode[16], gate[16];
    double ndcg_at_10, recall_at_k, mrr;
    int64_t evaluated_at_ms;
    char failed_ids[8][48]; /* ids of the first failing queries (whole characters, < 48 bytes) */
    int n_failed_ids;
} api_quality_info;

/* What /healthz and /metrics show about the generation being served and the
 * last reload attempt. */
typedef struct api_served_info {
    int present;
    char run_id[64];
    char generation[128];
    char rollback_from[128]; /* the manifest's: the generation a rag-ingest --rollback replaced, "" = none */
    int64_t generated_at_ms;
    int64_t checked_at_ms;
    char config_hash[65];
    int64_t chunk_count;
    int64_t documents;
    int64_t bytes;          /* the generation's file and segments on disk, -1 unknown (rag_genset_bytes) */
    int schema_version;
    /* vector search of the served generation (all 0 when it has no vectors):
     * segments and live chunks searched through an approximate index
     * ("graph") or by the exact scan, tombstoned vectors the graphs still
     * hold (skipped at query time), the graphs' memory */
    int vector_segments_graph, vector_segments_exact;
    int64_t vector_chunks_graph, vector_chunks_exact, vector_graph_tombstoned, vector_graph_bytes;
    int64_t loaded_at_ms;   /* when it was swapped in, 0 if never */
    uint64_t reloads;       /* successful swaps */
    uint64_t reload_failures;
    int64_t last_failure_ms;
    char failed_generation[128];
    char last_error[512];   /* "" when the last attempt succeeded */
    api_manifest_state manifest_state;
    char manifest_error[512]; /* why missing or unreadable */
    int64_t manifest_since_ms; /* when it went missing/unreadable */
    char broken_error[512];   /* a query hit a storage error on the served generation; "" = none */
    int64_t broken_ms;
    api_quality_info quality;
    uint64_t version;       /* bumps on every change */
} api_served_info;

typedef struct api_store api_store;

api_store *api_store_new(void);
/* Release the served generation and free. */
void api_store_free(api_store *s);
/* The generation to query with an extra reference, or NULL (no index yet). */
api_generation *api_store_acquire(api_store *s);
/* Swap in g (takes over the caller's reference) with the manifest's run
 * metadata; the old generation is released (freed when its last query ends). */
void api_store_publish(api_store *s, api_generation *g, const rag_manifest *m, int64_t now_ms);
/* Same generation, newer manifest (a run confirmed the sources): update
 * run_id / checked_at without reopening. */
void api_store_touch(api_store *s, const rag_manifest *m);
/* Record a failed reload (the current generation keeps serving). */
void api_store_fail(api_store *s, const char *generation, const char *msg, int64_t now_ms);
void api_store_info(api_store *s, api_served_info *out);
/* Record what the reloader found at latest.json (msg: why not OK). */
void api_store_manifest(api_store *s, api_manifest_state state, const char *msg, int64_t now_ms);
/* A query on g hit a storage error (corrupt or unreadable file): if g is
 * still the served generation, /healthz fails its generation check until a
 * generation is opened again. */
void api_store_broken(api_store *s, const api_generation *g, const char *msg, int64_t now_ms);

#endif
