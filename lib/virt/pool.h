/* A template's warm pool: clones kept restored and paused, so that take
 * hands one out running in the time a resume takes, below the floor of
 * any libvirt start (docs/design.md, Warm pool). Members are ordinary
 * clones named like any other (TEMPLATE-N): libvirt cannot rename a
 * running domain, so a taken clone keeps the name it was started with.
 * Membership lives in the store (pool-members.h), changed under the store
 * lock; starts run outside it, so that takes never wait for a refill. */
#ifndef VT_POOL_H
#define VT_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "paths.h"
#include "pool-members.h"
#include "progress.h"

/* What one idle slot is estimated to cost, before any member has been
 * measured: QEMU's own memory with the device state loaded (~41 MiB
 * measured for a paused TCG clone of the test guest) plus the state. */
#define VT_POOL_SLOT_BASE_BYTES (48ULL * 1024 * 1024)

/* pool TEMPLATE --size N: records the size and removes members above it;
 * refuses, before anything changes, a growth that free memory cannot
 * hold, with the estimate. Then the refill tops the pool up (below). */
int vt_pool_resize(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                   unsigned size, vt_error_t *err);

/* Tops the pool up to its size, one clone at a time, holding the refill
 * lock (waiting for a refill that runs). Returns 0 when the pool is full,
 * -1 at the first failure, which the pool also records (last_error). */
int vt_pool_refill(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                   struct vt_progress *progress, vt_error_t *err);

/* The pool as it is now: members whose domain was destroyed, undefined or
 * resumed behind our back are dropped (and a dead one removed), as are
 * members a dead refill left filling. *refilling: a refill runs. */
int vt_pool_inspect(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                    struct vt_pool *pool, bool *refilling, vt_error_t *err);

/* The estimated memory of one idle slot: the mean PSS of the ready
 * members, or the base estimate with no member to measure. */
uint64_t vt_pool_slot_bytes(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                            const struct vt_pool *pool);

struct vt_take {
    char *name;     /* the running clone handed out */
    bool from_pool; /* false: the pool was empty (or a NAME was asked for)
                     * and a clone was started the ordinary way */
    bool refill;    /* the pool is short and no refill runs: the caller
                     * starts one (vt_pool_refill, in the background) */
    char *skipped;  /* why the last ready member tried did not resume (it
                     * was removed), or NULL */
};

void vt_take_clear(struct vt_take *t);

/* take TEMPLATE [NAME]: a ready member, resumed, with its identity sent
 * now (the started hook held it back: the clock and the wake-up belong to
 * the take). With NAME, or from an empty pool, a clone started the
 * ordinary way. Two takes never hand out one clone: the pick is made under
 * the store lock. */
int vt_pool_take(virConnectPtr conn, const struct vt_dirs *dirs, const char *template_name,
                 const char *name, struct vt_take *out, vt_error_t *err);

/* delete --force, under the caller's store lock: size 0, no members, and
 * their domains removed, so that no refill brings them back. */
int vt_pool_drain_locked(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                         vt_error_t *err);

#endif
