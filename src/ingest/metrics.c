/* metrics.c — renders run_stats as one JSON line and appends it (see
 * metrics.h). Failed runs get a line too: "status": "failed" with the
 * reason, so a dashboard sees every attempt. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "rag/jsonlog.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"

cJSON *metrics_json(const run_stats *s)
{
    char ts[RAG_TIME_BUFSZ];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "schema_version", 1);
    cJSON_AddStringToObject(o, "run_id", s->run_id);
    cJSON_AddStringToObject(o, "status", s->status);
    rag_time_format(s->started_ms, ts);
    cJSON_AddStringToObject(o, "started_at", ts);
    rag_time_format(s->finished_ms, ts);
    cJSON_AddStringToObject(o, "finished_at", ts);
    cJSON_AddNumberToObject(o, "duration_ms", (double)(s->finished_ms - s->started_ms));
    cJSON_AddNumberToObject(o, "transcripts_seen", (double)s->seen);
    cJSON_AddNumberToObject(o, "transcripts_processed", (double)s->processed);
    cJSON_AddNumberToObject(o, "transcripts_unchanged", (double)s->unchanged);
    cJSON_AddNumberToObject(o, "transcripts_failed", (double)s->failed);
    cJSON *fbc = cJSON_AddObjectToObject(o, "failed_by_class");
    cJSON_AddNumberToObject(fbc, "content", (double)s->failed_content);
    cJSON_AddNumberToObject(fbc, "transient", (double)s->failed_transient);
    cJSON_AddNumberToObject(o, "transcripts_deleted", (double)s->deleted);
    cJSON_AddNumberToObject(o, "batches", (double)s->batches);
    cJSON_AddNumberToObject(o, "documents", (double)s->documents);
    cJSON_AddNumberToObject(o, "chunks", (double)s->chunks);
    cJSON_AddNumberToObject(o, "tokens", (double)s->tokens);
    cJSON_AddNumberToObject(o, "chunks_new", (double)s->chunks_new);
    cJSON_AddNumberToObject(o, "tokens_new", (double)s->tokens_new);
    cJSON_AddNumberToObject(o, "chunks_embedded", (double)s->chunks_embedded);
    cJSON_AddNumberToObject(o, "chunks_reused", (double)s->chunks_reused);
    cJSON_AddNumberToObject(o, "bytes_processed", (double)s->bytes_processed);
    cJSON_AddBoolToObject(o, "full", s->full);
    if (s->full_reason[0])
        cJSON_AddStringToObject(o, "full_reason", s->full_reason);
    cJSON *errs = cJSON_AddObjectToObject(o, "errors");
    cJSON_AddNumberToObject(errs, "count", (double)s->n_errors);
    cJSON *first = cJSON_AddArrayToObject(errs, "first");
    for (int i = 0; i < RUN_MAX_ERRORS && s->errors[i]; i++)
        cJSON_AddItemToArray(first, cJSON_CreateString(s->errors[i]));
    cJSON_AddNumberToObject(o, "file_warnings", (double)s->file_warnings);
    cJSON *warns = cJSON_AddArrayToObject(o, "warnings");
    for (int i = 0; i < RUN_MAX_ERRORS && s->warnings[i]; i++)
        cJSON_AddItemToArray(warns, cJSON_CreateString(s->warnings[i]));
    if (s->rollback) {
        cJSON_AddBoolToObject(o, "rollback", true);
        if (s->rollback_from[0])
            cJSON_AddStringToObject(o, "rollback_from", s->rollback_from);
    }
    if (s->failure[0])
        cJSON_AddStringToObject(o, "failure", s->failure);
    if (s->generation[0])
        cJSON_AddStringToObject(o, "generation", s->generation);
    else
        cJSON_AddNullToObject(o, "generation");
    cJSON_AddBoolToObject(o, "published", s->published);
    /* golden-query figures (docs/specs/quality.md): the candidate's, or the
     * served generation's when nothing new was judged; null when unknown */
    const char *fig[] = { "quality_ndcg_at_10", "quality_recall_at_k", "quality_mrr" };
    const double val[] = { s->quality.ndcg_at_10, s->quality.recall_at_k, s->quality.mrr };
    for (int i = 0; i < 3; i++) {
        if (s->quality.have)
            cJSON_AddNumberToObject(o, fig[i], val[i]);
        else
            cJSON_AddNullToObject(o, fig[i]);
    }
    if (s->quality.have)
        cJSON_AddNumberToObject(o, "quality_failed", (double)s->quality.failed);
    else
        cJSON_AddNullToObject(o, "quality_failed");
    cJSON_AddStringToObject(o, "quality_gate", s->quality.gate[0] ? s->quality.gate : "skipped");
    cJSON_AddStringToObject(o, "config_hash", s->config_hash);
    return o;
}

int metrics_append(const char *path, const run_stats *s, rag_error *err)
{
    char *dir = rag_dirname(path);
    rag_mkdir_p(dir, 0755, NULL);
    free(dir);
    cJSON *o = metrics_json(s);
    char *line = rag_json_print(o, false, NULL);
    cJSON_Delete(o);
    size_t n = strlen(line);
    line = rag_xrealloc(line, n + 2);
    line[n++] = '\n';
    line[n] = '\0';
    int rc = RAG_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, strerror(errno));
    } else {
        /* the whole line or nothing: a short write is truncated away */
        if (rag_append_whole(fd, line, n) != 0)
            rc = rag_error_set(err, RAG_ERR, "%s: cannot append (line not written): %s", path, strerror(errno));
        close(fd);
    }
    free(line);
    return rc;
}
