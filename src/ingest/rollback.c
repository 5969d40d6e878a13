/* rollback.c — `rag-ingest --rollback [RUN_ID]`: serve an earlier retained
 * generation again (see rollback.h). Under the ingest lock, the target is
 * found through the per-run manifest copies, checked (the file exists,
 * opens as an index of our schema, holds the chunk count its manifest
 * says), and republished with the same atomic protocol as a run: a new
 * per-run copy, then latest.json. A rollback killed at any instant leaves
 * latest.json naming either the old or the new generation, both complete.
 * With RUN_ID, a latest.json that is missing or damaged does not stop it:
 * serving a named run's generation again is how that state is repaired.
 * Naming the run whose generation is served already is nothing to do; a
 * run that failed has no copy, and the error says it failed. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "publish.h"
#include "rag/fsutil.h"
#include "rag/genset.h"
#include "rag/index.h"
#include "rag/manifest.h"
#include "rag/timeutil.h"
#include "rollback.h"

typedef struct pick {
    const rag_manifest *cur;
    const char *index_dir;
    rag_manifest best;
    bool have;
} pick;

static bool exists_in(const char *dir, const char *name)
{
    char *p = rag_path_join(dir, name);
    bool ok = access(p, R_OK) == 0;
    free(p);
    return ok;
}

/* The newest generation built before the one served (by generated_at) that
 * a manifest names and that is still on disk. */
static void pick_previous(const rag_manifest *m, void *ud)
{
    pick *p = ud;
    if (strcmp(m->generation, p->cur->generation) == 0 || m->generated_at_ms >= p->cur->generated_at_ms ||
        (p->have && m->generated_at_ms <= p->best.generated_at_ms) || !exists_in(p->index_dir, m->generation))
        return;
    if (p->have)
        rag_manifest_free(&p->best);
    p->best = *m;
    p->best.config = cJSON_Duplicate(m->config, 1);
    /* the quality object's list is m's too: the copy needs its own */
    p->best.quality.failed_queries = m->quality.failed_queries ? cJSON_Duplicate(m->quality.failed_queries, 1) : NULL;
    p->have = true;
}

/* One segment (or a v1 file) opens and its chunks table reads: a file
 * truncated or overwritten by hand is named, with SQLite's reason. */
static int check_segment(const char *gen_path, const rag_segment_ref *seg, rag_error *err)
{
    sqlite3 *db = NULL;
    rag_error oe = { 0 };
    if (rag_sqlite_open_ro(seg->path, &db, &oe) != RAG_OK)
        return rag_error_set(err, RAG_ECORRUPT, "%s: segment %s", gen_path, oe.msg);
    sqlite3_stmt *st = NULL;
    int rc = RAG_OK;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM chunks", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: segment %s cannot be read: %s", gen_path, seg->path,
                           rag_sqlite_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* The generation opens read-only as an index of a schema we read (v2
 * segments, all present and readable; or a v1 file) and holds the number
 * of chunks its manifest says. */
static int check_generation(const char *path, const rag_manifest *m, rag_error *err)
{
    rag_genset gs;
    int rc = rag_genset_load(path, &gs, err);
    if (rc != RAG_OK) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return rag_error_set(err, RAG_ECORRUPT, "not a readable index: %s", why);
    }
    for (size_t i = 0; rc == RAG_OK && i < gs.n; i++)
        rc = check_segment(path, &gs.segs[i], err);
    sqlite3 *db = NULL;
    int64_t chunks = -1;
    if (rc == RAG_OK && (rc = rag_genset_open_db(&gs, &db, err)) == RAG_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM chunks", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            chunks = sqlite3_column_int64(st, 0);
        else
            rc = rag_error_set(err, RAG_ECORRUPT, "%s: cannot count its chunks: %s", path, rag_sqlite_errmsg(db));
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    rag_genset_free(&gs);
    if (rc == RAG_OK && chunks != m->chunks)
        rc = rag_error_set(err, RAG_ECORRUPT, "%s: holds %lld chunks, its manifest says %lld", path,
                           (long long)chunks, (long long)m->chunks);
    return rc;
}

/* What ingestion_metrics.jsonl says run_id ended as ("failed",
 * "unchanged", ...), "" when no line names it: why a run has no copy. */
static void run_status_in_metrics(const char *logs_dir, const char *run_id, char *status, size_t n)
{
    status[0] = '\0';
    char *path = rag_path_join(logs_dir, "ingestion_metrics.jsonl");
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        if (!strstr(line, run_id))
            continue;
        cJSON *o = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "run_id");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
        if (cJSON_IsString(id) && strcmp(id->valuestring, run_id) == 0 && cJSON_IsString(st))
            snprintf(status, n, "%s", st->valuestring);
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
}

/* Find the target: the copy of run_id, or the previous generation. */
static int find_target(const char *ckpt_dir, const char *index_dir, const char *logs_dir, const rag_manifest *cur,
                       const char *run_id, rag_manifest *out, rag_error *err)
{
    if (run_id) {
        if (!rag_manifest_is_run_id(run_id)) /* main() refuses it first, as a usage error */
            return rag_error_set(err, RAG_EINVAL, "\"%s\" is not a run id (YYYYMMDDTHHMMSSZ-xxxxxx)", run_id);
        char *name = rag_xasprintf("%s.json", run_id);
        char *path = rag_path_join(ckpt_dir, name);
        free(name);
        int rc = rag_manifest_load(path, out, err);
        free(path);
        if (rc == RAG_ENOENT) {
            char status[32];
            run_status_in_metrics(logs_dir, run_id, status, sizeof status);
            if (strcmp(status, "failed") == 0 || strcmp(status, "unchanged") == 0)
                return rag_error_set(err, RAG_ENOENT,
                                     "run %s %s (ingestion_metrics.jsonl), so it published no generation to roll back "
                                     "to: name a run that published",
                                     run_id, strcmp(status, "failed") == 0 ? "failed" : "changed nothing");
            return rag_error_set(err, RAG_ENOENT, "no checkpoint copy of run %s (it was pruned or never published)",
                                 run_id);
        }
        if (rc != RAG_OK)
            return rc;
        if (!exists_in(index_dir, out->generation)) {
            rc = rag_error_set(err, RAG_ENOENT, "run %s's generation %s is no longer retained", run_id, out->generation);
            rag_manifest_free(out);
            return rc;
        }
        return RAG_OK;
    }
    pick p = { cur, index_dir, { 0 }, false };
    publish_named_generations(ckpt_dir, pick_previous, &p);
    if (!p.have)
        return rag_error_set(err, RAG_ENOENT, "no earlier generation is retained to roll back to (%s is the oldest)",
                             cur->generation);
    *out = p.best;
    return RAG_OK;
}

int ingest_rollback(const rag_config *cfg, const char *run_id, const run_opts *opts, rag_log *log, run_stats *st)
{
    memset(st, 0, sizeof *st);
    st->started_ms = rag_now_ms();
    st->rollback = true;
    ingest_make_run_id(st->run_id);
    snprintf(st->status, sizeof st->status, "failed");
    char *index_dir = rag_config_index_dir(cfg), *ckpt_dir = rag_config_checkpoints_dir(cfg);
    char *manifest_path = rag_config_manifest_path(cfg), *run_dir = rag_config_run_dir(cfg);
    char *logs_dir = rag_config_logs_dir(cfg);
    if (log)
        rag_log_set_run_id(log, st->run_id);
    rag_error err = { 0 };
    rag_lock lock = { -1, NULL };
    bool locked = false, have_cur = false, have_target = false;
    rag_manifest cur = { 0 }, target = { 0 };
    char *lock_path = rag_path_join(run_dir, "ingest.lock");
    rag_lock_holder holder = { 0, 0 };
    int rc = rag_mkdir_p(run_dir, 0755, &err);
    if (rc == RAG_OK)
        rc = rag_lock_acquire(lock_path, &lock, &holder, &err);
    free(lock_path);
    if (rc == RAG_ELOCKED) {
        st->lock_pid = holder.pid;
        st->lock_since_ms = holder.started_ms;
        goto out;
    }
    locked = rc == RAG_OK;
    char unreadable[sizeof err.msg] = ""; /* why latest.json could not be read, when RUN_ID repairs it */
    if (rc == RAG_OK && (rc = rag_manifest_load(manifest_path, &cur, &err)) == RAG_OK) {
        have_cur = true;
    } else if (locked && (rc == RAG_ENOENT || rc == RAG_ECORRUPT) && run_id) {
        snprintf(unreadable, sizeof unreadable, "%s", err.msg);
        memset(&err, 0, sizeof err);
        rc = RAG_OK;
    } else if (locked && (rc == RAG_ENOENT || rc == RAG_ECORRUPT)) {
        char why[sizeof err.msg];
        snprintf(why, sizeof why, "%s", err.msg);
        rc = rag_error_set(&err, rc, "%.700s; the served generation is unknown, so there is no previous one: name the run "
                           "to serve again (rag-ingest --rollback RUN_ID, make rollback RUN_ID=…; run ids are the "
                           "file names in %.200s)", why, ckpt_dir);
    }
    if (rc == RAG_OK && (rc = find_target(ckpt_dir, index_dir, logs_dir, &cur, run_id, &target, &err)) == RAG_OK)
        have_target = true;
    if (rc == RAG_OK && have_cur && strcmp(target.generation, cur.generation) == 0) {
        /* asked for what is served already (a retried `make rollback
         * RUN_ID=…`): nothing to do, as `kubectl rollout undo` to the current
         * revision; not a rollback, so no metrics line */
        if (log) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "generation", cur.generation);
            cJSON_AddStringToObject(p, "target_run_id", target.run_id);
            rag_log_eventf(log, RAG_LEVEL_INFO, "rollback_unchanged", p, "%s (run %s) is already the served generation",
                           cur.generation, target.run_id);
        }
        if (!opts->quiet)
            fprintf(stderr, "rag-ingest: nothing to roll back: %s (run %s) is already the served generation\n",
                    cur.generation, target.run_id);
        goto out;
    }
    if (rc == RAG_OK) {
        char *gp = rag_path_join(index_dir, target.generation);
        rc = check_generation(gp, &target, &err);
        free(gp);
    }
    if (rc == RAG_OK) {
        /* the target's manifest as it was (its sources were last confirmed
         * then), written by this run, naming what it replaced */
        rag_manifest m = target;
        snprintf(m.run_id, sizeof m.run_id, "%s", st->run_id);
        snprintf(m.rollback_from, sizeof m.rollback_from, "%s", cur.generation);
        ingest_test_pause("RAG_INGEST_TEST_PUBLISH_DELAY_MS");
        rc = rag_manifest_publish(ckpt_dir, &m, cfg->ingest.keep_checkpoints, &err);
        ingest_test_pause("RAG_INGEST_TEST_PUBLISH_DELAY_MS");
    }
    if (rc == RAG_OK) {
        snprintf(st->status, sizeof st->status, "published");
        st->published = true;
        snprintf(st->generation, sizeof st->generation, "%s", target.generation);
        snprintf(st->rollback_from, sizeof st->rollback_from, "%s", cur.generation);
        snprintf(st->config_hash, sizeof st->config_hash, "%s", target.config_hash);
        st->documents = target.documents;
        st->chunks = target.chunks;
        st->tokens = target.tokens;
        st->failed = target.errors;
        st->failed_content = target.failed_content;
        st->failed_transient = target.failed_transient;
        st->finished_ms = rag_now_ms();
        if (unreadable[0]) {
            char w[sizeof unreadable + 64];
            snprintf(w, sizeof w, "replaced an unreadable manifest: %s", unreadable);
            run_add_warning(st, w);
        }
        if (log) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "generation", target.generation);
            if (unreadable[0]) {
                cJSON_AddNullToObject(p, "from");
                cJSON_AddStringToObject(p, "replaced_unreadable", unreadable);
            } else {
                cJSON_AddStringToObject(p, "from", cur.generation);
            }
            cJSON_AddStringToObject(p, "target_run_id", target.run_id);
            cJSON_AddNumberToObject(p, "chunks", (double)target.chunks);
            rag_log_eventf(log, RAG_LEVEL_WARN, "rolled_back", p, "rolled back from %s to %s (run %s)",
                           unreadable[0] ? "an unreadable manifest" : cur.generation,
                           target.generation, target.run_id);
        }
        rag_error pe = { 0 };
        if (rag_manifest_prune_copies(ckpt_dir, cfg->ingest.keep_checkpoints, st->run_id, &pe) < 0) {
            run_add_warning(st, pe.msg);
            if (log)
                rag_log_event(log, RAG_LEVEL_WARN, "housekeeping_failed", pe.msg, NULL);
        }
    } else {
        snprintf(st->failure, sizeof st->failure, "rollback: %.1000s", err.msg);
        st->finished_ms = rag_now_ms();
        if (log)
            rag_log_event(log, RAG_LEVEL_ERROR, "rollback_failed", st->failure, NULL);
    }
    metrics_record(logs_dir, st, log);
    if (rc == RAG_OK && !opts->quiet && unreadable[0])
        fprintf(stderr, "rag-ingest: rolled back: now serving %s (run %s, %lld chunks); replaced an unreadable manifest: %s\n",
                target.generation, target.run_id, (long long)target.chunks, unreadable);
    else if (rc == RAG_OK && !opts->quiet)
        fprintf(stderr, "rag-ingest: rolled back: now serving %s (run %s, %lld chunks), was %s\n", target.generation,
                target.run_id, (long long)target.chunks, cur.generation);
    else if (rc != RAG_OK)
        fprintf(stderr, "rag-ingest: %s\n", st->failure);
out:
    if (have_cur)
        rag_manifest_free(&cur);
    if (have_target)
        rag_manifest_free(&target);
    if (locked)
        rag_lock_release(&lock);
    if (log)
        rag_log_set_run_id(log, NULL);
    free(index_dir);
    free(ckpt_dir);
    free(manifest_path);
    free(run_dir);
    free(logs_dir);
    return rc == RAG_OK ? RAG_OK : rc == RAG_ELOCKED ? RAG_ELOCKED : RAG_ERR;
}
