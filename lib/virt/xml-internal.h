/* Helpers shared by the xml-*.c files only. */
#ifndef VT_XML_INTERNAL_H
#define VT_XML_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "error.h"
#include "xml.h"

#define VT_XML_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
#define VT_XML_MAX_SIZE (16 * 1024 * 1024)

struct vt_xml {
    xmlDocPtr doc;
    xmlXPathContextPtr ctx;
};

/* Parses a <domain> document without network access or entity expansion. */
int vt_xml_open(const char *text, struct vt_xml *x, vt_error_t *err);
void vt_xml_close(struct vt_xml *x);
#define vt_autoxml __attribute__((cleanup(vt_xml_close)))

int vt_xml_dump(struct vt_xml *x, char **out, vt_error_t *err);

/* Results of an XPath query; NULL set when nothing matched. */
xmlNodeSetPtr vt_xml_find(struct vt_xml *x, const char *expr, xmlXPathObjectPtr *keep);
xmlNodePtr vt_xml_find_one(struct vt_xml *x, const char *expr);
void vt_xml_free_result(xmlXPathObjectPtr *obj);
#define vt_autoxpath __attribute__((cleanup(vt_xml_free_result)))

/* Unlinks and frees every node matching expr. */
void vt_xml_remove_all(struct vt_xml *x, const char *expr);

/* The element child `name` of parent (created at the end if missing). */
xmlNodePtr vt_xml_child(xmlNodePtr parent, const char *name);

int vt_xml_set_text(xmlNodePtr node, const char *text, vt_error_t *err);

/* <memory unit=...>N</memory> in bytes. */
int vt_xml_memory_bytes(struct vt_xml *x, uint64_t *bytes, vt_error_t *err);

/* Sets our <metadata> element: role and template name. */
int vt_xml_set_metadata(struct vt_xml *x, enum vt_role role, const char *template_name,
                        vt_error_t *err);

/* The domain's <qemu:commandline>, created (with its namespace) if needed. */
xmlNodePtr vt_xml_qemu_commandline(struct vt_xml *x);
int vt_xml_qemu_add_arg(xmlNodePtr cmdline, const char *value, vt_error_t *err);

/* Removes the <qemu:arg> pairs virt-template added (recognised by value). */
void vt_xml_qemu_strip_ours(struct vt_xml *x);

/* Gives every per-domain file (file-backed chardev source, <log file>)
 * the name vt_xml_renamed_file_path makes for domain new_name. */
int vt_xml_rename_files(struct vt_xml *x, const char *old_name, const char *new_name,
                        vt_error_t *err);

/* -object memory-backend-file for the guest RAM in `mem_path`. */
int vt_xml_qemu_add_ram(xmlNodePtr cmdline, uint64_t bytes, const char *mem_path,
                        enum vt_ram_mapping mapping, vt_error_t *err);

/* xml-clone.c: the <title> every clone of template_name gets; NULL when
 * out of memory. */
char *vt_xml_clone_title(const char *template_name);

/* Removes the <title> and <description> vt_xml_make_clone gave a clone of
 * template_name; left alone if the user changed the title. */
void vt_xml_clone_undescribe(struct vt_xml *x, const char *template_name);

/* xml-disks.c: the template's writable disks point at its own copies
 * (noted in plan), its UEFI variables at its own file, its first serial
 * port gets a log; a clone's disks point at its overlays, its variables at
 * its own copy. */
int vt_xml_template_disks(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                          struct vt_xml_template_plan *plan, vt_error_t *err);
int vt_xml_template_nvram(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                          struct vt_xml_template_plan *plan, vt_error_t *err);
int vt_xml_template_console_log(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                                vt_error_t *err);
int vt_xml_clone_disks(struct vt_xml *x, const char *template_name, const char *clone,
                       const struct vt_dirs *dirs, vt_error_t *err);

/* The template gets a <genid/> and the identity channel (RUN/T.identity);
 * a clone's channel is RUN/CLONE.identity. */
int vt_xml_template_identity(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                             vt_error_t *err);
int vt_xml_clone_identity(struct vt_xml *x, const char *clone, const struct vt_dirs *dirs,
                          vt_error_t *err);

#endif
