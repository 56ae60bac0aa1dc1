/* Domain-XML transforms (libxml2). Pure functions of their inputs, tested
 * as golden files. */
#ifndef VT_XML_H
#define VT_XML_H

#include <stdint.h>

#include <stdbool.h>

#include "error.h"
#include "meta.h"
#include "paths.h"
#include "xml-metadata.h"

/* Values for the kernel+initramfs base in xml-templates/. */
struct vt_xml_kernel_params {
    const char *name;
    const char *virt_type; /* "kvm" or "qemu" (TCG) */
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    unsigned memory_mib;
    unsigned vcpus;
    const char *console_log; /* serial log file */
};

/* Fills the base XML's placeholders' elements with the given values. */
int vt_xml_fill_kernel_base(const char *base, const struct vt_xml_kernel_params *p, char **out,
                            vt_error_t *err);

/* A writable disk of the source domain: the template runs on a copy of it
 * (DISK/T/base-TARGET.FORMAT, vt_path_disk_base). */
struct vt_xml_template_disk {
    char target[VT_DISK_TARGET_MAX + 1];
    char format[8];
    char *source; /* the source domain's image */
};

/* What vt_xml_make_template found besides the XML: the copies to make. */
struct vt_xml_template_plan {
    uint64_t memory_bytes; /* guest RAM */
    size_t ndisks;
    struct vt_xml_template_disk disks[VT_META_DISKS_MAX];
    bool has_nvram;       /* UEFI: the template's variables are DISK/T/nvram.fd */
    char *nvram_source;   /* the source's variables to copy there, or NULL */
    bool balloon_removed; /* the source had a balloon; the template has none */
};

void vt_xml_template_plan_clear(struct vt_xml_template_plan *plan);

/* Turns a user's domain XML into the template's transient domain: name,
 * no UUID, RAM in MEM/T/memory with share=on, its own copies of the
 * writable disks and of the UEFI variables, a console log, metadata.
 * Rejects what would break templating (own memoryBacking, NUMA, hugepages,
 * disks that cannot be copied, an emulated TPM), removes a balloon. */
int vt_xml_make_template(const char *in, const char *name, const struct vt_dirs *dirs, char **out,
                         struct vt_xml_template_plan *plan, vt_error_t *err);

/* How a domain maps the template's memory file. */
enum vt_ram_mapping {
    VT_RAM_SHARED,           /* the template: share=on, its RAM is the file */
    VT_RAM_PRIVATE,          /* a clone: share=off, copy-on-write; QEMU opens the file
                              * read-write (QEMU < 8.2) */
    VT_RAM_PRIVATE_READONLY, /* a clone on QEMU >= 8.2: the file opened
                              * read-only, the mapping writable in private */
    VT_RAM_MAPPING_LAST
};

/* Turns the template's saved live XML into clone `clone`'s persistent XML. */
int vt_xml_make_clone(const char *live, const char *template_name, const char *clone,
                      const struct vt_dirs *dirs, uint64_t memory_bytes,
                      enum vt_ram_mapping mapping, char **out, vt_error_t *err);

/* Turns clone `clone`'s definition into an ordinary domain's: each of its
 * overlays replaced by DISK_DIR/CLONE-TARGET.qcow2 (vt_xml_detached_disk_path),
 * its UEFI variables by `nvram` (if not NULL), and nothing of ours left. */
int vt_xml_make_detached(const char *xml, const char *template_name, const char *clone,
                         const struct vt_dirs *dirs, const char *disk_dir, const char *nvram,
                         char **out, vt_error_t *err);
char *vt_xml_detached_disk_path(const char *disk_dir, const char *clone, const char *target,
                                vt_error_t *err);

/* Reads our metadata from any domain XML; role VT_ROLE_NONE if absent. */
int vt_xml_read_metadata(const char *xml, struct vt_xml_metadata *md, vt_error_t *err);

/* Reads our metadata element alone, as virDomainGetMetadata returns it
 * (without its namespace prefix). */
int vt_xml_read_metadata_element(const char *element, struct vt_xml_metadata *md, vt_error_t *err);

/* Path of the first file-backed serial/console output (source or log),
 * which `save --wait-console` reads. NULL with *err if there is none. */
char *vt_xml_console_file(const char *xml, vt_error_t *err);

/* The path domain `new_name` uses in place of domain `old_name`'s per-domain
 * file `path` (a console log, a file chardev): a basename starting with
 * OLD_NAME followed by [._-] or its end has that prefix replaced by
 * NEW_NAME; any other basename gets "NEW_NAME-" in front. */
char *vt_xml_renamed_file_path(const char *path, const char *old_name, const char *new_name);

#endif
