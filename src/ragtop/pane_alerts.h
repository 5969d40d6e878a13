/* pane_alerts.h — the console's Alerts overlay (key A): what `ragtop watch`
 * has firing, its pending deliveries with the next retry, the last
 * deliveries, and the receivers with redacted URLs. */
#ifndef RAGTOP_PANE_ALERTS_H
#define RAGTOP_PANE_ALERTS_H

#include "model.h"
#include "ui.h"

/* Read <artifacts>/run/watch-state.json and run/outbox/ (collector thread);
 * ci NULL: a remote context, whose alerts are not visible. */
void pane_alerts_collect(const rt_config_info *ci);
/* Draw the overlay from the last collection (UI thread, no disk access). */
void pane_alerts_draw(ui *u);

#endif
