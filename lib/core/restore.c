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
 * both sides agree (QEMU 7.2 has no -global for it, DESIGN.md). "events"
 * lets us wait for the MIGRATION event instead of polling. */
static json_object *vt_restore_capabilities(void)
{
    static const char *const names[] = {"x-ignore-shared", "events"};
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < VT_N_ELEMENTS(names); i++) {
        json_object *cap = json_object_new_object();
        json_object_object_add(cap, "capability", json_object_new_string(names[i]));
        json_object_object_add(cap, "state", json_object_new_boolean(true));
        json_object_array_add(list, cap);
    }
    json_object *args = json_object_new_object();
    json_object_object_add(args, "capabilities", list);
    return args;
}

static json_object *vt_json_args1(const char *key, const char *value)
{
    json_object *args = json_object_new_object();
    json_object_object_add(args, key, json_object_new_string(value));
    return args;
}

static int vt_restore_run(struct vt_qmp *qmp, int state_fd, int64_t deadline, vt_error_t *err)
{
    json_object *caps = vt_restore_capabilities();
    json_object *getfd = vt_json_args1("fdname", "vt-state");
    json_object *incoming = vt_json_args1("uri", "fd:vt-state");
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

int vt_restore_clone(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                     int timeout_ms, vt_error_t *err)
{
    int64_t deadline = vt_clock_ms() + timeout_ms;
    vt_autofree char *socket = vt_path_clone_qmp(dirs, clone, err);
    if (socket == NULL)
        return -1;
    vt_autoclose int fd = vt_restore_open_state(dirs, meta, err);
    if (fd < 0)
        return -1;
    vt_autoqmp struct vt_qmp *qmp = NULL;
    if (vt_qmp_open(socket, deadline, &qmp, err) < 0 ||
        vt_restore_run(qmp, fd, deadline, err) < 0)
        return vt_error_prefix(err, "cannot restore clone '%s' from template '%s'", clone,
                               meta->name);
    return 0;
}
