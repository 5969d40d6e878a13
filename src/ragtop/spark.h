/* spark.h — sparkline glyphs, pure (no curses): which of eight levels a
 * value gets and the glyph that draws it, block characters or an ASCII
 * ramp for terminals without UTF-8. ui_spark (ui.c) draws with them; the
 * Quality row draws nDCG@10 on a fixed 0..1 scale. */
#ifndef RAGTOP_SPARK_H
#define RAGTOP_SPARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Level 0..7 of v between lo and hi (the smallest and the largest value
 * shown: the lowest shows one step up, the highest at 7; 3 when all are
 * equal). -1 when v < 0 (a gap or failure). */
int spark_level_relative(int64_t v, int64_t lo, int64_t hi);
/* Level 0..7 of v on the fixed scale 0..hi (0 = lowest block, hi = full),
 * so the same value always draws the same glyph. -1 when v < 0. */
int spark_level_absolute(int64_t v, int64_t hi);
/* The glyph of a level: U+2581..U+2588, or "_.-:=+*#" in ASCII; a failure
 * (level < 0) is U+2717 or "x". */
const char *spark_glyph(int level, bool ascii);
/* The last w of n values (0..hi, negative = failure) as one string of
 * glyphs on the fixed scale, into out (cap bytes, NUL-terminated, whole
 * glyphs only). Returns the glyphs written. */
size_t spark_render_absolute(const int64_t *vals, size_t n, size_t w, int64_t hi, bool ascii, char *out, size_t cap);

#endif
