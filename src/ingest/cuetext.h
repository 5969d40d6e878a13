/* cuetext.h — cleaning of one subtitle cue's payload, shared by the VTT and
 * SRT parsers: tags removed (voice tags become speakers), entities decoded,
 * "Speaker: text" labels recognised, and rolling auto-caption repeats (a cue
 * that starts with the previous cue's last lines) collapsed. */
#ifndef INGEST_CUETEXT_H
#define INGEST_CUETEXT_H

#include <stddef.h>
#include <stdint.h>
#include "text.h"
#include "transcript.h"

typedef struct cue_piece {
    strbuf text;
    strbuf speaker; /* len 0 = none */
} cue_piece;

typedef struct cue_state {
    cue_piece *prev;   /* lines of the previous cue, for rolling-repeat removal */
    size_t n_prev;
    int collapse_rolling;
    int srt_tags;      /* SubRip: only <b> <i> <u> <font ...> (and closers) are tags, any
                          other '<' is text; {\an8}-style overrides are stripped */
} cue_state;

/* Clean the payload lines [payload, payload+len) (lines separated by any
 * newline) of a cue timed start..end and add its segments to tr. */
void cue_add(cue_state *st, transcript *tr, const char *payload, size_t len, int64_t start_ms, int64_t end_ms,
             uint32_t line);
void cue_state_free(cue_state *st);

#endif
