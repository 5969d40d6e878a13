/* ann_bench.c — the vector side of rag-api at scale, in one process, for
 * bench/api/vectors.sh: writes a one-segment generation of N chunks with
 * the real index writer, its vectors drawn from a topic model (below), then
 * the same chunks again as a second generation whose segment is finished
 * with its approximate index (index_writer's finish hook; the build time it
 * stores is reported), and opens both the way rag-api does: with the index,
 * and without it (exact scan over float32 columns, the baseline). Then Q queries from the same model run
 * through both (api_vector_ann_topn vs api_vector_topn, k = 50 candidates as
 * /query asks): recall@10 against exact, per-query latency p50/p95, and the
 * memory each opened generation added to this process's RSS.
 *
 * The vectors stand in for a dense embedding model (the hashing embedder's
 * sparse vectors get no graph: vector_index.h). Uniform random 384-d vectors
 * would be a pathological case no approximate index handles (every point
 * nearly equidistant); real embeddings cluster by subject. So: 64 subjects
 * (random unit vectors), 1024 topics around them (topic = subject + a random
 * unit vector, normalised: cos ~0.7), each chunk a topic (Zipf-like
 * popularity) + a random unit vector * 0.75, normalised (cos to its topic
 * ~0.8); a query is a fresh draw around a topic the same way — a question
 * about a subject, not a copy of a chunk.
 * Usage: ann_bench --dir DIR --chunks N [--dims 384] [--queries 200] [--ef 100] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rag/common.h"
#include "rag/fsutil.h"
#include "rag/manifest.h"
#include "rag/vector_index.h"

#include "../../src/api/index_store.h"
#include "../../src/api/query.h"
#include "../../src/api/vector_ann.h"
#include "../../src/ingest/index_writer.h"
#include "../../src/ingest/segments.h"

enum { SUBJECTS = 64, TOPICS = 1024, PER_DOC = 50, K = 10, CANDIDATES = 50 };

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gaussian(void) { return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()); }

static void normalise(float *v, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) s += (double)v[j] * v[j];
    s = sqrt(s);
    for (int j = 0; j < d; j++) v[j] = (float)(v[j] / s);
}
static void random_unit(float *v, int d)
{
    for (int j = 0; j < d; j++) v[j] = (float)gaussian();
    normalise(v, d);
}
/* base + scale * random unit, normalised */
static void around(const float *base, double scale, float *out, int d)
{
    random_unit(out, d);
    for (int j = 0; j < d; j++) out[j] = (float)(base[j] + scale * out[j]);
    normalise(out, d);
}
static int zipf_topic(void)
{
    double u = uniform();
    int t = (int)(TOPICS * u * u);
    return t < TOPICS ? t : TOPICS - 1;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "ann_bench: %s: %s\n", what, msg);
    exit(1);
}
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) v = atol(line + 6);
    if (f) fclose(f);
    return v;
}
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)ceil(p / 100.0 * n) - 1;
    return v[i < 0 ? 0 : i];
}

/* A one-segment generation (descriptor at path); vs: its vector index. */
static void write_generation(const char *path, long n, int dims, const float *topics, const vector_stage *vs)
{
    rag_error err = {0};
    index_writer *w = iw_open(path, NULL, dims, &err);
    if (!w) die(path, err.msg);
    iw_set_vector_stage(w, vs);
    if (iw_begin(w, &err)) die("begin", err.msg);
    float *v = rag_xmalloc((size_t)dims * sizeof *v);
    int64_t doc = 0;
    char text[64], id[32];
    for (long c = 0; c < n; c++) {
        if (c % PER_DOC == 0) {
            char p[64];
            snprintf(p, sizeof p, "synthetic/doc-%07ld.txt", c / PER_DOC);
            iw_doc d = {p, NULL, "txt", 1000, 0, "0"};
            if (iw_add_document(w, &d, &doc, &err)) die("document", err.msg);
        }
        const int t = zipf_topic();
        around(topics + (size_t)t * dims, 0.75, v, dims);
        snprintf(text, sizeof text, "topic%d chunk%ld", t, c);
        snprintf(id, sizeof id, "c%ld", c);
        chunk ch = {.ordinal = (int)(c % PER_DOC), .text = text, .len = strlen(text), .start_ms = -1, .end_ms = -1,
                    .tokens = 2};
        if (iw_add_chunk(w, doc, id, &ch, v, &err)) die("chunk", err.msg);
        if (c % PER_DOC == PER_DOC - 1 || c == n - 1)
            if (iw_set_chunk_count(w, doc, c % PER_DOC + 1, &err)) die("document", err.msg);
    }
    char dbuf[16];
    snprintf(dbuf, sizeof dbuf, "%d", dims);
    if (iw_set_meta(w, "embedding_provider", "openai", &err) || iw_set_meta(w, "embedding_model", "topic-model", &err) ||
        iw_set_meta(w, "embedding_dimensions", dbuf, &err) || iw_commit(w, &err))
        die("meta", err.msg);
    int64_t docs, chunks, tokens;
    if (iw_finish(w, false, &docs, &chunks, &tokens, &err)) die("finish", err.msg);
    free(v);
}

static api_generation *open_gen(const char *path, long n, int ef)
{
    rag_manifest m;
    memset(&m, 0, sizeof m);
    snprintf(m.generation, sizeof m.generation, "bench");
    m.chunks = n;
    rag_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.embedding.provider = "openai";
    cfg.embedding.model = "topic-model";
    cfg.embedding.url = "http://127.0.0.1:9/v1/embeddings"; /* never called: queries are given as vectors */
    cfg.embedding.api_key_env = "ANN_BENCH_UNUSED";
    cfg.embedding.batch_size = 1;
    cfg.embedding.timeout_ms = 1000;
    cfg.api.ann_ef_search = ef;
    rag_error err = {0};
    api_generation *g = api_generation_open(path, &m, &cfg, 1, &err);
    if (!g) die(path, err.msg);
    return g;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    long n = 0;
    int dims = 384, q = 200, ef = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--chunks")) n = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--dims")) dims = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--queries")) q = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ef")) ef = atoi(argv[i + 1]);
        else die("usage", "ann_bench --dir DIR --chunks N [--dims 384] [--queries 200] [--ef 100]");
    }
    if (!dir || n < 1000 || dims < 8 || q < 1) die("usage", "need --dir and --chunks >= 1000");
    setenv("ANN_BENCH_UNUSED", "x", 1);
    float *subjects = rag_xmalloc((size_t)SUBJECTS * dims * sizeof *subjects);
    float *topics = rag_xmalloc((size_t)TOPICS * dims * sizeof *topics);
    for (int s = 0; s < SUBJECTS; s++) random_unit(subjects + (size_t)s * dims, dims);
    for (int t = 0; t < TOPICS; t++) around(subjects + (size_t)(t % SUBJECTS) * dims, 1.0, topics + (size_t)t * dims, dims);

    char *ann_path = rag_xasprintf("%s/gen-ann-%ld.sqlite.tmp", dir, n),
         *exact_path = rag_xasprintf("%s/gen-exact-%ld.sqlite.tmp", dir, n); /* descriptors of seg-ann-N.sqlite, ... */
    char *built = rag_xasprintf("%s/ann-%ld.seg.built", dir, n); /* .seg: generations of segments */
    double build_s = -1;
    FILE *bf = fopen(built, "r");
    if (bf) { /* cached from an earlier run */
        if (fscanf(bf, "%lf", &build_s) != 1) build_s = -1;
        fclose(bf);
    }
    if (build_s < 0) {
        fprintf(stderr, "writing %ld chunks x %d dims ...\n", n, dims);
        const uint64_t rng_at = rng_state;
        write_generation(exact_path, n, dims, topics, NULL);
        /* the ANN generation: the same chunks (the generator rewound), its
         * segment finished with the vector index like rag-ingest's */
        fprintf(stderr, "writing them again with the vector index ...\n");
        rng_state = rng_at;
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        vector_stage vs = {.s = {.min_chunks = 1, .threads = cores > 0 ? (int)cores : 1}};
        write_generation(ann_path, n, dims, topics, &vs);
        /* the build time the finish hook measured, stored with the index */
        char *run_id = segments_run_id_of(ann_path), *seg = segments_file_path(dir, run_id, 0, false);
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        if (sqlite3_open_v2(seg, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT build_ms FROM vector_index", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
            die(seg, "has no vector index");
        build_s = (double)sqlite3_column_int64(st, 0) / 1000.0;
        sqlite3_finalize(st);
        sqlite3_close(db);
        free(run_id);
        free(seg);
        bf = fopen(built, "w");
        if (bf) {
            fprintf(bf, "%.1f\n", build_s);
            fclose(bf);
        }
    } else {
        /* the generator state must be where it would be after writing */
        for (long c = 0; c < n; c++) {
            float tmp[8192];
            zipf_topic();
            random_unit(tmp, dims);
        }
    }

    const long rss0 = rss_kib();
    api_generation *ga = open_gen(ann_path, n, ef);
    const long rss_ann = rss_kib() - rss0;
    api_generation *ge = open_gen(exact_path, n, ef);
    const long rss_exact = rss_kib() - rss0 - rss_ann;
    if (!ga->n_ann) die(ann_path, "has no vector index");

    double *ta = rag_xcalloc((size_t)q, sizeof *ta), *te = rag_xcalloc((size_t)q, sizeof *te);
    float *qv = rag_xmalloc((size_t)dims * sizeof *qv);
    api_hit want[CANDIDATES], got[CANDIDATES];
    long found = 0, total = 0;
    for (int i = 0; i < q; i++) {
        around(topics + (size_t)zipf_topic() * dims, 0.75, qv, dims);
        double t0 = now_s();
        size_t nw = api_vector_topn(ge, qv, ge->leases[0].scores, want, CANDIDATES);
        te[i] = (now_s() - t0) * 1000;
        rag_error err = {0};
        t0 = now_s();
        int ng = api_vector_ann_topn(ga, &ga->leases[0], qv, got, CANDIDATES, &err);
        ta[i] = (now_s() - t0) * 1000;
        if (ng < 0) die("search", err.msg);
        for (size_t a = 0; a < nw && a < K; a++) {
            total++;
            for (int b = 0; b < ng && b < K; b++)
                if (got[b].rowid == want[a].rowid) {
                    found++;
                    break;
                }
        }
    }
    const double int8_mib = (double)n * dims / 1048576.0;
    printf("RESULT chunks=%ld dims=%d queries=%d ef=%d recall10=%.3f ann_p50=%.3f ann_p95=%.3f exact_p50=%.3f "
           "exact_p95=%.3f ann_mib=%.1f exact_mib=%.1f int8_mib=%.1f build_s=%.1f\n",
           n, dims, q, ef, total ? (double)found / (double)total : 0.0, pct(ta, q, 50), pct(ta, q, 95), pct(te, q, 50),
           pct(te, q, 95), (double)rss_ann / 1024.0, (double)rss_exact / 1024.0, int8_mib, build_s);
    api_generation_release(ga);
    api_generation_release(ge);
    free(ta);
    free(te);
    free(qv);
    free(subjects);
    free(topics);
    free(ann_path);
    free(exact_path);
    free(built);
    return 0;
}
