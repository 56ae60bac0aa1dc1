#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "clock.h"
#include "digest.h"
#include "qmp.h"

/* x-ignore-shared must be set on the destination too: QEMU validates that
 * both sides agree (QEMU 7.2 has no -global for it: docs/design.md, Traps). "events"
 * lets us wait for the MIGRATION event instead of polling. */
static const char *const vt_restore_capabilities[] = {"x-ignore-shared", "events"};

static int vt_restore_run(struct vt_qmp *qmp, int state_fd, int64_t deadline, vt_error_t *err)
{
    json_object *caps = vt_qmp_capabilities_args(vt_restore_capabilities,
                                                 VT_N_ELEMENTS(vt_restore_capabilities), true);
    json_object *getfd = vt_qmp_string_args("fdname", "vt-state");
    json_object *incoming = vt_qmp_string_args("uri", "fd:vt-state");
    int rc = -1;
    if (vt_qmp_execute(qmp, "migrate-set-capabilities", caps, -1, deadline, NULL, err) == 0 &&
        vt_qmp_execute(qmp, "getfd", getfd, state_fd, deadline, NULL, err) == 0 &&
        vt_qmp_execute(qmp, "migrate-incoming", incoming, -1, deadline, NULL, err) == 0 &&
        vt_qmp_wait_migration(qmp, deadline, err) == 0)
        rc = 0;
    json_object_put(caps);
    json_object_put(getfd);
    json_object_put(incoming);
    return rc;
}

/* Opens the state file and checks it against the metadata, on the fd that
 * goes to QEMU (no window between the check and the use). */
static int vt_restore_open_state(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                 vt_error_t *err)
{
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_DEVICE_STATE, meta->name, err);
    if (path == NULL)
        return -1;
    vt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return vt_error_set(err, errno, "cannot open the device state of template '%s'",
                            meta->name);
    if (!S_ISREG(st.st_mode))
        return vt_error_set(err, 0, "the device state of template '%s' is not a regular file",
                            meta->name);
    char digest[VT_DIGEST_HEX_LEN + 1];
    uint64_t bytes = 0;
    if (vt_digest_fd(fd, meta->device_state_digest_alg, digest, &bytes, err) < 0)
        return -1;
    if (bytes != meta->device_state_bytes || strcmp(digest, meta->device_state_digest) != 0)
        return vt_error_set(err, 0,
                            "the device state of template '%s' does not match its metadata "
                            "(truncated, corrupted or replaced)",
                            meta->name);
    return vt_steal_fd(&fd);
}

/* Is libvirt feeding this QEMU itself: a restore from a save image
 * (managed save, virsh restore) or an incoming live migration? libvirt
 * sends its migrate-incoming before the started hook runs, so QEMU's
 * incoming side then has a status (a restore has completed) or a listening
 * socket (a migration waiting for its source). A clone started from the
 * template point has neither: only our -incoming defer. docs/design.md,
 * Flows: restore and migration. */
static int vt_restore_by_libvirt(struct vt_qmp *qmp, int64_t deadline, bool *yes, vt_error_t *err)
{
    json_object *ret = NULL, *v = NULL;
    if (vt_qmp_execute(qmp, "query-migrate", NULL, -1, deadline, &ret, err) < 0)
        return -1;
    *yes = json_object_object_get_ex(ret, "status", &v) ||
           json_object_object_get_ex(ret, "socket-address", &v);
    json_object_put(ret);
    return 0;
}

/* The running clone must look like any domain to libvirt's own save and
 * migration: their stream carries x-ignore-shared, and the QEMU that
 * libvirt starts to receive it (capability off) refuses a stream that has
 * it on. The clone's RAM is private, so the capability saved nothing. */
static int vt_restore_done(struct vt_qmp *qmp, int64_t deadline, vt_error_t *err)
{
    static const char *const off[] = {"x-ignore-shared"};
    json_object *caps = vt_qmp_capabilities_args(off, VT_N_ELEMENTS(off), false);
    int rc = vt_qmp_execute(qmp, "migrate-set-capabilities", caps, -1, deadline, NULL, err);
    json_object_put(caps);
    return rc;
}

/* A clone's disks must hold the point its RAM resumes at: reset for the
 * template's RAM, kept for libvirt's restore of the clone's own state. The
 * hook's prepare chose before QEMU opened them; refuse if that choice and
 * what is happening disagree (template RAM over a diverged disk corrupts
 * the guest's filesystem). A clone without disks has nothing to keep. */
static int vt_restore_check_disks(const struct vt_meta *meta, enum vt_start_kind began,
                                  bool by_libvirt, vt_error_t *err)
{
    if (meta->ndisks == 0 && !meta->nvram)
        return 0;
    if (by_libvirt && began != VT_START_INCOMING)
        return vt_error_set(err, 0,
                            "libvirt restores it, but its disks were reset to the "
                            "template point; start it again");
    if (!by_libvirt && began != VT_START_FRESH)
        return vt_error_set(err, 0,
                            "its disks were not reset to the template point for this "
                            "start; refusing the template's memory over them (start it again)");
    return 0;
}

static int vt_restore_feed(const struct vt_dirs *dirs, const struct vt_meta *meta,
                           enum vt_start_kind began, struct vt_qmp *qmp, int64_t deadline,
                           bool *fed, vt_error_t *err)
{
    bool by_libvirt = false;
    if (vt_restore_by_libvirt(qmp, deadline, &by_libvirt, err) < 0 ||
        vt_restore_check_disks(meta, began, by_libvirt, err) < 0)
        return -1;
    if (by_libvirt)
        return 0;
    vt_autoclose int fd = vt_restore_open_state(dirs, meta, err);
    if (fd < 0 || vt_restore_run(qmp, fd, deadline, err) < 0 ||
        vt_restore_done(qmp, deadline, err) < 0)
        return -1;
    *fed = true;
    return 0;
}

int vt_restore_clone(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                     int timeout_ms, enum vt_start_kind began, bool *fed, vt_error_t *err)
{
    int64_t deadline = vt_clock_ms() + timeout_ms;
    bool fed_here = false;
    vt_autofree char *socket = vt_path_clone_qmp(dirs, clone, err);
    if (socket == NULL)
        return -1;
    vt_autoqmp struct vt_qmp *qmp = NULL;
    if (vt_qmp_open(socket, deadline, &qmp, err) < 0 ||
        vt_restore_feed(dirs, meta, began, qmp, deadline, &fed_here, err) < 0)
        return vt_error_prefix(err, "cannot restore clone '%s' from template '%s'", clone,
                               meta->name);
    if (fed)
        *fed = fed_here;
    return 0;
}
