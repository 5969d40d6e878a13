/* config.c — config/params.yaml: built-in defaults, loading with libyaml (via
 * yamldoc) and full validation. Every problem is collected with its line and
 * column, so one `ragtop validate` lists them all. Relative paths resolve
 * against the config file's folder; secrets are never read from the file,
 * only environment variable names (which we check look like names, so a
 * pasted key or URL is caught without echoing it). Layout: docs/specs/config.md. */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rag/services.h"
#include "rag/config.h"
#include "rag/yamldoc.h"

#define CONFIG_MAX_FILE_BYTES (1024 * 1024)
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

/* ------------------------------------------------------------ defaults */

static char **strlist_of(const char *const *items)
{
    size_t n = 0;
    while (items[n])
        n++;
    char **list = rag_xcalloc(n + 1, sizeof *list);
    for (size_t i = 0; i < n; i++)
        list[i] = rag_xstrdup(items[i]);
    return list;
}

static const char *const default_include[] = {"**/*.txt", "**/*.md", "**/*.vtt", "**/*.srt",
                                              "**/*.json", NULL};

/* watch.instance's default: the host name (at most 95 bytes). */
static char *host_name(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
    host[95] = '\0';
    return rag_xstrdup(host);
}

void rag_config_defaults(rag_config *cfg, const char *base_dir)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->base_dir = rag_ydoc_path(NULL, base_dir);
    cfg->schema_version = RAG_CONFIG_SCHEMA_VERSION;
    cfg->project = rag_xstrdup("ragtop");
    cfg->paths.transcripts = rag_ydoc_path(cfg->base_dir, "data/transcripts");
    cfg->paths.artifacts = rag_ydoc_path(cfg->base_dir, "artifacts");

    cfg->ingest.include = strlist_of(default_include);
    cfg->ingest.n_include = sizeof default_include / sizeof default_include[0] - 1;
    cfg->ingest.exclude = rag_xcalloc(1, sizeof(char *));
    cfg->ingest.n_exclude = 0;
    cfg->ingest.max_file_bytes = 16 * MIB;
    cfg->ingest.max_error_ratio = 0.2;
    cfg->ingest.batch_files = 64;
    cfg->ingest.keep_generations = 3;
    cfg->ingest.keep_checkpoints = 20;
    cfg->ingest.legacy_encoding = rag_xstrdup("");
    cfg->ingest.schedule_interval_ms = 1 * HOUR;
    cfg->ingest.schedule_daily_at = rag_xstrdup("");
    cfg->ingest.watch_debounce_ms = 5 * SEC;

    cfg->chunking.target_tokens = 256;
    cfg->chunking.overlap_tokens = 32;

    cfg->embedding.provider = rag_xstrdup("hashing");
    cfg->embedding.dimensions = 384;
    cfg->embedding.model = rag_xstrdup("text-embedding-3-small");
    cfg->embedding.url = rag_xstrdup("https://api.openai.com/v1/embeddings");
    cfg->embedding.api_key_env = rag_xstrdup("OPENAI_API_KEY");
    cfg->embedding.batch_size = 64;
    cfg->embedding.timeout_ms = 30 * SEC;
    cfg->embedding.max_retries = 4;
    cfg->embedding.encoding_format = rag_xstrdup("base64");
    cfg->embedding.ann_min_chunks = 50000;

    cfg->api.listen_host = rag_xstrdup("127.0.0.1");
    cfg->api.port = 8088;
    cfg->api.threads = 0; /* 0 = one per online CPU core, resolved by rag-api */
    cfg->api.connection_timeout_ms = 30 * SEC;
    cfg->api.max_connections = 256;
    cfg->api.max_connections_per_ip = 64;
    cfg->api.max_body_bytes = 64 * KIB;
    cfg->api.default_k = 5;
    cfg->api.max_k = 50;
    cfg->api.shutdown_grace_ms = 10 * SEC;
    cfg->api.admin_host = rag_xstrdup("127.0.0.1");
    cfg->api.admin_port = 8089;
    cfg->api.request_deadline_ms = 10 * SEC;
    cfg->api.default_mode = rag_xstrdup("auto");
    cfg->api.hybrid_vector_weight = 1.0;
    cfg->api.ann_ef_search = RAG_ANN_EF_SEARCH_DEFAULT;

    cfg->freshness.warn_after_ms = 24 * HOUR;
    cfg->freshness.error_after_ms = 7 * DAY;

    cfg->quality.golden = rag_ydoc_path(cfg->base_dir, "golden.yaml");
    cfg->quality.k = 10;
    cfg->quality.min_ndcg = 0.0;
    cfg->quality.max_drop = 0.10;
    cfg->quality.warn_ndcg = 0.0;

    cfg->watch.interval_ms = 30 * SEC;
    cfg->watch.failure_threshold = 3;
    cfg->watch.success_threshold = 2;
    cfg->watch.reminder_ms = 4 * HOUR;
    cfg->watch.send_resolved = true;
    cfg->watch.ingest_overdue_ms = 26 * HOUR;
    cfg->watch.api_error_threshold = 10;
    cfg->watch.delivery_expire_ms = 24 * HOUR;
    cfg->watch.instance = host_name();
    cfg->watch.receivers = NULL;
    cfg->watch.n_receivers = 0;
}

void rag_config_free(rag_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->base_dir);
    free(cfg->project);
    free(cfg->paths.transcripts);
    free(cfg->paths.artifacts);
    rag_strlist_free(cfg->ingest.include, cfg->ingest.n_include);
    rag_strlist_free(cfg->ingest.exclude, cfg->ingest.n_exclude);
    free(cfg->ingest.legacy_encoding);
    free(cfg->ingest.schedule_daily_at);
    free(cfg->embedding.provider);
    free(cfg->embedding.model);
    free(cfg->watch.instance);
    free(cfg->quality.golden);
    free(cfg->embedding.url);
    free(cfg->embedding.api_key_env);
    free(cfg->embedding.encoding_format);
    free(cfg->api.listen_host);
    free(cfg->api.admin_host);
    free(cfg->api.default_mode);
    free(cfg->api.status_token_env);
    for (size_t i = 0; i < cfg->watch.n_receivers; i++) {
        free(cfg->watch.receivers[i].name);
        free(cfg->watch.receivers[i].format);
        free(cfg->watch.receivers[i].url_env);
    }
    free(cfg->watch.receivers);
    memset(cfg, 0, sizeof *cfg);
}

/* ------------------------------------------------------------ checks */

static bool is_env_name(const char *s);

bool rag_config_env_name_ok(const char *s) { return is_env_name(s); }

static bool is_env_name(const char *s)
{
    if (!s || !*s || !((*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

/* Validate a *_env field. The value is never echoed: it may be a secret. */
static void check_env_field(rag_ydoc *d, const yaml_node_t *map, const char *path, const char *key,
                            const char *value, bool allow_empty)
{
    if (allow_empty && !*value)
        return;
    if (is_env_name(value))
        return;
    const yaml_node_t *v = rag_ydoc_get(d, map, key);
    char *dotted = rag_ydoc_join(path, key);
    if (strstr(value, "://"))
        rag_ydoc_problem(d, v, dotted,
                         "looks like a URL; put the URL in an environment variable and write that "
                         "variable's name here (e.g. RAG_WEBHOOK_URL)");
    else if (!*value)
        rag_ydoc_problem(d, v, dotted, "must name an environment variable");
    else
        rag_ydoc_problem(d, v, dotted,
                         "must be the name of an environment variable ([A-Z_][A-Z0-9_]*), not the "
                         "secret itself (value not shown)");
    free(dotted);
}

static bool check_http_url(const char *u, const char **why)
{
    const char *rest = NULL;
    if (!strncmp(u, "http://", 7))
        rest = u + 7;
    else if (!strncmp(u, "https://", 8))
        rest = u + 8;
    if (!rest) {
        *why = "must start with http:// or https://";
        return false;
    }
    size_t host_len = strcspn(rest, "/?#");
    if (host_len == 0) {
        *why = "has no host";
        return false;
    }
    if (memchr(rest, '@', host_len)) {
        *why = "must not contain credentials (user:password@); name them in an *_env variable";
        return false;
    }
    for (const char *c = u; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            *why = "must not contain spaces or control characters";
            return false;
        }
    return true;
}

/* Split "host:port" / "[v6]:port". */
static bool split_listen(const char *s, char **host, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return false;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        hl = (size_t)(colon - s);
        if (memchr(s, ':', hl)) /* bare IPv6 needs brackets */
            return false;
    }
    if (hl == 0)
        return false;
    for (size_t i = 0; i < hl; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-' || c == ':'))
            return false;
    }
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5)
        return false;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *host = rag_xasprintf("%.*s", (int)hl, h);
    *port = (int)v;
    return true;
}

static bool check_hhmm(const char *s)
{
    return strlen(s) == 5 && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
           s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9' &&
           (s[0] - '0') * 10 + (s[1] - '0') < 24;
}

static bool encoding_known(const char *enc)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
}

/* Node to blame for a cross-field problem: the key's value, else the map. */
static const yaml_node_t *blame(rag_ydoc *d, const yaml_node_t *map, const char *key)
{
    const yaml_node_t *v = rag_ydoc_get(d, map, key);
    return v ? v : map;
}

/* The mapping under key in root, checked; NULL when absent or not a mapping. */
/* value (read from key of map m) must be one of choices; otherwise a
 * problem "dotted: must be <listed>, got X (did you mean Y?)". */
static void check_choice(rag_ydoc *d, const yaml_node_t *m, const char *key, const char *dotted, const char *value,
                         const char *const *choices, const char *listed)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(value, choices[i]) == 0) return;
    char got[64];
    rag_ydoc_describe(rag_ydoc_get(d, m, key), got, sizeof got);
    const char *s = rag_ydoc_suggest(value, choices);
    rag_ydoc_problem(d, blame(d, m, key), dotted, "must be %s, got %s%s%s%s", listed, got,
                     s ? " (did you mean " : "", s ? s : "", s ? "?)" : "");
}

static yaml_node_t *section(rag_ydoc *d, const yaml_node_t *root, const char *key,
                            const char *const *known)
{
    yaml_node_t *m = rag_ydoc_get(d, root, key);
    if (!m)
        return NULL;
    return rag_ydoc_check_mapping(d, m, key, known) ? m : NULL;
}

/* ------------------------------------------------------------ sections */

static void load_paths(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"transcripts", "artifacts", NULL};
    yaml_node_t *m = section(d, root, "paths", known);
    if (!m)
        return;
    const char *keys[] = {"transcripts", "artifacts"};
    char **slots[] = {&cfg->paths.transcripts, &cfg->paths.artifacts};
    for (int i = 0; i < 2; i++) {
        char *s = NULL;
        if (rag_ydoc_get_str(d, m, "paths", keys[i], &s) != 1)
            continue;
        if (!*s || s[0] == '~') {
            char *dotted = rag_ydoc_join("paths", keys[i]);
            rag_ydoc_problem(d, rag_ydoc_get(d, m, keys[i]), dotted,
                             !*s ? "must not be empty"
                                 : "'~' is not expanded; write an absolute path or one relative to the config file's folder");
            free(dotted);
        } else {
            free(*slots[i]);
            *slots[i] = rag_ydoc_path(cfg->base_dir, s);
        }
        free(s);
    }
}

static void load_ingest(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"include", "exclude", "max_file_size", "max_error_ratio",
                                        "batch_files", "workers", "keep_generations", "keep_checkpoints",
                                        "legacy_encoding", "schedule", NULL};
    static const char *const sched_known[] = {"interval", "daily_at", "debounce", NULL};
    yaml_node_t *m = section(d, root, "ingest", known);
    if (!m)
        return;
    rag_ydoc_get_strlist(d, m, "ingest", "include", 1, &cfg->ingest.include, &cfg->ingest.n_include);
    rag_ydoc_get_strlist(d, m, "ingest", "exclude", 0, &cfg->ingest.exclude, &cfg->ingest.n_exclude);
    for (size_t i = 0; i < cfg->ingest.n_include; i++)
        if (!*cfg->ingest.include[i]) {
            rag_ydoc_problem(d, blame(d, m, "include"), "ingest.include", "patterns must not be empty");
            break;
        }
    rag_ydoc_get_size(d, m, "ingest", "max_file_size", 1, 1 * GIB, &cfg->ingest.max_file_bytes);
    rag_ydoc_get_double(d, m, "ingest", "max_error_ratio", 0.0, 1.0, &cfg->ingest.max_error_ratio);
    rag_ydoc_get_int(d, m, "ingest", "batch_files", 1, 100000, &cfg->ingest.batch_files);
    rag_ydoc_get_int(d, m, "ingest", "workers", 0, 64, &cfg->ingest.workers);
    rag_ydoc_get_int(d, m, "ingest", "keep_generations", 1, 1000, &cfg->ingest.keep_generations);
    rag_ydoc_get_int(d, m, "ingest", "keep_checkpoints", 0, 100000, &cfg->ingest.keep_checkpoints);
    if (rag_ydoc_get_str(d, m, "ingest", "legacy_encoding", &cfg->ingest.legacy_encoding) == 1 &&
        *cfg->ingest.legacy_encoding && !encoding_known(cfg->ingest.legacy_encoding)) {
        char got[64];
        rag_ydoc_describe(rag_ydoc_get(d, m, "legacy_encoding"), got, sizeof got);
        rag_ydoc_problem(d, blame(d, m, "legacy_encoding"), "ingest.legacy_encoding",
                         "unknown encoding %s (e.g. windows-1252, latin1; \"\" rejects non-UTF-8 files)", got);
    }

    yaml_node_t *s = rag_ydoc_get(d, m, "schedule");
    if (s && rag_ydoc_check_mapping(d, s, "ingest.schedule", sched_known)) {
        rag_ydoc_get_duration(d, s, "ingest.schedule", "interval", 0, 365 * DAY,
                              &cfg->ingest.schedule_interval_ms);
        if (rag_ydoc_get_str(d, s, "ingest.schedule", "daily_at", &cfg->ingest.schedule_daily_at) == 1 &&
            *cfg->ingest.schedule_daily_at && !check_hhmm(cfg->ingest.schedule_daily_at))
            rag_ydoc_problem(d, blame(d, s, "daily_at"), "ingest.schedule.daily_at",
                             "must be a local time \"HH:MM\" (00:00..23:59), or \"\" for none");
        rag_ydoc_get_duration(d, s, "ingest.schedule", "debounce", 0, 1 * HOUR,
                              &cfg->ingest.watch_debounce_ms);
    }
}

static void load_chunking(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"target_tokens", "overlap_tokens", NULL};
    yaml_node_t *m = section(d, root, "chunking", known);
    if (!m)
        return;
    int t = rag_ydoc_get_int(d, m, "chunking", "target_tokens", 16, 8192, &cfg->chunking.target_tokens);
    int o = rag_ydoc_get_int(d, m, "chunking", "overlap_tokens", 0, 8191, &cfg->chunking.overlap_tokens);
    if (t >= 0 && o >= 0 && cfg->chunking.overlap_tokens >= cfg->chunking.target_tokens)
        rag_ydoc_problem(d, blame(d, m, o == 1 ? "overlap_tokens" : "target_tokens"), "chunking.overlap_tokens",
                         "must be less than chunking.target_tokens (%d >= %d)",
                         cfg->chunking.overlap_tokens, cfg->chunking.target_tokens);
}

static void load_embedding(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"provider", "dimensions", "model", "url", "api_key_env",
                                        "batch_size", "timeout", "max_retries", "encoding_format",
                                        "ann_min_chunks", NULL};
    static const char *const providers[] = {"hashing", "openai", NULL};
    yaml_node_t *m = section(d, root, "embedding", known);
    if (!m)
        return;
    if (rag_ydoc_get_str(d, m, "embedding", "provider", &cfg->embedding.provider) == 1)
        check_choice(d, m, "provider", "embedding.provider", cfg->embedding.provider, providers, "hashing or openai");
    rag_ydoc_get_int(d, m, "embedding", "dimensions", 8, 8192, &cfg->embedding.dimensions);
    rag_ydoc_get_str(d, m, "embedding", "model", &cfg->embedding.model);
    if (rag_ydoc_get_str(d, m, "embedding", "url", &cfg->embedding.url) == 1 && *cfg->embedding.url) {
        const char *why = NULL;
        if (!check_http_url(cfg->embedding.url, &why))
            rag_ydoc_problem(d, blame(d, m, "url"), "embedding.url", "%s", why);
    }
    if (rag_ydoc_get_str(d, m, "embedding", "api_key_env", &cfg->embedding.api_key_env) == 1)
        check_env_field(d, m, "embedding", "api_key_env", cfg->embedding.api_key_env, true);
    rag_ydoc_get_int(d, m, "embedding", "batch_size", 1, 4096, &cfg->embedding.batch_size);
    rag_ydoc_get_duration(d, m, "embedding", "timeout", 100, 10 * MIN, &cfg->embedding.timeout_ms);
    rag_ydoc_get_int(d, m, "embedding", "max_retries", 0, 20, &cfg->embedding.max_retries);
    static const char *const encodings[] = {"base64", "float", NULL};
    if (rag_ydoc_get_str(d, m, "embedding", "encoding_format", &cfg->embedding.encoding_format) == 1)
        check_choice(d, m, "encoding_format", "embedding.encoding_format", cfg->embedding.encoding_format, encodings,
                     "base64 or float");
    int amc = (int)cfg->embedding.ann_min_chunks;
    if (rag_ydoc_get_int(d, m, "embedding", "ann_min_chunks", 0, 1000000000, &amc) == 1)
        cfg->embedding.ann_min_chunks = amc;
    if (!strcmp(cfg->embedding.provider, "openai")) {
        if (!*cfg->embedding.model)
            rag_ydoc_problem(d, blame(d, m, "model"), "embedding.model", "is required when provider is openai");
        if (!*cfg->embedding.url)
            rag_ydoc_problem(d, blame(d, m, "url"), "embedding.url", "is required when provider is openai");
    }
}

/* api.<key> as "host:port" into *host / *port; with allow_none, "" means
 * none (NULL host, port 0). */
static void load_listen(rag_ydoc *d, yaml_node_t *m, const char *key, const char *example, bool allow_none,
                        char **host_out, int *port_out)
{
    char *value = NULL;
    if (rag_ydoc_get_str(d, m, "api", key, &value) == 1) {
        char *host = NULL;
        int port = 0;
        if (allow_none && !*value) {
            free(*host_out);
            *host_out = NULL;
            *port_out = 0;
        } else if (split_listen(value, &host, &port)) {
            free(*host_out);
            *host_out = host;
            *port_out = port;
        } else {
            char got[64], dotted[64];
            rag_ydoc_describe(rag_ydoc_get(d, m, key), got, sizeof got);
            snprintf(dotted, sizeof dotted, "api.%s", key);
            rag_ydoc_problem(d, blame(d, m, key), dotted,
                             "expected \"host:port\" with a port 1..65535 (e.g. %s)%s, got %s", example,
                             allow_none ? " or \"\" for none" : "", got);
        }
    }
    free(value);
}

static void load_api(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"listen", "threads", "connection_timeout", "max_connections",
                                        "max_connections_per_ip", "max_body", "default_k", "max_k",
                                        "shutdown_grace", "admin_listen", "request_deadline", "default_mode",
                                        "hybrid_vector_weight", "status_token_env", "ann_ef_search", NULL};
    static const char *const modes[] = {"auto", "bm25", "hybrid", "vector", NULL};
    yaml_node_t *m = section(d, root, "api", known);
    if (!m)
        return;
    load_listen(d, m, "listen", "127.0.0.1:8088, [::1]:8088", false, &cfg->api.listen_host, &cfg->api.port);
    load_listen(d, m, "admin_listen", "127.0.0.1:8089", true, &cfg->api.admin_host, &cfg->api.admin_port);
    rag_ydoc_get_duration(d, m, "api", "request_deadline", 1 * SEC, 10 * MIN, &cfg->api.request_deadline_ms);
    if (rag_ydoc_get_str(d, m, "api", "status_token_env", &cfg->api.status_token_env) == 1) {
        check_env_field(d, m, "api", "status_token_env", cfg->api.status_token_env, true);
        if (!*cfg->api.status_token_env) { /* "" = off, as when absent */
            free(cfg->api.status_token_env);
            cfg->api.status_token_env = NULL;
        }
    }
    rag_ydoc_get_int(d, m, "api", "threads", 0, 256, &cfg->api.threads);
    rag_ydoc_get_duration(d, m, "api", "connection_timeout", 1 * SEC, 1 * HOUR, &cfg->api.connection_timeout_ms);
    rag_ydoc_get_int(d, m, "api", "max_connections", 1, 100000, &cfg->api.max_connections);
    int pi = rag_ydoc_get_int(d, m, "api", "max_connections_per_ip", 1, 100000, &cfg->api.max_connections_per_ip);
    rag_ydoc_get_size(d, m, "api", "max_body", 1 * KIB, 64 * MIB, &cfg->api.max_body_bytes);
    int dk = rag_ydoc_get_int(d, m, "api", "default_k", 1, 1000, &cfg->api.default_k);
    rag_ydoc_get_int(d, m, "api", "max_k", 1, 1000, &cfg->api.max_k);
    rag_ydoc_get_duration(d, m, "api", "shutdown_grace", 0, 5 * MIN, &cfg->api.shutdown_grace_ms);
    if (rag_ydoc_get_str(d, m, "api", "default_mode", &cfg->api.default_mode) == 1)
        check_choice(d, m, "default_mode", "api.default_mode", cfg->api.default_mode, modes,
                     "auto, bm25, hybrid or vector");
    rag_ydoc_get_double(d, m, "api", "hybrid_vector_weight", 0.01, 100.0, &cfg->api.hybrid_vector_weight);
    rag_ydoc_get_int(d, m, "api", "ann_ef_search", 10, 10000, &cfg->api.ann_ef_search);
    if (cfg->api.max_connections_per_ip > cfg->api.max_connections)
        rag_ydoc_problem(d, blame(d, m, pi == 1 ? "max_connections_per_ip" : "max_connections"),
                         "api.max_connections_per_ip", "must not exceed api.max_connections (%d > %d)",
                         cfg->api.max_connections_per_ip, cfg->api.max_connections);
    if (cfg->api.default_k > cfg->api.max_k)
        rag_ydoc_problem(d, blame(d, m, dk == 1 ? "default_k" : "max_k"), "api.default_k",
                         "must not exceed api.max_k (%d > %d)", cfg->api.default_k, cfg->api.max_k);
    if (cfg->api.admin_port && cfg->api.admin_port == cfg->api.port && cfg->api.admin_host &&
        strcmp(cfg->api.admin_host, cfg->api.listen_host) == 0)
        rag_ydoc_problem(d, blame(d, m, "admin_listen"), "api.admin_listen",
                         "must differ from api.listen (%s:%d); use \"\" for no admin listener",
                         cfg->api.admin_host, cfg->api.port);
}

static void load_freshness(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"warn_after", "error_after", NULL};
    yaml_node_t *m = section(d, root, "freshness", known);
    if (!m)
        return;
    int w = rag_ydoc_get_duration(d, m, "freshness", "warn_after", 100, 3650 * DAY, &cfg->freshness.warn_after_ms);
    int e = rag_ydoc_get_duration(d, m, "freshness", "error_after", 1 * SEC, 3650 * DAY, &cfg->freshness.error_after_ms);
    if (w >= 0 && e >= 0 && cfg->freshness.error_after_ms <= cfg->freshness.warn_after_ms)
        rag_ydoc_problem(d, blame(d, m, e == 1 ? "error_after" : "warn_after"), "freshness.error_after",
                         "must be longer than freshness.warn_after");
}

static void load_quality(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"golden", "k", "min_ndcg", "max_drop", "warn_ndcg", NULL};
    yaml_node_t *m = section(d, root, "quality", known);
    if (!m)
        return;
    char *s = NULL;
    if (rag_ydoc_get_str(d, m, "quality", "golden", &s) == 1) {
        free(cfg->quality.golden);
        if (!*s)
            cfg->quality.golden = rag_xstrdup("");
        else if (s[0] == '~') {
            cfg->quality.golden = rag_xstrdup("");
            rag_ydoc_problem(d, rag_ydoc_get(d, m, "golden"), "quality.golden",
                             "'~' is not expanded; write an absolute path or one relative to the config file's folder");
        } else
            cfg->quality.golden = rag_ydoc_path(cfg->base_dir, s);
        free(s);
    }
    rag_ydoc_get_int(d, m, "quality", "k", 1, 100, &cfg->quality.k);
    int mn = rag_ydoc_get_double(d, m, "quality", "min_ndcg", 0.0, 1.0, &cfg->quality.min_ndcg);
    rag_ydoc_get_double(d, m, "quality", "max_drop", 0.0, 1.0, &cfg->quality.max_drop);
    int wn = rag_ydoc_get_double(d, m, "quality", "warn_ndcg", 0.0, 1.0, &cfg->quality.warn_ndcg);
    if (mn >= 0 && wn >= 0 && cfg->quality.warn_ndcg > 0 && cfg->quality.warn_ndcg < cfg->quality.min_ndcg)
        rag_ydoc_problem(d, blame(d, m, wn == 1 ? "warn_ndcg" : "min_ndcg"), "quality.warn_ndcg",
                         "must not be below quality.min_ndcg (%g < %g)", cfg->quality.warn_ndcg,
                         cfg->quality.min_ndcg);
}

static void load_receivers(rag_ydoc *d, const yaml_node_t *list, rag_config *cfg)
{
    static const char *const known[] = {"name", "format", "url_env", NULL};
    static const char *const formats[] = {"slack", "json", "alertmanager", NULL};
    if (list->type != YAML_SEQUENCE_NODE) {
        char got[64];
        rag_ydoc_describe(list, got, sizeof got);
        rag_ydoc_problem(d, list, "watch.receivers", "expected a list of receivers, got %s", got);
        return;
    }
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    rag_receiver *rs = rag_xcalloc(n + 1, sizeof *rs);
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(&d->doc, list->data.sequence.items.start[i]);
        char *path = rag_xasprintf("watch.receivers[%zu]", i);
        if (rag_ydoc_check_mapping(d, item, path, known)) {
            rag_receiver r = {0};
            const char *keys[] = {"name", "format", "url_env"};
            char **slots[] = {&r.name, &r.format, &r.url_env};
            bool ok = true;
            for (int k = 0; k < 3; k++) {
                int rc = rag_ydoc_get_str(d, item, path, keys[k], slots[k]);
                if (rc == 0) {
                    char *dotted = rag_ydoc_join(path, keys[k]);
                    rag_ydoc_problem(d, item, dotted, "is required");
                    free(dotted);
                }
                ok = ok && rc == 1;
            }
            if (r.format && strcmp(r.format, "slack") && strcmp(r.format, "json") && strcmp(r.format, "alertmanager")) {
                char *dotted = rag_ydoc_join(path, "format");
                const char *s = rag_ydoc_suggest(r.format, formats);
                rag_ydoc_problem(d, blame(d, item, "format"), dotted,
                                 "must be slack, json or alertmanager%s%s%s", s ? " (did you mean " : "",
                                 s ? s : "", s ? "?)" : "");
                free(dotted);
                ok = false;
            }
            if (r.url_env)
                check_env_field(d, item, path, "url_env", r.url_env, false);
            if (r.name && !rag_service_name_ok(r.name)) {
                /* it names the outbox's files: "ops slack" and "ops_slack"
                 * would share one, and the second receiver would get nothing */
                char *dotted = rag_ydoc_join(path, "name");
                rag_ydoc_problem(d, blame(d, item, "name"), dotted,
                                 "must be 1-64 of A-Z a-z 0-9 _ - . (it names the outbox files)");
                free(dotted);
                ok = false;
            }
            for (size_t j = 0; r.name && j < got; j++)
                if (!strcmp(rs[j].name, r.name)) {
                    char *dotted = rag_ydoc_join(path, "name");
                    rag_ydoc_problem(d, blame(d, item, "name"), dotted, "duplicate receiver name");
                    free(dotted);
                    ok = false;
                }
            if (ok) {
                rs[got++] = r;
            } else {
                free(r.name);
                free(r.format);
                free(r.url_env);
            }
        }
        free(path);
    }
    for (size_t i = 0; i < cfg->watch.n_receivers; i++) {
        free(cfg->watch.receivers[i].name);
        free(cfg->watch.receivers[i].format);
        free(cfg->watch.receivers[i].url_env);
    }
    free(cfg->watch.receivers);
    cfg->watch.receivers = rs;
    cfg->watch.n_receivers = got;
}

static void load_watch(rag_ydoc *d, const yaml_node_t *root, rag_config *cfg)
{
    static const char *const known[] = {"interval", "failure_threshold", "success_threshold", "reminder",
                                        "send_resolved", "ingest_overdue", "api_error_threshold",
                                        "delivery_expire", "instance", "receivers", NULL};
    yaml_node_t *m = section(d, root, "watch", known);
    if (!m)
        return;
    rag_ydoc_get_duration(d, m, "watch", "interval", 100, 1 * HOUR, &cfg->watch.interval_ms);
    rag_ydoc_get_int(d, m, "watch", "failure_threshold", 1, 100, &cfg->watch.failure_threshold);
    rag_ydoc_get_int(d, m, "watch", "success_threshold", 1, 100, &cfg->watch.success_threshold);
    rag_ydoc_get_duration(d, m, "watch", "reminder", 0, 30 * DAY, &cfg->watch.reminder_ms);
    rag_ydoc_get_bool(d, m, "watch", "send_resolved", &cfg->watch.send_resolved);
    rag_ydoc_get_duration(d, m, "watch", "ingest_overdue", 1 * MIN, 365 * DAY, &cfg->watch.ingest_overdue_ms);
    rag_ydoc_get_int(d, m, "watch", "api_error_threshold", 1, 1000000, &cfg->watch.api_error_threshold);
    rag_ydoc_get_duration(d, m, "watch", "delivery_expire", 1 * MIN, 30 * DAY, &cfg->watch.delivery_expire_ms);
    if (rag_ydoc_get_str(d, m, "watch", "instance", &cfg->watch.instance) == 1) {
        if (!cfg->watch.instance[0]) { /* "" = the host name */
            free(cfg->watch.instance);
            cfg->watch.instance = host_name();
        }
        size_t n = strlen(cfg->watch.instance);
        bool ok = n < 96;
        for (size_t i = 0; ok && i < n; i++) {
            char ch = cfg->watch.instance[i];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '-' || ch == '_' || ch == ':';
        }
        if (!ok)
            rag_ydoc_problem(d, blame(d, m, "instance"), "watch.instance",
                             "must be up to 95 characters of A-Z a-z 0-9 . - _ : (got \"%s\")", cfg->watch.instance);
    }
    yaml_node_t *r = rag_ydoc_get(d, m, "receivers");
    if (r)
        load_receivers(d, r, cfg);
}

/* ------------------------------------------------------------ loading */

static int finish(rag_config *cfg, rag_problems *problems, size_t before, const char *name, rag_error *err)
{
    size_t n = problems->count - before;
    if (n == 0)
        return RAG_OK;
    rag_config_free(cfg);
    return rag_error_set(err, RAG_ERR, "%s: %zu problem%s", name, n, n == 1 ? "" : "s");
}

int rag_config_load_buffer(const char *name, const char *base_dir, const char *buf, size_t len,
                           rag_config *cfg, rag_problems *problems, rag_error *err)
{
    static const char *const known[] = {"schema_version", "project", "paths", "ingest", "chunking",
                                        "embedding", "api", "freshness", "quality", "watch", NULL};
    rag_problems local = {0};
    if (!problems)
        problems = &local;
    size_t before = problems->count;
    if (!name)
        name = "(config)";
    rag_config_defaults(cfg, base_dir);

    rag_ydoc d;
    if (rag_ydoc_load(&d, name, buf, len, problems) == RAG_OK) {
        yaml_node_t *root = rag_ydoc_root(&d);
        if (!root) {
            rag_problems_add(problems, name, 0, 0, NULL,
                             "file is empty (it needs at least \"schema_version: %d\")", RAG_CONFIG_SCHEMA_VERSION);
        } else if (rag_ydoc_check_mapping(&d, root, NULL, known)) {
            yaml_node_t *sv = rag_ydoc_get(&d, root, "schema_version");
            if (!sv)
                rag_ydoc_problem(&d, root, "schema_version", "is required (this ragtop reads version %d)",
                                 RAG_CONFIG_SCHEMA_VERSION);
            else if (rag_ydoc_get_int(&d, root, NULL, "schema_version", 1, INT32_MAX, &cfg->schema_version) == 1 &&
                     cfg->schema_version != RAG_CONFIG_SCHEMA_VERSION)
                rag_ydoc_problem(&d, sv, "schema_version",
                                 "version %d is newer than this ragtop supports (%d); upgrade ragtop",
                                 cfg->schema_version, RAG_CONFIG_SCHEMA_VERSION);
            rag_ydoc_get_str(&d, root, NULL, "project", &cfg->project);
            load_paths(&d, root, cfg);
            load_ingest(&d, root, cfg);
            load_chunking(&d, root, cfg);
            load_embedding(&d, root, cfg);
            load_api(&d, root, cfg);
            load_freshness(&d, root, cfg);
            load_quality(&d, root, cfg);
            load_watch(&d, root, cfg);
        }
    }
    rag_ydoc_sort_problems(problems, before, name);
    rag_ydoc_free(&d);
    int rc = finish(cfg, problems, before, name, err);
    rag_problems_free(&local);
    return rc;
}

int rag_config_load(const char *path, rag_config *cfg, rag_problems *problems, rag_error *err)
{
    rag_problems local = {0};
    if (!problems)
        problems = &local;
    memset(cfg, 0, sizeof *cfg);
    rag_ydoc_file f;
    int rc = rag_ydoc_load_file(path, CONFIG_MAX_FILE_BYTES, &f, problems, err);
    if (rc == RAG_OK) {
        rc = rag_config_load_buffer(path, f.dir, f.buf, f.len, cfg, problems, err);
        if (rc == RAG_OK) {
            cfg->path = f.abs;
            f.abs = NULL;
        }
    }
    rag_ydoc_file_free(&f);
    rag_problems_free(&local);
    return rc;
}

int rag_config_load_or_report(const char *path, rag_config *cfg, rag_error *err)
{
    rag_problems problems = {0};
    int rc = rag_config_load(path, cfg, &problems, err);
    if (rc != RAG_OK) {
        for (size_t i = 0; i < problems.count; i++)
            fprintf(stderr, "%s\n", problems.items[i]);
        if (!problems.count)
            fprintf(stderr, "%s\n", err->msg);
    }
    rag_problems_free(&problems);
    return rc == RAG_OK ? RAG_EXIT_OK : RAG_EXIT_CONFIG;
}

/* ------------------------------------------------------------ derived paths */

char *rag_config_index_dir(const rag_config *cfg) { return rag_xasprintf("%s/index", cfg->paths.artifacts); }
char *rag_config_checkpoints_dir(const rag_config *cfg) { return rag_xasprintf("%s/checkpoints", cfg->paths.artifacts); }
char *rag_config_manifest_path(const rag_config *cfg) { return rag_xasprintf("%s/checkpoints/latest.json", cfg->paths.artifacts); }
char *rag_config_logs_dir(const rag_config *cfg) { return rag_xasprintf("%s/logs", cfg->paths.artifacts); }
char *rag_config_run_dir(const rag_config *cfg) { return rag_xasprintf("%s/run", cfg->paths.artifacts); }

const char *rag_config_default_path(void)
{
    const char *env = getenv("RAG_CONFIG");
    return env && *env ? env : "config/params.yaml";
}
