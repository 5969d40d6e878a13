/* embed_openai.c — the "openai" embedding provider: POSTs batches of texts to
 * any OpenAI-compatible /v1/embeddings endpoint (Ollama, llama.cpp server,
 * vLLM, TEI) with libcurl, retries 429/5xx and transport failures with
 * exponential backoff (honouring Retry-After), maps results back by their
 * "index" field and checks every vector has the configured dimensions.
 * Finished transfers' curl handles are kept (a few per provider), so the
 * next request reuses their open connection (keep-alive, and no new TLS
 * handshake) — rag-api embeds one query per request; rag-ingest's workers
 * share one provider. Vectors are asked for as base64 (little-endian
 * float32, as the official OpenAI clients do by default: a JSON array of
 * 384 decimal numbers cost rag-api ~150 us a query to parse, a sixth of a
 * vector query's CPU) unless embedding.encoding_format
 * says float; either form is accepted in the answer, since a server may
 * ignore the request field. */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "embed_openai.h"

#define OPENAI_IDLE_HANDLES 4

struct rag_openai {
    int dimensions;
    char *model;
    char *url;
    char *auth_header; /* "Authorization: Bearer ..." or NULL; never logged */
    int batch_size;
    long timeout_ms;
    int max_retries;
    int base64; /* ask for base64 vectors (else JSON numbers) */
    const volatile int *cancel;
    pthread_mutex_t idle_lock;
    CURL *idle[OPENAI_IDLE_HANDLES]; /* handles not in use, with their connections */
    int n_idle;
};

typedef struct resp_buf {
    char *data;
    size_t len;
    size_t max;
} resp_buf;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    resp_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > b->max)
        return 0; /* aborts the transfer: response too large */
    b->data = rag_xrealloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a; (void)b; (void)c; (void)d;
    const rag_openai *o = ud;
    return (o->cancel && *o->cancel) ? 1 : 0;
}

rag_openai *rag_openai_new(const rag_embed_settings *s, rag_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    if (!s->url || !*s->url) {
        rag_error_set(err, RAG_EINVAL, "embedding.url: required for provider openai");
        return NULL;
    }
    if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0) {
        rag_error_set(err, RAG_EINVAL, "embedding.url: \"%s\" is not an http(s) URL", s->url);
        return NULL;
    }
    if (!s->model || !*s->model) {
        rag_error_set(err, RAG_EINVAL, "embedding.model: required for provider openai");
        return NULL;
    }
    rag_openai *o = rag_xcalloc(1, sizeof *o);
    pthread_mutex_init(&o->idle_lock, NULL);
    o->dimensions = s->dimensions;
    o->model = rag_xstrdup(s->model);
    o->url = rag_xstrdup(s->url);
    o->batch_size = s->batch_size > 0 ? s->batch_size : 32;
    o->timeout_ms = s->timeout_ms > 0 ? (long)s->timeout_ms : 30000;
    o->max_retries = s->max_retries >= 0 ? s->max_retries : 0;
    o->base64 = !s->encoding_format || strcmp(s->encoding_format, "float") != 0;
    if (s->api_key_env && *s->api_key_env) {
        const char *key = getenv(s->api_key_env);
        if (key && *key)
            o->auth_header = rag_xasprintf("Authorization: Bearer %s", key);
    }
    return o;
}

void rag_openai_free(rag_openai *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->n_idle; i++)
        curl_easy_cleanup(o->idle[i]);
    pthread_mutex_destroy(&o->idle_lock);
    free(o->model);
    free(o->url);
    if (o->auth_header) {
        memset(o->auth_header, 0, strlen(o->auth_header));
        free(o->auth_header);
    }
    free(o);
}

void rag_openai_set_cancel(rag_openai *o, const volatile int *flag)
{
    if (o)
        o->cancel = flag;
}

static void sleep_ms(const rag_openai *o, long ms)
{
    while (ms > 0 && !(o->cancel && *o->cancel)) {
        long step = ms > 100 ? 100 : ms;
        struct timespec ts = { step / 1000, (step % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
            if (o->cancel && *o->cancel)
                return;
        ms -= step;
    }
}

/* One embedding in base64: exactly dims little-endian float32 values. */
static int decode_base64_vector(const char *url, size_t idx, const char *text, int dims, float *row, rag_error *err)
{
    const size_t bytes = (size_t)dims * 4, chars = (bytes + 2) / 3 * 4;
    if (strlen(text) != chars)
        return rag_error_set(err, RAG_ECORRUPT,
                             "embedding server %s: malformed response (embedding %zu: %zu base64 characters, expected %zu"
                             " = %d float32 values, embedding.dimensions)",
                             url, idx, strlen(text), chars, dims);
    unsigned char *raw = rag_xmalloc(chars / 4 * 3 + 1);
    /* EVP_DecodeBlock decodes padding as zero bytes; the length check above
     * leaves exactly bytes real ones in front */
    int got = EVP_DecodeBlock(raw, (const unsigned char *)text, (int)chars);
    int rc = RAG_OK;
    if (got < 0 || (size_t)got < bytes) {
        rc = rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (embedding %zu is not base64)", url, idx);
    } else {
        for (int k = 0; k < dims && rc == RAG_OK; k++) {
            const unsigned char *b = raw + 4 * k;
            uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            memcpy(&row[k], &u, sizeof u);
            if (!isfinite(row[k]))
                rc = rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (non-finite value in embedding %zu)",
                                   url, idx);
        }
    }
    free(raw);
    return rc;
}

/* One embedding as a JSON array of exactly dims finite numbers. */
static int read_number_vector(const char *url, size_t idx, const cJSON *emb, int dims, float *row, rag_error *err)
{
    if (cJSON_GetArraySize(emb) != dims)
        return rag_error_set(err, RAG_ECORRUPT,
                             "embedding server %s: malformed response (embedding %zu has %d values, expected %d = embedding.dimensions)",
                             url, idx, cJSON_GetArraySize(emb), dims);
    int k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, emb) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (non-numeric value in embedding %zu)",
                                 url, idx);
        row[k] = (float)v->valuedouble;
        if (!isfinite(row[k++]))
            return rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (a value beyond float range in embedding %zu)",
                                 url, idx);
    }
    return RAG_OK;
}

int rag_openai_parse_response(const char *url, int dims, const char *body, size_t len, size_t n, float *out, rag_error *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (not JSON)", url);
    int rc = RAG_OK;
    char *seen = rag_xcalloc(n ? n : 1, 1);
    cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(data)) {
        rc = rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (no \"data\" array)", url);
        goto out;
    }
    size_t pos = 0;
    cJSON *item;
    cJSON_ArrayForEach(item, data) {
        cJSON *jidx = cJSON_GetObjectItemCaseSensitive(item, "index");
        cJSON *emb = cJSON_GetObjectItemCaseSensitive(item, "embedding");
        double di = cJSON_IsNumber(jidx) ? jidx->valuedouble : (double)pos;
        pos++;
        if (di < 0 || di >= (double)n || di != floor(di)) {
            rc = rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (index %g out of range 0..%zu)",
                               url, di, n ? n - 1 : 0);
            goto out;
        }
        size_t idx = (size_t)di;
        if (seen[idx]) {
            rc = rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (index %zu twice)", url, idx);
            goto out;
        }
        float *row = out + idx * (size_t)dims;
        if (cJSON_IsString(emb))
            rc = decode_base64_vector(url, idx, emb->valuestring, dims, row, err);
        else if (cJSON_IsArray(emb))
            rc = read_number_vector(url, idx, emb, dims, row, err);
        else
            rc = rag_error_set(err, RAG_ECORRUPT,
                               "embedding server %s: malformed response (embedding %zu is neither an array nor a base64 string)",
                               url, idx);
        if (rc != RAG_OK)
            goto out;
        rag_embed_normalize(row, dims);
        seen[idx] = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i]) {
            rc = rag_error_set(err, RAG_ECORRUPT, "embedding server %s: malformed response (no embedding for input %zu)", url, i);
            goto out;
        }
out:
    free(seen);
    cJSON_Delete(root);
    return rc;
}

/* A curl handle for one request: a kept one (with its open connection)
 * when there is one, else a new one. */
static CURL *handle_take(rag_openai *o)
{
    CURL *c = NULL;
    pthread_mutex_lock(&o->idle_lock);
    if (o->n_idle > 0)
        c = o->idle[--o->n_idle];
    pthread_mutex_unlock(&o->idle_lock);
    return c ? c : curl_easy_init();
}

/* Keep a handle for the next request (its connection stays open while the
 * server keeps it alive), or let it go when enough are kept. */
static void handle_give_back(rag_openai *o, CURL *c)
{
    pthread_mutex_lock(&o->idle_lock);
    if (o->n_idle < OPENAI_IDLE_HANDLES) {
        o->idle[o->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&o->idle_lock);
    if (c)
        curl_easy_cleanup(c);
}

static int embed_batch(rag_openai *o, const char *const *texts, size_t n, float *out, rag_error *err)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "model", o->model);
    cJSON *input = cJSON_AddArrayToObject(req, "input");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(input, cJSON_CreateString(texts[i] ? texts[i] : ""));
    cJSON_AddStringToObject(req, "encoding_format", o->base64 ? "base64" : "float");
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);

    CURL *curl = handle_take(o);
    if (!curl) {
        free(body);
        return rag_error_set(err, RAG_ERR, "embedding: cannot initialise libcurl");
    }
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (o->auth_header)
        hdrs = curl_slist_append(hdrs, o->auth_header);

    int rc = RAG_ERR;
    char last[512] = "";
    for (int attempt = 0;; attempt++) {
        resp_buf rb = { NULL, 0, (size_t)1 << 30 };
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, o->url);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &rb);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o->timeout_ms);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms < 10000 ? o->timeout_ms : 10000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, o);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        CURLcode cc = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_off_t retry_after_s = 0; /* the answer's Retry-After (seconds or an HTTP date), 0 when none */
        if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after_s) != CURLE_OK || retry_after_s < 0)
            retry_after_s = 0;
        bool retry = false;
        if (o->cancel && *o->cancel) {
            free(rb.data);
            rc = rag_error_set(err, RAG_ERR, "embedding server %s: interrupted", o->url);
            break;
        }
        if (cc != CURLE_OK) {
            snprintf(last, sizeof last, "%s", curl_easy_strerror(cc));
            retry = true;
        } else if (status == 429 || status >= 500) {
            snprintf(last, sizeof last, "HTTP %ld: %.200s", status, rb.data ? rb.data : "");
            retry = true;
        } else if (status != 200) {
            rc = rag_error_set(err, status >= 400 && status < 500 ? RAG_EREFUSED : RAG_ERR, "embedding server %s: HTTP %ld: %.200s",
                               o->url, status, rb.data ? rb.data : "");
            free(rb.data);
            break;
        } else {
            rc = rag_openai_parse_response(o->url, o->dimensions, rb.data ? rb.data : "", rb.len, n, out, err);
            free(rb.data);
            break;
        }
        free(rb.data);
        if (retry && attempt < o->max_retries) {
            long wait = 250L << (attempt < 5 ? attempt : 5); /* 250ms, 500ms, ... 8s */
            const long ra = (long)(retry_after_s > 30 ? 30 : retry_after_s) * 1000;
            if (ra > wait)
                wait = ra;
            sleep_ms(o, wait);
            continue;
        }
        rc = rag_error_set(err, RAG_ERR, "embedding server %s: still failing after %d attempt%s: %s", o->url,
                           attempt + 1, attempt ? "s" : "", last);
        break;
    }
    curl_easy_reset(curl); /* drops the pointers to this call's headers and buffers, keeps the connection */
    curl_slist_free_all(hdrs);
    handle_give_back(o, curl);
    free(body);
    return rc;
}

int rag_openai_embed(rag_openai *o, const char *const *texts, size_t n, float *out, rag_error *err)
{
    for (size_t i = 0; i < n; i += (size_t)o->batch_size) {
        size_t k = n - i < (size_t)o->batch_size ? n - i : (size_t)o->batch_size;
        int rc = embed_batch(o, texts + i, k, out + i * (size_t)o->dimensions, err);
        if (rc != RAG_OK)
            return rc;
    }
    return RAG_OK;
}
