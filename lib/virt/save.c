/* `save`: freeze a booted template (docs/design.md, Flows: save). The metadata switch
 * to "saved" is the last step; every failure before it leaves the template
 * booting (resumed when possible) with no state file anyone would use. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt-qemu.h>

#include "cleanup.h"
#include "clock.h"
#include "console.h"
#include "digest.h"
#include "disk.h"
#include "fileio.h"
#include "qmp.h"
#include "store.h"
#include "template.h"
#include "virt.h"
#include "xml.h"

#define VT_SAVE_POLL_MS 5

/* What the console wait asks twice a second: is the template still up?
 * A good moment to say what we wait for, too. */
struct vt_save_console {
    virDomainPtr dom;
    const char *pattern;
    struct vt_progress *progress;
};

static bool vt_save_console_alive(void *data)
{
    struct vt_save_console *c = data;
    vt_progress_step(c->progress, "waiting for the console to match '%s'", c->pattern);
    return virDomainIsActive(c->dom) == 1;
}

/* The running domain `name`, which must be our template of that name. */
static virDomainPtr vt_save_find_domain(virConnectPtr conn, const char *name, vt_error_t *err)
{
    bool missing = false;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(conn, name, &missing, err);
    if (dom == NULL && !missing)
        return NULL;
    int active = dom ? virDomainIsActive(dom) : 0;
    if (active < 0) {
        vt_error_set_virt(err, "cannot read the state of domain '%s'", name);
        return NULL;
    }
    if (active == 0) {
        vt_error_set(err, 0, "template '%s' is not running; delete it and create it again", name);
        return NULL;
    }
    vt_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    struct vt_xml_metadata md;
    if (xml == NULL) {
        vt_error_set_virt(err, "cannot read the XML of domain '%s'", name);
        return NULL;
    }
    if (vt_xml_read_metadata(xml, &md, err) < 0)
        return NULL;
    if (md.role != VT_ROLE_TEMPLATE || strcmp(md.template_name, name) != 0) {
        vt_error_set(err, 0, "domain '%s' is not a virt-template template", name);
        return NULL;
    }
    return vt_steal(dom);
}

static int vt_save_wait_console(virDomainPtr dom, const char *pattern, int64_t deadline,
                                struct vt_progress *progress, vt_error_t *err)
{
    vt_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    if (xml == NULL)
        return vt_error_set_virt(err, "cannot read the template's XML");
    vt_autofree char *console = vt_xml_console_file(xml, err);
    if (console == NULL)
        return -1;
    struct vt_save_console c = {.dom = dom, .pattern = pattern, .progress = progress};
    return vt_console_wait(console, pattern, deadline, vt_save_console_alive, &c, err);
}

/* x-ignore-shared leaves shared RAM blocks out of the stream. Since QEMU 8.1
 * only blocks backed by a named file count as shared (memfd ones do not):
 * the template's RAM is memory-backend-file share=on, so it stays out on
 * every supported QEMU (lifecycle.bats checks the state's size). */
static const char *const vt_save_capabilities[] = {"x-ignore-shared"};

/* QEMU says why in "error-desc" (e.g. the disk is full): pass that on. */
static void vt_save_migration_error(json_object *ret, const char *status, vt_error_t *err)
{
    json_object *desc = NULL;
    if (json_object_object_get_ex(ret, "error-desc", &desc) &&
        json_object_is_type(desc, json_type_string))
        vt_error_set(err, 0, "saving the device state failed: %s", json_object_get_string(desc));
    else
        vt_error_set(err, 0, "device state migration %s", status ? status : "has no status");
}

static int vt_save_poll_migration(virDomainPtr dom, int64_t deadline, vt_error_t *err)
{
    for (;;) {
        json_object *ret = NULL;
        if (vt_virt_monitor(dom, "query-migrate", NULL, -1, &ret, err) < 0)
            return -1;
        const char *status = vt_qmp_migration_status(ret);
        int done = status == NULL || vt_qmp_migration_failed(status) ? -1
                   : strcmp(status, "completed") == 0                  ? 1
                                                                       : 0;
        if (done < 0)
            vt_save_migration_error(ret, status, err);
        json_object_put(ret);
        if (done != 0)
            return done > 0 ? 0 : -1;
        if (vt_clock_ms() >= deadline)
            return vt_error_set(err, 0, "timed out saving the device state");
        vt_sleep_ms(VT_SAVE_POLL_MS);
    }
}

/* stop, x-ignore-shared, getfd, migrate fd: — RAM stays in the shared file. */
static int vt_save_migrate(virDomainPtr dom, int state_fd, int64_t deadline, vt_error_t *err)
{
    json_object *caps = vt_qmp_capabilities_args(vt_save_capabilities,
                                                 VT_N_ELEMENTS(vt_save_capabilities), true);
    json_object *getfd = vt_qmp_string_args("fdname", "vt-state");
    json_object *migrate = vt_qmp_string_args("uri", "fd:vt-state");
    int rc = -1;
    if (vt_virt_monitor(dom, "stop", NULL, -1, NULL, err) == 0 &&
        vt_virt_monitor(dom, "migrate-set-capabilities", caps, -1, NULL, err) == 0 &&
        vt_virt_monitor(dom, "getfd", getfd, state_fd, NULL, err) == 0 &&
        vt_virt_monitor(dom, "migrate", migrate, -1, NULL, err) == 0 &&
        vt_save_poll_migration(dom, deadline, err) == 0)
        rc = 0;
    json_object_put(caps);
    json_object_put(getfd);
    json_object_put(migrate);
    return rc;
}

struct vt_save_files {
    char *state_tmp;
    int state_fd;
};

static void vt_save_files_clear(struct vt_save_files *f)
{
    if (f->state_fd >= 0)
        close(f->state_fd);
    if (f->state_tmp)
        unlink(f->state_tmp); /* a no-op once renamed into place */
    free(f->state_tmp);
}

static int vt_save_open_state(const struct vt_dirs *dirs, const char *name, struct vt_save_files *f,
                              vt_error_t *err)
{
    vt_autofree char *state = vt_path_template(dirs, VT_PATH_DEVICE_STATE, name, err);
    if (state == NULL)
        return -1;
    if (asprintf(&f->state_tmp, "%s.tmp.XXXXXX", state) < 0) {
        f->state_tmp = NULL; /* undefined after a failed asprintf */
        return vt_error_nomem(err);
    }
    f->state_fd = mkostemp(f->state_tmp, O_CLOEXEC);
    if (f->state_fd < 0)
        return vt_error_set(err, errno, "cannot create '%s'", f->state_tmp);
    return 0;
}

/* Makes the state and the live XML durable under their final names. */
static int vt_save_keep_files(virDomainPtr dom, const struct vt_dirs *dirs, struct vt_meta *meta,
                              struct vt_save_files *f, vt_error_t *err)
{
    const char *name = meta->name;
    uint64_t bytes = 0;
    vt_autofree char *live = virDomainGetXMLDesc(dom, 0);
    vt_autofree char *xml_path = vt_path_template(dirs, VT_PATH_XML, name, err);
    vt_autofree char *state = xml_path ? vt_path_template(dirs, VT_PATH_DEVICE_STATE, name, err) : NULL;
    if (live == NULL)
        return vt_error_set_virt(err, "cannot read the live XML of '%s'", name);
    if (state == NULL)
        return -1;
    if (fsync(f->state_fd) < 0)
        return vt_error_set(err, errno, "cannot write the device state of '%s'", name);
    /* A template booted before SHA-256 loads as FNV-1a: saves use SHA-256. */
    meta->device_state_digest_alg = VT_DIGEST_SHA256;
    if (vt_digest_fd(f->state_fd, VT_DIGEST_SHA256, meta->device_state_digest, &bytes, err) < 0)
        return -1;
    if (bytes == 0)
        return vt_error_set(err, 0, "QEMU wrote no device state for '%s'", name);
    if (vt_file_write_atomic(xml_path, live, strlen(live), 0600, err) < 0)
        return -1;
    if (rename(f->state_tmp, state) < 0)
        return vt_error_set(err, errno, "cannot rename '%s'", f->state_tmp);
    meta->device_state_bytes = bytes;
    return vt_dir_sync_parent(state, err);
}

static int vt_save_freeze(virDomainPtr dom, const struct vt_dirs *dirs, struct vt_meta *meta,
                          int64_t deadline, vt_error_t *err)
{
    struct vt_save_files f = {.state_fd = -1};
    int64_t start = vt_clock_ms();
    int rc = -1;
    if (vt_save_open_state(dirs, meta->name, &f, err) == 0 &&
        vt_save_migrate(dom, f.state_fd, deadline, err) == 0 &&
        vt_save_keep_files(dom, dirs, meta, &f, err) == 0)
        rc = 0;
    meta->save_ms = vt_clock_ms() - start; /* the state is durable: the freeze is done */
    /* Destroy costs at least one step of libvirt's 200 ms kill poll; so does
     * every other way to stop a libvirt domain (QMP quit, SIGKILL). */
    if (rc == 0 && virDomainDestroy(dom) < 0)
        rc = vt_error_set_virt(err, "cannot stop template '%s'", meta->name);
    if (rc < 0 && virDomainIsActive(dom) == 1) {
        /* Let the user retry: the guest goes on as before. */
        vt_autoerror vt_error_t ignored = NULL;
        vt_virt_monitor(dom, "cont", NULL, -1, NULL, &ignored);
    }
    vt_save_files_clear(&f);
    return rc;
}

/* Sets owner and mode of `path` (no symlink followed). */
static int vt_save_seal_path(const char *path, uid_t uid, gid_t gid, mode_t mode, vt_error_t *err)
{
    vt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
        return vt_error_set(err, errno, "cannot seal '%s'", path);
    return 0;
}

/* The guest RAM (or a disk) on disk before the metadata says "saved":
 * after a crash, clones must never resume onto pages the kernel had not
 * written back. */
static int vt_save_sync_memory(const char *path, vt_error_t *err)
{
    vt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fsync(fd) < 0)
        return vt_error_set(err, errno, "cannot write '%s' to disk", path);
    return 0;
}

/* The least the memory file can have once saved. Its directory goes to root
 * (group: QEMU's, to reach the file): no QEMU can replace or remove the file.
 * The file: QEMU >= 8.2 clones open it read-only, so nobody may write it
 * (root-owned, group-readable by QEMU). QEMU 7.2 clones must open it
 * read-write (share=off maps it privately, but the open is O_RDWR), so the
 * QEMU user keeps rw on it and nobody else gets anything: README, "Protecting
 * the template". */
static int vt_save_seal_memory(const struct vt_dirs *dirs, const struct vt_meta *meta,
                               vt_error_t *err)
{
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, meta, &tdirs);
    vt_autofree char *dir = vt_path_template(&tdirs, VT_PATH_MEM_DIR, meta->name, err);
    vt_autofree char *mem = dir ? vt_path_template(&tdirs, VT_PATH_MEM, meta->name, err) : NULL;
    if (mem == NULL)
        return -1;
    int rc = meta->readonly_mapping
                 ? vt_save_seal_path(mem, 0, meta->qemu_gid, 0440, err)
                 : vt_save_seal_path(mem, meta->qemu_uid, meta->qemu_gid, 0600, err);
    if (rc == 0)
        rc = vt_save_sync_memory(mem, err);
    if (rc < 0)
        return -1;
    return vt_save_seal_path(dir, 0, meta->qemu_gid, 0750, err);
}

/* The template's disks hold exactly the template point now (QEMU drained
 * and flushed them at `stop`, and is gone): each becomes its clones' base,
 * which nobody writes again, with an empty overlay on it that every clone's
 * overlay starts as; the UEFI variables are frozen the same way. */
static int vt_save_freeze_disks(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                vt_error_t *err)
{
    for (size_t i = 0; i < meta->ndisks; i++) {
        const struct vt_meta_disk *d = &meta->disks[i];
        vt_autofree char *base = vt_path_disk_base(dirs, meta->name, d->target, d->format, err);
        vt_autofree char *pristine = base ? vt_path_disk_pristine(dirs, meta->name, d->target, err)
                                          : NULL;
        if (pristine == NULL || vt_save_seal_path(base, 0, meta->qemu_gid, 0440, err) < 0 ||
            vt_save_sync_memory(base, err) < 0 ||
            vt_disk_overlay(base, d->format, pristine, err) < 0)
            return -1;
    }
    if (!meta->nvram)
        return 0;
    vt_autofree char *nvram = vt_path_nvram(dirs, meta->name, NULL, err);
    if (nvram == NULL)
        return -1;
    if (access(nvram, F_OK) < 0)
        return vt_error_set(err, errno, "template '%s' has no UEFI variables '%s'", meta->name,
                            nvram);
    return vt_save_seal_path(nvram, 0, 0, 0400, err);
}

/* The mapping clones will use, chosen by the QEMU libvirt runs now. */
static int vt_save_choose_mapping(virConnectPtr conn, struct vt_meta *meta, vt_error_t *err)
{
    struct vt_versions v;
    if (vt_virt_versions(conn, &v, err) < 0)
        return -1;
    meta->readonly_mapping = vt_versions_readonly_mapping(&v);
    return 0;
}

/* Loads T's metadata, which must say "booting". */
static int vt_save_load_booting(const struct vt_dirs *dirs, const char *name, struct vt_meta *meta,
                                vt_error_t *err)
{
    if (vt_store_load(dirs, name, meta, err) < 0)
        return -1;
    if (meta->state == VT_TEMPLATE_SAVED) {
        vt_meta_clear(meta);
        return vt_error_set(err, 0, "template '%s' is already saved", name);
    }
    return 0;
}

int vt_template_save(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                     const struct vt_save_opts *opts, vt_error_t *err)
{
    int64_t deadline = vt_clock_ms() + (int64_t)opts->timeout_s * 1000;
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (vt_save_load_booting(dirs, name, &meta, err) < 0)
        return -1;
    vt_autodomain virDomainPtr dom = vt_save_find_domain(conn, name, err);
    if (dom == NULL)
        return -1;
    int64_t boot_ms = meta.boot_ms;
    if (opts->wait_console || opts->wait_agent) {
        if ((opts->wait_console &&
             vt_save_wait_console(dom, opts->wait_console, deadline, opts->progress, err) < 0) ||
            (opts->wait_agent && vt_virt_agent_wait(dom, deadline, opts->progress, err) < 0))
            return vt_error_prefix(err, "template '%s'", name);
        boot_ms = vt_wall_ms() - meta.created_ms;
    }
    /* The wait ran unlocked: look again under the lock (a concurrent save). */
    vt_meta_clear(&meta);
    vt_autoclose int lock = vt_store_lock(dirs, err);
    if (lock < 0 || vt_save_load_booting(dirs, name, &meta, err) < 0)
        return -1;
    meta.boot_ms = boot_ms;
    vt_progress_step(opts->progress, "saving the device state");
    if (vt_save_choose_mapping(conn, &meta, err) < 0 ||
        vt_save_freeze(dom, dirs, &meta, deadline, err) < 0)
        return -1;
    /* fsync of the guest RAM: seconds for a large template on disk. */
    vt_progress_step(opts->progress, "writing the guest memory to disk");
    if (vt_save_seal_memory(dirs, &meta, err) < 0)
        return -1;
    if (meta.ndisks > 0)
        vt_progress_step(opts->progress, "sealing the disk images");
    if (vt_save_freeze_disks(dirs, &meta, err) < 0)
        return -1;
    meta.state = VT_TEMPLATE_SAVED;
    meta.saved_ms = vt_wall_ms();
    return vt_store_save_meta(dirs, &meta, err);
}
