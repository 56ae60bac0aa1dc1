#ifndef VT_RESTORE_H
#define VT_RESTORE_H

#include "error.h"
#include "paths.h"

/* Feeds clone `clone` the saved device state of `template_name` over the
 * clone's private QMP socket (DESIGN.md, flow 4), and waits, at most
 * timeout_ms, for the incoming migration to complete. */
int vt_restore_clone(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                     int timeout_ms, vt_error_t *err);

#endif
