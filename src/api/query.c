/* query.c — retrieval for /query. BM25 comes from SQLite FTS5 with the
 * user's text reduced to quoted terms (sanitise.c), so no input can reach
 * FTS5 or SQL syntax; vectors are scored by brute force over the
 * generation's column-major array (only the query's non-zero dimensions are
 * visited), and "hybrid" fuses both full candidate lists with weighted
 * Reciprocal Rank Fusion. A request without a mode gets the configured
 * default (auto: bm25 over hashing vectors, hybrid over a real model's);
 * group "document" keeps the best chunk of each document. */
#include "query.h"
#include "vector_ann.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rag/jsonlog.h"
#include "rag/timeutil.h"

#include "bm25rank.h"
#include "sanitise.h"

/* ------------------------------------------------------------ fusion */

int api_hit_best_first(const void *a, const void *b)
{
    const api_hit *x = a, *y = b;
    if (x->score > y->score) return -1;
    if (x->score < y->score) return 1;
    return (x->rowid > y->rowid) - (x->rowid < y->rowid);
}

void api_sort_hits(api_hit *hits, size_t n)
{
    if (n > RAG_SORT_SMALL) {
        qsort(hits, n, sizeof *hits, api_hit_best_first);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        const api_hit h = hits[i];
        size_t j = i;
        for (; j > 0 && (hits[j - 1].score < h.score || (hits[j - 1].score == h.score && hits[j - 1].rowid > h.rowid));
             j--)
            hits[j] = hits[j - 1];
        hits[j] = h;
    }
}

/* Slot of rowid in an open-addressing table of `mask + 1` slots holding
 * 1 + an index into hits (0 = empty): its slot, or the empty one where it
 * would go. */
static size_t rowid_slot(const uint32_t *slots, size_t mask, const api_hit *hits, int64_t rowid)
{
    size_t i = (size_t)((uint64_t)rowid * 0x9E3779B97F4A7C15ull >> 32) & mask;
    while (slots[i] && hits[slots[i] - 1].rowid != rowid) i = (i + 1) & mask;
    return i;
}

size_t api_rrf_fuse(const api_hit *bm25, size_t n_bm25, const api_hit *vec, size_t n_vec, double vector_weight,
                    api_hit *out, size_t cap)
{
    size_t total = n_bm25 + n_vec;
    if (total == 0 || cap == 0) return 0;
    size_t n_slots = 16;
    while (n_slots < 2 * total) n_slots *= 2;
    uint32_t stack_slots[256];
    api_hit *all = malloc(total * sizeof *all);
    uint32_t *slots = n_slots <= 256 ? stack_slots : malloc(n_slots * sizeof *slots);
    if (!all || !slots) {
        free(all);
        if (slots != stack_slots) free(slots);
        return 0;
    }
    memset(slots, 0, n_slots * sizeof *slots);
    /* a chunk in both lists: one entry with both ranks and the summed score */
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        const bool from_bm25 = i < n_bm25;
        const api_hit *h = from_bm25 ? &bm25[i] : &vec[i - n_bm25];
        const int rank = (int)(from_bm25 ? i : i - n_bm25) + 1;
        const double score = (from_bm25 ? 1.0 : vector_weight) / (API_RRF_K + (double)rank);
        const size_t slot = rowid_slot(slots, n_slots - 1, all, h->rowid);
        if (slots[slot]) {
            api_hit *in = &all[slots[slot] - 1];
            in->score += score;
            if (from_bm25 && !in->bm25_rank) in->bm25_rank = rank;
            if (!from_bm25 && !in->vector_rank) in->vector_rank = rank;
            continue;
        }
        all[n] = (api_hit){.rowid = h->rowid, .doc_id = h->doc_id, .score = score,
                           .bm25_rank = from_bm25 ? rank : 0, .vector_rank = from_bm25 ? 0 : rank};
        slots[slot] = (uint32_t)++n;
    }
    api_sort_hits(all, n);
    size_t w = n < cap ? n : cap;
    memcpy(out, all, w * sizeof *out);
    free(all);
    if (slots != stack_slots) free(slots);
    return w;
}

size_t api_group_documents(api_hit *hits, size_t n, size_t k)
{
    size_t kept = 0;
    for (size_t i = 0; i < n && kept < k; i++) {
        size_t j = 0;
        while (j < kept && hits[j].doc_id != hits[i].doc_id) j++;
        if (j == kept) hits[kept++] = hits[i];
    }
    return kept;
}

api_mode api_mode_resolve(api_mode requested, api_mode configured, const char *provider)
{
    if (requested != API_MODE_AUTO) return requested;
    if (configured != API_MODE_AUTO) return configured;
    /* the hashing embedder's vectors lower hybrid's quality below bm25's
     * (docs/specs/query.md, bench/quality); a real embedding model's raise it */
    return provider && strcmp(provider, "hashing") == 0 ? API_MODE_BM25 : API_MODE_HYBRID;
}

api_mode api_default_mode(const rag_config *cfg)
{
    int m = api_mode_parse(cfg->api.default_mode, 1);
    return api_mode_resolve(API_MODE_AUTO, m < 0 ? API_MODE_AUTO : (api_mode)m, cfg->embedding.provider);
}

void api_query_req_settings(api_query_req *req, const rag_config *cfg)
{
    int m = api_mode_parse(cfg->api.default_mode, 1);
    req->default_mode = m < 0 ? API_MODE_AUTO : (api_mode)m;
    req->vector_weight = cfg->api.hybrid_vector_weight;
}

/* ------------------------------------------------------------ vectors */

/* Query vectors with at most this many non-zero components (the hashing
 * embedder's short queries) are scored in one fused pass over just those
 * columns; denser ones accumulate column by column into scratch. */
#define SPARSE_MAX 32

/* Segment k's rows scored against the query's non-zero components, the
 * better ones into top; tombstoned rows are skipped when they would enter it. */
static void scan_segment(const api_generation *g, size_t k, const float *query, float *scratch, api_top *top)
{
    const size_t n = g->exact_n[k], stride = g->exact_stride[k];
    const float *base = g->exact_cols[k];
    const int64_t *rowids = g->exact_rowids[k];
    const float *cols[SPARSE_MAX];
    float qv[SPARSE_MAX];
    int nnz = 0;
    for (int j = 0; j < g->dims && nnz <= SPARSE_MAX; j++) {
        if (query[j] == 0.0f) continue;
        if (nnz < SPARSE_MAX) {
            cols[nnz] = base + (size_t)j * stride;
            qv[nnz] = query[j];
        }
        nnz++;
    }
    if (nnz <= SPARSE_MAX) {
        for (size_t i = 0; i < n; i++) {
            float sc = 0.0f;
            for (int t = 0; t < nnz; t++) sc += qv[t] * cols[t][i];
            /* orthogonal or opposite chunks are not "similar" at all */
            if (sc > 0.0f && api_top_may_keep(top, sc) && !api_generation_is_dead(g, rowids[i]))
                api_top_offer(top, rowids[i], sc);
        }
        return;
    }
    memset(scratch, 0, n * sizeof *scratch);
    for (int j = 0; j < g->dims; j++) {
        const float q = query[j];
        if (q == 0.0f) continue;
        const float *restrict col = base + (size_t)j * stride;
        float *restrict sp = scratch;
        for (size_t i = 0; i < n; i++) sp[i] += q * col[i];
    }
    for (size_t i = 0; i < n; i++)
        if (scratch[i] > 0.0f && api_top_may_keep(top, scratch[i]) && !api_generation_is_dead(g, rowids[i]))
            api_top_offer(top, rowids[i], scratch[i]);
}

size_t api_vector_topn(const api_generation *g, const float *query, float *scratch, api_hit *out, size_t n_top)
{
    if (g->n_exact == 0 || n_top == 0) return 0;
    bool any = false;
    for (int j = 0; j < g->dims && !any; j++) any = query[j] != 0.0f;
    if (!any) return 0; /* nothing to compare: no vector results */
    api_top top = {.hit = rag_xmalloc(n_top * sizeof *top.hit), .cap = n_top};
    for (size_t k = 0; k < g->gs.n; k++)
        if (g->exact_cols[k]) scan_segment(g, k, query, scratch, &top);
    api_top_sort(&top);
    for (size_t i = 0; i < top.n; i++)
        out[i] = (api_hit){.rowid = top.hit[i].rowid, .score = top.hit[i].score, .vector_rank = (int)i + 1};
    const size_t n = top.n;
    free(top.hit);
    return n;
}

/* ------------------------------------------------------------ bm25 */

/* RAG_ECORRUPT when the lease's last SQLite error means the generation's
 * file is damaged or unreadable (so /healthz's generation check fails at
 * once), RAG_ERR for anything else. */
static int storage_code(sqlite3 *db)
{
    switch (sqlite3_errcode(db) & 0xff) {
    case SQLITE_CORRUPT: case SQLITE_IOERR: case SQLITE_NOTADB: case SQLITE_CANTOPEN: case SQLITE_FORMAT:
        return RAG_ECORRUPT;
    default:
        return RAG_ERR;
    }
}

static bool seen_before(const int64_t *seen, size_t n_seen, int64_t rowid)
{
    return rag_find_sorted_i64(seen, n_seen, rowid) >= 0;
}

/* Run one MATCH expression ranked by rag_bm25 with args on every segment
 * (each gives its best n_top live rows), and keep the n_top best of all by
 * score (ties: smaller rowid first) — the rows one file holding the same
 * chunks would give, since the scores use the generation's global N, df and
 * avgdl. Rows not yet in out (its first `have`, whose rowids are sorted in
 * seen) are appended. Returns the new count or -1. */
static int run_match(api_generation *g, api_lease *l, const char *expr, const api_bm25_args *args, api_hit *out,
                     size_t have, const int64_t *seen, size_t n_top, rag_error *err)
{
    const size_t n_seg = g->gs.n;
    api_hit *cand = n_seg > 1 ? calloc(n_top * n_seg, sizeof *cand) : NULL;
    if (n_seg > 1 && !cand) return rag_error_set(err, RAG_ERR, "out of memory"), -1;
    api_bm25_top top = {.args = args, .top = {.cap = n_top, .hit = malloc(n_top * sizeof(api_scored))}};
    if (!top.top.hit) {
        free(cand);
        return rag_error_set(err, RAG_ERR, "out of memory"), -1;
    }
    size_t nc = 0;
    int rc = SQLITE_DONE;
    for (size_t k = 0; k < n_seg && rc == SQLITE_DONE; k++) {
        sqlite3_stmt *st = l->bm25[k];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
        sqlite3_bind_pointer(st, 2, &top, API_BM25_TOP_PTR, NULL);
        top.top.n = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
        if (rc != SQLITE_DONE)
            rag_error_set(err, storage_code(l->db), "full-text search failed: %s", sqlite3_errmsg(l->db));
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        api_top_sort(&top.top); /* the segment's best n_top, best first */
        for (size_t i = 0; i < top.top.n && rc == SQLITE_DONE; i++) {
            const api_hit h = {.rowid = top.top.hit[i].rowid, .score = top.top.hit[i].score};
            if (cand) cand[nc++] = h;
            else if (!seen_before(seen, have, h.rowid) && have + nc < n_top) out[have + nc++] = h;
        }
    }
    free(top.top.hit);
    size_t n = have;
    if (rc != SQLITE_DONE) {
        free(cand);
        return -1;
    }
    if (!cand) {
        n = have + nc;
    } else {
        /* the n_top best of all segments, then the ones not seen yet */
        api_sort_hits(cand, nc);
        for (size_t i = 0; i < nc && i < n_top && n < n_top; i++)
            if (!seen_before(seen, have, cand[i].rowid)) out[n++] = cand[i];
        free(cand);
    }
    for (size_t i = have; i < n; i++) {
        out[i].bm25_rank = (int)i + 1;
        out[i].vector_rank = 0;
    }
    return (int)n;
}

/* Each term's number of chunks (cached per generation) and idf; *absent
 * when some term is in no chunk. */
static int term_stats(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, int64_t *df, double *idf,
                      bool *absent, rag_error *err)
{
    *absent = false;
    for (size_t i = 0; i < nt; i++) {
        df[i] = api_generation_df(g, l, terms[i]);
        if (df[i] < 0)
            return rag_error_set(err, storage_code(l->db), "full-text search failed: %s", sqlite3_errmsg(l->db)), -1;
        idf[i] = api_bm25_idf(g->chunk_count, df[i]);
        if (df[i] == 0) *absent = true;
    }
    return 0;
}

/* Pass 2 searches only the terms found in at most this many chunks. */
static int64_t common_limit(const api_generation *g)
{
    int64_t limit = g->chunk_count / 50;
    return limit < API_BM25_COMMON_MIN ? API_BM25_COMMON_MIN : limit;
}

/* Step statement st (a rag_bm25_rows one: rows, rows_first or rows_at)
 * with expression expr, and ?3 = arg3 when it has a ?3, until done,
 * appending its rows to r. SQLITE_DONE or the error. */
static int collect_rows(sqlite3_stmt *st, const char *expr, api_bm25_rows *r, int64_t arg3)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_pointer(st, 2, r, API_BM25_ROWS_PTR, NULL);
    if (sqlite3_bind_parameter_count(st) >= 3) sqlite3_bind_int64(st, 3, arg3);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* The rows holding every term, scored, from rows_rare (the AND of the
 * terms at rare_at, in that order; a few rows): each
 * is looked up by rowid in the AND of the other terms (probe_at). Fills
 * out like run_match; returns the count or -1. */
static int probe_rows(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, const double *idf,
                      const api_bm25_rows *rows_rare, const size_t *rare_at, size_t nr, const size_t *probe_at,
                      api_hit *out, size_t n_top, rag_error *err)
{
    api_fts_term probe[API_FTS_MAX_TERMS];
    const size_t np = nt - nr;
    for (size_t i = 0; i < np; i++) memcpy(probe[i], terms[probe_at[i]], sizeof probe[0]);
    char expr[API_FTS_MAX_TERMS * (API_FTS_MAX_TERM_BYTES + 6) + 1];
    api_fts_join(probe, np, " ", expr, sizeof expr);
    api_bm25_rows found = {.args = rows_rare->args, .n_phrase = (int)np};
    api_top top = {.hit = malloc((n_top ? n_top : 1) * sizeof *top.hit), .cap = n_top};
    int rc = top.hit ? SQLITE_DONE : SQLITE_NOMEM;
    for (size_t row = 0; row < rows_rare->n && rc == SQLITE_DONE; row++) {
        const int64_t rowid = rows_rare->rowid[row];
        const size_t before = found.n;
        rc = collect_rows(l->rows_at[api_generation_segment_of(g, rowid)], expr, &found, rowid);
        if (rc != SQLITE_DONE || found.n == before) continue; /* lacks one of the probed terms */
        int freq[API_FTS_MAX_TERMS];
        for (size_t i = 0; i < nr; i++) freq[rare_at[i]] = rows_rare->freq[row * nr + i];
        for (size_t i = 0; i < np; i++) freq[probe_at[i]] = found.freq[before * np + i];
        api_top_offer(&top, rowid, api_bm25_score(idf, freq, (int)nt, rows_rare->len[row], g->avg_length));
    }
    int n = -1;
    if (rc == SQLITE_NOMEM) rag_error_set(err, RAG_ERR, "out of memory");
    else if (rc != SQLITE_DONE) rag_error_set(err, storage_code(l->db), "full-text search failed: %s", sqlite3_errmsg(l->db));
    else {
        api_top_sort(&top);
        for (size_t i = 0; i < top.n; i++)
            out[i] = (api_hit){.rowid = top.hit[i].rowid, .score = top.hit[i].score, .bm25_rank = (int)i + 1};
        n = (int)top.n;
    }
    free(top.hit);
    api_bm25_rows_free(&found);
    return n;
}

/* Pass 1 (every term) for a query mixing common terms with rarer ones,
 * without walking the common terms' posting lists: FTS5 intersects an AND
 * by stepping through every list, so "verbrimi ka" (6k and 895k chunks of
 * 1M) cost 12 ms against 0.6 ms for "verbrimi" alone. Here the AND of the
 * rarer terms is collected first, stopping past the rows worth looking up
 * (the other terms' list entries / (API_BM25_PROBE_ENTRIES x their
 * number), at most API_BM25_PROBE_MAX); when it has no more, each of its
 * rows is looked up by rowid in the AND of the other terms (FTS5 seeks in
 * each list: 60-160 us a term at 1M chunks, the time to step over ~8k
 * entries) and the rows
 * holding every term are scored with all term counts in the query's order:
 * the same rows, scores and order as run_match on the whole AND. The rarer
 * terms are first those in at most common_limit chunks; while their AND
 * has too many rows, the next term by count joins them. Returns the count,
 * -1 on error, or -2 when the shortcut does not apply (one term, every
 * term common, or too many rows however split): the caller runs the whole AND. */
static int pass1_probing(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, const int64_t *df,
                         const double *idf, api_hit *out, size_t n_top, rag_error *err)
{
    size_t by_df[API_FTS_MAX_TERMS], nr = 0; /* term positions, fewest chunks first */
    for (size_t i = 0; i < nt; i++) {
        size_t at = i;
        while (at > 0 && df[by_df[at - 1]] > df[i]) {
            by_df[at] = by_df[at - 1];
            at--;
        }
        by_df[at] = i;
    }
    const int64_t limit = common_limit(g);
    while (nr < nt && df[by_df[nr]] <= limit) nr++;
    api_bm25_args args = {.rowids = g->rowids, .lengths = g->lengths, .n = g->n, .avg_length = g->avg_length};
    for (; nr > 0 && nr < nt; nr++) {
        /* looking rows up pays while it costs less than stepping through
         * the other terms' lists (a row's lookup seeks in each): at most
         * their entries / (API_BM25_PROBE_ENTRIES x their number) rows */
        int64_t entries = 0;
        for (size_t i = nr; i < nt; i++) entries += df[by_df[i]];
        const int64_t per_lookup = g->bm25_probe_entries > 0 ? g->bm25_probe_entries : API_BM25_PROBE_ENTRIES;
        int64_t most = entries / (per_lookup * (int64_t)(nt - nr));
        if (most < 1) break;
        if (most > API_BM25_PROBE_MAX) most = API_BM25_PROBE_MAX;
        size_t rare_at[API_FTS_MAX_TERMS], probe_at[API_FTS_MAX_TERMS], np = 0;
        api_fts_term rare[API_FTS_MAX_TERMS];
        for (size_t i = 0; i < nr; i++) {
            rare_at[i] = by_df[i];
            memcpy(rare[i], terms[by_df[i]], sizeof rare[0]);
        }
        for (size_t i = nr; i < nt; i++) probe_at[np++] = by_df[i];
        char expr[API_FTS_MAX_TERMS * (API_FTS_MAX_TERM_BYTES + 6) + 1];
        api_fts_join(rare, nr, " ", expr, sizeof expr);
        api_bm25_rows rows = {.args = &args, .n_phrase = (int)nr};
        int rc = SQLITE_DONE;
        for (size_t k = 0; k < g->gs.n && rc == SQLITE_DONE && rows.n <= (size_t)most; k++)
            rc = collect_rows(l->rows_first[k], expr, &rows, most + 1);
        int n = -2;
        if (rc != SQLITE_DONE) {
            rag_error_set(err, storage_code(l->db), "full-text search failed: %s", sqlite3_errmsg(l->db));
            n = -1;
        } else if (rows.n <= (size_t)most)
            n = probe_rows(g, l, terms, nt, idf, &rows, rare_at, nr, probe_at, out, n_top, err);
        api_bm25_rows_free(&rows);
        if (n != -2) return n;
    }
    return -2;
}

int api_bm25_topn_passes(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, size_t want,
                         api_hit *out, size_t n_top, rag_error *err)
{
    int64_t df[API_FTS_MAX_TERMS];
    double idf[API_FTS_MAX_TERMS];
    bool absent; /* a term no chunk contains: pass 1 cannot match */
    if (term_stats(g, l, terms, nt, df, idf, &absent, err) < 0) return -1;
    api_bm25_args args = {.idf = idf, .n_idf = (int)nt, .rowids = g->rowids, .lengths = g->lengths,
                          .n = g->n, .avg_length = g->avg_length};
    char expr[API_FTS_MAX_TERMS * (API_FTS_MAX_TERM_BYTES + 6) + 1];
    /* Pass 1: chunks with every term (FTS5's implicit AND), by BM25. */
    int n = 0;
    if (!absent) {
        n = pass1_probing(g, l, terms, nt, df, idf, out, n_top, err);
        if (n == -2) {
            api_fts_join(terms, nt, " ", expr, sizeof expr);
            n = run_match(g, l, expr, &args, out, 0, NULL, n_top, err);
        }
    }
    if (n < 0 || (size_t)n >= want || (size_t)n >= n_top) return n;
    /* Pass 2: chunks with any distinctive term. Terms found in a large share
     * of the chunks carry almost no BM25 weight but cost a score per chunk,
     * so they are left out of this pass (pass 1 still required them). */
    const int64_t limit = common_limit(g);
    api_fts_term keep[API_FTS_MAX_TERMS];
    double keep_idf[API_FTS_MAX_TERMS];
    size_t nk = 0;
    for (size_t i = 0; i < nt; i++)
        if (df[i] > 0 && df[i] <= limit) {
            memcpy(keep[nk], terms[i], sizeof keep[0]);
            keep_idf[nk++] = idf[i];
        }
    if (nk == 0 || (nk == nt && nt == 1 && n > 0)) return n;
    args.idf = keep_idf;
    args.n_idf = (int)nk;
    api_fts_join(keep, nk, " OR ", expr, sizeof expr);
    int64_t *seen = n > 0 ? calloc((size_t)n, sizeof *seen) : NULL;
    if (n > 0 && !seen) return rag_error_set(err, RAG_ERR, "out of memory"), -1;
    for (int i = 0; i < n; i++) seen[i] = out[i].rowid;
    rag_sort_i64(seen, (size_t)n);
    n = run_match(g, l, expr, &args, out, (size_t)n, seen, n_top, err);
    free(seen);
    return n;
}

/* The best n_top of the collected rows that `take` accepts, scored over the
 * terms `use` marks, appended to out[have..] skipping rows already there
 * (seen, sorted) as run_match does. */
static size_t rank_rows(const api_bm25_rows *r, const double *idf, const bool *use, bool all_terms,
                        double avg_length, api_hit *out, size_t have, const int64_t *seen, size_t n_top,
                        api_hit *scratch)
{
    const int np = r->n_phrase;
    size_t m = 0;
    for (size_t row = 0; row < r->n; row++) {
        const int *f = &r->freq[row * (size_t)np];
        int fq[API_FTS_MAX_TERMS];
        double id[API_FTS_MAX_TERMS];
        int nu = 0;
        bool any = false, every = true;
        for (int i = 0; i < np; i++) {
            if (!use[i]) continue;
            fq[nu] = f[i];
            id[nu++] = idf[i];
            any |= f[i] > 0;
            every &= f[i] > 0;
        }
        if (all_terms ? !every : !any) continue;
        scratch[m++] = (api_hit){.rowid = r->rowid[row], .score = api_bm25_score(id, fq, nu, r->len[row], avg_length)};
    }
    api_sort_hits(scratch, m);
    size_t n = have;
    for (size_t i = 0; i < m && i < n_top && n < n_top; i++) { /* the statement's LIMIT n_top, then the skips */
        if (seen_before(seen, have, scratch[i].rowid)) continue;
        out[n] = scratch[i];
        out[n].bm25_rank = (int)n + 1;
        n++;
    }
    return n;
}

int api_bm25_topn_one_statement(api_generation *g, api_lease *l, const api_fts_term *terms, size_t nt, size_t want,
                                api_hit *out, size_t n_top, rag_error *err)
{
    char expr[API_FTS_MAX_TERMS * (API_FTS_MAX_TERM_BYTES + 6) + 1];
    api_fts_join(terms, nt, " OR ", expr, sizeof expr);
    api_bm25_args args = {.rowids = g->rowids, .lengths = g->lengths, .n = g->n, .avg_length = g->avg_length};
    api_bm25_rows r = {.args = &args, .n_phrase = (int)nt};
    int rc = SQLITE_DONE;
    for (size_t k = 0; k < g->gs.n && rc == SQLITE_DONE; k++) /* the live matches of every segment */
        rc = collect_rows(l->rows[k], expr, &r, 0);
    if (rc != SQLITE_DONE) {
        api_bm25_rows_free(&r);
        return rag_error_set(err, storage_code(l->db), "full-text search failed: %s", sqlite3_errmsg(l->db)), -1;
    }
    /* every chunk holding a term matches the OR: its df is exact here */
    int64_t df[API_FTS_MAX_TERMS] = {0};
    double idf[API_FTS_MAX_TERMS];
    for (size_t row = 0; row < r.n; row++)
        for (size_t i = 0; i < nt; i++) df[i] += r.freq[row * nt + i] > 0;
    bool all[API_FTS_MAX_TERMS], keep[API_FTS_MAX_TERMS];
    bool absent = false;
    size_t nk = 0;
    const int64_t limit = common_limit(g);
    for (size_t i = 0; i < nt; i++) {
        idf[i] = api_bm25_idf(g->chunk_count, df[i]);
        absent |= df[i] == 0;
        all[i] = true;
        keep[i] = df[i] > 0 && df[i] <= limit;
        nk += keep[i];
    }
    api_hit *scratch = malloc((r.n ? r.n : 1) * sizeof *scratch);
    if (!scratch) {
        api_bm25_rows_free(&r);
        return rag_error_set(err, RAG_ERR, "out of memory"), -1;
    }
    /* the two passes of api_bm25_topn_passes, on the rows in memory */
    size_t n = absent ? 0 : rank_rows(&r, idf, all, true, g->avg_length, out, 0, NULL, n_top, scratch);
    if (n < want && n < n_top && nk > 0 && !(nk == nt && nt == 1 && n > 0)) {
        int64_t *seen = n > 0 ? malloc(n * sizeof *seen) : NULL;
        if (n > 0 && !seen) {
            free(scratch);
            api_bm25_rows_free(&r);
            return rag_error_set(err, RAG_ERR, "out of memory"), -1;
        }
        for (size_t i = 0; i < n; i++) seen[i] = out[i].rowid;
        rag_sort_i64(seen, n);
        n = rank_rows(&r, idf, keep, false, g->avg_length, out, n, seen, n_top, scratch);
        free(seen);
    }
    free(scratch);
    api_bm25_rows_free(&r);
    return (int)n;
}

int api_bm25_topn(api_generation *g, api_lease *l, const char *text, size_t want, api_hit *out, size_t n_top,
                  rag_error *err)
{
    api_fts_term terms[API_FTS_MAX_TERMS];
    size_t nt = api_fts_terms(text, strlen(text), terms, API_FTS_MAX_TERMS);
    if (nt == 0 || n_top == 0) return 0;
    if (g->chunk_count <= API_BM25_ONE_STATEMENT_MAX)
        return api_bm25_topn_one_statement(g, l, terms, nt, want, out, n_top, err);
    return api_bm25_topn_passes(g, l, terms, nt, want, out, n_top, err);
}

/* ------------------------------------------------------------ response */

/* Column col of st as a string (or null). Text taken from a file's name or
 * header (source, title, speaker: any_bytes) may hold any bytes, and every
 * response is valid UTF-8, so each invalid byte becomes U+FFFD (as in the
 * logs); the chunk text was checked at ingest and costs no second scan. */
static void add_text_or_null(cJSON *obj, const char *key, sqlite3_stmt *st, int col, bool any_bytes)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    const char *s = (const char *)sqlite3_column_text(st, col);
    const size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!any_bytes || rag_utf8_invalid_at(s, n) == n) {
        cJSON_AddStringToObject(obj, key, s);
        return;
    }
    char *clean = rag_utf8_sanitize(s, n, NULL);
    cJSON_AddStringToObject(obj, key, clean);
    free(clean);
}

static void add_int_or_null(cJSON *obj, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) cJSON_AddNullToObject(obj, key);
    else cJSON_AddNumberToObject(obj, key, (double)sqlite3_column_int64(st, col));
}

static int add_result(cJSON *arr, api_generation *g, api_lease *l, const api_hit *h, int rank, rag_error *err)
{
    sqlite3_stmt *st = l->fetch[api_generation_segment_of(g, h->rowid)];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, h->rowid);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rag_error_set(err, rc == SQLITE_DONE ? RAG_ECORRUPT : storage_code(l->db), "chunk %lld: %s", (long long)h->rowid,
                      rc == SQLITE_DONE ? "missing from chunks table" : sqlite3_errmsg(l->db));
        sqlite3_reset(st);
        return -1;
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "rank", rank);
    cJSON_AddNumberToObject(r, "score", h->score);
    add_text_or_null(r, "chunk_id", st, 0, false);
    add_text_or_null(r, "source", st, 5, true);
    add_text_or_null(r, "title", st, 6, true);
    add_int_or_null(r, "start_ms", st, 2);
    add_int_or_null(r, "end_ms", st, 3);
    add_text_or_null(r, "speaker", st, 4, true);
    add_text_or_null(r, "text", st, 1, false);
    if (h->bm25_rank) cJSON_AddNumberToObject(r, "bm25_rank", h->bm25_rank);
    else cJSON_AddNullToObject(r, "bm25_rank");
    if (h->vector_rank) cJSON_AddNumberToObject(r, "vector_rank", h->vector_rank);
    else cJSON_AddNullToObject(r, "vector_rank");
    cJSON_AddItemToArray(arr, r);
    sqlite3_reset(st);
    return 0;
}

/* The n_top best chunks by vector similarity to req's query (embedded
 * before ranking, or now) into vec, *n_vec of them. */
static int vector_list(api_generation *g, api_lease *l, const api_query_req *req, size_t n_top, api_hit *vec,
                       size_t *n_vec, rag_error *err)
{
    const float *qvec = req->qvec; /* embedded before ranking, or now: */
    if (!qvec) {
        const char *texts[1] = {req->q};
        rag_error eerr = {0};
        if (rag_embedder_embed(g->embedder, texts, 1, l->qvec, &eerr) != RAG_OK)
            return rag_error_set(err, RAG_ERR, "embedding the query failed: %s", eerr.msg);
        qvec = l->qvec;
    }
    if (g->n_ann) { /* segments with an approximate index (vector_ann.h); exact scan otherwise */
        int nv = api_vector_ann_topn(g, l, qvec, vec, n_top, err);
        if (nv < 0) return err->code ? err->code : RAG_ERR;
        *n_vec = (size_t)nv;
    } else {
        *n_vec = api_vector_topn(g, qvec, l->scores, vec, n_top);
    }
    return RAG_OK;
}

/* One ranking of req in mode with n_top candidates per list into *fused
 * (2 * n_top); sets *full when a list filled n_top (more may exist). */
static int rank_once(api_generation *g, api_lease *l, const api_query_req *req, api_mode mode, size_t n_top,
                     api_hit *fused, size_t *n_out, bool *full, rag_error *err)
{
    api_hit *bm = calloc(n_top, sizeof *bm), *vec = calloc(n_top, sizeof *vec);
    int rc = RAG_ERR;
    size_t n_bm = 0, n_vec = 0;
    if (!bm || !vec) {
        rag_error_set(err, RAG_ERR, "out of memory");
        goto out;
    }
    if (mode != API_MODE_VECTOR) {
        /* bm25 returning chunks needs k; fusion and grouping want full lists */
        size_t want = mode == API_MODE_BM25 && req->group == API_GROUP_CHUNK ? (size_t)req->k : n_top;
        int n = api_bm25_topn(g, l, req->q, want, bm, n_top, err);
        if (n < 0) goto out;
        n_bm = (size_t)n;
    }
    if (mode != API_MODE_BM25) {
        if (req->vec_hits && req->vec_top == n_top) { /* computed ahead (api_query_vector_ahead) */
            n_vec = req->n_vec_hits;
            memcpy(vec, req->vec_hits, n_vec * sizeof *vec);
        } else if (vector_list(g, l, req, n_top, vec, &n_vec, err) != RAG_OK) {
            goto out;
        }
    }
    *full = n_bm >= n_top || n_vec >= n_top;
    if (mode == API_MODE_HYBRID) {
        double w = req->vector_weight > 0 ? req->vector_weight : API_VECTOR_WEIGHT_DEFAULT;
        *n_out = api_rrf_fuse(bm, n_bm, vec, n_vec, w, fused, 2 * n_top);
    } else if (mode == API_MODE_BM25) {
        memcpy(fused, bm, n_bm * sizeof *bm);
        *n_out = n_bm;
    } else {
        memcpy(fused, vec, n_vec * sizeof *vec);
        *n_out = n_vec;
    }
    rc = RAG_OK;
out:
    free(bm);
    free(vec);
    return rc;
}

/* Candidates per list in a ranking's first round: at least k. */
static size_t first_round_depth(const api_query_req *req)
{
    return (size_t)req->k > API_CANDIDATES ? (size_t)req->k : API_CANDIDATES;
}

int api_query_vector_ahead(api_generation *g, int lease, api_query_req *req, rag_error *err)
{
    if (api_mode_resolve(req->mode, req->default_mode, g->provider) != API_MODE_HYBRID || !req->qvec) return RAG_OK;
    const size_t n_top = first_round_depth(req);
    api_hit *vec = calloc(n_top, sizeof *vec);
    size_t n_vec = 0;
    if (!vec) return rag_error_set(err, RAG_ERR, "out of memory");
    if (vector_list(g, &g->leases[lease % g->n_leases], req, n_top, vec, &n_vec, err) != RAG_OK) {
        free(vec);
        return err->code;
    }
    free(req->vec_hits);
    req->vec_hits = vec;
    req->n_vec_hits = n_vec;
    req->vec_top = n_top;
    return RAG_OK;
}

int api_query_rank(api_generation *g, int lease, const api_query_req *req, api_hit **hits, size_t *n,
                   api_mode *mode_out, rag_error *err)
{
    api_lease *l = &g->leases[lease % g->n_leases];
    const api_mode mode = api_mode_resolve(req->mode, req->default_mode, g->provider);
    size_t n_top = first_round_depth(req);
    api_hit *fused = NULL;
    size_t n_out = 0;
    *hits = NULL;
    *n = 0;
    if (mode_out) *mode_out = mode;
    for (;;) {
        free(fused);
        fused = calloc(2 * n_top, sizeof *fused);
        bool full = false;
        if (!fused) return rag_error_set(err, RAG_ERR, "out of memory");
        if (rank_once(g, l, req, mode, n_top, fused, &n_out, &full, err) != RAG_OK) {
            free(fused);
            return err->code ? err->code : RAG_ERR;
        }
        if (req->group != API_GROUP_DOCUMENT) break;
        for (size_t i = 0; i < n_out; i++) fused[i].doc_id = api_generation_doc_of(g, fused[i].rowid);
        n_out = api_group_documents(fused, n_out, (size_t)req->k);
        /* fewer than k documents among the candidates: ask for more, until
         * no list was cut short (every match seen) */
        if (n_out >= (size_t)req->k || !full || n_top >= g->n) break;
        n_top = n_top * 4 < g->n ? n_top * 4 : g->n;
    }
    if (n_out > (size_t)req->k) n_out = (size_t)req->k;
    *hits = fused;
    *n = n_out;
    return RAG_OK;
}

int api_chunk_source(api_generation *g, int lease, int64_t rowid, char **source, rag_error *err)
{
    api_lease *l = &g->leases[lease % g->n_leases];
    sqlite3_stmt *st = l->fetch[api_generation_segment_of(g, rowid)];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, rowid);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rag_error_set(err, rc == SQLITE_DONE ? RAG_ECORRUPT : storage_code(l->db), "chunk %lld: %s", (long long)rowid,
                      rc == SQLITE_DONE ? "missing from chunks table" : sqlite3_errmsg(l->db));
        sqlite3_reset(st);
        return err->code;
    }
    const unsigned char *src = sqlite3_column_text(st, 5);
    *source = rag_xstrdup(src ? (const char *)src : "");
    sqlite3_reset(st);
    return RAG_OK;
}

int api_query_run(api_generation *g, int lease, const api_query_req *req, const char *run_id,
                  int64_t started_us, char **body, rag_error *err)
{
    api_lease *l = &g->leases[lease % g->n_leases];
    api_mode mode;
    api_hit *fused = NULL;
    size_t n_out = 0;
    int rc = api_query_rank(g, lease, req, &fused, &n_out, &mode, err);
    cJSON *root = NULL;
    if (rc != RAG_OK) return rc;
    rc = RAG_ERR;

    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "query", req->q);
    cJSON_AddStringToObject(root, "mode", api_mode_name(mode));
    cJSON_AddStringToObject(root, "group", api_group_name(req->group));
    cJSON_AddNumberToObject(root, "k", req->k);
    cJSON *gen = cJSON_AddObjectToObject(root, "generation");
    cJSON_AddStringToObject(gen, "run_id", run_id ? run_id : "");
    cJSON_AddStringToObject(gen, "generation", g->generation);
    cJSON_AddStringToObject(gen, "config_hash", g->config_hash);
    cJSON *arr = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; i < n_out; i++)
        if (add_result(arr, g, l, &fused[i], (int)i + 1, err)) goto out;
    cJSON_AddNumberToObject(root, "count", (double)n_out);
    cJSON_AddNumberToObject(root, "took_ms", (double)(rag_mono_us() - started_us) / 1000.0);
    *body = cJSON_PrintUnformatted(root);
    rc = *body ? RAG_OK : rag_error_set(err, RAG_ERR, "out of memory");
out:
    cJSON_Delete(root);
    free(fused);
    return rc;
}
