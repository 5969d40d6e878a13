/* action.h — action workers: run a service's action (argv from services.yml)
 * with posix_spawn in a worker thread, stdout/stderr appended to an action
 * log, with a timeout. At most one action per service runs at a time (a
 * second is refused, naming the one running), and one ingest or rollback
 * (they change the served index) at all; actions on different services run
 * at once. State (running, exit
 * status, result line) is published into the model. Never a shell. */
#ifndef RAGTOP_ACTION_H
#define RAGTOP_ACTION_H

#include "model.h"

typedef enum { ACT_KIND_INGEST = 0, ACT_KIND_RESTART, ACT_KIND_STOP, ACT_KIND_START, ACT_KIND_COUNT } action_kind;

#define ACTIONS_MAX 16 /* actions running at once */

typedef struct actions actions;

/* What an action's output says, fed one line at a time (the line may be
 * modified: trailing CR and spaces go). make's first "make: *** [file:12:
 * target] Error N" line (the innermost make) gives the program's real exit
 * status N and its target; make's own lines are not "said". */
typedef struct action_output {
    char last_line[256];   /* last non-empty line */
    char err_line[256];    /* last line that reads as an error ("file:12:3: what",
                              error / failed / cannot / fatal): a failure's reason */
    int make_status;       /* -1 none */
    char make_target[64];
} action_output;
void action_output_init(action_output *o);
void action_output_line(action_output *o, char *line);

/* log_path: where output goes (created, appended). cwd: the folder actions
 * run in (services.yml's folder). config_path, services_path (NULL or ""
 * = not named): the files the console shows, exported to every action as
 * absolute paths in RAG_CONFIG and CONFIG (the Makefile's variable), and
 * RAG_SERVICES and SERVICES, so `make restart-api` acts on the stack shown,
 * not on the default one; MAKEFLAGS, MFLAGS, MAKELEVEL and MAKEOVERRIDES
 * are not passed on (a make that started ragtop must not override them). */
actions *actions_new(rt_model *m, const char *log_path, const char *cwd, const char *config_path,
                     const char *services_path);
/* Start act of svc as kind (argv copied: what runs is act as it is now).
 * Returns 0, or -1 with why: an action of svc is running (named), an
 * ingest/rollback is running and kind is ACT_KIND_INGEST, no thread. */
int actions_start(actions *a, action_kind kind, const rag_service *svc, const rag_action *act,
                  char *why, size_t why_len);
/* The argv as one line, words with spaces or quotes in '...' (for the
 * confirmation and the status line: exactly what will run). */
void action_argv_text(const rag_action *act, char *out, size_t n);
/* Is any action running? label gets the first one's ("rag_ingest run"). */
bool actions_running(actions *a, char *label, size_t n);
/* Quit without stopping: actions_free then leaves running actions running
 * (their output keeps going to their .out file). */
void actions_detach(actions *a);
/* Stop running actions (SIGTERM to their process groups, SIGKILL after 2s),
 * join the threads, free. */
void actions_free(actions *a);

#endif
