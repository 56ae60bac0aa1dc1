/* Disk images for templates and clones, through qemu-img. */
#ifndef VT_DISK_H
#define VT_DISK_H

#include "error.h"

/* Refuses, naming disk `target`, a source image that is missing,
 * unreadable, not of `format`, or whose backing chain is broken or loops. */
int vt_disk_check_source(const char *target, const char *path, const char *format,
                         vt_error_t *err);

/* A standalone copy of `src` (its backing chain folded in) at `dst`, in the
 * same format, sparse; atomic: `dst` appears whole or not at all. */
int vt_disk_copy(const char *src, const char *format, const char *dst, vt_error_t *err);

/* An empty qcow2 overlay at `overlay` on `base` (of `format`, recorded in
 * the overlay), atomic. */
int vt_disk_overlay(const char *base, const char *format, const char *overlay, vt_error_t *err);

/* A standalone qcow2 copy of `overlay` and everything under it, atomic. */
int vt_disk_flatten(const char *overlay, const char *dst, vt_error_t *err);

#endif
