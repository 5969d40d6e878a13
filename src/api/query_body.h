/* query_body.h — parsing and validating a /query request: the JSON body of
 * POST /query ({"q": "...", "k": 5, "mode": "hybrid|bm25|vector"}) or the
 * query-string arguments of GET /query. Every problem becomes a one-line
 * message for a 400 response; nothing here touches the index. */
#ifndef API_QUERY_BODY_H
#define API_QUERY_BODY_H

#include <stddef.h>

#include "rag/config.h"

typedef enum { API_MODE_HYBRID = 0, API_MODE_BM25, API_MODE_VECTOR } api_mode;

/* Longest query text accepted (bytes). */
#define API_QUERY_MAX_TEXT 4096

typedef struct api_query_req {
    char *q; /* owned, NUL-terminated, trimmed, non-empty */
    int k;
    api_mode mode;
} api_query_req;

const char *api_mode_name(api_mode mode);
/* The mode a query gets when it names none, for this config: the one that
 * measures best for the configured embedder (docs/specs/quality.md) —
 * bm25 with the hashing embedder, hybrid with a real embedding provider.
 * rag-ingest evaluates golden queries in this mode. */
api_mode api_default_mode(const rag_config *cfg);
/* "hybrid" | "bm25" | "vector"; -1 when unknown. */
int api_mode_parse(const char *s);

/* Parse a POST body. Returns 0 and fills req, or -1 with msg set. */
int api_query_parse_json(const char *body, size_t len, int default_k, int max_k,
                         api_query_req *req, char *msg, size_t msgsz);
/* Parse GET arguments (each may be NULL; q_len is q's decoded length, so a
 * %00 inside it is seen). Same contract. */
int api_query_parse_args(const char *q, size_t q_len, const char *k, const char *mode, int default_k, int max_k,
                         api_query_req *req, char *msg, size_t msgsz);
void api_query_req_free(api_query_req *req);

#endif
