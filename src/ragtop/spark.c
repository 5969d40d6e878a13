/* spark.c — sparkline levels and glyphs (see spark.h). */
#include "spark.h"

#include <string.h>

int spark_level_relative(int64_t v, int64_t lo, int64_t hi)
{
    if (v < 0) return -1;
    int lvl = hi > lo ? (int)(((v - lo) * 6 + (hi - lo) / 2) / (hi - lo)) + 1 : 3;
    return lvl < 0 ? 0 : lvl > 7 ? 7 : lvl;
}

int spark_level_absolute(int64_t v, int64_t hi)
{
    if (v < 0) return -1;
    if (hi <= 0) return 0;
    if (v > hi) v = hi;
    return (int)((v * 7 + hi / 2) / hi);
}

const char *spark_glyph(int level, bool ascii)
{
    static const char *const blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char *const ramp[] = {"_", ".", "-", ":", "=", "+", "*", "#"};
    if (level < 0) return ascii ? "x" : "\u2717";
    if (level > 7) level = 7;
    return ascii ? ramp[level] : blocks[level];
}

size_t spark_render_absolute(const int64_t *vals, size_t n, size_t w, int64_t hi, bool ascii, char *out, size_t cap)
{
    size_t used = 0, glyphs = 0;
    if (cap) out[0] = '\0';
    for (size_t i = n > w ? n - w : 0; i < n; i++) {
        const char *g = spark_glyph(spark_level_absolute(vals[i], hi), ascii);
        size_t l = strlen(g);
        if (used + l + 1 > cap) break;
        memcpy(out + used, g, l + 1);
        used += l;
        glyphs++;
    }
    return glyphs;
}
