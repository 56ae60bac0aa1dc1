#ifndef VT_CLOCK_H
#define VT_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds: for deadlines and durations. */
int64_t vt_clock_ms(void);

/* Wall-clock milliseconds since the epoch: for timestamps kept on disk. */
int64_t vt_wall_ms(void);

/* Sleeps `ms` milliseconds (restarted on signals). */
void vt_sleep_ms(int ms);

#endif
