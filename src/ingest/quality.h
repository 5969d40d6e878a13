/* quality.h — rag-ingest's use of the golden queries (docs/specs/quality.md):
 * the gate on a candidate generation before it is published, keeping the
 * served generation's figures true when only the golden file changed, and
 * `rag-ingest --eval`. */
#ifndef INGEST_QUALITY_H
#define INGEST_QUALITY_H

#include <stdbool.h>
#include <stdio.h>

#include "rag/config.h"
#include "rag/golden.h"
#include "rag/jsonlog.h"
#include "rag/manifest.h"
#include "run.h"

/* Load the golden file cfg names. RAG_OK with *have false when
 * quality.golden is "" or the file does not exist (*why says which);
 * RAG_ECORRUPT with every problem in problems when it is invalid. */
int quality_golden_load(const rag_config *cfg, rag_golden *g, bool *have, const char **why, rag_problems *problems,
                        rag_error *err);

typedef struct quality_env {
    const rag_config *cfg;
    rag_log *log;
    bool force;                 /* --force: publish even when the gate refuses */
    const rag_golden *golden;   /* already loaded, or NULL: load quality.golden */
    const rag_manifest *served; /* latest.json, NULL when there is none */
    const char *served_path;    /* the served generation's file, NULL when unusable */
} quality_env;

/* Evaluate the finished candidate (file cand_path, named by cand) and apply
 * the gate. RAG_OK: publish (cand->quality filled unless evaluation was
 * skipped); RAG_EGATE: refused (err says why, naming the regressed queries;
 * st->quality.regressions lists them); RAG_ERR: the evaluation itself
 * failed. st->quality is filled in every case. */
int quality_gate_candidate(const quality_env *env, const char *cand_path, rag_manifest *cand, run_stats *st,
                           rag_error *err);

/* A run that publishes nothing new: when the golden file (or the mode)
 * changed since the served generation was evaluated, evaluate it again and
 * update served->quality (its gate is kept; "off" when it had none).
 * st->quality gets the served figures, gate "skipped". RAG_ERR only when the
 * golden file is invalid; a generation that cannot be evaluated is a
 * warning. */
int quality_refresh_served(const quality_env *env, rag_manifest *served, run_stats *st, rag_error *err);

/* rag-ingest --eval: evaluate the served generation, print the figures and
 * the queries below nDCG@10 1 to out; nothing is written. Returns the exit
 * status: 0, RAG_EXIT_QUALITY (below quality.min_ndcg), RAG_EXIT_CONFIG
 * (golden file invalid) or RAG_EXIT_FAIL (nothing to evaluate). */
int quality_eval_command(const rag_config *cfg, FILE *out);

#endif
