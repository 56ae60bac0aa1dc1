#ifndef VT_CLONE_H
#define VT_CLONE_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "clone-config.h"
#include "meta.h"
#include "paths.h"
#include "progress.h"

struct vt_clone_request {
    const char *template_name;
    char **names;       /* explicit names (NULL-terminated), or NULL */
    const char *prefix; /* with count: PREFIX1, PREFIX2, ... first free ones;
                         * NULL means "TEMPLATE-" */
    unsigned count;
    bool start;
    const char *data_file; /* --data: handed to each clone's guest kit, or NULL */
    size_t nforwards;      /* --forward [HOST:]GUEST */
    struct vt_forward forwards[VT_FORWARDS_MAX]; /* host 0: a free port per clone */
    struct vt_progress *progress; /* told which clone starts, or NULL */
};

/* The host ports clone forwards go to when not given: */
#define VT_FORWARD_PORT_FIRST 40000
#define VT_FORWARD_PORT_LAST 49999

/* The XML of each clone vt_clone_create would define for `req`, with the
 * same names (checked or picked as it does), NULL-terminated. Defines
 * nothing. */
int vt_clone_preview(virConnectPtr conn, const struct vt_dirs *dirs,
                     const struct vt_clone_request *req, char ***xmls, vt_error_t *err);

/* Defines (and optionally starts) the clones, all or none: on a failure
 * every domain this call made is removed again. *made receives the names. */
int vt_clone_create(virConnectPtr conn, const struct vt_dirs *dirs,
                    const struct vt_clone_request *req, char ***made, vt_error_t *err);

/* vt_clone_create for a caller that holds the store lock (vt_store_lock). */
int vt_clone_create_locked(virConnectPtr conn, const struct vt_dirs *dirs,
                           const struct vt_clone_request *req, char ***made, vt_error_t *err);

/* Removes clone `name` (domain, disk overlays, config) of template meta. */
int vt_clone_remove(virConnectPtr conn, const struct vt_dirs *dirs, const struct vt_meta *meta,
                    const char *name, vt_error_t *err);

#endif
