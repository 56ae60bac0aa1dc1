/* The message that tells a clone's guest kit who it is, written to the
 * clone's identity channel after each start (docs/design.md, clone
 * identity). */
#ifndef VT_IDENTITY_H
#define VT_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "clone-config.h"
#include "error.h"
#include "meta.h"
#include "paths.h"

#define VT_IDENTITY_MACS_MAX 16

struct vt_identity {
    const char *name;
    size_t nmacs;
    char macs[VT_IDENTITY_MACS_MAX][2][18]; /* template's, clone's */
    int64_t wall_ms;
    const char *data; /* base64, or NULL */
};

/* The MAC addresses of the NICs in libvirt's domain XML, in device order
 * (a parser-free scan, as the hook reads it). */
size_t vt_identity_scan_macs(const char *xml, char macs[][18], size_t max);

/* The message text for id. */
char *vt_identity_format(const struct vt_identity *id, vt_error_t *err);

/* Writes clone `clone`'s identity to RUN/CLONE.identity, if the clone has
 * the channel (*sent says whether it did), at most until deadline. The
 * MACs pair the template's saved XML with clone_xml's. */
int vt_identity_send(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                     const char *clone_xml, const struct vt_clone_config *config,
                     int64_t deadline, bool *sent, vt_error_t *err);

#endif
