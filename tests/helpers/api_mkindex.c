/* api_mkindex.c — test/benchmark fixture: writes an index generation that
 * follows docs/specs/index.md plus the freshness manifest, without
 * rag-ingest. Chunks come from the text files of a folder (one chunk per
 * paragraph) or are synthetic (--synthetic N, for the 100k-chunk benchmark).
 * Vectors come from the real embedder with the config's settings, so rag-api
 * embeds queries exactly like this. Test-only knobs: --age (backdate the
 * manifest), --wrong-chunks (a manifest that disagrees with its generation).
 * Usage: api_mkindex --config C [--from DIR | --synthetic N] [--run-id ID]
 *                    [--age SECONDS] [--wrong-chunks] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "rag/common.h"
#include "rag/config.h"
#include "rag/confighash.h"
#include "rag/embed.h"
#include "rag/fsutil.h"
#include "rag/index.h"
#include "rag/manifest.h"
#include "rag/timeutil.h"
#include "rag/vector_index.h"

static const char *const SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT, format TEXT NOT NULL,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, chunk_count INTEGER NOT NULL);"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id INTEGER NOT NULL REFERENCES documents(id),"
    " ordinal INTEGER NOT NULL, text TEXT NOT NULL, start_ms INTEGER, end_ms INTEGER, speaker TEXT, token_count INTEGER NOT NULL);"
    "CREATE TABLE embeddings(chunk_rowid INTEGER PRIMARY KEY REFERENCES chunks(id), vector BLOB NOT NULL);"
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='porter unicode61');";

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *doc, *chunk, *emb;
    rag_embedder *e;
    int dims;
    float *vec;
    int64_t docs, chunks, tokens;
} writer;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "api_mkindex: %s: %s\n", what, detail);
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) die(sql, msg ? msg : "?");
}

static int64_t add_doc(writer *w, const char *path, const char *title, int64_t size)
{
    char sha[RAG_HASH_HEX];
    rag_sha256_hex(path, strlen(path), sha);
    sqlite3_reset(w->doc);
    sqlite3_bind_text(w->doc, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(w->doc, 2, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(w->doc, 3, size);
    sqlite3_bind_text(w->doc, 4, sha, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(w->doc) != SQLITE_DONE) die("insert document", sqlite3_errmsg(w->db));
    w->docs++;
    return sqlite3_last_insert_rowid(w->db);
}

static void add_chunk(writer *w, int64_t doc, int ordinal, const char *text, int64_t start_ms, const char *speaker)
{
    char id[RAG_HASH_HEX];
    char *key = rag_xasprintf("%lld/%d/%s", (long long)doc, ordinal, text);
    rag_sha256_hex(key, strlen(key), id);
    free(key);
    int ntok = 0;
    for (const char *p = text; *p; p++) ntok += (*p == ' ');
    ntok++;
    sqlite3_reset(w->chunk);
    sqlite3_bind_text(w->chunk, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(w->chunk, 2, doc);
    sqlite3_bind_int(w->chunk, 3, ordinal);
    sqlite3_bind_text(w->chunk, 4, text, -1, SQLITE_TRANSIENT);
    if (start_ms >= 0) {
        sqlite3_bind_int64(w->chunk, 5, start_ms);
        sqlite3_bind_int64(w->chunk, 6, start_ms + 30000);
    } else {
        sqlite3_bind_null(w->chunk, 5);
        sqlite3_bind_null(w->chunk, 6);
    }
    if (speaker) sqlite3_bind_text(w->chunk, 7, speaker, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(w->chunk, 7);
    sqlite3_bind_int(w->chunk, 8, ntok);
    if (sqlite3_step(w->chunk) != SQLITE_DONE) die("insert chunk", sqlite3_errmsg(w->db));
    int64_t rowid = sqlite3_last_insert_rowid(w->db);
    const char *texts[1] = {text};
    rag_error err = {0};
    if (rag_embedder_embed(w->e, texts, 1, w->vec, &err) != RAG_OK) die("embed", err.msg);
    sqlite3_reset(w->emb);
    sqlite3_bind_int64(w->emb, 1, rowid);
    sqlite3_bind_blob(w->emb, 2, w->vec, (int)(sizeof(float) * (size_t)w->dims), SQLITE_TRANSIENT);
    if (sqlite3_step(w->emb) != SQLITE_DONE) die("insert embedding", sqlite3_errmsg(w->db));
    w->chunks++;
    w->tokens += ntok;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One chunk per blank-line separated paragraph. */
static void from_dir(writer *w, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) die(dir, "cannot open folder");
    char *names[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 4096)
        if (de->d_name[0] != '.') names[n++] = rag_xstrdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *path = rag_path_join(dir, names[i]);
        char *buf = NULL;
        size_t len = 0;
        if (rag_read_file(path, 1 << 24, &buf, &len, NULL) != RAG_OK) die(path, "cannot read");
        int64_t doc = add_doc(w, names[i], names[i], (int64_t)len);
        int ord = 0;
        char *save = NULL;
        for (char *para = strtok_r(buf, "\n", &save); para; para = strtok_r(NULL, "\n", &save)) {
            if (!*para) continue;
            add_chunk(w, doc, ord, para, (int64_t)ord * 30000, ord % 2 ? "Bob" : "Alice");
            ord++;
        }
        sqlite3_stmt *u;
        sqlite3_prepare_v2(w->db, "UPDATE documents SET chunk_count = ?1 WHERE id = ?2", -1, &u, NULL);
        sqlite3_bind_int(u, 1, ord);
        sqlite3_bind_int64(u, 2, doc);
        sqlite3_step(u);
        sqlite3_finalize(u);
        free(buf);
        free(path);
        free(names[i]);
    }
}

/* Deterministic synthetic corpus: Zipf-like draws from a made-up vocabulary. */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void synthetic(writer *w, long n)
{
    enum { VOCAB = 20000, WORDS = 60, PER_DOC = 50 };
    static const char *const syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "den",
                                      "mor", "lin", "tas", "ver", "gal", "hon", "bri", "cel"};
    char **vocab = rag_xcalloc(VOCAB, sizeof *vocab);
    for (int i = 0; i < VOCAB; i++) {
        char word[32] = "";
        int v = i;
        do {
            strcat(word, syl[v % 20]);
            v /= 20;
        } while (v);
        vocab[i] = rag_xstrdup(word);
    }
    char text[WORDS * 32];
    int64_t doc = 0;
    for (long c = 0; c < n; c++) {
        if (c % PER_DOC == 0) {
            char path[64], title[64];
            snprintf(path, sizeof path, "synthetic/doc-%06ld.txt", c / PER_DOC);
            snprintf(title, sizeof title, "Synthetic transcript %ld", c / PER_DOC);
            doc = add_doc(w, path, title, 1000);
        }
        size_t used = 0;
        for (int k = 0; k < WORDS; k++) {
            /* rank ~ 1/u: frequent words dominate, as in speech */
            double u = (double)(rng() % 1000000 + 1) / 1000000.0;
            int r = (int)((double)VOCAB * u * u * u);
            if (r >= VOCAB) r = VOCAB - 1;
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", k ? " " : "", vocab[r]);
        }
        add_chunk(w, doc, (int)(c % PER_DOC), text, (int64_t)(c % PER_DOC) * 30000, "Speaker");
    }
    sqlite3_exec(w->db, "UPDATE documents SET chunk_count = (SELECT count(*) FROM chunks WHERE doc_id = documents.id)",
                 NULL, NULL, NULL);
    for (int i = 0; i < VOCAB; i++) free(vocab[i]);
    free(vocab);
}

static void set_meta(sqlite3 *db, const char *k, const char *v)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) die("meta", sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

int main(int argc, char **argv)
{
    const char *config = NULL, *from = NULL, *run_id = NULL;
    long synth = 0, age_s = 0;
    int wrong_chunks = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strcmp(argv[i], "--from") && i + 1 < argc) from = argv[++i];
        else if (!strcmp(argv[i], "--synthetic") && i + 1 < argc) synth = atol(argv[++i]);
        else if (!strcmp(argv[i], "--run-id") && i + 1 < argc) run_id = argv[++i];
        else if (!strcmp(argv[i], "--age") && i + 1 < argc) age_s = atol(argv[++i]);
        else if (!strcmp(argv[i], "--wrong-chunks")) wrong_chunks = 1;
        else die("usage", "api_mkindex --config C [--from DIR | --synthetic N] [--run-id ID] [--age S] [--wrong-chunks]");
    }
    if (!config || (!from && synth <= 0)) die("usage", "need --config and --from DIR or --synthetic N");
    rag_config cfg;
    rag_problems probs = {0};
    rag_error err = {0};
    if (rag_config_load(config, &cfg, &probs, &err) != RAG_OK)
        die(config, probs.count ? probs.items[0] : err.msg);
    char rid[64];
    if (run_id) snprintf(rid, sizeof rid, "%s", run_id);
    else snprintf(rid, sizeof rid, "%lld-%d", (long long)rag_now_ms(), (int)getpid());

    char *index_dir = rag_config_index_dir(&cfg);
    char *ck_dir = rag_config_checkpoints_dir(&cfg);
    if (rag_mkdir_p(index_dir, 0755, &err) || rag_mkdir_p(ck_dir, 0755, &err)) die("mkdir", err.msg);
    char gen[128];
    snprintf(gen, sizeof gen, "%s%s%s", RAG_INDEX_PREFIX, rid, RAG_INDEX_SUFFIX);
    char *final = rag_path_join(index_dir, gen);
    char *tmp = rag_xasprintf("%s.tmp", final);
    unlink(tmp);

    writer w = {0};
    if (sqlite3_open(tmp, &w.db) != SQLITE_OK) die(tmp, sqlite3_errmsg(w.db));
    exec(w.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
    exec(w.db, SCHEMA);
    exec(w.db, "BEGIN");
    sqlite3_prepare_v2(w.db, "INSERT INTO documents(path, title, format, size, mtime_ns, sha256, chunk_count)"
                             " VALUES (?1, ?2, 'txt', ?3, 0, ?4, 0)", -1, &w.doc, NULL);
    sqlite3_prepare_v2(w.db, "INSERT INTO chunks(chunk_id, doc_id, ordinal, text, start_ms, end_ms, speaker, token_count)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &w.chunk, NULL);
    sqlite3_prepare_v2(w.db, "INSERT INTO embeddings(chunk_rowid, vector) VALUES (?1, ?2)", -1, &w.emb, NULL);
    rag_embed_settings es = {
        .provider = cfg.embedding.provider, .dimensions = cfg.embedding.dimensions, .model = cfg.embedding.model,
        .url = cfg.embedding.url, .api_key_env = cfg.embedding.api_key_env, .batch_size = cfg.embedding.batch_size,
        .timeout_ms = cfg.embedding.timeout_ms, .max_retries = cfg.embedding.max_retries,
    };
    w.e = rag_embedder_new(&es, &err);
    if (!w.e) die("embedder", err.msg);
    w.dims = rag_embedder_dimensions(w.e);
    w.vec = rag_xcalloc((size_t)w.dims, sizeof *w.vec);
    if (from) from_dir(&w, from);
    else synthetic(&w, synth);
    exec(w.db, "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')");

    char hash[RAG_HASH_HEX], num[32], now_s[RAG_TIME_BUFSZ];
    rag_config_hash(&cfg, hash);
    cJSON *canon = rag_config_canonical(&cfg);
    char *canon_s = rag_json_canonical_string(canon);
    const int64_t now = rag_now_ms() - age_s * 1000;
    rag_time_format(now, now_s);
    set_meta(w.db, "index_schema_version", "1");
    set_meta(w.db, "run_id", rid);
    set_meta(w.db, "created_at", now_s);
    set_meta(w.db, "config_hash", hash);
    set_meta(w.db, "config", canon_s);
    set_meta(w.db, "embedding_provider", cfg.embedding.provider);
    set_meta(w.db, "embedding_model", cfg.embedding.model ? cfg.embedding.model : "");
    snprintf(num, sizeof num, "%d", w.dims); set_meta(w.db, "embedding_dimensions", num);
    snprintf(num, sizeof num, "%lld", (long long)w.docs); set_meta(w.db, "documents", num);
    snprintf(num, sizeof num, "%lld", (long long)w.chunks); set_meta(w.db, "chunks", num);
    snprintf(num, sizeof num, "%lld", (long long)w.tokens); set_meta(w.db, "tokens", num);
    exec(w.db, "COMMIT");
    sqlite3_finalize(w.doc);
    sqlite3_finalize(w.chunk);
    sqlite3_finalize(w.emb);
    exec(w.db, "PRAGMA journal_mode=DELETE");
    sqlite3_close(w.db);
    /* the same finish hook as rag-ingest: the approximate vector index when
     * the corpus reaches embedding.ann_min_chunks */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    rag_vindex_settings vs = {.min_chunks = cfg.embedding.ann_min_chunks, .threads = cores > 0 ? (int)cores : 1,
                              .sparse_queries = !strcmp(cfg.embedding.provider, "hashing")};
    rag_vindex_info vi;
    if (rag_vindex_build_file(tmp, &vs, &vi, &err) != RAG_OK) die("vector index", err.msg);
    if (vi.built)
        fprintf(stderr, "vector index: %lld vectors, %lld bytes, built in %lld ms\n", (long long)vi.vectors,
                (long long)vi.bytes, (long long)vi.build_ms);
    if (rename(tmp, final) != 0) die(final, "rename failed");

    rag_manifest m;
    memset(&m, 0, sizeof m);
    m.schema_version = RAG_MANIFEST_SCHEMA_VERSION;
    snprintf(m.run_id, sizeof m.run_id, "%s", rid);
    snprintf(m.generation, sizeof m.generation, "%s", gen);
    m.generated_at_ms = now;
    m.checked_at_ms = now;
    snprintf(m.config_hash, sizeof m.config_hash, "%s", hash);
    m.config = canon;
    m.documents = w.docs;
    m.chunks = w.chunks + (wrong_chunks ? 1 : 0);
    m.tokens = w.tokens;
    snprintf(m.source_fingerprint, sizeof m.source_fingerprint, "%s", hash);
    snprintf(m.tool_version, sizeof m.tool_version, "%s", RAG_VERSION);
    m.index_schema_version = 1; /* this fixture writes a v1 file */
    char *mpath = rag_config_manifest_path(&cfg);
    if (rag_manifest_write(mpath, &m, &err) != RAG_OK) die(mpath, err.msg);
    printf("%s %lld chunks\n", gen, (long long)w.chunks);
    rag_manifest_free(&m);
    free(canon_s);
    free(mpath);
    free(final);
    free(tmp);
    free(index_dir);
    free(ck_dir);
    free(w.vec);
    rag_embedder_free(w.e);
    rag_config_free(&cfg);
    return 0;
}
