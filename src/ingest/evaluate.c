/* evaluate.c — golden-query evaluation of one generation (see evaluate.h).
 * The generation is opened with rag-api's index_store and ranked with
 * api_query_rank, the ranking /query renders, so what is measured is
 * exactly what /query would answer (without rendering and re-parsing the
 * JSON body, which cost more than the ranking). */
#include "evaluate.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../api/index_store.h"
#include "../api/query.h"
#include "../api/query_body.h"
#include "rag/timeutil.h"

#define EVAL_MAX_FAILED_LISTED 50

static int cmp_grade_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

double eval_ndcg(const int *gains, size_t n_gains, const int *ideal, size_t n_ideal, int cutoff)
{
    double dcg = 0, idcg = 0;
    for (size_t i = 0; i < n_gains && i < (size_t)cutoff; i++)
        dcg += gains[i] / log2((double)i + 2.0);
    int *sorted = rag_xmalloc((n_ideal ? n_ideal : 1) * sizeof *sorted);
    memcpy(sorted, ideal, n_ideal * sizeof *sorted);
    qsort(sorted, n_ideal, sizeof *sorted, cmp_grade_desc);
    for (size_t i = 0; i < n_ideal && i < (size_t)cutoff; i++)
        idcg += sorted[i] / log2((double)i + 2.0);
    free(sorted);
    return idcg > 0 ? dcg / idcg : 0.0;
}

static int grade_of(const rag_golden_query *q, const char *source)
{
    for (size_t j = 0; j < q->n_relevant; j++)
        if (strcmp(q->relevant[j].source, source) == 0)
            return q->relevant[j].grade;
    return 0;
}

void eval_score_query(const char *const *ranked, size_t n_ranked, const rag_golden_query *q, int k, eval_query *out)
{
    memset(out, 0, sizeof *out);
    size_t n_gains = n_ranked < EVAL_NDCG_CUTOFF ? n_ranked : EVAL_NDCG_CUTOFF;
    int gains[EVAL_NDCG_CUTOFF] = {0};
    int *ideal = rag_xmalloc((q->n_relevant ? q->n_relevant : 1) * sizeof *ideal);
    for (size_t j = 0; j < q->n_relevant; j++)
        ideal[j] = q->relevant[j].grade;
    size_t found_in_k = 0;
    for (size_t i = 0; i < n_ranked; i++) {
        int gr = grade_of(q, ranked[i]);
        if (i < n_gains)
            gains[i] = gr;
        if (gr > 0) {
            if (!out->first_rank)
                out->first_rank = (int)i + 1;
            if (i < (size_t)k)
                found_in_k++;
        }
    }
    out->ndcg_at_10 = eval_ndcg(gains, n_gains, ideal, q->n_relevant, EVAL_NDCG_CUTOFF);
    out->recall_at_k = q->n_relevant ? (double)found_in_k / (double)q->n_relevant : 0.0;
    out->rr = out->first_rank ? 1.0 / out->first_rank : 0.0;
    out->failed = found_in_k == 0;
    free(ideal);
}

void eval_summarise(eval_result *res)
{
    double nd = 0, rc = 0, rr = 0;
    res->failed = 0;
    for (size_t i = 0; i < res->n; i++) {
        nd += res->q[i].ndcg_at_10;
        rc += res->q[i].recall_at_k;
        rr += res->q[i].rr;
        res->failed += res->q[i].failed;
    }
    double n = res->n ? (double)res->n : 1.0;
    res->ndcg_at_10 = nd / n;
    res->recall_at_k = rc / n;
    res->mrr = rr / n;
}

/* A worker's document id -> source path memo: the golden queries keep
 * finding the same few documents, and a path costs a statement. */
typedef struct source_memo {
    int64_t *doc;
    char **path;
    size_t n, cap;
} source_memo;

static void source_memo_free(source_memo *sm)
{
    for (size_t i = 0; i < sm->n; i++)
        free(sm->path[i]);
    free(sm->doc);
    free(sm->path);
    memset(sm, 0, sizeof *sm);
}

/* The source of chunk rowid (owned by the memo). */
static int source_of(api_generation *gen, int lease, source_memo *sm, int64_t rowid, const char **src, rag_error *err)
{
    const int64_t doc = api_generation_doc_of(gen, rowid);
    for (size_t i = 0; doc >= 0 && i < sm->n; i++)
        if (sm->doc[i] == doc) {
            *src = sm->path[i];
            return RAG_OK;
        }
    char *path = NULL;
    int rc = api_chunk_source(gen, lease, rowid, &path, err);
    if (rc != RAG_OK)
        return rc;
    if (sm->n == sm->cap) {
        sm->cap = sm->cap ? sm->cap * 2 : 32;
        sm->doc = rag_xrealloc(sm->doc, sm->cap * sizeof *sm->doc);
        sm->path = rag_xrealloc(sm->path, sm->cap * sizeof *sm->path);
    }
    sm->doc[sm->n] = doc; /* -1 (unknown) never matches above */
    sm->path[sm->n++] = path;
    *src = path;
    return RAG_OK;
}

/* The distinct sources of the ranked hits, best first (owned by the memo). */
static int ranked_sources(api_generation *gen, int lease, source_memo *sm, const api_hit *hits, size_t n_hits,
                          const char ***out, size_t *n, rag_error *err)
{
    const char **v = rag_xcalloc(n_hits ? n_hits : 1, sizeof *v);
    size_t w = 0;
    for (size_t i = 0; i < n_hits; i++) {
        const char *src = NULL;
        int rc = source_of(gen, lease, sm, hits[i].rowid, &src, err);
        if (rc != RAG_OK) {
            free(v);
            return rc;
        }
        bool seen = false;
        for (size_t j = 0; j < w && !seen; j++)
            seen = strcmp(v[j], src) == 0;
        if (!seen)
            v[w++] = src;
    }
    *out = v;
    *n = w;
    return RAG_OK;
}

/* One query worker: queries t, t + n, t + 2n, ... on lease t. */
typedef struct eval_worker {
    pthread_t thread;
    int t, n;
    api_generation *gen;
    const rag_golden *g;
    const rag_manifest *m;
    api_query_req base; /* mode, k and rag-api's settings; q set per query */
    int k;
    eval_query *out;
    int rc;
    rag_error err;
} eval_worker;

static void *eval_worker_run(void *arg)
{
    eval_worker *w = arg;
    w->rc = RAG_OK;
    source_memo sm = { 0 };
    for (size_t i = (size_t)w->t; i < w->g->n && w->rc == RAG_OK; i += (size_t)w->n) {
        api_query_req req = w->base;
        req.q = w->g->queries[i].query;
        api_hit *hits = NULL;
        size_t n_hits = 0;
        const char **ranked = NULL;
        size_t n_ranked = 0;
        w->rc = api_query_rank(w->gen, w->t, &req, &hits, &n_hits, NULL, &w->err);
        if (w->rc == RAG_OK)
            w->rc = ranked_sources(w->gen, w->t, &sm, hits, n_hits, &ranked, &n_ranked, &w->err);
        if (w->rc == RAG_OK)
            eval_score_query(ranked, n_ranked, &w->g->queries[i], w->k, &w->out[i]);
        else
            rag_error_set(&w->err, w->rc, "golden query \"%s\": %.900s", w->g->queries[i].id, w->err.msg);
        free(ranked);
        free(hits);
    }
    source_memo_free(&sm);
    return NULL;
}

/* Query workers: one per online CPU, at most EVAL_MAX_WORKERS, and no more
 * than one per EVAL_QUERIES_PER_WORKER queries: a worker costs its own
 * SQLite connection, statements and cold page cache, measured at more than
 * 20 small queries (sample corpus: 20 golden queries took 6.0-6.5 ms on one
 * worker, 7.2-7.9 ms on two). */
#define EVAL_MAX_WORKERS 4
#define EVAL_QUERIES_PER_WORKER 64

static int eval_workers(size_t queries)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long n = cpus < 1 ? 1 : cpus > EVAL_MAX_WORKERS ? EVAL_MAX_WORKERS : cpus;
    long by_queries = (long)(queries / EVAL_QUERIES_PER_WORKER);
    if (n > by_queries)
        n = by_queries;
    return n < 1 ? 1 : (int)n;
}

int eval_generation(const rag_config *cfg, const char *path, const rag_manifest *m, const rag_golden *g,
                    eval_result *res, rag_error *err)
{
    memset(res, 0, sizeof *res);
    int64_t t0 = rag_mono_ms();
    api_mode mode = api_default_mode(cfg);
    snprintf(res->mode, sizeof res->mode, "%s", api_mode_name(mode));
    res->k = cfg->quality.k;
    /* bm25 needs no vectors: not loading them keeps rag-ingest's memory
     * independent of the corpus size */
    int nw = eval_workers(g->n);
    api_generation *gen = api_generation_open_ex(path, m, cfg, nw, mode != API_MODE_BM25, err);
    if (!gen)
        return err->code ? err->code : RAG_ERR;
    res->q = rag_xcalloc(g->n ? g->n : 1, sizeof *res->q);
    res->n = g->n;
    /* The first max(10, k) results, as a client asking for that many gets
     * them; several chunks of one document collapse into its first rank, so
     * long transcripts crowding the top of the list cost what they cost a
     * reader of the answer. */
    int want = cfg->quality.k > EVAL_NDCG_CUTOFF ? cfg->quality.k : EVAL_NDCG_CUTOFF;
    api_query_req base = {.k = want};
    api_query_req_settings(&base, cfg); /* the vector weight rag-api uses */
    base.mode = mode;
    eval_worker *w = rag_xcalloc((size_t)nw, sizeof *w);
    int started = 0;
    for (int t = 0; t < nw; t++) {
        w[t] = (eval_worker){ .t = t, .n = nw, .gen = gen, .g = g, .m = m, .base = base,
                              .k = res->k, .out = res->q };
        /* worker 0 runs on this thread; a thread that cannot start leaves its share to a rerun below */
        if (t > 0 && pthread_create(&w[t].thread, NULL, eval_worker_run, &w[t]) == 0)
            started |= 1 << t;
    }
    eval_worker_run(&w[0]);
    int rc = w[0].rc;
    if (rc != RAG_OK)
        *err = w[0].err;
    for (int t = 1; t < nw; t++) {
        if (started & (1 << t))
            pthread_join(w[t].thread, NULL);
        else
            eval_worker_run(&w[t]);
        if (rc == RAG_OK && w[t].rc != RAG_OK) {
            rc = w[t].rc;
            *err = w[t].err;
        }
    }
    free(w);
    api_generation_release(gen);
    if (rc != RAG_OK) {
        eval_result_free(res);
        return rc;
    }
    eval_summarise(res);
    res->elapsed_ms = rag_mono_ms() - t0;
    return RAG_OK;
}

void eval_result_free(eval_result *res)
{
    free(res->q);
    memset(res, 0, sizeof *res);
}

void eval_to_manifest(const eval_result *res, const rag_golden *g, const char *gate, int64_t now_ms, rag_manifest *m)
{
    cJSON_Delete(m->quality.failed_queries);
    memset(&m->quality, 0, sizeof m->quality);
    m->quality.present = true;
    snprintf(m->quality.golden_sha256, sizeof m->quality.golden_sha256, "%s", g->sha256);
    m->quality.queries = (int64_t)res->n;
    m->quality.k = res->k;
    snprintf(m->quality.mode, sizeof m->quality.mode, "%s", res->mode);
    m->quality.ndcg_at_10 = res->ndcg_at_10;
    m->quality.recall_at_k = res->recall_at_k;
    m->quality.mrr = res->mrr;
    m->quality.failed = res->failed;
    m->quality.failed_queries = cJSON_CreateArray();
    for (size_t i = 0, listed = 0; i < res->n && listed < EVAL_MAX_FAILED_LISTED; i++) {
        if (!res->q[i].failed)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", g->queries[i].id);
        cJSON_AddStringToObject(o, "query", g->queries[i].query);
        cJSON_AddNumberToObject(o, "ndcg_at_10", res->q[i].ndcg_at_10);
        cJSON_AddItemToArray(m->quality.failed_queries, o);
        listed++;
    }
    m->quality.evaluated_at_ms = now_ms;
    snprintf(m->quality.gate, sizeof m->quality.gate, "%s", gate);
}
