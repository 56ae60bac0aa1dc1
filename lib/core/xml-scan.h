/* Reads what the hook needs from the domain XML libvirt passes it, without
 * an XML parser (see xml-scan.c for why and what it relies on). */
#ifndef VT_XML_SCAN_H
#define VT_XML_SCAN_H

#include "error.h"
#include "xml-metadata.h"

/* Our metadata from domain XML formatted by libvirt; role VT_ROLE_NONE if
 * absent. The same answer as vt_xml_read_metadata (lib/virt/xml.h). */
int vt_xml_scan_metadata(const char *xml, struct vt_xml_metadata *md, vt_error_t *err);

/* Calls found(PATH) for every attribute value in xml that maps file PATH
 * (mem-path) with share=on, in QEMU's key=value or JSON syntax. Stops at
 * found's -1. */
int vt_xml_scan_shared_mappings(const char *xml, int (*found)(const char *path, void *data),
                                void *data);

#endif
