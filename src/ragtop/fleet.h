/* fleet.h — the fleet overview: one row per context of contexts.yaml
 * (verdict, worst check, served generation, index age), from the same
 * collection and status evaluation as everything else. `--once --context
 * all` prints it after the sections; the console's Contexts overlay (key c)
 * shows it, refreshed by a worker thread while the overlay is open, and
 * switches to the selected context on Enter. */
#ifndef RAGTOP_FLEET_H
#define RAGTOP_FLEET_H

#include <stdio.h>

#include "contexts.h"
#include "status.h"

typedef struct rt_fleet_row {
    char name[64];
    bool remote;
    bool done;                 /* evaluated at least once */
    rt_severity overall;
    char worst[80];            /* the worst check's name (as rt_check's) ("" when all OK) */
    char worst_summary[256];
    char generation[128];      /* served by the API (else the newest on disk), "" = none */
    int64_t age_ms;            /* index age, -1 = unknown */
} rt_fleet_row;

/* The row of one evaluated context. */
void fleet_row_of(const char *name, bool remote, const rt_snapshot *s, const rt_status *st, int64_t now_ms,
                  rt_fleet_row *row);
/* The table as text (--once --context all). */
void fleet_print(FILE *f, const rt_fleet_row *rows, size_t n);

typedef struct fleet fleet;
/* Start a thread evaluating every context of cs (copied) every interval_ms,
 * publishing rows as each context is done and waking the model. */
fleet *fleet_start(rt_model *m, const rt_contexts *cs, int64_t interval_ms);
/* Evaluate (the overlay is open) or idle; a round in flight finishes. */
void fleet_set_active(fleet *f, bool on);
/* Whether f evaluates exactly the contexts cs lists. */
bool fleet_same(const fleet *f, const rt_contexts *cs);
/* Copy the rows (n = the contexts' count). */
size_t fleet_rows(fleet *f, rt_fleet_row *out, size_t max);
/* Stop and join the thread (waits for a collection in flight). */
void fleet_stop(fleet *f);

#endif
