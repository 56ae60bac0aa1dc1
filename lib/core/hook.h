/* The libvirt qemu hook's handlers. The hook runs as root inside libvirt's
 * start job: it never calls libvirt (deadlock), takes every path from the
 * template name and the configured directories, and bounds every wait. */
#ifndef VT_HOOK_H
#define VT_HOOK_H

#include <stdbool.h>

#include "error.h"
#include "paths.h"
#include "xml-scan.h"

#define VT_HOOK_RESTORE_TIMEOUT_MS 15000

struct vt_hook_call {
    const struct vt_dirs *dirs;
    const char *domain; /* argv[1]: the domain's name */
    const char *xml;    /* the domain XML libvirt passed on stdin */
    struct vt_xml_metadata md;
    char **output; /* a handler may set *output: the XML libvirt uses instead
                    * (restore begin) */
};

/* prepare begin: refuses a clone whose template is missing or not saved,
 * a template that is already saved (it must never boot again), and any
 * domain that would map a saved template's memory file with share=on. */
/* True if the hook has anything to do with this XML at all: our metadata,
 * or a mention of the memory directory. Everything else exits at once. */
bool vt_hook_concerns(const struct vt_dirs *dirs, const char *xml);

int vt_hook_prepare(const struct vt_hook_call *call, vt_error_t *err);

/* migrate begin, on the destination, before anything moves: refuses a
 * clone whose template is not here (saved, with its memory file). The XML
 * passes on unchanged: libvirt feeds the incoming QEMU itself, and the
 * started hook sees that (vt_restore_clone). */
int vt_hook_migrate(const struct vt_hook_call *call, vt_error_t *err);

/* restore begin: notes that libvirt restores this clone's own state, so
 * that prepare keeps its disks, and gives the restored clone anonymous RAM
 * (vt_xml_ram_to_anonymous) in call->output. */
int vt_hook_restore(const struct vt_hook_call *call, vt_error_t *err);

/* started begin: feeds a clone its template's device state, unless
 * libvirt feeds it (a restore, an incoming migration). */
int vt_hook_started(const struct vt_hook_call *call, vt_error_t *err);

/* release end: removes a clone's runtime files. */
int vt_hook_release(const struct vt_hook_call *call, vt_error_t *err);

#endif
