#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

#define VT_PROGRESS_EVERY_MS 1000

void vt_progress_step(struct vt_progress *p, const char *fmt, ...)
{
    if (p == NULL || p->report == NULL)
        return;
    char what[VT_PROGRESS_WHAT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    int64_t now = vt_clock_ms();
    if (strcmp(what, p->last_what) == 0 && now - p->last_ms < VT_PROGRESS_EVERY_MS)
        return;
    memcpy(p->last_what, what, sizeof(what));
    p->last_ms = now;
    p->report(p->data, what, now - p->start_ms, p->timeout_ms);
}
