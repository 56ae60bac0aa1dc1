/* `detach`: a clone becomes an ordinary, independent domain. */
#ifndef VT_DETACH_H
#define VT_DETACH_H

#include <libvirt/libvirt.h>

#include "error.h"
#include "paths.h"

/* Where detach puts a clone's disks unless told: libvirt's default pool. */
#define VT_DETACH_DISK_DIR "/var/lib/libvirt/images"

/* Shut-off clone `clone` gets its own flattened disks in disk_dir
 * (CLONE-TARGET.qcow2) and UEFI variables (CLONE_VARS.fd), libvirt's own
 * RAM and no tie to its template; it cold-boots from then on. Refused while
 * it runs or has a managed save image. Nothing changes when it fails. */
int vt_clone_detach(virConnectPtr conn, const struct vt_dirs *dirs, const char *clone,
                    const char *disk_dir, vt_error_t *err);

#endif
