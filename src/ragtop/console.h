/* console.h — the interactive full-screen console (ragtop's default mode). */
#ifndef RAGTOP_CONSOLE_H
#define RAGTOP_CONSOLE_H

#include "options.h"

/* Run until q / SIGTERM / SIGINT / SIGHUP / a dead terminal. Returns the
 * exit code: 0 normally, 2 when there is no usable terminal (TERM=dumb,
 * not a tty) or a bad --theme. */
int console_run(const rt_options *o);

#endif
