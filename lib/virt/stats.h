/* `stats`: memory of a template's running domains (its clones, and the
 * template itself while it boots). QEMU pids come from libvirt's pid files
 * (LIBVIRT_QEMU_RUNDIR/NAME.pid), read only for domains libvirt reports
 * active. */
#ifndef VT_STATS_H
#define VT_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "memstat.h"
#include "paths.h"

struct vt_domain_memory {
    char *name;
    const char *role; /* "clone", "pool" (an idle warm pool member) or "template" */
    pid_t pid;
    struct vt_memstat mem;
};

struct vt_template_stats {
    char *name;
    uint64_t memory_bytes;  /* guest RAM size */
    uint64_t file_resident; /* template file pages in RAM (tmpfs blocks) */
    size_t count;
    struct vt_domain_memory *domains;
    uint64_t total_pss;
    uint64_t independent; /* the same domains as independent copies: overhead + guest RSS each */
    size_t pool_slots;    /* idle warm pool members among the domains */
    uint64_t pool_pss;    /* their PSS: what keeping the pool costs */
};

/* What sharing saves: the independent copies' memory minus the total PSS. */
uint64_t vt_stats_saved_bytes(const struct vt_template_stats *stats);

int vt_stats_collect(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                     struct vt_template_stats *stats, vt_error_t *err);
void vt_stats_clear(struct vt_template_stats *stats);

#endif
