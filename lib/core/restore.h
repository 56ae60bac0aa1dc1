#ifndef VT_RESTORE_H
#define VT_RESTORE_H

#include "error.h"
#include "meta.h"
#include "paths.h"

/* Feeds clone `clone` the saved device state of template `meta` over the
 * clone's private QMP socket (docs/design.md, Flows: start), and waits, at most
 * timeout_ms, for the incoming migration to complete. The state file must
 * match the size and digest in `meta`. */
int vt_restore_clone(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                     int timeout_ms, vt_error_t *err);

#endif
