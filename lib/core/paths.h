/* Every file path virt-template uses is derived here from a validated name
 * and the directories fixed at configure time, never from domain XML: the
 * hook runs as root and the XML is user input. */
#ifndef VT_PATHS_H
#define VT_PATHS_H

#include "error.h"

struct vt_dirs {
    const char *state;       /* per-template store: XML, device state, metadata */
    const char *mem;         /* guest RAM files */
    const char *disk;        /* templates' disk images and their clones' overlays */
    const char *run;         /* clones' QMP sockets */
    const char *data;        /* xml-templates */
    const char *console_log; /* serial logs of the domains we generate */
    const char *qemu_run;    /* libvirt's QEMU pid files (NAME.pid) */
};

/* The configured directories (compile-time defaults). The data directory
 * can be replaced with VIRT_TEMPLATE_DATADIR (the tests use the source
 * tree's xml-templates); the hook clears its environment first. */
const struct vt_dirs *vt_dirs_default(void);

enum vt_path_kind {
    VT_PATH_STORE_DIR,    /* STATE/T */
    VT_PATH_META,         /* STATE/T/meta.json */
    VT_PATH_XML,          /* STATE/T/domain.xml */
    VT_PATH_DEVICE_STATE, /* STATE/T/state */
    VT_PATH_POOL,         /* STATE/T/pool.json: the warm pool's size and members */
    VT_PATH_POOL_LOCK,    /* STATE/T/pool.lock: held by the one refill that runs */
    VT_PATH_MEM_DIR,      /* MEM/T */
    VT_PATH_MEM,          /* MEM/T/memory */
    VT_PATH_DISK_DIR,     /* DISK/T */
    VT_PATH_KIND_LAST
};

/* Returns a newly allocated path for template `name`, or NULL with *err set. */
char *vt_path_template(const struct vt_dirs *dirs, enum vt_path_kind kind, const char *name,
                       vt_error_t *err);

/* A disk target name as libvirt gives it ("vda", "sdb"): [a-z0-9], at
 * most 16 characters; it becomes part of file names. */
int vt_disk_target_validate(const char *target, vt_error_t *err);

/* DISK/T/base-TARGET.FORMAT: template T's own copy of a disk, which the
 * template runs on and which becomes its clones' base at save. */
char *vt_path_disk_base(const struct vt_dirs *dirs, const char *template_name, const char *target,
                        const char *format, vt_error_t *err);

/* DISK/T/pristine-TARGET.qcow2: an empty overlay on the base; each clone's
 * overlay starts as a copy of it. */
char *vt_path_disk_pristine(const struct vt_dirs *dirs, const char *template_name,
                            const char *target, vt_error_t *err);

/* DISK/T/clones/CLONE-TARGET.qcow2: clone CLONE's overlay (in a directory
 * of their own: no clone name can make it the base's or the pristine's). */
char *vt_path_disk_clone(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                         const char *target, vt_error_t *err);

/* DISK/T/nvram.fd (clone NULL: the template's UEFI variables, frozen at
 * save) or DISK/T/clones/CLONE-nvram.fd (a clone's copy). */
char *vt_path_nvram(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                    vt_error_t *err);

/* RUN/NAME.identity: the host side of a clone's (or the template's)
 * identity channel, where QEMU listens (docs/design.md, clone identity). */
char *vt_path_identity(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* STATE/T/clones/CLONE.json: what clone CLONE was made with (its port
 * forwards, its --data), for the hook to apply at each start. */
char *vt_path_clone_config(const struct vt_dirs *dirs, const char *template_name,
                           const char *clone, vt_error_t *err);

/* RUN/CLONE.qmp: the clone's private QMP socket. */
char *vt_path_clone_qmp(const struct vt_dirs *dirs, const char *clone, vt_error_t *err);

/* CONSOLE_LOG/NAME-console.log: the serial log of a domain we generate. */
char *vt_path_console_log(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* DATA/FILE: a base domain XML from xml-templates. */
char *vt_path_base_xml(const struct vt_dirs *dirs, const char *file, vt_error_t *err);

/* RUN/CLONE.start: how the hook's prepare began the current start of CLONE
 * (its disks reset to the template point, or kept for libvirt's restore),
 * for the started hook to check. RUN/CLONE.incoming: written at restore or
 * migrate begin, read by the prepare that follows. */
char *vt_path_clone_marker(const struct vt_dirs *dirs, const char *clone, const char *suffix,
                           vt_error_t *err);

/* QEMU_RUN/NAME.pid: libvirt's pid file of running domain NAME. */
char *vt_path_qemu_pid(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* STATE/.lock: serialises every change to the store. */
char *vt_path_store_lock(const struct vt_dirs *dirs, vt_error_t *err);

#endif
