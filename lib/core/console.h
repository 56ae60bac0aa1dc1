#ifndef VT_CONSOLE_H
#define VT_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Asked between reads: false stops the wait (e.g. the domain died). */
typedef bool (*vt_console_alive_fn)(void *data);

/* Waits until the console file `path` matches the POSIX extended regex
 * `pattern`, or the deadline (vt_clock_ms) passes. */
int vt_console_wait(const char *path, const char *pattern, int64_t deadline,
                    vt_console_alive_fn alive, void *data, vt_error_t *err);

#endif
