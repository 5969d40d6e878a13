/* ann_bench.c — the vector side of rag-api at scale, in one process, for
 * bench/api/vectors.sh: writes a one-segment generation of N chunks with
 * the real index writer, its vectors drawn from a topic model (below), then
 * the same chunks again as a second generation whose segment is finished
 * with its approximate index (index_writer's finish hook; the build time it
 * stores is reported), and opens both the way rag-api does: with the index,
 * and without it (exact scan over float32 columns, the baseline). Then Q queries from the same model run
 * through both (api_vector_ann_topn vs api_vector_topn, k = 50 candidates as
 * /query asks): recall@10 and @50 against exact, per-query latency p50/p95, and the
 * memory each opened generation added to this process's RSS.
 *
 * The approximate generation is published where --config's rag-api serves
 * it (artifacts/index, manifest), with chunk texts like api_mkindex's
 * synthetic corpus, for the HTTP half of bench/api/vectors.sh; the 50
 * queries of that half (text + the model's vector) go to --http-queries.
 *
 * The vectors stand in for a dense embedding model (the hashing embedder's
 * sparse vectors get no graph: vector_index.h). What a model gives, and
 * what an approximate index relies on: points cluster at several scales
 * (subject, topic, document), and around any point the spread lies mostly
 * in a few directions (embedding spaces are strongly anisotropic, their
 * local intrinsic dimension is tens, not hundreds), so a query's nearest
 * chunks stand out from the next hundred. The "docs" model: 64 subjects
 * (random unit vectors); 1024 topics around them (cos ~0.7); each document
 * (PER_DOC consecutive chunks) around a topic of Zipf-like popularity (cos
 * ~0.75); each chunk around its document (cos ~0.78: chunks of one
 * transcript ~0.6 to each other, ~0.35 to other documents of the topic); a
 * query is a question about one document (cos ~0.8 to it), not a copy of a
 * chunk. "Around" = base + scale x a spread direction: a Gaussian in the
 * span of BASIS fixed random directions with standard deviations
 * 1/sqrt(i+1), plus an isotropic residual of ISO of the variance,
 * normalised. The first version ("flat", --flat) drew every chunk
 * isotropically around a topic, 384 independent directions: at 1M chunks
 * a query's rank 10 and rank 100 then differ by 0.05 in cosine and dozens
 * of chunks lie within 0.01 of rank 10 (--diagnose prints these), a
 * uniform-noise cloud no embedding model produces and no graph index
 * searches well (recall@10 0.77 at ef 100 — what the first bench measured).
 * --diagnose: model statistics and an in-memory graph's recall per ef.
 * Usage: see USAGE below. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rag/common.h"
#include "rag/config.h"
#include "rag/confighash.h"
#include "rag/index.h"
#include "rag/timeutil.h"
#include "rag/fsutil.h"
#include "rag/manifest.h"
#include "rag/vector_index.h"

#include "../../src/api/index_store.h"
#include "../../src/api/query.h"
#include "../../src/api/vector_ann.h"
#include "../../src/ingest/index_writer.h"
#include "../../src/ingest/segments.h"

#define USAGE "ann_bench --dir DIR --config C --chunks N [--dims 384] [--queries 200] [--ef 80] [--flat]\n" \
              "          [--http-queries FILE]\n" \
              "       ann_bench --diagnose --chunks N [--flat] [--queries Q] [--m M] [--efc EFC] [--threads T]"

enum { SUBJECTS = 64, TOPICS = 1024, PER_DOC = 50, K = 10, CANDIDATES = 50, BASIS = 64 };

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
static int zipf_topic(void)
{
    double u = uniform();
    int t = (int)(TOPICS * u * u);
    return t < TOPICS ? t : TOPICS - 1;
}

/* The model. "docs" (the default; see the top of this file): subjects ->
 * topics -> documents -> chunks, each level a point around its parent, the
 * spread drawn from a low-dimensional anisotropic distribution. "flat" (the
 * first version, kept to show why it was replaced): every chunk an
 * isotropic draw around a topic, queries isotropic draws around a topic. */
typedef struct model {
    int dims;
    bool flat;
    float *subjects, *topics, *basis; /* basis: BASIS random unit directions */
    float *docs;                      /* the documents written so far (their vectors; queries pick one) */
    long n_docs;
    float *doc;                       /* the current document while writing */
} model;

/* A unit "spread" direction: mostly in the span of the basis with a decaying
 * spectrum (direction i has standard deviation 1/sqrt(i+1)), plus an
 * isotropic residual carrying ISO of the variance. */
#define ISO 0.15
static void spread(const model *m, float *out)
{
    const int d = m->dims;
    double w = 0;
    for (int i = 0; i < BASIS; i++) w += 1.0 / (i + 1);
    const double iso = sqrt(ISO / (1 - ISO) * w / d); /* per-component sd of the residual */
    for (int j = 0; j < d; j++) out[j] = (float)(iso * gaussian());
    for (int i = 0; i < BASIS; i++) {
        const float g = (float)(gaussian() / sqrt(i + 1.0));
        const float *b = m->basis + (size_t)i * d;
        for (int j = 0; j < d; j++) out[j] += g * b[j];
    }
    normalise(out, d);
}
/* base + scale * a spread direction (isotropic for the flat model), normalised */
static void around(const model *m, const float *base, double scale, float *out)
{
    if (m->flat) random_unit(out, m->dims);
    else spread(m, out);
    for (int j = 0; j < m->dims; j++) out[j] = (float)(base[j] + scale * out[j]);
    normalise(out, m->dims);
}

static void model_init(model *m, int dims, bool flat, long chunks)
{
    m->dims = dims;
    m->flat = flat;
    m->subjects = rag_xmalloc((size_t)SUBJECTS * dims * sizeof(float));
    m->topics = rag_xmalloc((size_t)TOPICS * dims * sizeof(float));
    m->basis = rag_xmalloc((size_t)BASIS * dims * sizeof(float));
    m->docs = rag_xmalloc((size_t)(chunks / PER_DOC + 1) * dims * sizeof(float));
    m->n_docs = 0;
    m->doc = NULL;
    for (int s = 0; s < SUBJECTS; s++) random_unit(m->subjects + (size_t)s * dims, dims);
    for (int i = 0; i < BASIS; i++) random_unit(m->basis + (size_t)i * dims, dims);
    model flat_m = *m; /* topics are isotropic draws around subjects in both models (as the first version) */
    flat_m.flat = true;
    for (int t = 0; t < TOPICS; t++)
        around(&flat_m, m->subjects + (size_t)(t % SUBJECTS) * dims, 1.0, m->topics + (size_t)t * dims);
}
static void model_free(model *m)
{
    free(m->subjects);
    free(m->topics);
    free(m->basis);
    free(m->docs);
}
/* Chunk c's vector (called for c = 0, 1, 2, ... in order); *topic: its topic. */
static void model_chunk(model *m, long c, float *out, int *topic)
{
    const int d = m->dims;
    if (m->flat) {
        *topic = zipf_topic();
        around(m, m->topics + (size_t)*topic * d, 0.75, out);
        return;
    }
    static int doc_topic;
    if (c % PER_DOC == 0) { /* a new document: cos ~0.75 to its topic */
        doc_topic = zipf_topic();
        m->doc = m->docs + (size_t)m->n_docs++ * d;
        around(m, m->topics + (size_t)doc_topic * d, 0.9, m->doc);
    }
    *topic = doc_topic;
    around(m, m->doc, 0.8, out); /* cos ~0.8 to its document */
}
/* A query: flat — a draw around a topic; docs — a question about one of the
 * documents written (cos ~0.8 to it), not a copy of any chunk. */
static void model_query(model *m, float *out)
{
    if (m->flat) {
        around(m, m->topics + (size_t)zipf_topic() * m->dims, 0.75, out);
        return;
    }
    long doc = (long)(uniform() * (double)m->n_docs);
    if (doc >= m->n_docs) doc = m->n_docs - 1;
    around(m, m->docs + (size_t)doc * m->dims, 0.75, out);
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

/* Chunk c's text (a pure function of c, so HTTP queries can quote it):
 * WORDS Zipf-like draws from a made-up vocabulary, as api_mkindex's
 * synthetic corpus (bench/api/run.sh), so the full-text side of a hybrid
 * /query does the same kind of work as there. words false: "chunk N" (the
 * exact-search copy, which no one searches by text). */
enum { VOCAB = 20000, WORDS = 60 };
static void chunk_text(long c, bool words, char *out, size_t outsz)
{
    if (!words) {
        snprintf(out, outsz, "chunk %ld", c);
        return;
    }
    static const char *const syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "den",
                                      "mor", "lin", "tas", "ver", "gal", "hon", "bri", "cel"};
    uint64_t st = (uint64_t)c * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    size_t used = 0;
    for (int k = 0; k < WORDS && used + 40 < outsz; k++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        double u = (double)(st % 1000000 + 1) / 1000000.0;
        int r = (int)((double)VOCAB * u * u * u);
        if (r >= VOCAB) r = VOCAB - 1;
        if (k) out[used++] = ' ';
        do {
            used += (size_t)snprintf(out + used, outsz - used, "%s", syl[r % 20]);
            r /= 20;
        } while (r);
    }
    out[used] = '\0';
}

/* A one-segment generation (descriptor at path); vs: its vector index. */
static void write_generation(const char *path, long n, model *mo, const vector_stage *vs, bool words,
                             int64_t counts[3])
{
    const int dims = mo->dims;
    rag_error err = {0};
    index_writer *w = iw_open(path, NULL, dims, &err);
    if (!w) die(path, err.msg);
    iw_set_vector_stage(w, vs);
    if (iw_begin(w, &err)) die("begin", err.msg);
    float *v = rag_xmalloc((size_t)dims * sizeof *v);
    int64_t doc = 0;
    char text[WORDS * 40], id[32];
    for (long c = 0; c < n; c++) {
        if (c % PER_DOC == 0) {
            char p[64];
            snprintf(p, sizeof p, "synthetic/doc-%07ld.txt", c / PER_DOC);
            iw_doc d = {p, NULL, "txt", 1000, 0, "0"};
            if (iw_add_document(w, &d, &doc, &err)) die("document", err.msg);
        }
        int t;
        model_chunk(mo, c, v, &t);
        chunk_text(c, words, text, sizeof text);
        snprintf(id, sizeof id, "c%ld", c);
        chunk ch = {.ordinal = (int)(c % PER_DOC), .text = text, .len = strlen(text), .start_ms = -1, .end_ms = -1,
                    .tokens = words ? WORDS : 2};
        if (iw_add_chunk(w, doc, id, &ch, v, &err)) die("chunk", err.msg);
        if (c % PER_DOC == PER_DOC - 1 || c == n - 1)
            if (iw_set_chunk_count(w, doc, c % PER_DOC + 1, &err)) die("document", err.msg);
    }
    char dbuf[16];
    snprintf(dbuf, sizeof dbuf, "%d", dims);
    if (iw_set_meta(w, "embedding_provider", "openai", &err) || iw_set_meta(w, "embedding_model", "topic-model", &err) ||
        iw_set_meta(w, "embedding_dimensions", dbuf, &err) || iw_commit(w, &err))
        die("meta", err.msg);
    if (iw_finish(w, false, &counts[0], &counts[1], &counts[2], &err)) die("finish", err.msg);
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

/* Publish the approximate generation for config's rag-api: a manifest
 * naming it (rewritten every run, with the config's hash as it is now). */
static void publish(const rag_config *cfg, const char *gen, const char *run_id, const int64_t counts[3])
{
    rag_manifest m;
    memset(&m, 0, sizeof m);
    char hash[RAG_HASH_HEX];
    rag_config_hash(cfg, hash);
    const int64_t now = rag_now_ms();
    m.schema_version = RAG_MANIFEST_SCHEMA_VERSION;
    snprintf(m.run_id, sizeof m.run_id, "%s", run_id);
    snprintf(m.generation, sizeof m.generation, "%s", gen);
    m.generated_at_ms = m.checked_at_ms = now;
    snprintf(m.config_hash, sizeof m.config_hash, "%s", hash);
    snprintf(m.source_fingerprint, sizeof m.source_fingerprint, "%s", hash);
    m.config = rag_config_canonical(cfg);
    m.documents = counts[0];
    m.chunks = counts[1];
    m.tokens = counts[2];
    snprintf(m.tool_version, sizeof m.tool_version, "%s", RAG_VERSION);
    m.index_schema_version = RAG_INDEX_SCHEMA_VERSION;
    rag_error err = {0};
    char *mpath = rag_config_manifest_path(cfg);
    if (rag_manifest_write(mpath, &m, &err) != RAG_OK) die(mpath, err.msg);
    free(mpath);
    rag_manifest_free(&m);
}

/* The HTTP bench's queries: like bench/api/run.sh's, 3-5 consecutive words
 * of 50 chunks spread over the corpus, each with the vector the topic model
 * gives a question about that chunk's document (model_query's spread) —
 * what the stand-in embedding provider answers for that text. JSON lines
 * {"text": ..., "vector": [...]}. */
static void write_http_queries(const model *mo, long n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) die(path, strerror(errno));
    float *v = rag_xmalloc((size_t)mo->dims * sizeof *v);
    char text[WORDS * 40];
    for (int i = 1; i <= 50; i++) {
        const long c = (long)(((long long)i * 7919) % n);
        chunk_text(c, true, text, sizeof text);
        const int from = 10 + i % 20, words = 3 + i % 3; /* words from..from+words-1, 1-based */
        char *p = text, *start = NULL;
        int w = 1;
        for (; *p; p++) {
            if (w == from && !start) start = p;
            if (*p == ' ' && ++w == from + words) break;
        }
        *p = '\0';
        around(mo, mo->docs + (size_t)(c / PER_DOC) * mo->dims, 0.75, v);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", start ? start : text);
        cJSON *arr = cJSON_AddArrayToObject(o, "vector");
        for (int j = 0; j < mo->dims; j++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(v[j]));
        char *line = cJSON_PrintUnformatted(o);
        fprintf(f, "%s\n", line);
        free(line);
        cJSON_Delete(o);
    }
    free(v);
    if (fclose(f) != 0) die(path, strerror(errno));
}

/* --diagnose: the model alone, in memory (no SQLite): how well separated
 * each query's true top 10 are (exact cosine at ranks 1, 10, 11, 100 and how
 * many chunks lie within 0.01 of rank 10, medians over the queries), then a
 * graph built in memory with --m / --efc on --threads threads and recall@10
 * (the best 100 of a search ef wide, rescored exactly, as rag-api) for each ef. */
static int by_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}
static double median(double *v, int n) { return pct(v, n, 50); }

static void diagnose(model *mo, long n, int q, int m, int efc, int threads)
{
    const int d = mo->dims;
    float *x = rag_xmalloc((size_t)n * d * sizeof *x);
    int t;
    for (long c = 0; c < n; c++) model_chunk(mo, c, x + (size_t)c * d, &t);
    float *qs = rag_xmalloc((size_t)q * d * sizeof *qs), *sc = rag_xmalloc((size_t)n * sizeof *sc);
    int64_t(*truth)[K] = rag_xmalloc((size_t)q * sizeof *truth);
    double *s1 = rag_xcalloc((size_t)q, sizeof(double)), *s10 = rag_xcalloc((size_t)q, sizeof(double)),
           *s11 = rag_xcalloc((size_t)q, sizeof(double)), *s100 = rag_xcalloc((size_t)q, sizeof(double)),
           *ties = rag_xcalloc((size_t)q, sizeof(double));
    for (int i = 0; i < q; i++) {
        float *qv = qs + (size_t)i * d;
        model_query(mo, qv);
        for (long c = 0; c < n; c++) {
            float s = 0;
            const float *v = x + (size_t)c * d;
            for (int j = 0; j < d; j++) s += qv[j] * v[j];
            sc[c] = s;
        }
        /* the top 10 ids (ties: lower id) and the sorted top 100 scores */
        float top[100];
        int nt = 0;
        for (long c = 0; c < n; c++) {
            if (nt == 100 && sc[c] <= top[99]) continue;
            int p = nt < 100 ? nt++ : 99;
            while (p > 0 && top[p - 1] < sc[c]) { top[p] = top[p - 1]; p--; }
            top[p] = sc[c];
        }
        qsort(top, (size_t)nt, sizeof *top, by_desc);
        long within = 0, k = 0;
        for (long c = 0; c < n; c++) {
            if (sc[c] >= top[9] - 0.01f) within++;
            if (sc[c] >= top[9] && k < K) truth[i][k++] = c;
        }
        s1[i] = top[0], s10[i] = top[9], s11[i] = top[10], s100[i] = top[99], ties[i] = (double)within;
    }
    printf("MODEL %s chunks=%ld queries=%d median cos rank1=%.3f rank10=%.3f rank11=%.3f rank100=%.3f "
           "gap10_11=%.4f gap10_100=%.3f within_0.01_of_rank10=%.0f\n",
           mo->flat ? "flat" : "docs", n, q, median(s1, q), median(s10, q), median(s11, q), median(s100, q),
           median(s10, q) - median(s11, q), median(s10, q) - median(s100, q), median(ties, q));
    fflush(stdout);
    char msg[256];
    rag_ann *a = rag_ann_new(d, (size_t)n, m, efc, msg, sizeof msg);
    if (!a) die("graph", msg);
    double t0 = now_s();
    if (rag_ann_add(a, (size_t)n, x, 0, threads, NULL, msg, sizeof msg)) die("graph", msg);
    const double build = now_s() - t0;
    static const int efs[] = {50, 100, 200, 400, 800};
    int64_t *ids = rag_xmalloc(800 * sizeof *ids);
    float *approx = rag_xmalloc(800 * sizeof *approx);
    for (size_t e = 0; e < sizeof efs / sizeof *efs; e++) {
        const int ef = efs[e], want = CANDIDATES; /* as rag-api: the graph's best 50 rescored */
        rag_ann_set_ef(a, ef);
        long found = 0;
        double *lat = rag_xcalloc((size_t)q, sizeof(double));
        for (int i = 0; i < q; i++) {
            const float *qv = qs + (size_t)i * d;
            double t1 = now_s();
            long got = rag_ann_search(a, qv, (size_t)want, ids, approx);
            float best[K];
            int64_t bid[K];
            int nb = 0;
            for (long r = 0; r < got; r++) { /* exact rescoring, keep the top K */
                float s = 0;
                const float *v = x + (size_t)ids[r] * d;
                for (int j = 0; j < d; j++) s += qv[j] * v[j];
                if (nb == K && s <= best[K - 1]) continue;
                int p = nb < K ? nb++ : K - 1;
                while (p > 0 && best[p - 1] < s) { best[p] = best[p - 1]; bid[p] = bid[p - 1]; p--; }
                best[p] = s;
                bid[p] = ids[r];
            }
            lat[i] = (now_s() - t1) * 1000;
            for (int a1 = 0; a1 < K; a1++)
                for (int b = 0; b < nb; b++)
                    if (bid[b] == truth[i][a1]) { found++; break; }
        }
        printf("GRAPH M=%d efc=%d threads=%d build_s=%.1f ef=%d recall10=%.3f search_p50_ms=%.3f\n", m, efc, threads,
               build, ef, (double)found / ((double)q * K), median(lat, q));
        fflush(stdout);
        free(lat);
    }
    rag_ann_free(a);
    free(ids), free(approx), free(x), free(qs), free(sc), free(truth);
    free(s1), free(s10), free(s11), free(s100), free(ties);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *config = NULL, *http_queries = NULL;
    long n = 0;
    int dims = 384, q = 200, ef = RAG_ANN_EF_SEARCH_DEFAULT, m = RAG_VINDEX_M, efc = RAG_VINDEX_EF_CONSTRUCTION, threads = 2;
    bool flat = false, diag = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--diagnose")) diag = true;
        else if (!strcmp(argv[i], "--flat")) flat = true;
        else if (i + 1 == argc) die("usage", "missing value");
        else if (!strcmp(argv[i], "--dir")) dir = argv[++i];
        else if (!strcmp(argv[i], "--config")) config = argv[++i];
        else if (!strcmp(argv[i], "--http-queries")) http_queries = argv[++i];
        else if (!strcmp(argv[i], "--chunks")) n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dims")) dims = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--queries")) q = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ef")) ef = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--m")) m = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--efc")) efc = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else die("usage", USAGE);
    }
    if ((!dir && !diag) || n < 1000 || dims < 8 || dims > 8192 || q < 1) die("usage", USAGE);
    model mo;
    model_init(&mo, dims, flat, n);
    if (diag) {
        diagnose(&mo, n, q, m, efc, threads);
        model_free(&mo);
        return 0;
    }
    if (!config) die("usage", USAGE);
    setenv("ANN_BENCH_UNUSED", "x", 1);
    /* the exact-search copy in dir; the approximate one published where
     * config's rag-api serves it (artifacts/index + the manifest) */
    rag_config cfg;
    rag_problems probs = {0};
    rag_error err = {0};
    if (rag_config_load(config, &cfg, &probs, &err) != RAG_OK) die(config, probs.count ? probs.items[0] : err.msg);
    char *index_dir = rag_config_index_dir(&cfg), *ck_dir = rag_config_checkpoints_dir(&cfg);
    if (rag_mkdir_p(index_dir, 0755, &err) || rag_mkdir_p(ck_dir, 0755, &err)) die("mkdir", err.msg);
    char run_id[64], gen[128];
    snprintf(run_id, sizeof run_id, "bench-ann-%s%ld", flat ? "flat-" : "", n);
    snprintf(gen, sizeof gen, "%s%s%s", RAG_INDEX_PREFIX, run_id, RAG_INDEX_SUFFIX);
    char *ann_final = rag_path_join(index_dir, gen), *ann_path = rag_xasprintf("%s.tmp", ann_final),
         *exact_path = rag_xasprintf("%s/gen-exact-%s%ld.sqlite.tmp", dir, flat ? "flat-" : "", n);
    /* "build_s documents chunks tokens" */
    char *built = rag_xasprintf("%s/ann-%s-%ld.built", dir, flat ? "flat" : "docs", n);
    double build_s = -1;
    int64_t counts[3] = {0, 0, 0};
    FILE *bf = access(ann_final, R_OK) == 0 ? fopen(built, "r") : NULL;
    if (bf) { /* cached from an earlier run */
        if (fscanf(bf, "%lf %" SCNd64 " %" SCNd64 " %" SCNd64, &build_s, &counts[0], &counts[1], &counts[2]) != 4)
            build_s = -1;
        fclose(bf);
    }
    if (build_s < 0) {
        fprintf(stderr, "writing %ld chunks x %d dims ...\n", n, dims);
        const uint64_t rng_at = rng_state;
        if (access(exact_path, R_OK) != 0) /* the exact copy does not depend on the index's parameters */
            write_generation(exact_path, n, &mo, NULL, false, counts);
        /* the approximate one: the same vectors (the generator rewound),
         * its segment finished with the vector index like rag-ingest's */
        fprintf(stderr, "writing them again with text and the vector index ...\n");
        rng_state = rng_at;
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        vector_stage vs = {.s = {.min_chunks = 1, .threads = cores > 0 ? (int)cores : 1}};
        mo.n_docs = 0;
        char *old_seg = segments_file_path(index_dir, run_id, 0, false); /* an earlier build's: never linked over */
        unlink(old_seg);
        unlink(ann_final);
        free(old_seg);
        write_generation(ann_path, n, &mo, &vs, true, counts);
        if (rename(ann_path, ann_final) != 0) die(ann_final, strerror(errno));
        /* the build time the finish hook measured, stored with the index */
        char *seg = segments_file_path(index_dir, run_id, 0, false);
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        if (sqlite3_open_v2(seg, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT build_ms FROM vector_index", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
            die(seg, "has no vector index");
        build_s = (double)sqlite3_column_int64(st, 0) / 1000.0;
        sqlite3_finalize(st);
        sqlite3_close(db);
        free(seg);
        bf = fopen(built, "w");
        if (bf) {
            fprintf(bf, "%.1f %" PRId64 " %" PRId64 " %" PRId64 "\n", build_s, counts[0], counts[1], counts[2]);
            fclose(bf);
        }
    } else {
        /* the generator state must be where it would be after writing */
        float *tmp = rag_xmalloc((size_t)dims * sizeof *tmp);
        int t;
        for (long c = 0; c < n; c++) model_chunk(&mo, c, tmp, &t);
        free(tmp);
    }
    publish(&cfg, gen, run_id, counts);
    if (http_queries) write_http_queries(&mo, n, http_queries);

    const long rss0 = rss_kib();
    api_generation *ga = open_gen(ann_final, n, ef);
    const long rss_ann = rss_kib() - rss0;
    api_generation *ge = open_gen(exact_path, n, ef);
    const long rss_exact = rss_kib() - rss0 - rss_ann;
    if (!ga->n_ann) die(ann_final, "has no vector index");

    double *ta = rag_xcalloc((size_t)q, sizeof *ta), *te = rag_xcalloc((size_t)q, sizeof *te);
    float *qv = rag_xmalloc((size_t)dims * sizeof *qv);
    api_hit want[CANDIDATES], got[CANDIDATES];
    long found = 0, total = 0, found50 = 0, total50 = 0;
    for (int i = 0; i < q; i++) {
        model_query(&mo, qv);
        double t0 = now_s();
        size_t nw = api_vector_topn(ge, qv, ge->leases[0].scores, want, CANDIDATES);
        te[i] = (now_s() - t0) * 1000;
        rag_error err = {0};
        t0 = now_s();
        int ng = api_vector_ann_topn(ga, &ga->leases[0], qv, got, CANDIDATES, &err);
        ta[i] = (now_s() - t0) * 1000;
        if (ng < 0) die("search", err.msg);
        for (size_t a = 0; a < nw; a++) { /* recall@10 and @50 (the depth hybrid fuses) */
            total += a < K;
            total50++;
            for (int b = 0; b < ng; b++)
                if (got[b].rowid == want[a].rowid) {
                    found += a < K && b < K;
                    found50++;
                    break;
                }
        }
    }
    const double int8_mib = (double)n * dims / 1048576.0;
    printf("RESULT chunks=%ld dims=%d queries=%d ef=%d recall10=%.3f recall50=%.3f ann_p50=%.3f ann_p95=%.3f exact_p50=%.3f "
           "exact_p95=%.3f ann_mib=%.1f exact_mib=%.1f int8_mib=%.1f build_s=%.1f\n",
           n, dims, q, ef, total ? (double)found / (double)total : 0.0,
           total50 ? (double)found50 / (double)total50 : 0.0, pct(ta, q, 50), pct(ta, q, 95), pct(te, q, 50),
           pct(te, q, 95), (double)rss_ann / 1024.0, (double)rss_exact / 1024.0, int8_mib, build_s);
    api_generation_release(ga);
    api_generation_release(ge);
    free(ta);
    free(te);
    free(qv);
    model_free(&mo);
    free(ann_path);
    free(ann_final);
    free(index_dir);
    free(ck_dir);
    rag_config_free(&cfg);
    free(exact_path);
    free(built);
    return 0;
}
