/* What a clone was made with beyond its XML: its port forwards and its
 * user data (STATE/T/clones/CLONE.json, root's), applied by the hook at
 * every start (docs/design.md, clone identity). */
#ifndef VT_CLONE_CONFIG_H
#define VT_CLONE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "paths.h"

#define VT_FORWARDS_MAX 16
#define VT_CLONE_DATA_MAX (48 * 1024)

struct vt_forward {
    unsigned host;  /* on 127.0.0.1 */
    unsigned guest; /* TCP port in the guest */
};

struct vt_clone_config {
    size_t nforwards;
    struct vt_forward forwards[VT_FORWARDS_MAX];
    char *data; /* base64 of clone --data FILE, or NULL */
};

void vt_clone_config_clear(struct vt_clone_config *c);

int vt_clone_config_parse(const char *text, struct vt_clone_config *c, vt_error_t *err);
char *vt_clone_config_format(const struct vt_clone_config *c, vt_error_t *err);

/* Loads clone's config; a clone made without one has an empty config. */
int vt_clone_config_load(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                         struct vt_clone_config *c, vt_error_t *err);
int vt_clone_config_save(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                         const struct vt_clone_config *c, vt_error_t *err);
int vt_clone_config_remove(const struct vt_dirs *dirs, const char *template_name,
                           const char *clone, vt_error_t *err);

/* Marks in used[] (65536 entries) every host port a clone of any template
 * forwards. */
int vt_clone_config_used_ports(const struct vt_dirs *dirs, bool *used, vt_error_t *err);

/* A host port for a new forward: in [first, last], not in used[], and free
 * on 127.0.0.1 now; marked used. 0 when there is none. */
unsigned vt_clone_config_pick_port(bool *used, unsigned first, unsigned last);

/* Base64 of len bytes at data (for --data), NUL-terminated. */
char *vt_base64(const unsigned char *data, size_t len);

#endif
