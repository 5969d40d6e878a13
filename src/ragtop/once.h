/* once.h — `ragtop --once`: one collection pass, the shared status
 * evaluation, and a compact human snapshot or (--json) the document in
 * docs/specs/once.md. No ncurses; works without a terminal. */
#ifndef RAGTOP_ONCE_H
#define RAGTOP_ONCE_H

#include <stdio.h>
#include "options.h"
#include "status.h"

/* Run --once; returns the exit code (0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN). */
int once_run(const rt_options *o);

/* The --once JSON document as a cJSON tree (caller deletes). */
cJSON *once_json(const rt_snapshot *s, const rt_status *st, int64_t now_ms);
/* Render a snapshot + status as the --once JSON document (caller frees). */
char *once_render_json(const rt_snapshot *s, const rt_status *st, int64_t now_ms);
/* Render the human snapshot to f; color adds ANSI colours. */
void once_render_text(FILE *f, const rt_snapshot *s, const rt_status *st, int64_t now_ms, bool color);

#endif
