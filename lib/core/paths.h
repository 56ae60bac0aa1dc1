/* Every file path virt-template uses is derived here from a validated name
 * and the directories fixed at configure time, never from domain XML: the
 * hook runs as root and the XML is user input. */
#ifndef VT_PATHS_H
#define VT_PATHS_H

#include "error.h"

struct vt_dirs {
    const char *state;       /* per-template store: XML, device state, metadata */
    const char *mem;         /* guest RAM files */
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
    VT_PATH_STORE_DIR, /* STATE/T */
    VT_PATH_META,      /* STATE/T/meta.json */
    VT_PATH_XML,       /* STATE/T/domain.xml */
    VT_PATH_DEVICE_STATE,     /* STATE/T/state */
    VT_PATH_MEM_DIR,   /* MEM/T */
    VT_PATH_MEM,       /* MEM/T/memory */
    VT_PATH_KIND_LAST
};

/* Returns a newly allocated path for template `name`, or NULL with *err set. */
char *vt_path_template(const struct vt_dirs *dirs, enum vt_path_kind kind, const char *name,
                       vt_error_t *err);

/* RUN/CLONE.qmp: the clone's private QMP socket. */
char *vt_path_clone_qmp(const struct vt_dirs *dirs, const char *clone, vt_error_t *err);

/* CONSOLE_LOG/NAME-console.log: the serial log of a domain we generate. */
char *vt_path_console_log(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* DATA/FILE: a base domain XML from xml-templates. */
char *vt_path_base_xml(const struct vt_dirs *dirs, const char *file, vt_error_t *err);

/* QEMU_RUN/NAME.pid: libvirt's pid file of running domain NAME. */
char *vt_path_qemu_pid(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* STATE/.lock: serialises every change to the store. */
char *vt_path_store_lock(const struct vt_dirs *dirs, vt_error_t *err);

#endif
