/* logline.h — how one log line is shown in the Logs pane: a JSON log line
 * becomes "time level source component event message|payload", anything
 * else is shown raw; the result is always escaped (escape.h), so it is
 * safe to hand to the terminal. Pure function: fuzzed by fuzz_logline. */
#ifndef RAGTOP_LOGLINE_H
#define RAGTOP_LOGLINE_H

#include <stddef.h>

/* Format raw (len bytes, any content) from source into out (capacity cap,
 * NUL-terminated). Returns the bytes written. */
size_t logline_format(const char *raw, size_t len, const char *source, char *out, size_t cap);
/* The same with a source column of source_w columns (a longer source is
 * cut with "…"). logline_format uses 10. */
size_t logline_format_w(const char *raw, size_t len, const char *source, int source_w, char *out, size_t cap);

#endif
