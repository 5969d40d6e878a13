/* metrics.c — renders run_stats as one JSON line and appends it (see
 * metrics.h). Failed runs get a line too: "status": "failed" with the
 * reason, so a dashboard sees every attempt. The line has a fixed upper
 * size (its free texts are cut) and room for it is reserved past the
 * file's end when the run starts and again after each line, so a disk that
 * fills during a run cannot keep its "failed" line out: a monitor would
 * otherwise go on showing the run before. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "rag/jsonlog.h"
#include "rag/fsutil.h"
#include "rag/timeutil.h"

/* Bytes the character at p (n bytes left; *seq gets its length) takes
 * inside a JSON string as rag_json_print writes it: cJSON's escapes, and
 * U+FFFD for a byte that is not valid UTF-8. */
static size_t json_cost(const char *p, size_t n, size_t *seq)
{
    const unsigned char c = (unsigned char)*p;
    size_t k = rag_utf8_seq((const unsigned char *)p, n);
    *seq = k ? k : 1;
    if (k == 0) return 3;
    if (k > 1) return k;
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') return 2;
    return c < 0x20 ? 6 : 1;
}

/* s as a JSON string of at most budget bytes as written: whole when it
 * fits, else cut at a character boundary and ended with "…". */
static cJSON *bounded_string(const char *s, size_t budget)
{
    static const char mark[] = "\xE2\x80\xA6"; /* … */
    const size_t n = strlen(s);
    size_t used = 0, i = 0, cut = 0, seq;
    while (i < n) {
        size_t c = json_cost(s + i, n - i, &seq);
        if (used + c > budget) break;
        used += c;
        i += seq;
        if (used + sizeof mark - 1 <= budget) cut = i; /* the longest prefix that leaves room for the mark */
    }
    if (i == n) return cJSON_CreateString(s);
    char *t = rag_xasprintf("%.*s%s", (int)cut, s, mark);
    cJSON *o = cJSON_CreateString(t);
    free(t);
    return o;
}

static void add_bounded(cJSON *o, const char *key, const char *s, size_t budget)
{
    cJSON_AddItemToObject(o, key, bounded_string(s, budget));
}

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
        add_bounded(o, "full_reason", s->full_reason, 256);
    cJSON *errs = cJSON_AddObjectToObject(o, "errors");
    cJSON_AddNumberToObject(errs, "count", (double)s->n_errors);
    cJSON *first = cJSON_AddArrayToObject(errs, "first");
    for (int i = 0; i < RUN_MAX_ERRORS && s->errors[i]; i++)
        cJSON_AddItemToArray(first, bounded_string(s->errors[i], METRICS_MESSAGE_MAX));
    cJSON_AddNumberToObject(o, "file_warnings", (double)s->file_warnings);
    cJSON *warns = cJSON_AddArrayToObject(o, "warnings");
    for (int i = 0; i < RUN_MAX_ERRORS && s->warnings[i]; i++)
        cJSON_AddItemToArray(warns, bounded_string(s->warnings[i], METRICS_MESSAGE_MAX));
    if (s->rollback) {
        cJSON_AddBoolToObject(o, "rollback", true);
        if (s->rollback_from[0])
            add_bounded(o, "rollback_from", s->rollback_from, 256);
    }
    if (s->failure[0])
        add_bounded(o, "failure", s->failure, METRICS_FAILURE_MAX);
    if (s->generation[0])
        add_bounded(o, "generation", s->generation, 256);
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

/* The reservation on an open descriptor: 0, or an errno. Where the file
 * system cannot reserve (EOPNOTSUPP, e.g. some network and FUSE file
 * systems) it is 0: the append then works as it always did, all or
 * nothing, only without the room set aside. */
static int reserve_fd(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return errno;
    int rc;
    do
        rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, METRICS_RESERVE);
    while (rc != 0 && errno == EINTR);
    if (rc == 0 || errno == EOPNOTSUPP || errno == ENOSYS) return 0;
    int saved = errno;
    /* XFS asks for the whole range's blocks before it looks at what is
     * already allocated, so on a full disk even the room the last line left
     * reserved is refused: room that is there is room. */
    if ((saved == ENOSPC || saved == EDQUOT) && fstat(fd, &st) == 0 &&
        (int64_t)st.st_blocks * 512 >= (int64_t)st.st_size + METRICS_RESERVE)
        return 0;
    return saved;
}

static int open_metrics(const char *path)
{
    char *dir = rag_dirname(path);
    rag_mkdir_p(dir, 0755, NULL);
    free(dir);
    /* O_NONBLOCK: a FIFO put in the file's place is an error, not a wait */
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0644);
}

int metrics_reserve(const char *path, rag_error *err)
{
    int fd = open_metrics(path);
    if (fd < 0)
        return rag_error_set(err, RAG_ERR, "%s: cannot open to reserve room for this run's metrics line: %s", path,
                             strerror(errno));
    int e = reserve_fd(fd);
    close(fd);
    if (e)
        return rag_error_set(err, RAG_ERR, "%s: cannot reserve room for this run's metrics line (%d bytes): %s", path,
                             METRICS_RESERVE, strerror(e));
    return RAG_OK;
}

int metrics_append(const char *path, const run_stats *s, rag_error *err)
{
    cJSON *o = metrics_json(s);
    char *line = rag_json_print(o, false, NULL);
    cJSON_Delete(o);
    size_t n = strlen(line);
    line = rag_xrealloc(line, n + 2);
    line[n++] = '\n';
    line[n] = '\0';
    int rc = RAG_OK;
    int fd = open_metrics(path);
    if (fd < 0) {
        rc = rag_error_set(err, RAG_ERR, "%s: cannot open: %s", path, strerror(errno));
    } else {
        /* the whole line or nothing: a short write is truncated away */
        if (rag_append_whole(fd, line, n) != 0)
            rc = rag_error_set(err, RAG_ERR, "%s: cannot append (line not written): %s", path, strerror(errno));
        else
            reserve_fd(fd); /* room for the next run's line, even if the disk fills before it starts */
        close(fd);
    }
    free(line);
    return rc;
}

void metrics_record(const char *logs_dir, const run_stats *s, rag_log *log)
{
    char *mp = rag_path_join(logs_dir, "ingestion_metrics.jsonl");
    rag_error me = {0};
    if (metrics_append(mp, s, &me) != RAG_OK) {
        fprintf(stderr, "rag-ingest: %s\n", me.msg);
        if (log) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "path", mp);
            cJSON_AddStringToObject(p, "status", s->status);
            rag_log_event(log, RAG_LEVEL_ERROR, "metrics_line_failed", me.msg, p);
        }
    }
    free(mp);
}
