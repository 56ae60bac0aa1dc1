#include "hook.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "meta.h"
#include "names.h"
#include "pool-members.h"
#include "restore.h"
#include "clock.h"
#include "forward.h"
#include "identity.h"
#include "start-marker.h"
#include "store.h"
#include "xml-shape.h"

#define VT_HOOK_PATH_MAX 4096
#define VT_HOOK_IDENTITY_TIMEOUT_MS 5000
#define VT_HOOK_XML_MAX (16 * 1024 * 1024)

static int vt_hook_clone_name(const struct vt_hook_call *call, vt_error_t *err)
{
    return vt_name_validate(call->domain, "clone", err);
}

static int vt_hook_remove_socket(const struct vt_hook_call *call, vt_error_t *err)
{
    vt_autofree char *socket = vt_path_clone_qmp(call->dirs, call->domain, err);
    if (socket == NULL)
        return -1;
    if (unlink(socket) < 0 && errno != ENOENT)
        return vt_error_set(err, errno, "cannot remove '%s'", socket);
    return 0;
}

/* Each disk of the template must be the clone's own overlay: the hook
 * resets that file for a fresh start, and the template's RAM must never
 * resume over another disk. */
static int vt_hook_check_disks(const struct vt_hook_call *call, const struct vt_meta *meta,
                               vt_error_t *err)
{
    for (size_t i = 0; i < meta->ndisks; i++) {
        const char *target = meta->disks[i].target;
        vt_autofree char *own =
            vt_path_disk_clone(call->dirs, meta->name, call->domain, target, err);
        vt_autofree char *quoted = NULL;
        if (own == NULL)
            return -1;
        if (asprintf(&quoted, "file='%s'", own) < 0) {
            quoted = NULL;
            return vt_error_nomem(err);
        }
        if (strstr(call->xml, quoted) == NULL)
            return vt_error_set(err, 0,
                                "clone '%s' does not run on its own overlay '%s' for disk '%s'; "
                                "a clone keeps its template's disks",
                                call->domain, own, target);
    }
    return 0;
}

/* A clone's private monitor and RAM are named after it and its template:
 * a domain copied from a clone (virt-clone, dumpxml | define) still names
 * the original's, and two QEMUs must never share one socket. */
static int vt_hook_check_identity(const struct vt_hook_call *call, const struct vt_meta *meta,
                                  vt_error_t *err)
{
    char socket[VT_HOOK_PATH_MAX];
    vt_autofree char *own = vt_path_clone_qmp(call->dirs, call->domain, err);
    if (own == NULL)
        return -1;
    if (!vt_xml_scan_arg(call->xml, "socket,id=vt-qmp,path=", socket, sizeof(socket)))
        return vt_error_set(err, 0,
                            "domain '%s' has lost its virt-template monitor (qemu:commandline); "
                            "make clones with 'virt-template clone %s NAME'",
                            call->domain, meta->name);
    if (strcmp(socket, own) != 0)
        return vt_error_set(err, 0,
                            "domain '%s' is a copy of another clone (its monitor is '%s'); "
                            "make clones with 'virt-template clone %s %s'",
                            call->domain, socket, meta->name, call->domain);
    return vt_hook_check_disks(call, meta, err);
}

/* The saved device state loads only into the hardware it was saved from:
 * refuse an edit (virsh edit, attach-device --config) with one line naming
 * it, rather than let QEMU fail the incoming migration. */
static int vt_hook_check_shape(const struct vt_hook_call *call, const struct vt_meta *meta,
                               vt_error_t *err)
{
    __attribute__((cleanup(vt_domain_shape_clear))) struct vt_domain_shape clone = {0}, saved = {0};
    vt_autofree char *path = vt_path_template(call->dirs, VT_PATH_XML, meta->name, err);
    vt_autofree char *xml = NULL;
    char diff[VT_SHAPE_DEVICE + 128];
    if (path == NULL || vt_file_read(path, VT_HOOK_XML_MAX, &xml, NULL, err) < 0 ||
        vt_xml_scan_shape(xml, &saved, err) < 0 || vt_xml_scan_shape(call->xml, &clone, err) < 0)
        return -1;
    vt_domain_shape_diff(&clone, &saved, diff, sizeof(diff));
    if (*diff)
        return vt_error_set(err, 0,
                            "clone '%s' no longer matches template '%s': %s; a clone keeps its "
                            "template's hardware",
                            call->domain, meta->name, diff);
    return 0;
}

static int vt_hook_prepare_clone(const struct vt_hook_call *call, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (vt_hook_clone_name(call, err) < 0)
        return -1;
    /* A clone restored from its own save image has anonymous RAM (restore
     * begin saw to it): it needs the template's store, not its memory. */
    if (vt_store_load_saved(call->dirs, call->md.template_name, &meta, err) < 0 ||
        (vt_xml_maps_template_memory(call->xml) &&
         vt_store_check_memory(call->dirs, &meta, err) < 0))
        return vt_error_prefix(err, "cannot start clone '%s'", call->domain);
    if (vt_hook_check_identity(call, &meta, err) < 0 || vt_hook_check_shape(call, &meta, err) < 0)
        return -1;
    /* QEMU, as its own user, creates the clone's QMP socket here. */
    if (vt_dir_ensure(call->dirs->run, 0700, meta.qemu_uid, meta.qemu_gid, err) < 0 ||
        vt_hook_remove_socket(call, err) < 0)
        return -1;
    /* Before QEMU opens them: the clone's disks at the template point for
     * a fresh start, as they are for libvirt's restore or migration. */
    bool incoming = vt_start_take_incoming(call->dirs, call->domain);
    if (!incoming && vt_store_clone_files_reset(call->dirs, &meta, call->domain, err) < 0)
        return -1;
    return vt_start_record(call->dirs, call->domain, incoming ? VT_START_INCOMING : VT_START_FRESH,
                           err);
}

static int vt_hook_prepare_template(const struct vt_hook_call *call, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (vt_store_load(call->dirs, call->md.template_name, &meta, err) < 0)
        return vt_error_prefix(err, "cannot start template domain '%s'", call->domain);
    /* A second boot would overwrite the memory file every clone maps. */
    if (meta.state == VT_TEMPLATE_SAVED)
        return vt_error_set(
            err, 0, "template '%s' is saved: it cannot boot again (start its clones instead)",
            meta.name);
    /* QEMU, as its own user, listens on the template's identity channel
     * there (RUN/T.identity). */
    return vt_dir_ensure(call->dirs->run, 0700, meta.qemu_uid, meta.qemu_gid, err);
}

bool vt_hook_concerns(const struct vt_dirs *dirs, const char *xml)
{
    (void)dirs;
    return strstr(xml, VT_XML_NS) != NULL || strstr(xml, "mem-path") != NULL;
}

struct vt_hook_sealed_check {
    const struct vt_hook_call *call;
    vt_error_t *err;
};

/* Is `target` the memory file of saved template `name`? By inode, so that
 * no spelling of the path (symlinks, "//", another memory directory) hides
 * it. */
static bool vt_hook_is_saved_memory(const struct vt_dirs *dirs, const char *name,
                                    const struct stat *target)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autoerror vt_error_t ignored = NULL;
    struct vt_dirs tdirs;
    struct stat st;
    if (vt_store_load(dirs, name, &meta, &ignored) < 0 || meta.state != VT_TEMPLATE_SAVED)
        return false;
    vt_store_template_dirs(dirs, &meta, &tdirs);
    vt_autofree char *mem = vt_path_template(&tdirs, VT_PATH_MEM, name, &ignored);
    return mem && stat(mem, &st) == 0 && st.st_dev == target->st_dev && st.st_ino == target->st_ino;
}

static int vt_hook_refuse_if_saved(const char *path, void *data)
{
    struct vt_hook_sealed_check *c = data;
    vt_autostrv char **names = NULL;
    vt_autoerror vt_error_t ignored = NULL;
    struct stat target;
    if (stat(path, &target) < 0 || vt_store_list(c->call->dirs, &names, &ignored) < 0)
        return 0;
    for (char **n = names; *n; n++)
        if (vt_hook_is_saved_memory(c->call->dirs, *n, &target))
            return vt_error_set(c->err, 0,
                                "domain '%s' would map the memory of saved template '%s' with "
                                "share=on; that memory is sealed (define clones with "
                                "virt-template clone)",
                                c->call->domain, *n);
    return 0;
}

static int vt_hook_prepare_role(const struct vt_hook_call *call, vt_error_t *err)
{
    switch (call->md.role) {
    case VT_ROLE_CLONE: return vt_hook_prepare_clone(call, err);
    case VT_ROLE_TEMPLATE: return vt_hook_prepare_template(call, err);
    case VT_ROLE_NONE:
    case VT_ROLE_LAST: break;
    }
    return 0;
}

int vt_hook_prepare(const struct vt_hook_call *call, vt_error_t *err)
{
    if (vt_hook_prepare_role(call, err) < 0)
        return -1;
    /* Any domain, ours or not: writing the file would change what every
     * clone resumes into. */
    struct vt_hook_sealed_check check = {.call = call, .err = err};
    return vt_xml_scan_shared_mappings(call->xml, vt_hook_refuse_if_saved, &check);
}

/* restore begin and migrate begin: libvirt feeds this start itself; the
 * clone's disks stay as they are (its own state). */
static int vt_hook_note_incoming(const struct vt_hook_call *call, bool needs_memory,
                                 vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (call->md.role != VT_ROLE_CLONE)
        return 0;
    if (vt_hook_clone_name(call, err) < 0)
        return -1;
    if (vt_store_load_saved(call->dirs, call->md.template_name, &meta, err) < 0 ||
        (needs_memory && vt_store_check_memory(call->dirs, &meta, err) < 0))
        return -1;
    /* After a reboot /run is empty: the run directory comes back first. */
    if (vt_dir_ensure(call->dirs->run, 0700, meta.qemu_uid, meta.qemu_gid, err) < 0)
        return -1;
    return vt_start_note_incoming(call->dirs, call->domain, err);
}

int vt_hook_migrate(const struct vt_hook_call *call, vt_error_t *err)
{
    /* A clone that runs on the template's memory file needs it here too. */
    if (vt_hook_note_incoming(call, vt_xml_maps_template_memory(call->xml), err) < 0)
        return vt_error_prefix(err, "cannot migrate clone '%s' to this host", call->domain);
    return 0;
}

int vt_hook_restore(const struct vt_hook_call *call, vt_error_t *err)
{
    if (vt_hook_note_incoming(call, false, err) < 0)
        return vt_error_prefix(err, "cannot restore clone '%s'", call->domain);
    if (call->md.role != VT_ROLE_CLONE)
        return 0;
    return vt_xml_ram_to_anonymous(call->xml, call->output, err) < 0 ? -1 : 0;
}

/* After every start, fresh or restored (a restored clock is stale too):
 * the clone's port forwards, and its identity for the guest kit. */
static int vt_hook_give_identity(const struct vt_hook_call *call, const struct vt_meta *meta,
                                 vt_error_t *err)
{
    __attribute__((cleanup(vt_clone_config_clear))) struct vt_clone_config config = {0};
    int64_t deadline = vt_clock_ms() + VT_HOOK_IDENTITY_TIMEOUT_MS;
    bool sent;
    if (vt_clone_config_load(call->dirs, meta->name, call->domain, &config, err) < 0 ||
        vt_forward_apply(call->dirs, call->domain, &config, deadline, err) < 0)
        return -1;
    if (vt_identity_send(call->dirs, meta, call->domain, call->xml, &config, deadline, &sent, err) < 0)
        return vt_error_prefix(err, "clone '%s'", call->domain);
    return 0;
}

int vt_hook_started(const struct vt_hook_call *call, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (call->md.role != VT_ROLE_CLONE)
        return 0;
    if (vt_hook_clone_name(call, err) < 0)
        return -1;
    enum vt_start_kind began = vt_start_take_record(call->dirs, call->domain);
    if (vt_store_load_saved(call->dirs, call->md.template_name, &meta, err) < 0 ||
        vt_restore_clone(call->dirs, &meta, call->domain, VT_HOOK_RESTORE_TIMEOUT_MS, began, NULL,
                         err) < 0)
        return -1;
    /* A warm pool's member that a refill starts stays paused until take
     * resumes it: take sends its identity then, with the clock of that
     * moment. */
    if (vt_pool_member_filling(call->dirs, meta.name, call->domain))
        return 0;
    return vt_hook_give_identity(call, &meta, err);
}

int vt_hook_release(const struct vt_hook_call *call, vt_error_t *err)
{
    if (call->md.role != VT_ROLE_CLONE)
        return 0;
    if (vt_hook_clone_name(call, err) < 0)
        return -1;
    vt_start_forget(call->dirs, call->domain);
    vt_autofree char *identity = vt_path_identity(call->dirs, call->domain, err);
    if (identity == NULL)
        return -1;
    unlink(identity);
    return vt_hook_remove_socket(call, err);
}
