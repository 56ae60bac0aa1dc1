/* The libvirt and QEMU versions virt-template supports, and what it uses of
 * each. Versions are encoded as libvirt does: major * 1000000 + minor * 1000
 * + micro. */
#ifndef VT_VERSIONS_H
#define VT_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define VT_VERSION(major, minor, micro) ((major)*1000000UL + (minor)*1000UL + (micro))

/* virDomainQemuMonitorCommandWithFiles (fd passing) is 8.2; 9.0 is the
 * oldest we build and test against (Debian 12). */
#define VT_LIBVIRT_MIN VT_VERSION(9, 0, 0)
/* x-ignore-shared with -incoming defer and memory-backend= on -machine. */
#define VT_QEMU_MIN VT_VERSION(7, 2, 0)
/* memory-backend-file readonly=on with rom=off: a read-only file mapped
 * writable in private. */
#define VT_QEMU_READONLY_MAPPING VT_VERSION(8, 2, 0)

struct vt_versions {
    unsigned long library; /* the libvirt library linked */
    unsigned long daemon;  /* the libvirt daemon connected to */
    unsigned long qemu;    /* the QEMU the daemon runs for this host's arch */
};

/* "9.0.0" */
void vt_version_format(unsigned long version, char *buf, size_t size);

/* Refuses, naming the component, anything older than the supported range. */
int vt_versions_check(const struct vt_versions *v, vt_error_t *err);

/* True if clones can open the template's memory file read-only. */
bool vt_versions_readonly_mapping(const struct vt_versions *v);

/* Refuses cloning template `name`, sealed for the read-only mapping, on a
 * QEMU without it (the host's QEMU went back below 8.2 since the save). */
int vt_versions_check_readonly_mapping(const struct vt_versions *v, const char *name,
                                       vt_error_t *err);

#endif
