/* outbox.h — persistent, retried delivery of alert notifications to webhook
 * receivers. Every notification for every receiver is one file in
 * <artifacts>/run/outbox/pending/, written atomically, named by a
 * deterministic key so enqueueing the same transition twice is a no-op.
 * rag_outbox_flush() POSTs what is due (libcurl, with a timeout), in order
 * per receiver, retrying failures with exponential backoff and jitter until
 * delivered (moved to sent/) or expired (moved to expired/). Webhook URLs
 * are read from the environment at send time and are never written to disk
 * or to a log. The layout and policy are in docs/specs/alerts.md. */
#ifndef RAG_OUTBOX_H
#define RAG_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>
#include "rag/alert.h"
#include "rag/common.h"
#include "rag/config.h"
#include "rag/jsonlog.h"

typedef struct rag_outbox_policy {
    int64_t expire_ms;       /* give up this long after enqueueing (> 0) */
    int64_t backoff_base_ms; /* first retry delay (before jitter) */
    int64_t backoff_max_ms;  /* retry delay cap */
    int64_t timeout_ms;      /* one HTTP request */
    int keep_done;           /* sent/ and expired/ keep this many newest files */
} rag_outbox_policy;

/* expire 24h, backoff 1s doubling to 15s, timeout 5s, keep 100. */
void rag_outbox_policy_defaults(rag_outbox_policy *p);

typedef struct rag_outbox rag_outbox;

/* Open (creating <run_dir>/outbox/{pending,sent,expired}). log may be NULL;
 * when given, every attempt, delivery and expiry is logged (URLs redacted). */
rag_outbox *rag_outbox_open(const char *run_dir, const rag_outbox_policy *policy, rag_log *log,
                            rag_error *err);
void rag_outbox_close(rag_outbox *ob);

/* Queue alert a for receiver rcv under key (letters, digits, '-', '_', '.';
 * deterministic per transition). The body is rendered now. If a delivery
 * with this key and receiver already exists (pending, sent or expired),
 * nothing is written and *created (if not NULL) is false. */
int rag_outbox_enqueue(rag_outbox *ob, const char *key, const rag_receiver *rcv,
                       const rag_alert *a, int64_t now_ms, bool *created, rag_error *err);

typedef struct rag_outbox_stats {
    int delivered;   /* this flush */
    int failed;      /* attempts that failed this flush */
    int expired;     /* moved to expired/ this flush */
    int pending;     /* still pending after the flush */
    bool locked;     /* another process was flushing; nothing was done */
} rag_outbox_stats;

/* Deliver what is due at now_ms, spending at most budget_ms (requests are
 * cut to the remaining budget). Per receiver, deliveries go out in key
 * order: once one fails or is not yet due, later ones for that receiver
 * wait. Only one process flushes at a time (outbox/.lock). */
int rag_outbox_flush(rag_outbox *ob, int64_t now_ms, int64_t budget_ms, rag_outbox_stats *st,
                     rag_error *err);

/* Earliest next_attempt_at among pending deliveries (0 when none). */
int64_t rag_outbox_next_due(rag_outbox *ob);

/* One delivery file as listed for the console. */
typedef struct rag_delivery {
    char name[256];          /* file name */
    char receiver[64];
    char format[16];
    char url_env[64];
    char check[96];
    char status[16];         /* alert status: firing | resolved */
    char severity[8];
    char fingerprint[RAG_FINGERPRINT_LEN + 1];
    int reminder;
    int64_t created_ms, expires_ms, next_attempt_ms, done_ms;
    int attempts;
    char last_error[256];
} rag_delivery;

/* List <run_dir>/outbox/<which> ("pending" | "sent" | "expired"), sorted by
 * name (oldest first). Unreadable files are skipped. *out must be freed. */
int rag_outbox_list(const char *run_dir, const char *which, rag_delivery **out, size_t *n,
                    rag_error *err);

/* The URL a receiver posts to, resolved from its environment variable (and
 * for format alertmanager, with "/api/v2/alerts" appended when missing).
 * malloc'd; NULL with err set when the variable is unset or empty. */
char *rag_receiver_url(const rag_receiver *rcv, rag_error *err);

/* Queue a to every receiver in cfg (key per receiver as above) and flush
 * synchronously within budget_ms. Used by rag-ingest's failure hook; what
 * is not delivered in time stays in the outbox for the watcher. RAG_OK when
 * nothing is configured. */
int rag_outbox_post(const rag_config *cfg, const rag_alert *a, const char *key, int64_t budget_ms,
                    rag_log *log, rag_outbox_stats *st, rag_error *err);

#endif
