#include "pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "clock.h"
#include "clone-config.h"
#include "clone.h"
#include "identity.h"
#include "memstat.h"
#include "meta.h"
#include "names.h"
#include "store.h"
#include "virt.h"

#define VT_POOL_IDENTITY_TIMEOUT_MS 5000
/* Ready members a take tries to resume before it starts a clone itself. */
#define VT_POOL_TAKE_ATTEMPTS 3

#define vt_autopool __attribute__((cleanup(vt_pool_clear))) struct vt_pool

void vt_take_clear(struct vt_take *t)
{
    free(t->name);
    free(t->skipped);
    *t = (struct vt_take){0};
}

enum vt_member_fate {
    VT_MEMBER_KEEP,   /* paused and ours, or not to be judged now */
    VT_MEMBER_DROP,   /* resumed by hand (`virsh resume`): the user's clone now */
    VT_MEMBER_GONE,   /* undefined behind our back: only its files are left */
    VT_MEMBER_REMOVE, /* shut off, crashed, or left filling by a dead refill */
};

static enum vt_member_fate vt_pool_judge(virConnectPtr conn, const struct vt_pool_member *m,
                                         bool refill_runs)
{
    bool missing = false;
    vt_autoerror vt_error_t ignored = NULL;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(conn, m->name, &missing, &ignored);
    int state, reason;
    if (dom == NULL)
        return missing ? VT_MEMBER_GONE : VT_MEMBER_KEEP;
    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return VT_MEMBER_KEEP;
    if (m->state == VT_POOL_FILLING)
        return refill_runs ? VT_MEMBER_KEEP : VT_MEMBER_REMOVE;
    if (state == VIR_DOMAIN_PAUSED)
        return VT_MEMBER_KEEP;
    if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED)
        return VT_MEMBER_DROP;
    return VT_MEMBER_REMOVE;
}

/* Applies member i's fate; true if the pool changed. A removal that fails
 * keeps the member, for the next look to try again. */
static bool vt_pool_settle(virConnectPtr conn, const struct vt_dirs *dirs,
                           const struct vt_meta *meta, struct vt_pool *pool, size_t i,
                           enum vt_member_fate fate)
{
    vt_autoerror vt_error_t ignored = NULL;
    char *name = pool->members[i].name;
    switch (fate) {
    case VT_MEMBER_KEEP: return false;
    case VT_MEMBER_DROP: break;
    case VT_MEMBER_GONE:
        vt_store_clone_files_remove(dirs, meta, name, &ignored);
        vt_clone_config_remove(dirs, meta->name, name, &ignored);
        break;
    case VT_MEMBER_REMOVE:
        if (vt_clone_remove(conn, dirs, meta, name, &ignored) < 0)
            return false;
        break;
    }
    vt_pool_remove(pool, name);
    return true;
}

/* Under the store lock: every member judged, and the pool saved if that
 * changed it. */
static int vt_pool_reconcile(virConnectPtr conn, const struct vt_dirs *dirs,
                             const struct vt_meta *meta, struct vt_pool *pool, bool refill_runs,
                             vt_error_t *err)
{
    bool changed = false;
    for (size_t i = pool->n; i-- > 0;)
        changed |= vt_pool_settle(conn, dirs, meta, pool, i,
                                  vt_pool_judge(conn, &pool->members[i], refill_runs));
    return changed ? vt_pool_save(dirs, meta->name, pool, err) : 0;
}

/* Store lock held, template saved, pool loaded: the common start of every
 * pool operation. */
static int vt_pool_open(const struct vt_dirs *dirs, const char *name, int *lock,
                        struct vt_meta *meta, struct vt_pool *pool, vt_error_t *err)
{
    if (vt_name_validate(name, "template", err) < 0 || (*lock = vt_store_lock(dirs, err)) < 0)
        return -1;
    if (vt_store_load_saved(dirs, name, meta, err) < 0 || vt_pool_load(dirs, name, pool, err) < 0)
        return -1;
    return 0;
}

int vt_pool_inspect(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                    struct vt_pool *out, bool *refilling, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autoclose int lock = -1;
    if (vt_pool_open(dirs, name, &lock, &meta, &pool, err) < 0)
        return -1;
    *refilling = vt_pool_refill_running(dirs, name);
    if (vt_pool_reconcile(conn, dirs, &meta, &pool, *refilling, err) < 0)
        return -1;
    *out = pool;
    pool = (struct vt_pool){0};
    return 0;
}

static uint64_t vt_pool_member_pss(virConnectPtr conn, const struct vt_dirs *dirs,
                                   const char *mem_path, const char *clone)
{
    vt_autoerror vt_error_t ignored = NULL;
    struct vt_memstat st;
    pid_t pid;
    if (vt_virt_domain_pid(dirs, clone, &pid, &ignored) < 0 ||
        vt_memstat_read(pid, mem_path, &st, &ignored) < 0)
        return 0;
    return st.pss;
}

uint64_t vt_pool_slot_bytes(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                            const struct vt_pool *pool)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autoerror vt_error_t ignored = NULL;
    struct vt_dirs tdirs;
    struct stat st;
    uint64_t total = 0, measured = 0;
    if (vt_store_load(dirs, name, &meta, &ignored) < 0)
        return VT_POOL_SLOT_BASE_BYTES;
    vt_store_template_dirs(dirs, &meta, &tdirs);
    vt_autofree char *mem = vt_path_template(&tdirs, VT_PATH_MEM, name, &ignored);
    vt_autofree char *state = vt_path_template(dirs, VT_PATH_DEVICE_STATE, name, &ignored);
    for (size_t i = 0; mem && i < pool->n; i++) {
        uint64_t pss = pool->members[i].state == VT_POOL_READY
                           ? vt_pool_member_pss(conn, dirs, mem, pool->members[i].name)
                           : 0;
        total += pss;
        measured += pss > 0;
    }
    if (measured > 0)
        return total / measured;
    return VT_POOL_SLOT_BASE_BYTES + (state && stat(state, &st) == 0 ? (uint64_t)st.st_size : 0);
}

#define VT_MIB(b) ((double)(b) / (1024.0 * 1024.0))

/* Growing by `more` slots must fit in what the host has free now. */
static int vt_pool_check_memory(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                                const struct vt_pool *pool, unsigned size, vt_error_t *err)
{
    uint64_t available, slot = vt_pool_slot_bytes(conn, dirs, name, pool);
    uint64_t more = size > pool->n ? size - pool->n : 0;
    if (more == 0)
        return 0;
    if (vt_memstat_available(&available, err) < 0)
        return -1;
    if (more * slot > available)
        return vt_error_set(err, 0,
                            "a pool of %u for '%s' needs about %.0f MiB more (%u idle slot(s) "
                            "of ~%.1f MiB each), but only %.0f MiB is available",
                            size, name, VT_MIB(more * slot), (unsigned)more, VT_MIB(slot),
                            VT_MIB(available));
    return 0;
}

/* Removes clones that are no longer members; the first failure is kept. */
static int vt_pool_remove_clones(virConnectPtr conn, const struct vt_dirs *dirs,
                                 const struct vt_meta *meta, char **names, vt_error_t *err)
{
    int rc = 0;
    for (char **n = names; n && *n; n++) {
        vt_autoerror vt_error_t one = NULL;
        if (vt_clone_remove(conn, dirs, meta, *n, &one) < 0 && rc == 0) {
            *err = vt_steal(one);
            rc = -1;
        }
    }
    return rc;
}

/* Moves the members above `size` out of the pool, the newest first; the
 * ready ones into *extra, for the caller to remove. A member still filling
 * is left to its refill, which removes a clone the pool no longer has
 * (vt_pool_mark_ready): removing it here would race that refill. */
static int vt_pool_shrink(struct vt_pool *pool, unsigned size, char ***extra, vt_error_t *err)
{
    size_t n = pool->n > size ? pool->n - size : 0, k = 0;
    vt_autostrv char **names = calloc(n + 1, sizeof(char *));
    if (names == NULL)
        return vt_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        struct vt_pool_member *last = &pool->members[pool->n - 1];
        vt_autofree char *name = strdup(last->name);
        if (name == NULL)
            return vt_error_nomem(err);
        bool ready = last->state == VT_POOL_READY;
        vt_pool_remove(pool, name);
        if (ready)
            names[k++] = vt_steal(name);
    }
    *extra = vt_steal(names);
    return 0;
}

int vt_pool_resize(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                   unsigned size, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autostrv char **extra = NULL;
    if (size > VT_POOL_SIZE_MAX)
        return vt_error_set(err, 0, "a pool holds at most %d clones", VT_POOL_SIZE_MAX);
    {
        vt_autoclose int lock = -1;
        if (vt_pool_open(dirs, name, &lock, &meta, &pool, err) < 0 ||
            vt_pool_reconcile(conn, dirs, &meta, &pool, vt_pool_refill_running(dirs, name), err) < 0 ||
            vt_pool_check_memory(conn, dirs, name, &pool, size, err) < 0 ||
            vt_pool_shrink(&pool, size, &extra, err) < 0)
            return -1;
        pool.size = size;
        if (vt_pool_save(dirs, name, &pool, err) < 0)
            return -1;
    }
    /* Outside the lock: a removed member is no member, and its domain
     * keeps its name taken until it is gone. */
    return vt_pool_remove_clones(conn, dirs, &meta, extra, err);
}

int vt_pool_drain_locked(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                         vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autostrv char **members = NULL;
    if (vt_store_load(dirs, name, &meta, err) < 0 || vt_pool_load(dirs, name, &pool, err) < 0)
        return -1;
    if (pool.size == 0 && pool.n == 0)
        return 0;
    if (vt_pool_shrink(&pool, 0, &members, err) < 0)
        return -1;
    pool.size = 0;
    if (vt_pool_save(dirs, name, &pool, err) < 0)
        return -1;
    return vt_pool_remove_clones(conn, dirs, &meta, members, err);
}

/* --- refill --- */

/* Under the store lock: the pool is full (*member NULL), or a new clone
 * is defined and recorded as filling. */
static int vt_pool_claim(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                         char **member, unsigned *size, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autoclose int lock = -1;
    vt_autostrv char **made = NULL;
    *member = NULL;
    /* This process holds the refill lock: a member still filling is a
     * dead refill's. */
    if (vt_pool_open(dirs, name, &lock, &meta, &pool, err) < 0 ||
        vt_pool_reconcile(conn, dirs, &meta, &pool, false, err) < 0)
        return -1;
    *size = pool.size;
    if (pool.n >= pool.size) {
        if (pool.last_error == NULL)
            return 0;
        return vt_pool_set_error(&pool, NULL, err) < 0 ? -1 : vt_pool_save(dirs, name, &pool, err);
    }
    struct vt_clone_request req = {.template_name = name, .count = 1};
    if (vt_clone_create_locked(conn, dirs, &req, &made, err) < 0 ||
        vt_pool_add(&pool, made[0], VT_POOL_FILLING, err) < 0 ||
        vt_pool_save(dirs, name, &pool, err) < 0)
        return -1;
    *member = vt_steal(made[0]);
    return 0;
}

/* The started member becomes ready, unless the pool let it go meanwhile
 * (drained, or the template deleted): then it is removed. */
static int vt_pool_mark_ready(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                              const char *member, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autoclose int lock = -1;
    struct vt_pool_member *m;
    if (vt_pool_open(dirs, name, &lock, &meta, &pool, err) < 0) {
        vt_autoerror vt_error_t ignored = NULL;
        vt_virt_domain_remove(conn, member, &ignored);
        return -1;
    }
    if ((m = vt_pool_find(&pool, member)) == NULL)
        return vt_clone_remove(conn, dirs, &meta, member, err);
    m->state = VT_POOL_READY;
    return vt_pool_save(dirs, name, &pool, err);
}

/* A member that did not start: removed if libvirt lets us (else left
 * filling, for the next reconcile), and the reason recorded for `pool`.
 * Unless the pool let the member go meanwhile (a drain destroys it in the
 * middle of its start): then the failure was asked for. *err says whether
 * the refill failed at all. */
static void vt_pool_record_failure(virConnectPtr conn, const struct vt_dirs *dirs,
                                   const char *name, const char *member, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autoclose int lock = -1;
    vt_autoerror vt_error_t ignored = NULL;
    if (vt_pool_open(dirs, name, &lock, &meta, &pool, &ignored) < 0)
        return;
    bool let_go = member && vt_pool_find(&pool, member) == NULL;
    if (member && vt_clone_remove(conn, dirs, &meta, member, &ignored) == 0)
        vt_pool_remove(&pool, member);
    if (let_go) {
        vt_error_free(err);
        return;
    }
    if (vt_pool_set_error(&pool, (*err)->msg, &ignored) == 0)
        vt_pool_save(dirs, name, &pool, &ignored);
}

static int vt_pool_start_member(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                                const char *member, vt_error_t *err)
{
    bool missing;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(conn, member, &missing, err);
    if (dom == NULL)
        return -1;
    /* Paused after the hook's restore: QEMU stays stopped when the
     * incoming state is loaded (docs/design.md, Warm pool). */
    if (virDomainCreateWithFlags(dom, VIR_DOMAIN_START_PAUSED) < 0)
        return vt_error_set_virt(err, "cannot start pool clone '%s'", member);
    return vt_pool_mark_ready(conn, dirs, name, member, err);
}

/* Is the pool short of its size? Read under the store lock. */
static bool vt_pool_is_short(const struct vt_dirs *dirs, const char *name)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autoclose int lock = -1;
    vt_autoerror vt_error_t ignored = NULL;
    return vt_pool_open(dirs, name, &lock, &meta, &pool, &ignored) == 0 && pool.n < pool.size;
}

static int vt_pool_refill_locked(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                                 struct vt_progress *progress, vt_error_t *err)
{
    for (unsigned started = 1;; started++) {
        vt_autofree char *member = NULL;
        unsigned size = 0;
        if (vt_pool_claim(conn, dirs, name, &member, &size, err) < 0) {
            vt_pool_record_failure(conn, dirs, name, NULL, err);
            return -1;
        }
        if (member == NULL)
            return 0;
        vt_progress_step(progress, "starting pool clone '%s' (%u)", member, started);
        if (vt_pool_start_member(conn, dirs, name, member, err) < 0) {
            vt_pool_record_failure(conn, dirs, name, member, err);
            if (*err)
                return -1;
        }
    }
}

int vt_pool_refill(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                   struct vt_progress *progress, vt_error_t *err)
{
    /* A take starts no refill while one holds the lock (vt_pool_take): a
     * take after this refill found the pool full is seen by the look after
     * the lock is let go. */
    do {
        vt_autoerror vt_error_t lock_err = NULL;
        vt_autoclose int refill_lock = vt_pool_lock(dirs, name, &lock_err);
        if (refill_lock < 0) {
            if (lock_err->errnum == ENOENT && vt_store_exists(dirs, name))
                return 0; /* no pool: nothing to fill */
            *err = vt_steal(lock_err);
            return -1;
        }
        if (vt_pool_refill_locked(conn, dirs, name, progress, err) < 0)
            return -1;
    } while (vt_pool_is_short(dirs, name));
    return 0;
}

/* --- take --- */

/* Under the store lock: the first ready member that is still paused leaves
 * the pool (*picked); members found dead on the way are settled. */
static int vt_pool_pick(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                        char **picked, unsigned *size, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autopool pool = {0};
    vt_autoclose int lock = -1;
    bool changed = false;
    *picked = NULL;
    if (vt_pool_open(dirs, name, &lock, &meta, &pool, err) < 0)
        return -1;
    *size = pool.size;
    for (size_t i = 0; i < pool.n && *picked == NULL;) {
        struct vt_pool_member *m = &pool.members[i];
        enum vt_member_fate fate = m->state == VT_POOL_READY ? vt_pool_judge(conn, m, true)
                                                             : VT_MEMBER_KEEP;
        if (m->state == VT_POOL_READY && fate == VT_MEMBER_KEEP) {
            if ((*picked = strdup(m->name)) == NULL)
                return vt_error_nomem(err);
            vt_pool_remove(&pool, *picked);
            changed = true;
        } else if (vt_pool_settle(conn, dirs, &meta, &pool, i, fate)) {
            changed = true;
        } else {
            i++;
        }
    }
    return changed ? vt_pool_save(dirs, name, &pool, err) : 0;
}

/* The resumed member's identity: the started hook held it back. */
static int vt_pool_send_identity(const struct vt_dirs *dirs, const char *template_name,
                                 virDomainPtr dom, const char *clone, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    __attribute__((cleanup(vt_clone_config_clear))) struct vt_clone_config config = {0};
    int64_t deadline = vt_clock_ms() + VT_POOL_IDENTITY_TIMEOUT_MS;
    bool sent;
    if (vt_store_load_saved(dirs, template_name, &meta, err) < 0 ||
        vt_clone_config_load(dirs, template_name, clone, &config, err) < 0)
        return -1;
    vt_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    if (xml == NULL)
        return vt_error_set_virt(err, "cannot read the XML of clone '%s'", clone);
    return vt_identity_send(dirs, &meta, clone, xml, &config, deadline, &sent, err);
}

static int vt_pool_resume(virConnectPtr conn, const struct vt_dirs *dirs,
                          const char *template_name, const char *clone, vt_error_t *err)
{
    bool missing;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(conn, clone, &missing, err);
    if (dom == NULL)
        return -1;
    if (virDomainResume(dom) < 0)
        return vt_error_set_virt(err, "cannot resume pool clone '%s'", clone);
    if (vt_pool_send_identity(dirs, template_name, dom, clone, err) < 0)
        return vt_error_prefix(err, "clone '%s'", clone);
    return 0;
}

/* A clone that would not start or resume is removed: it was never handed
 * out. */
static int vt_pool_discard(virConnectPtr conn, const struct vt_dirs *dirs,
                           const char *template_name, const char *clone, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (vt_store_load(dirs, template_name, &meta, err) < 0)
        return -1;
    return vt_clone_remove(conn, dirs, &meta, clone, err);
}

/* The ordinary way: defined under the store lock, started outside it, so
 * that other takes go on meanwhile. */
static int vt_pool_start_fresh(virConnectPtr conn, const struct vt_dirs *dirs,
                               const char *template_name, const char *name, char **out,
                               vt_error_t *err)
{
    char *names[] = {(char *)name, NULL};
    struct vt_clone_request req = {.template_name = template_name,
                                   .names = name ? names : NULL,
                                   .count = name ? 0 : 1};
    vt_autostrv char **made = NULL;
    {
        vt_autoclose int lock = vt_store_lock(dirs, err);
        if (lock < 0 || vt_clone_create_locked(conn, dirs, &req, &made, err) < 0)
            return -1;
    }
    bool missing;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(conn, made[0], &missing, err);
    if (dom == NULL || virDomainCreate(dom) < 0) {
        if (dom)
            vt_error_set_virt(err, "cannot start clone '%s'", made[0]);
        vt_autoerror vt_error_t left = NULL;
        if (vt_pool_discard(conn, dirs, template_name, made[0], &left) < 0)
            vt_error_prefix(err, "clone '%s' is left defined (%s)", made[0], left->msg);
        return -1;
    }
    *out = vt_steal(made[0]);
    return 0;
}

int vt_pool_take(virConnectPtr conn, const struct vt_dirs *dirs, const char *template_name,
                 const char *name, struct vt_take *out, vt_error_t *err)
{
    *out = (struct vt_take){0};
    if (vt_name_validate(template_name, "template", err) < 0)
        return -1;
    for (int attempt = 0; name == NULL && attempt < VT_POOL_TAKE_ATTEMPTS; attempt++) {
        vt_autofree char *picked = NULL;
        unsigned size = 0;
        if (vt_pool_pick(conn, dirs, template_name, &picked, &size, err) < 0)
            return -1;
        out->refill = size > 0 && !vt_pool_refill_running(dirs, template_name);
        if (picked == NULL)
            break;
        vt_autoerror vt_error_t failed = NULL;
        if (vt_pool_resume(conn, dirs, template_name, picked, &failed) == 0) {
            out->name = vt_steal(picked);
            out->from_pool = true;
            return 0;
        }
        vt_autoerror vt_error_t ignored = NULL;
        vt_pool_discard(conn, dirs, template_name, picked, &ignored);
        free(out->skipped);
        out->skipped = strdup(failed->msg);
    }
    return vt_pool_start_fresh(conn, dirs, template_name, name, &out->name, err);
}
