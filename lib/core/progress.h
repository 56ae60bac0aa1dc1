/* Progress of a long wait, for the caller to show: library code never
 * prints, it reports what it waits for and the caller decides (the tool
 * shows it on a terminal only). */
#ifndef VT_PROGRESS_H
#define VT_PROGRESS_H

#include <stdint.h>

#define VT_PROGRESS_WHAT_MAX 160

struct vt_progress {
    /* Called when the step changes, then about once a second. */
    void (*report)(void *data, const char *what, int64_t elapsed_ms, int64_t timeout_ms);
    void *data;
    int64_t start_ms;   /* vt_clock_ms when the command began waiting */
    int64_t timeout_ms; /* the bound it waits against; 0: none */
    /* vt_progress_step's own: the last report. */
    char last_what[VT_PROGRESS_WHAT_MAX];
    int64_t last_ms;
};

/* Reports step `what` (printf format) through p, if p has a reporter:
 * at once when the step is new, else at most once a second. NULL p: a
 * no-op. */
void vt_progress_step(struct vt_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
