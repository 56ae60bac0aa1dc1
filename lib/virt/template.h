/* Template lifecycle: create (boot), save (freeze), delete, describe. */
#ifndef VT_TEMPLATE_H
#define VT_TEMPLATE_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "meta.h"
#include "paths.h"
#include "progress.h"
#include "virt.h"

/* Where a template comes from. */
struct vt_template_source {
    const char *xml;        /* a domain definition */
    const char *domain;     /* the defined domain it is of (--from), or NULL */
    const char *memory_dir; /* an existing directory the QEMU user can enter,
                             * or NULL: the configured memory directory */
};

/* What create changed of the source's definition, for the user to hear. */
struct vt_template_notes {
    bool balloon_removed;
};

/* Starts template `name` as a transient domain from src, its RAM in
 * MEMDIR/name/memory, on its own copies of the source's writable disks and
 * UEFI variables. Nothing is left behind when it fails. */
int vt_template_create(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                       const struct vt_template_source *src, struct vt_template_notes *notes,
                       vt_error_t *err);

struct vt_save_opts {
    const char *wait_console;     /* POSIX extended regex, or NULL */
    bool wait_agent;              /* until the QEMU guest agent answers */
    int timeout_s;                /* bound for the waits and for the save */
    struct vt_progress *progress; /* told what the save waits for, or NULL */
};

/* Waits for readiness if asked, saves the device state (x-ignore-shared),
 * keeps the live XML, destroys the domain and marks the template saved. */
int vt_template_save(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                     const struct vt_save_opts *opts, vt_error_t *err);

/* Removes template `name`: refuses while clones are defined or the template
 * runs, unless `force`, which removes those first. */
int vt_template_delete(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                       bool force, vt_error_t *err);

struct vt_template_info {
    struct vt_meta meta;
    bool running;         /* template domain is up (booting) */
    long long state_size; /* bytes on disk, -1 if none */
    long long memory_file_size;
    char *memory_path;    /* where the guest RAM file is */
    bool memory_volatile; /* on tmpfs/ramfs: gone after a host reboot */
    char *disk_dir;       /* DISK/T, where its bases and clones' overlays are */
    unsigned clones;
    struct vt_clone_status *clone_status; /* each clone and its state, by name */
};

void vt_template_info_clear(struct vt_template_info *info);

/* The state a user sees: "booting", "saved", or "stopped" for a template
 * that booted once and was never saved (only delete helps). */
const char *vt_template_info_state(const struct vt_template_info *info);

int vt_template_describe(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                         struct vt_template_info *info, vt_error_t *err);

#endif
