/* collect_runs.c — recent ingestion runs from ingestion_metrics.jsonl (one
 * JSON object per run). Reads only the file's tail, so a long history costs
 * nothing; malformed lines are skipped. Field names follow the metrics spec;
 * a few spellings are accepted so older lines still show. */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag/fsutil.h"
#include "rag/jsonlog.h"
#include "rag/timeutil.h"

/* The tail read for the newest runs: 256 KiB holds hundreds of metrics
 * lines; it grows (up to 16 MiB) only while fewer lines than it looks at
 * are complete in it, so one long line (another writer's) cannot hide the
 * runs before it. */
#define TAIL_BYTES (256 * 1024)
#define TAIL_BYTES_MAX (16 * 1024 * 1024)

void collect_runs_path(const rag_services *svcs, const rt_config_info *cfg, char out[PATH_MAX])
{
    out[0] = '\0';
    if (svcs) {
        for (size_t i = 0; i < svcs->count; i++) {
            if (svcs->items[i].metrics_file) {
                rt_fmt(out, PATH_MAX, "%s", svcs->items[i].metrics_file);
                return;
            }
        }
    }
    if (cfg && cfg->rc == RAG_OK && cfg->logs_dir[0])
        rt_fmt(out, PATH_MAX, "%s/ingestion_metrics.jsonl", cfg->logs_dir);
}

static const cJSON *field(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (!v && b) v = cJSON_GetObjectItemCaseSensitive(o, b);
    return v;
}

static int64_t num(const cJSON *v, int64_t dflt)
{
    if (cJSON_IsNumber(v)) return rag_clamp_i64(v->valuedouble, 0, RAG_EXACT_INT); /* a count */
    if (cJSON_IsArray(v)) return cJSON_GetArraySize(v);
    return dflt;
}

/* a quality figure, a fraction: clamped to [0, 1] (the console scales it
 * to whole numbers), -1 when it is not a number */
static double fraction(const cJSON *v)
{
    if (!cJSON_IsNumber(v)) return -1;
    return v->valuedouble < 0 ? 0 : v->valuedouble > 1 ? 1 : v->valuedouble;
}

static int64_t time_of(const cJSON *v)
{
    int64_t ms = 0;
    if (cJSON_IsString(v) && rag_time_parse(v->valuestring, &ms) == 0) return ms;
    if (cJSON_IsNumber(v)) return rag_clamp_i64(v->valuedouble, -RAG_EXACT_INT, RAG_EXACT_INT); /* ms */
    return 0;
}

static void str(char *dst, size_t n, const cJSON *v)
{
    dst[0] = '\0';
    if (cJSON_IsString(v)) rt_fmt(dst, n, "%s", v->valuestring);
}

bool collect_runs_parse_line(const char *line, size_t len, rt_run *r)
{
    memset(r, 0, sizeof *r);
    cJSON *o = rag_json_parse_showing_nul(line, len, NULL); /* a \u0000 in an error shown as ␀, not cut */
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return false;
    }
    str(r->run_id, sizeof r->run_id, field(o, "run_id", NULL));
    str(r->status, sizeof r->status, field(o, "status", NULL));
    if (!r->run_id[0] || !r->status[0]) {
        cJSON_Delete(o);
        return false;
    }
    /* rag-ingest writes published | unchanged | dry-run | failed */
    r->ok = strcmp(r->status, "failed") != 0 && strcmp(r->status, "error") != 0;
    r->started_ms = time_of(field(o, "started_at", "started"));
    const cJSON *d = field(o, "duration_ms", NULL);
    if (cJSON_IsNumber(d)) r->duration_ms = rag_clamp_i64(d->valuedouble, -RAG_EXACT_INT, RAG_EXACT_INT);
    else if (cJSON_IsNumber(d = field(o, "duration_s", "duration")))
        r->duration_ms = rag_clamp_i64(d->valuedouble * 1000.0, -RAG_EXACT_INT, RAG_EXACT_INT);
    else {
        int64_t fin = time_of(field(o, "finished_at", "finished"));
        if (fin && r->started_ms) r->duration_ms = fin - r->started_ms;
    }
    const cJSON *t = field(o, "transcripts", NULL);
    if (cJSON_IsObject(t)) r->files = num(field(t, "processed", NULL), 0);
    else r->files = num(field(o, "transcripts_processed", "files_processed"), 0);
    r->chunks = num(field(o, "chunks", "chunk_count"), 0);
    r->tokens = num(field(o, "tokens", NULL), 0);
    const cJSON *e = field(o, "errors", "error_count");
    const cJSON *msgs;
    if (cJSON_IsObject(e)) { /* {"count": n, "first": [...]} */
        r->errors = num(field(e, "count", NULL), 0);
        msgs = field(e, "first", NULL);
    } else {
        r->errors = num(e, 0);
        msgs = cJSON_IsArray(e) ? e : field(o, "error_messages", "first_errors");
    }
    if (cJSON_IsArray(msgs) && cJSON_GetArraySize(msgs) > 0) {
        const cJSON *m0 = cJSON_GetArrayItem(msgs, 0);
        if (cJSON_IsObject(m0)) m0 = field(m0, "message", "msg");
        str(r->first_error, sizeof r->first_error, m0);
    }
    const cJSON *fail = field(o, "failure", NULL);
    if (cJSON_IsString(fail) && fail->valuestring[0]) str(r->first_error, sizeof r->first_error, fail);
    const cJSON *g = field(o, "generation", "generation_published");
    str(r->generation, sizeof r->generation, g);
    r->rollback = cJSON_IsTrue(field(o, "rollback", NULL));
    str(r->rollback_from, sizeof r->rollback_from, field(o, "rollback_from", NULL));
    const cJSON *qn = field(o, "quality_ndcg_at_10", NULL);
    str(r->quality_gate, sizeof r->quality_gate, field(o, "quality_gate", NULL));
    if (cJSON_IsNumber(qn)) { /* absent in lines of older writers and runs that evaluated nothing */
        r->has_quality = true;
        r->quality_ndcg = fraction(qn);
        r->quality_recall = fraction(field(o, "quality_recall_at_k", NULL));
        r->quality_mrr = fraction(field(o, "quality_mrr", NULL));
        r->quality_failed = num(field(o, "quality_failed", NULL), -1);
    }
    cJSON_Delete(o);
    return true;
}

size_t collect_runs(const char *path, rt_run *runs, size_t max, char *error, size_t error_len)
{
    if (error_len) error[0] = '\0';
    if (!path || !*path || max == 0) return 0;
    rag_tail t;
    rag_error err = {0};
    /* 4x the runs wanted: room for malformed lines among them */
    const int rc = rag_tail_lines(path, max * 4, TAIL_BYTES, TAIL_BYTES_MAX, &t, &err);
    if (rc != RAG_OK) {
        if (rc != RAG_ENOENT && error_len) snprintf(error, error_len, "%s", err.msg);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < t.count; i++) {
        rt_run r;
        if (collect_runs_parse_line(t.lines[i].s, t.lines[i].len, &r)) {
            if (n == max) {
                memmove(runs, runs + 1, (max - 1) * sizeof *runs);
                n--;
            }
            runs[n++] = r;
        }
    }
    rag_tail_free(&t);
    return n;
}
