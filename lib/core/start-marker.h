/* How a clone's current start began, passed between the hook's operations
 * of that start (each is a separate exec). A clone's disks must hold the
 * same point as its RAM: reset to the template point when the template's
 * RAM is fed, kept when libvirt restores the clone's own state
 * (docs/design.md, Flows: disks). */
#ifndef VT_START_MARKER_H
#define VT_START_MARKER_H

#include <stdbool.h>

#include "error.h"
#include "paths.h"

enum vt_start_kind {
    VT_START_UNKNOWN,  /* no record: this start's prepare did not run */
    VT_START_FRESH,    /* prepare reset the disks: the template point */
    VT_START_INCOMING, /* prepare kept them: libvirt restores or migrates in */
};

/* restore begin, migrate begin: libvirt is about to feed clone `clone`
 * itself (RUN/CLONE.incoming). */
int vt_start_note_incoming(const struct vt_dirs *dirs, const char *clone, vt_error_t *err);

/* prepare: whether restore or migrate begin said so for this start (a note
 * of this boot, at most a few seconds old), consuming the note. */
bool vt_start_take_incoming(const struct vt_dirs *dirs, const char *clone);

/* prepare: what it did (RUN/CLONE.start). */
int vt_start_record(const struct vt_dirs *dirs, const char *clone, enum vt_start_kind kind,
                    vt_error_t *err);

/* started: what prepare did, consuming the record. */
enum vt_start_kind vt_start_take_record(const struct vt_dirs *dirs, const char *clone);

/* release: drops both. */
void vt_start_forget(const struct vt_dirs *dirs, const char *clone);

#endif
