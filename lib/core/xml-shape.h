/* What a clone must keep of its template's hardware for the saved device
 * state to load: machine type, memory, vCPUs and every device's kind, model
 * and address. Read without an XML parser from XML that libvirt formatted
 * (the hook's input and the template's saved live XML), so the hook can
 * refuse a `virsh edit` that QEMU would refuse with a migration error. */
#ifndef VT_XML_SHAPE_H
#define VT_XML_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define VT_SHAPE_FIELD 96
#define VT_SHAPE_DEVICE 256
#define VT_SHAPE_DEVICES_MAX 512

struct vt_domain_shape {
    char machine[VT_SHAPE_FIELD]; /* os/type/@machine, e.g. pc-q35-7.2 */
    char memory[VT_SHAPE_FIELD];  /* "262144 KiB" */
    char vcpus[VT_SHAPE_FIELD];   /* "1", or "2 (current 1)" */
    size_t ndevices;
    char (*devices)[VT_SHAPE_DEVICE]; /* one line per device, sorted */
};

int vt_xml_scan_shape(const char *xml, struct vt_domain_shape *shape, vt_error_t *err);
void vt_domain_shape_clear(struct vt_domain_shape *shape);

/* Writes the first way `clone` differs from `template` as one phrase
 * ("memory is 524288 KiB, the template's 262144 KiB"), or "" if it does
 * not. */
void vt_domain_shape_diff(const struct vt_domain_shape *clone,
                          const struct vt_domain_shape *template_shape, char *out, size_t size);

/* The rest of the first attribute value in xml that starts with `prefix`
 * (e.g. "socket,id=vt-qmp,path="), up to its end or a ','. False if no
 * value starts so. */
bool vt_xml_scan_arg(const char *xml, const char *prefix, char *out, size_t size);

/* A restore from a save image brings all of a clone's RAM in the stream: it
 * needs nothing of the template's memory file, and anonymous memory takes
 * the pages faster than a private file mapping does (no copy on write of
 * the file's page). Rewrites our memory-backend-file argument to
 * memory-backend-ram of the same id and size (the same RAM block, as the
 * stream names it), leaving every other byte of xml as it is. Returns 1
 * with *out set, or 0 when xml has no such argument. */
int vt_xml_ram_to_anonymous(const char *xml, char **out, vt_error_t *err);

/* Whether xml maps a template's memory file (our memory-backend-file). */
bool vt_xml_maps_template_memory(const char *xml);

#endif
