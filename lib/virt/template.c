#include "template.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "disk.h"
#include "fileio.h"
#include "names.h"
#include "pool.h"
#include "store.h"
#include "virt.h"
#include "xml.h"

static int vt_template_check_free(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                                  vt_error_t *err)
{
    if (vt_store_exists(dirs, name))
        return vt_error_set(err, 0, "template '%s' already exists", name);
    if (vt_virt_domain_exists(conn, name))
        return vt_error_set(err, 0, "a domain named '%s' already exists", name);
    return 0;
}

/* Every source image is there, readable, of its format, with a sound
 * backing chain; a running source domain would write its disks while they
 * are copied. */
static int vt_template_check_sources(virConnectPtr conn, const struct vt_template_source *src,
                                     const struct vt_xml_template_plan *plan, vt_error_t *err)
{
    if (src->domain && (plan->ndisks > 0 || plan->nvram_source)) {
        vt_autodomain virDomainPtr dom = virDomainLookupByName(conn, src->domain);
        if (dom && virDomainIsActive(dom) == 1)
            return vt_error_set(err, 0,
                                "domain '%s' is running; shut it down first (its disks would be "
                                "copied while it writes them)",
                                src->domain);
    }
    for (size_t i = 0; i < plan->ndisks; i++)
        if (vt_disk_check_source(plan->disks[i].target, plan->disks[i].source,
                                 plan->disks[i].format, err) < 0)
            return -1;
    if (plan->nvram_source && access(plan->nvram_source, R_OK) < 0 && errno != ENOENT)
        return vt_error_set(err, errno, "UEFI variables '%s'", plan->nvram_source);
    return 0;
}

/* The template's own copies of the source's disks and UEFI variables: the
 * source domain and its images are never written. */
static int vt_template_copy_files(const struct vt_dirs *dirs, const char *name,
                                  const struct vt_xml_template_plan *plan, vt_error_t *err)
{
    for (size_t i = 0; i < plan->ndisks; i++) {
        const struct vt_xml_template_disk *d = &plan->disks[i];
        vt_autofree char *base = vt_path_disk_base(dirs, name, d->target, d->format, err);
        if (base == NULL || vt_disk_copy(d->source, d->format, base, err) < 0)
            return -1;
    }
    if (plan->nvram_source == NULL || access(plan->nvram_source, F_OK) < 0)
        return 0; /* none yet: libvirt makes the template's from the firmware's */
    vt_autofree char *nvram = vt_path_nvram(dirs, name, NULL, err);
    return nvram ? vt_file_copy(plan->nvram_source, nvram, 0600, err) : -1;
}

static void vt_template_meta_from_plan(struct vt_meta *meta,
                                       const struct vt_xml_template_plan *plan)
{
    meta->memory_bytes = plan->memory_bytes;
    meta->ndisks = plan->ndisks;
    for (size_t i = 0; i < plan->ndisks; i++) {
        memcpy(meta->disks[i].target, plan->disks[i].target, sizeof(meta->disks[i].target));
        memcpy(meta->disks[i].format, plan->disks[i].format, sizeof(meta->disks[i].format));
    }
    meta->nvram = plan->has_nvram;
}

/* Makes the store's files for template `meta` and starts its domain; on a
 * failure, nothing of it is left. */
static int vt_template_start(virConnectPtr conn, const struct vt_dirs *dirs, struct vt_meta *meta,
                             const struct vt_xml_template_plan *plan, const char *xml,
                             vt_error_t *err)
{
    meta->created_ms = vt_wall_ms();
    if (vt_store_create(dirs, meta, err) < 0)
        return -1;
    vt_autodomain virDomainPtr dom = NULL;
    if (vt_template_copy_files(dirs, meta->name, plan, err) == 0 &&
        (dom = virDomainCreateXML(conn, xml, 0)) == NULL)
        vt_error_set_virt(err, "cannot start template '%s'", meta->name);
    if (dom == NULL) {
        vt_autoerror vt_error_t ignored = NULL;
        vt_store_remove(dirs, meta->name, &ignored);
        return -1;
    }
    return 0;
}

int vt_template_create(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                       const struct vt_template_source *src, struct vt_template_notes *notes,
                       vt_error_t *err)
{
    if (vt_name_validate(name, "template", err) < 0)
        return -1;
    if (src->memory_dir && !vt_meta_memory_dir_valid(src->memory_dir))
        return vt_error_set(err, 0, "invalid memory directory '%s': give an absolute path",
                            src->memory_dir);
    struct vt_meta meta = {.name = (char *)name,
                           .state = VT_TEMPLATE_BOOTING,
                           .boot_ms = -1,
                           .save_ms = -1,
                           .memory_dir = (char *)src->memory_dir};
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, &meta, &tdirs);
    vt_autofree char *xml = NULL;
    __attribute__((cleanup(vt_xml_template_plan_clear))) struct vt_xml_template_plan plan = {0};
    /* Everything that can be refused is checked before anything exists. */
    if (vt_xml_make_template(src->xml, name, &tdirs, &xml, &plan, err) < 0 ||
        vt_template_check_sources(conn, src, &plan, err) < 0 ||
        vt_virt_qemu_user(conn, &meta.qemu_uid, &meta.qemu_gid, err) < 0)
        return -1;
    vt_template_meta_from_plan(&meta, &plan);
    vt_autoclose int lock = vt_store_lock(dirs, err);
    if (lock < 0 || vt_template_check_free(conn, dirs, name, err) < 0 ||
        vt_template_start(conn, dirs, &meta, &plan, xml, err) < 0)
        return -1;
    if (notes)
        notes->balloon_removed = plan.balloon_removed;
    return 0;
}

static int vt_template_remove_clones(virConnectPtr conn, char **clones, vt_error_t *err)
{
    for (char **c = clones; *c; c++)
        if (vt_virt_domain_remove(conn, *c, err) < 0)
            return -1;
    return 0;
}

static int vt_template_check_deletable(const char *name, char **clones, bool running, bool force,
                                       bool pool_members, vt_error_t *err)
{
    size_t n = 0;
    while (clones[n])
        n++;
    if (force)
        return 0;
    if (n > 0)
        return vt_error_set(err, 0,
                            "template '%s' has %zu clone(s) defined%s; use --force to remove them "
                            "too",
                            name, n, pool_members ? ", some in its warm pool" : "");
    if (running)
        return vt_error_set(err, 0, "template '%s' is running; use --force to destroy it", name);
    return 0;
}

static bool vt_template_has_pool(const struct vt_dirs *dirs, const char *name)
{
    struct vt_pool pool = {0};
    vt_autoerror vt_error_t ignored = NULL;
    bool members = vt_pool_load(dirs, name, &pool, &ignored) == 0 && pool.n > 0;
    vt_pool_clear(&pool);
    return members;
}

int vt_template_delete(virConnectPtr conn, const struct vt_dirs *dirs, const char *name, bool force,
                       vt_error_t *err)
{
    if (vt_name_validate(name, "template", err) < 0)
        return -1;
    vt_autoclose int lock = vt_store_lock(dirs, err);
    if (lock < 0)
        return -1;
    if (!vt_store_exists(dirs, name))
        return vt_error_set(err, 0, "template '%s' does not exist", name);
    vt_autostrv char **clones = NULL;
    /* First, so that no refill brings members back (pool.h). */
    if (force && vt_pool_drain_locked(conn, dirs, name, err) < 0)
        return -1;
    if (vt_virt_list_clones(conn, name, &clones, err) < 0)
        return -1;
    vt_autodomain virDomainPtr dom = virDomainLookupByName(conn, name);
    bool running = dom && virDomainIsActive(dom) == 1;
    if (vt_template_check_deletable(name, clones, running, force,
                                    vt_template_has_pool(dirs, name), err) < 0 ||
        vt_template_remove_clones(conn, clones, err) < 0)
        return -1;
    if (running && virDomainDestroy(dom) < 0)
        return vt_error_set_virt(err, "cannot destroy template '%s'", name);
    return vt_store_remove(dirs, name, err);
}

void vt_template_info_clear(struct vt_template_info *info)
{
    vt_meta_clear(&info->meta);
    vt_clone_status_free(info->clone_status, info->clones);
    free(info->memory_path);
    free(info->disk_dir);
    *info = (struct vt_template_info){0};
}

const char *vt_template_info_state(const struct vt_template_info *info)
{
    if (info->meta.state == VT_TEMPLATE_BOOTING && !info->running)
        return "stopped";
    return vt_template_state_name(info->meta.state);
}

/* Each clone's port forwards, for list and info: where to connect. */
static int vt_template_clone_forwards(const struct vt_dirs *dirs, const char *name,
                                      struct vt_template_info *info, vt_error_t *err)
{
    for (unsigned i = 0; i < info->clones; i++) {
        struct vt_clone_status *c = &info->clone_status[i];
        struct vt_clone_config config;
        if (vt_clone_config_load(dirs, name, c->name, &config, err) < 0)
            return -1;
        c->nforwards = config.nforwards;
        memcpy(c->forwards, config.forwards, sizeof(c->forwards));
        vt_clone_config_clear(&config);
    }
    return 0;
}

int vt_template_describe(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                         struct vt_template_info *info, vt_error_t *err)
{
    *info = (struct vt_template_info){0};
    if (vt_store_load(dirs, name, &info->meta, err) < 0)
        return -1;
    size_t nclones = 0;
    if (vt_virt_clone_status(conn, name, &info->clone_status, &nclones, err) < 0) {
        vt_meta_clear(&info->meta);
        return -1;
    }
    info->clones = (unsigned)nclones;
    if (vt_template_clone_forwards(dirs, name, info, err) < 0) {
        vt_template_info_clear(info);
        return -1;
    }
    vt_autodomain virDomainPtr dom = virDomainLookupByName(conn, name);
    info->running = dom && virDomainIsActive(dom) == 1;
    info->state_size = vt_store_file_size(dirs, VT_PATH_DEVICE_STATE, name);
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, &info->meta, &tdirs);
    info->memory_file_size = vt_store_file_size(&tdirs, VT_PATH_MEM, name);
    if ((info->memory_path = vt_path_template(&tdirs, VT_PATH_MEM, name, err)) == NULL ||
        (info->disk_dir = vt_path_template(dirs, VT_PATH_DISK_DIR, name, err)) == NULL) {
        vt_template_info_clear(info);
        return -1;
    }
    /* A memory directory gone after a reboot is no reason to hide the
     * template: info shows where its memory was. */
    vt_autoerror vt_error_t unknown = NULL;
    if (vt_fs_is_volatile(tdirs.mem, &info->memory_volatile, &unknown) < 0)
        info->memory_volatile = false;
    return 0;
}
