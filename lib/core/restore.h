#ifndef VT_RESTORE_H
#define VT_RESTORE_H

#include "error.h"
#include "meta.h"
#include "paths.h"
#include "start-marker.h"

#include <stdbool.h>

/* Feeds clone `clone` the saved device state of template `meta` over the
 * clone's private QMP socket (docs/design.md, Flows: start), waits, at most
 * timeout_ms, for the incoming migration to complete, and turns
 * x-ignore-shared off again. The state file must match the size and digest
 * in `meta`. When libvirt feeds this QEMU itself (a restore from a save
 * image, an incoming migration), it does nothing. *fed (if not NULL) says
 * which it was. `began` is how the hook's prepare began this start: a clone
 * with disks is refused when that does not match (vt_restore_check_disks). */
int vt_restore_clone(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                     int timeout_ms, enum vt_start_kind began, bool *fed, vt_error_t *err);

#endif
