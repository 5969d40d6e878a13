/* quality.c — the golden queries in rag-ingest's runs (see quality.h and
 * docs/specs/quality.md): candidate evaluation and the publish gate, the
 * served generation's figures kept true when the golden file changes, and
 * `rag-ingest --eval`. The gate compares nDCG@10 with quality.min_ndcg and
 * with the served generation's figure (from its manifest when that was
 * measured with the same golden file and mode, else measured now); a
 * refusal names the queries that got worse, served vs candidate. */
#include "quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evaluate.h"
#include "../api/query.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"

#define QUALITY_MAX_REGRESSIONS 50
#define QUALITY_EPS 1e-9

int quality_golden_load(const rag_config *cfg, rag_golden *g, bool *have, const char **why, rag_problems *problems,
                        rag_error *err)
{
    memset(g, 0, sizeof *g);
    *have = false;
    *why = NULL;
    if (!cfg->quality.golden || !cfg->quality.golden[0]) {
        *why = "quality.golden is \"\" (evaluation off)";
        return RAG_OK;
    }
    struct stat sb;
    if (stat(cfg->quality.golden, &sb) != 0) {
        *why = "no golden file";
        return RAG_OK;
    }
    int rc = rag_golden_load(cfg->quality.golden, g, problems, err);
    if (rc == RAG_ENOENT) { /* vanished since the stat */
        *why = "no golden file";
        return RAG_OK;
    }
    if (rc == RAG_OK)
        *have = true;
    return rc;
}

/* The golden queries of env: the preloaded set (copied by reference into
 * *g, *owned false) or quality.golden read now. */
static int env_golden(const quality_env *env, rag_golden *g, bool *have, const char **why, bool *owned,
                      rag_error *err)
{
    *owned = false;
    if (env->golden) {
        *g = *env->golden;
        *have = true;
        *why = NULL;
        return RAG_OK;
    }
    rag_problems probs = {0};
    int rc = quality_golden_load(env->cfg, g, have, why, &probs, err);
    rag_problems_free(&probs);
    *owned = rc == RAG_OK && *have;
    return rc == RAG_OK ? RAG_OK : rag_error_set(err, RAG_ERR, "golden file invalid: %.900s", err->msg);
}

static void golden_release(rag_golden *g, bool owned)
{
    if (owned)
        rag_golden_free(g);
}

static void log_ev(rag_log *log, rag_level lvl, const char *event, cJSON *p, const char *msg)
{
    if (log)
        rag_log_event(log, lvl, event, msg, p);
    else
        cJSON_Delete(p);
}

static void log_skipped(const quality_env *env, const char *why)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "golden", env->cfg->quality.golden ? env->cfg->quality.golden : "");
    cJSON_AddStringToObject(p, "reason", why);
    char msg[1200];
    snprintf(msg, sizeof msg, "quality evaluation skipped: %s (%.1000s)", why,
             env->cfg->quality.golden && env->cfg->quality.golden[0] ? env->cfg->quality.golden : "quality.golden");
    log_ev(env->log, RAG_LEVEL_INFO, "quality_skipped", p, msg);
}

static void log_evaluated(const quality_env *env, const char *subject, const char *generation, const char *reason,
                          const eval_result *r, const rag_golden *g)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "subject", subject);
    cJSON_AddStringToObject(p, "generation", generation);
    if (reason)
        cJSON_AddStringToObject(p, "reason", reason);
    cJSON_AddStringToObject(p, "golden_sha256", g->sha256);
    cJSON_AddStringToObject(p, "mode", r->mode);
    cJSON_AddNumberToObject(p, "queries", (double)r->n);
    cJSON_AddNumberToObject(p, "k", r->k);
    cJSON_AddNumberToObject(p, "ndcg_at_10", r->ndcg_at_10);
    cJSON_AddNumberToObject(p, "recall_at_k", r->recall_at_k);
    cJSON_AddNumberToObject(p, "mrr", r->mrr);
    cJSON_AddNumberToObject(p, "failed", (double)r->failed);
    cJSON_AddNumberToObject(p, "elapsed_ms", (double)r->elapsed_ms);
    log_ev(env->log, RAG_LEVEL_INFO, "quality_evaluated", p, NULL);
}

static void stats_from(run_stats *st, int64_t queries, double ndcg, double recall, double mrr, int64_t failed)
{
    st->quality.have = true;
    st->quality.queries = queries;
    st->quality.ndcg_at_10 = ndcg;
    st->quality.recall_at_k = recall;
    st->quality.mrr = mrr;
    st->quality.failed = failed;
}

/* The manifest's figures can stand for a fresh evaluation: same golden
 * file, same mode, same k. */
static bool figures_current(const rag_manifest *m, const rag_golden *g, const rag_config *cfg)
{
    return m->quality.present && strcmp(m->quality.golden_sha256, g->sha256) == 0 &&
           strcmp(m->quality.mode, api_mode_name(api_default_mode(cfg))) == 0 && m->quality.k == cfg->quality.k;
}

typedef struct regression {
    size_t i;
    double served, cand;
} regression;

static int cmp_regression(const void *a, const void *b)
{
    const regression *x = a, *y = b;
    double dx = x->served - x->cand, dy = y->served - y->cand;
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Queries whose nDCG@10 fell (served known), or the candidate's failed
 * queries (no served figures), worst first; appended to msg too. */
static cJSON *regressions(const rag_golden *g, const eval_result *cand, const eval_result *served, char *msg,
                          size_t msgsz)
{
    regression *v = rag_xcalloc(g->n ? g->n : 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        double s = served ? served->q[i].ndcg_at_10 : NAN;
        if (served ? s > cand->q[i].ndcg_at_10 + QUALITY_EPS : cand->q[i].failed)
            v[n++] = (regression){ i, served ? s : 1.0, cand->q[i].ndcg_at_10 };
    }
    qsort(v, n, sizeof *v, cmp_regression);
    cJSON *arr = cJSON_CreateArray();
    size_t len = strlen(msg);
    for (size_t j = 0; j < n; j++) {
        const rag_golden_query *q = &g->queries[v[j].i];
        if (j < QUALITY_MAX_REGRESSIONS) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", q->id);
            cJSON_AddStringToObject(o, "query", q->query);
            if (served)
                cJSON_AddNumberToObject(o, "served_ndcg_at_10", v[j].served);
            else
                cJSON_AddNullToObject(o, "served_ndcg_at_10");
            cJSON_AddNumberToObject(o, "candidate_ndcg_at_10", v[j].cand);
            cJSON_AddItemToArray(arr, o);
        }
        if (len + 80 < msgsz) {
            if (served)
                snprintf(msg + len, msgsz - len, "%s%s %.2f -> %.2f", j ? ", " : "; regressed: ", q->id, v[j].served,
                         v[j].cand);
            else
                snprintf(msg + len, msgsz - len, "%s%s", j ? ", " : "; failing: ", q->id);
            len = strlen(msg);
        } else if (len + 20 < msgsz) {
            snprintf(msg + len, msgsz - len, ", %zu more", n - j);
            len = msgsz; /* stop appending */
        }
    }
    free(v);
    return arr;
}

int quality_gate_candidate(const quality_env *env, const char *cand_path, rag_manifest *cand, run_stats *st,
                           rag_error *err)
{
    const rag_config *cfg = env->cfg;
    snprintf(st->quality.gate, sizeof st->quality.gate, "skipped");
    rag_golden g;
    bool have, owned;
    const char *why;
    int rc = env_golden(env, &g, &have, &why, &owned, err);
    if (rc != RAG_OK)
        return rc;
    if (!have) {
        log_skipped(env, why);
        return RAG_OK;
    }
    eval_result cr, sr = { 0 };
    bool have_sr = false;
    if ((rc = eval_generation(cfg, cand_path, cand, &g, &cr, err)) != RAG_OK) {
        rag_error_set(err, RAG_ERR, "evaluating the new generation on the golden queries: %.900s", err->msg);
        golden_release(&g, owned);
        return RAG_ERR;
    }
    log_evaluated(env, "candidate", cand->generation, NULL, &cr, &g);
    stats_from(st, (int64_t)cr.n, cr.ndcg_at_10, cr.recall_at_k, cr.mrr, cr.failed);

    const double min_ndcg = cfg->quality.min_ndcg, max_drop = cfg->quality.max_drop;
    bool gate_on = min_ndcg > 0 || max_drop < 1;
    double baseline = -1;
    if (gate_on && max_drop < 1 && env->served) {
        rag_error se = { 0 };
        if (figures_current(env->served, &g, cfg)) {
            baseline = env->served->quality.ndcg_at_10;
        } else {
            if (!env->served_path)
                rag_error_set(&se, RAG_ERR, "%s is not usable (see the run's full_reason)", env->served->generation);
            if (env->served_path && eval_generation(cfg, env->served_path, env->served, &g, &sr, &se) == RAG_OK) {
                have_sr = true;
                baseline = sr.ndcg_at_10;
                log_evaluated(env, "served", env->served->generation, "baseline for quality.max_drop", &sr, &g);
            } else {
                char w[1200];
                snprintf(w, sizeof w, "quality gate: the served generation cannot be evaluated, so quality.max_drop "
                                      "was not checked: %.1000s", se.msg);
                run_add_warning(st, w);
                log_ev(env->log, RAG_LEVEL_WARN, "quality_baseline_unavailable", NULL, w);
            }
        }
    }
    bool below_min = min_ndcg > 0 && cr.ndcg_at_10 < min_ndcg - QUALITY_EPS;
    bool dropped = baseline > 0 && cr.ndcg_at_10 < baseline * (1.0 - max_drop) - QUALITY_EPS;
    const char *gate = !gate_on ? "off" : (below_min || dropped) ? (env->force ? "forced" : "refused") : "passed";
    snprintf(st->quality.gate, sizeof st->quality.gate, "%s", gate);
    rc = RAG_OK;
    if (below_min || dropped) {
        if (!have_sr && env->served && env->served_path) { /* per-query served figures, to name what regressed */
            rag_error se = { 0 };
            have_sr = eval_generation(cfg, env->served_path, env->served, &g, &sr, &se) == RAG_OK;
        }
        char msg[1000];
        if (dropped)
            snprintf(msg, sizeof msg,
                     "quality gate: nDCG@10 %.3f of the new generation is %.0f%% below the served generation's %.3f "
                     "(quality.max_drop %.2f)",
                     cr.ndcg_at_10, 100.0 * (1.0 - cr.ndcg_at_10 / baseline), baseline, max_drop);
        else
            snprintf(msg, sizeof msg, "quality gate: nDCG@10 %.3f of the new generation is below quality.min_ndcg %.3f",
                     cr.ndcg_at_10, min_ndcg);
        cJSON_Delete(st->quality.regressions);
        st->quality.regressions = regressions(&g, &cr, have_sr ? &sr : NULL, msg, sizeof msg);
        if (env->force) {
            char w[1100];
            snprintf(w, sizeof w, "%s; published anyway (--force)", msg);
            run_add_warning(st, w);
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "generation", cand->generation);
            cJSON_AddNumberToObject(p, "ndcg_at_10", cr.ndcg_at_10);
            if (baseline > 0)
                cJSON_AddNumberToObject(p, "served_ndcg_at_10", baseline);
            cJSON_AddItemToObject(p, "regressed_queries", cJSON_Duplicate(st->quality.regressions, 1));
            log_ev(env->log, RAG_LEVEL_WARN, "quality_gate_forced", p, w);
        } else {
            rc = rag_error_set(err, RAG_EGATE, "%s", msg);
        }
    }
    if (rc == RAG_OK)
        eval_to_manifest(&cr, &g, gate, rag_now_ms(), cand);
    eval_result_free(&cr);
    eval_result_free(&sr);
    golden_release(&g, owned);
    return rc;
}

int quality_refresh_served(const quality_env *env, rag_manifest *served, run_stats *st, rag_error *err)
{
    const rag_config *cfg = env->cfg;
    snprintf(st->quality.gate, sizeof st->quality.gate, "skipped");
    rag_golden g;
    bool have, owned;
    const char *why;
    int rc = env_golden(env, &g, &have, &why, &owned, err);
    if (rc != RAG_OK)
        return rc;
    if (have && !figures_current(served, &g, cfg) && env->served_path) {
        eval_result r;
        rag_error se = { 0 };
        if (eval_generation(cfg, env->served_path, served, &g, &r, &se) == RAG_OK) {
            char gate[16];
            snprintf(gate, sizeof gate, "%s", served->quality.present && served->quality.gate[0] ? served->quality.gate : "off");
            eval_to_manifest(&r, &g, gate, rag_now_ms(), served);
            log_evaluated(env, "served", served->generation,
                          "the golden file, mode or k changed since the served generation was evaluated", &r, &g);
            eval_result_free(&r);
        } else {
            char w[1200];
            snprintf(w, sizeof w, "quality: the served generation cannot be evaluated: %.1000s", se.msg);
            run_add_warning(st, w);
            log_ev(env->log, RAG_LEVEL_WARN, "quality_evaluation_failed", NULL, w);
        }
    } else if (!have) {
        log_skipped(env, why);
    }
    if (served->quality.present)
        stats_from(st, served->quality.queries, served->quality.ndcg_at_10, served->quality.recall_at_k,
                   served->quality.mrr, served->quality.failed);
    golden_release(&g, owned);
    return RAG_OK;
}

typedef struct ranked_query {
    size_t i;
    double ndcg;
} ranked_query;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked_query *x = a, *y = b;
    if (x->ndcg != y->ndcg)
        return x->ndcg < y->ndcg ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int quality_eval_command(const rag_config *cfg, FILE *out)
{
    rag_golden g;
    bool have;
    const char *why;
    rag_problems probs = {0};
    rag_error err = { 0 };
    int rc = quality_golden_load(cfg, &g, &have, &why, &probs, &err);
    if (rc != RAG_OK) {
        for (size_t i = 0; i < probs.count; i++)
            fprintf(stderr, "%s\n", probs.items[i]);
        if (!probs.count)
            fprintf(stderr, "rag-ingest: %s\n", err.msg);
        rag_problems_free(&probs);
        return RAG_EXIT_CONFIG;
    }
    rag_problems_free(&probs);
    if (!have) {
        fprintf(stderr, "rag-ingest --eval: nothing to evaluate: %s (%s)\n", why,
                cfg->quality.golden && cfg->quality.golden[0] ? cfg->quality.golden : "quality.golden");
        return RAG_EXIT_FAIL;
    }
    char *mpath = rag_config_manifest_path(cfg);
    char *idir = rag_config_index_dir(cfg);
    rag_manifest m = { 0 };
    int status = RAG_EXIT_FAIL;
    eval_result r = { 0 };
    if (rag_manifest_load(mpath, &m, &err) != RAG_OK) {
        fprintf(stderr, "rag-ingest --eval: no served generation to evaluate: %s\n", err.msg);
        goto out;
    }
    char *gpath = rag_path_join(idir, m.generation);
    rc = eval_generation(cfg, gpath, &m, &g, &r, &err);
    free(gpath);
    if (rc != RAG_OK) {
        fprintf(stderr, "rag-ingest --eval: %s\n", err.msg);
        goto out;
    }
    fprintf(out, "generation %s (run %s), mode %s\n", m.generation, m.run_id, r.mode);
    fprintf(out, "golden     %s (%zu queries, sha256 %.12s)\n", cfg->quality.golden, g.n, g.sha256);
    fprintf(out, "nDCG@10 %.3f   recall@%d %.3f   MRR %.3f   failed %lld of %zu   (%lld ms)\n", r.ndcg_at_10, r.k,
            r.recall_at_k, r.mrr, (long long)r.failed, r.n, (long long)r.elapsed_ms);
    if (m.quality.present) {
        char at[RAG_TIME_BUFSZ];
        rag_time_format(m.quality.evaluated_at_ms, at);
        fprintf(out, "manifest   nDCG@10 %.3f at %s (gate %s)%s\n", m.quality.ndcg_at_10, at, m.quality.gate,
                figures_current(&m, &g, cfg) ? "" : " — measured with another golden file, mode or k");
    } else {
        fprintf(out, "manifest   no quality figures (the generation was published without a golden file)\n");
    }
    ranked_query *v = rag_xcalloc(r.n ? r.n : 1, sizeof *v);
    size_t nv = 0;
    for (size_t i = 0; i < r.n; i++)
        if (r.q[i].ndcg_at_10 < 1.0 - QUALITY_EPS)
            v[nv++] = (ranked_query){ i, r.q[i].ndcg_at_10 };
    qsort(v, nv, sizeof *v, cmp_ranked);
    if (nv) {
        fprintf(out, "queries below nDCG@10 1, worst first (first relevant rank; - = not retrieved):\n");
        for (size_t j = 0; j < nv; j++) {
            const eval_query *q = &r.q[v[j].i];
            char rank[16];
            if (q->first_rank)
                snprintf(rank, sizeof rank, "%d", q->first_rank);
            else
                snprintf(rank, sizeof rank, "-");
            fprintf(out, "  %-28s %.3f  %4s  %s%s\n", g.queries[v[j].i].id, q->ndcg_at_10, rank,
                    q->failed ? "FAILED  " : "", g.queries[v[j].i].query);
        }
    } else {
        fprintf(out, "every query has its relevant sources ranked ideally\n");
    }
    free(v);
    if (cfg->quality.min_ndcg > 0 && r.ndcg_at_10 < cfg->quality.min_ndcg - QUALITY_EPS) {
        fprintf(out, "BELOW quality.min_ndcg %.3f (exit %d)\n", cfg->quality.min_ndcg, RAG_EXIT_QUALITY);
        status = RAG_EXIT_QUALITY;
    } else {
        status = RAG_EXIT_OK;
    }
out:
    eval_result_free(&r);
    rag_manifest_free(&m);
    rag_golden_free(&g);
    free(mpath);
    free(idir);
    return status;
}
