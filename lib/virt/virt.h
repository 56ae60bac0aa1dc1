/* libvirt glue used by the tool (the hook never connects to libvirt). */
#ifndef VT_VIRT_H
#define VT_VIRT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "clone-config.h"
#include "error.h"
#include "paths.h"
#include "progress.h"
#include "versions.h"

/* Like vt_error_set, with libvirt's last error message appended. (Here and
 * not in error.c, so that the hook does not link libvirt.) */
int vt_error_set_virt(vt_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void vt_virt_conn_closep(virConnectPtr *conn);
void vt_virt_domain_freep(virDomainPtr *dom);
#define vt_autoconn __attribute__((cleanup(vt_virt_conn_closep)))
#define vt_autodomain __attribute__((cleanup(vt_virt_domain_freep)))

/* Opens a read-write connection; libvirt's own error printing is silenced
 * because errors are reported once, by main. */
virConnectPtr vt_virt_open(const char *uri, vt_error_t *err);

/* The DAC user QEMU runs as (capabilities' secmodel baselabel); 0:0 when
 * the DAC driver is not in use. */
int vt_virt_qemu_user(virConnectPtr conn, uid_t *uid, gid_t *gid, vt_error_t *err);

/* The libvirt library's, the daemon's and the daemon's QEMU's versions
 * (QEMU: the emulator for the host's architecture, as virsh version says). */
int vt_virt_versions(virConnectPtr conn, struct vt_versions *v, vt_error_t *err);

bool vt_virt_domain_exists(virConnectPtr conn, const char *name);

/* Looks domain `name` up. NULL with *err: "domain 'NAME' does not exist"
 * and *missing when libvirt says there is no such domain, libvirt's own
 * reason otherwise (a dropped connection, a permission error). */
virDomainPtr vt_virt_domain_lookup(virConnectPtr conn, const char *name, bool *missing,
                                   vt_error_t *err);

/* Runs one QMP command through libvirt's monitor, with an optional fd
 * passed along (libvirt >= 8.2, local connections). *ret receives a new
 * reference to the "return" value. */
int vt_virt_monitor(virDomainPtr dom, const char *command, json_object *args, int pass_fd,
                    json_object **ret, vt_error_t *err);

/* Names of the domains whose metadata names them clones of `template_name`,
 * sorted, NULL-terminated. */
int vt_virt_list_clones(virConnectPtr conn, const char *template_name, char ***names,
                        vt_error_t *err);

/* A clone as `list` and `info` show it. */
struct vt_clone_status {
    char *name;
    const char *state; /* virsh's word for it: "running", "shut off", ... */
    bool managed_save; /* its next start resumes its own saved state */
    size_t nforwards;  /* its port forwards (clone --forward), from its config */
    struct vt_forward forwards[VT_FORWARDS_MAX];
};

/* The clones of `template_name` with their states, sorted by name. */
int vt_virt_clone_status(virConnectPtr conn, const char *template_name,
                         struct vt_clone_status **list, size_t *n, vt_error_t *err);
void vt_clone_status_free(struct vt_clone_status *list, size_t n);

/* The QEMU pid of running domain `name`, from libvirt's pid file
 * (vt_path_qemu_pid). */
int vt_virt_domain_pid(const struct vt_dirs *dirs, const char *name, pid_t *pid, vt_error_t *err);

/* Waits until the domain's QEMU guest agent answers guest-ping (through
 * libvirt), or the deadline (vt_clock_ms) passes, or the domain stops;
 * reports the wait to `progress` (may be NULL). */
int vt_virt_agent_wait(virDomainPtr dom, int64_t deadline, struct vt_progress *progress,
                       vt_error_t *err);

/* Destroys (if running) and undefines a domain, with its managed save,
 * snapshots and NVRAM. */
int vt_virt_domain_remove(virConnectPtr conn, const char *name, vt_error_t *err);

#endif
