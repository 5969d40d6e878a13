/* embed_table_server.c — the embedding provider of bench/api/vectors.sh: an
 * OpenAI-compatible POST /v1/embeddings on 127.0.0.1:PORT that answers, for
 * each input text, the vector a table gives it (JSON lines {"text": ...,
 * "vector": [...]}, written by tests/helpers/ann_bench --http-queries: the
 * topic model's query vectors) and 400 for any text not in the table; as
 * a JSON array, or base64 float32 when the request's encoding_format asks
 * for base64 (as the OpenAI API does). A
 * benchmark's stand-in should cost as little as it can: it shares the cores
 * with the rag-api being measured (tests/helpers/fake_embed_server.py, the
 * tests' stand-in, is Python and answers a few hundred requests a second).
 * Stops on SIGTERM/SIGINT.
 * Usage: embed_table_server --port PORT --vectors FILE */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/common.h"

typedef struct entry {
    char *text;
    char *vector; /* rendered JSON array */
    char *base64; /* the same as a JSON string: base64 of little-endian float32 */
} entry;
static entry *table;
static size_t n_table;

typedef struct body {
    char *data;
    size_t len;
} body;

static const char *lookup(const char *text, int base64)
{
    for (size_t i = 0; i < n_table; i++)
        if (!strcmp(table[i].text, text)) return base64 ? table[i].base64 : table[i].vector;
    return NULL;
}

/* "\"<base64 of the vector's float32 values, little-endian>\"" */
static char *render_base64(const cJSON *v)
{
    int n = cJSON_GetArraySize(v), k = 0;
    unsigned char *raw = rag_xmalloc((size_t)n * 4 + 1);
    const cJSON *x;
    cJSON_ArrayForEach(x, v) {
        float f = (float)x->valuedouble;
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        for (int b = 0; b < 4; b++) raw[4 * k + b] = (unsigned char)(u >> (8 * b));
        k++;
    }
    char *out = rag_xmalloc(((size_t)n * 4 + 2) / 3 * 4 + 3);
    out[0] = '"';
    int len = EVP_EncodeBlock((unsigned char *)out + 1, raw, n * 4);
    out[1 + len] = '"';
    out[2 + len] = '\0';
    free(raw);
    return out;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)cls, (void)url, (void)version;
    body *b = *state;
    if (!b) {
        *state = rag_xcalloc(1, sizeof *b);
        return MHD_YES;
    }
    if (*upload_size) {
        b->data = rag_xrealloc(b->data, b->len + *upload_size + 1);
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        b->data[b->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0) return reply(c, 405, rag_xstrdup("{\"error\":{\"message\":\"POST only\"}}"));
    cJSON *req = b->data ? cJSON_Parse(b->data) : NULL;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input"), *model = cJSON_GetObjectItemCaseSensitive(req, "model");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(req, "encoding_format");
    const int base64 = cJSON_IsString(format) && !strcmp(format->valuestring, "base64");
    size_t cap = 256, len = 0;
    char *out = rag_xmalloc(cap);
    len = (size_t)snprintf(out, cap, "{\"object\":\"list\",\"model\":\"%s\",\"data\":[",
                           cJSON_IsString(model) && !strchr(model->valuestring, '"') ? model->valuestring : "");
    int i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, input) {
        const char *v = cJSON_IsString(t) ? lookup(t->valuestring, base64) : NULL;
        if (!v) {
            free(out);
            cJSON_Delete(req);
            return reply(c, 400, rag_xstrdup("{\"error\":{\"message\":\"a text with no vector in the table\"}}"));
        }
        size_t need = len + strlen(v) + 96;
        if (need > cap) out = rag_xrealloc(out, cap = need * 2);
        len += (size_t)snprintf(out + len, cap - len, "%s{\"object\":\"embedding\",\"index\":%d,\"embedding\":%s}",
                                i ? "," : "", i, v);
        i++;
    }
    cJSON_Delete(req);
    if (i == 0) {
        free(out);
        return reply(c, 400, rag_xstrdup("{\"error\":{\"message\":\"no input\"}}"));
    }
    snprintf(out + len, cap - len, "]}");
    return reply(c, 200, out);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    body *b = *state;
    if (b) free(b->data);
    free(b);
    *state = NULL;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig, stop = 1; }

int main(int argc, char **argv)
{
    int port = 0;
    const char *path = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--vectors")) path = argv[i + 1];
    }
    if (port <= 0 || port > 65535 || !path) {
        fprintf(stderr, "usage: embed_table_server --port PORT --vectors FILE\n");
        return 64;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char *line = NULL;
    size_t sz = 0, cap = 0;
    for (long lineno = 1; getline(&line, &sz, f) > 0; lineno++) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text"), *v = cJSON_GetObjectItemCaseSensitive(o, "vector");
        if (!cJSON_IsString(t) || !cJSON_IsArray(v)) {
            fprintf(stderr, "%s:%ld: not {\"text\": string, \"vector\": array}\n", path, lineno);
            return 1;
        }
        if (n_table == cap) table = rag_xrealloc(table, (cap = cap ? cap * 2 : 64) * sizeof *table);
        table[n_table].text = rag_xstrdup(t->valuestring);
        table[n_table].base64 = render_base64(v);
        table[n_table++].vector = cJSON_PrintUnformatted(v);
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
                                            on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
                                            on_done, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "embed_table_server: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop) pause();
    MHD_stop_daemon(d);
    for (size_t i = 0; i < n_table; i++) free(table[i].text), free(table[i].vector), free(table[i].base64);
    free(table);
    return 0;
}
