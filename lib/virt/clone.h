#ifndef VT_CLONE_H
#define VT_CLONE_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "paths.h"

struct vt_clone_request {
    const char *template_name;
    char **names;       /* explicit names (NULL-terminated), or NULL */
    const char *prefix; /* with count: PREFIX1, PREFIX2, ... first free ones */
    unsigned count;
    bool start;
};

/* The XML clone `clone` of saved template `template_name` would get. */
char *vt_clone_xml(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                   vt_error_t *err);

/* Defines (and optionally starts) the clones, all or none: on a failure
 * every domain this call made is removed again. *made receives the names. */
int vt_clone_create(virConnectPtr conn, const struct vt_dirs *dirs,
                    const struct vt_clone_request *req, char ***made, vt_error_t *err);

#endif
