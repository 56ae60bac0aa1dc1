/* A template's warm pool as the store records it (STATE/T/pool.json): the
 * size asked for and the clones that belong to the pool, each filling
 * (defined, being started paused) or ready (restored and paused, to be
 * handed out by take). Changed only under the store lock; the hook reads
 * it without one, since the file is replaced atomically (docs/design.md,
 * Warm pool). */
#ifndef VT_POOL_MEMBERS_H
#define VT_POOL_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "paths.h"

#define VT_POOL_SIZE_MAX 1024

enum vt_pool_state { VT_POOL_FILLING, VT_POOL_READY, VT_POOL_STATE_LAST };

struct vt_pool_member {
    char *name;
    enum vt_pool_state state;
};

struct vt_pool {
    unsigned size; /* clones to keep ready */
    size_t n;
    struct vt_pool_member *members;
    char *last_error; /* why the last refill stopped short, or NULL */
};

const char *vt_pool_state_name(enum vt_pool_state state);

/* Parses and formats pool.json's text. */
int vt_pool_parse(const char *text, struct vt_pool *pool, vt_error_t *err);
char *vt_pool_format(const struct vt_pool *pool, vt_error_t *err);

/* Template `name`'s pool; no file is an empty pool of size 0. */
int vt_pool_load(const struct vt_dirs *dirs, const char *name, struct vt_pool *pool,
                 vt_error_t *err);
int vt_pool_save(const struct vt_dirs *dirs, const char *name, const struct vt_pool *pool,
                 vt_error_t *err);
void vt_pool_clear(struct vt_pool *pool);

/* The member named `clone`, or NULL. */
struct vt_pool_member *vt_pool_find(const struct vt_pool *pool, const char *clone);
size_t vt_pool_count(const struct vt_pool *pool, enum vt_pool_state state);
int vt_pool_add(struct vt_pool *pool, const char *clone, enum vt_pool_state state,
                vt_error_t *err);
/* Drops member `clone`; false if it was not one. */
bool vt_pool_remove(struct vt_pool *pool, const char *clone);
int vt_pool_set_error(struct vt_pool *pool, const char *msg, vt_error_t *err);

/* For the hook: is `clone` a member of template `name`'s pool that a
 * refill is starting? Its identity waits for take (an unreadable pool
 * counts as no member). A member started any other way gets it as usual. */
bool vt_pool_member_filling(const struct vt_dirs *dirs, const char *name, const char *clone);

/* The refill lock, STATE/T/pool.lock (one refill per template at a time),
 * which vt_pool_save creates: waits for it and returns the fd that holds
 * it; errnum ENOENT when the template has no pool. */
int vt_pool_lock(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* Does a refill hold the lock now? */
bool vt_pool_refill_running(const struct vt_dirs *dirs, const char *name);

#endif
