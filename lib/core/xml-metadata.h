/* Our element in a domain's <metadata>: which template a domain belongs to,
 * and whether it is that template or one of its clones. Shared by the
 * libxml2 reader (lib/virt/xml.c) and the hook's scanner (xml-scan.c). */
#ifndef VT_XML_METADATA_H
#define VT_XML_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "names.h"

/* libvirt keeps one element per namespace in <metadata>. */
#define VT_XML_NS "https://virt-template.org/xmlns/domain/1"
#define VT_XML_NS_PREFIX "vt"

enum vt_role { VT_ROLE_NONE, VT_ROLE_TEMPLATE, VT_ROLE_CLONE, VT_ROLE_LAST };

struct vt_xml_metadata {
    enum vt_role role;
    char template_name[VT_NAME_MAX + 1]; /* validated with vt_name_validate */
};

/* The role attribute's value for `role` ("template", "clone"). */
const char *vt_role_name(enum vt_role role);

/* Fills md from the role and name attribute values (len bytes each, not
 * necessarily NUL-terminated): an unknown role or an invalid name is an
 * error. */
int vt_xml_metadata_set(struct vt_xml_metadata *md, const char *role, size_t role_len,
                        const char *name, size_t name_len, vt_error_t *err);

#endif
