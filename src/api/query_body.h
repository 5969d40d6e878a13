/* query_body.h — parsing and validating a /query request: the JSON body of
 * POST /query ({"q": "...", "k": 5, "mode": "hybrid|bm25|vector",
 * "group": "chunk|document"}) or the query-string arguments of GET /query. Every problem becomes a one-line
 * message for a 400 response; nothing here touches the index. */
#ifndef API_QUERY_BODY_H
#define API_QUERY_BODY_H

#include <stddef.h>

/* API_MODE_AUTO: a request that names no mode (the configured default
 * decides), or the setting api.default_mode: auto (the embedder decides). */
typedef enum { API_MODE_AUTO = 0, API_MODE_HYBRID, API_MODE_BM25, API_MODE_VECTOR } api_mode;

/* chunk: every ranked chunk; document: the best chunk of each source document. */
typedef enum { API_GROUP_CHUNK = 0, API_GROUP_DOCUMENT } api_group;

/* Longest query text accepted (bytes). */
#define API_QUERY_MAX_TEXT 4096

typedef struct api_query_req {
    char *q; /* owned, NUL-terminated, trimmed, non-empty */
    int k;
    api_mode mode;         /* API_MODE_AUTO = not given: default_mode decides */
    api_group group;
    /* Settings (api.default_mode, api.hybrid_vector_weight), filled by
     * api_query_req_settings; zero = auto and API_VECTOR_WEIGHT_DEFAULT. */
    api_mode default_mode;
    double vector_weight;
    /* The query's embedding when it was computed before ranking (owned, the
     * generation's dims floats: rag-api's query-embedding stage, embedq.h);
     * NULL = ranking embeds the text itself when its mode needs a vector. */
    float *qvec;
    /* The vector list (best first, vec_top deep) when it was computed ahead
     * of the rest of the ranking (owned: api_query_vector_ahead); NULL =
     * ranking computes it. */
    struct api_hit *vec_hits;
    size_t n_vec_hits, vec_top;
} api_query_req;

/* The vector list's weight in hybrid's weighted RRF when none is set. */
#define API_VECTOR_WEIGHT_DEFAULT 1.0

/* "auto" | "hybrid" | "bm25" | "vector". */
const char *api_mode_name(api_mode mode);
/* "hybrid" | "bm25" | "vector" (and "auto" when allow_auto); -1 when unknown. */
int api_mode_parse(const char *s, int allow_auto);
/* "chunk" | "document". */
const char *api_group_name(api_group group);

/* Parse a POST body. Returns 0 and fills req, or -1 with msg set. */
int api_query_parse_json(const char *body, size_t len, int default_k, int max_k,
                         api_query_req *req, char *msg, size_t msgsz);
/* GET /query's arguments as the request carries them: q, k, mode and
 * group (names exact, case included), each at most once. */
typedef struct api_query_args {
    const char *value[4]; /* q, k, mode, group; NULL = absent, "" = given without a value */
    size_t len[4];        /* decoded lengths (a %00 inside is seen) */
    char error[160];      /* the first argument refused: unknown, repeated, or a NUL in k/mode/group */
} api_query_args;
/* Add one argument (name and value with their decoded lengths; value NULL
 * for "?k" without "="); the first problem goes into a->error. */
void api_query_args_add(api_query_args *a, const char *key, size_t key_len, const char *value, size_t value_len);
/* Parse GET arguments (each may be NULL; q_len is q's decoded length, so a
 * %00 inside it is seen). Same contract. */
int api_query_parse_args(const char *q, size_t q_len, const char *k, const char *mode, const char *group,
                         int default_k, int max_k, api_query_req *req, char *msg, size_t msgsz);
void api_query_req_free(api_query_req *req);

#endif
