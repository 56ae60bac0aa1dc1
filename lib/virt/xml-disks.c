/* Disks and UEFI variables in the template's and the clones' XML: the
 * template runs on its own copy of each writable disk, which becomes the
 * clones' base; each clone runs on a qcow2 overlay of its own
 * (docs/design.md, Flows: disks). Read-only disks and CD-ROMs stay shared. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xml-internal.h"
#include "xml.h"

void vt_xml_template_plan_clear(struct vt_xml_template_plan *plan)
{
    for (size_t i = 0; i < plan->ndisks; i++)
        free(plan->disks[i].source);
    free(plan->nvram_source);
    *plan = (struct vt_xml_template_plan){0};
}

/* An attribute of node, or of its child `child` (NULL: of node itself). */
static char *vt_xml_attr_of(xmlNodePtr node, const char *child, const char *attr)
{
    for (xmlNodePtr c = child ? node->children : node; c; c = c->next)
        if (child == NULL ||
            (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, child) == 0))
            return (char *)xmlGetProp(c, BAD_CAST attr);
    return NULL;
}

static bool vt_xml_has_child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return true;
    return false;
}

/* Why a disk of this type cannot be copied for the template, or NULL. */
static const char *vt_xml_disk_type_refusal(const char *type)
{
    static const struct {
        const char *type, *why;
    } refused[] = {
        {"network", "a network disk"},       {"block", "a block device"},
        {"volume", "a storage pool volume"}, {"dir", "a directory"},
        {"nvme", "an NVMe device"},          {"vhostuser", "a vhost-user disk"},
    };
    for (size_t i = 0; i < VT_N_ELEMENTS(refused); i++)
        if (strcmp(type, refused[i].type) == 0)
            return refused[i].why;
    return strcmp(type, "file") == 0 ? NULL : "of an unknown type";
}

/* A disk the template shares with its clones as it is: read-only. */
static bool vt_xml_disk_is_shared(xmlNodePtr disk)
{
    vt_autofree char *device = (char *)xmlGetProp(disk, BAD_CAST "device");
    return vt_xml_has_child(disk, "readonly") ||
           (device && (strcmp(device, "cdrom") == 0 || strcmp(device, "floppy") == 0));
}

/* Checks writable disk `disk` and notes it in the plan. */
static int vt_xml_plan_disk(xmlNodePtr disk, struct vt_xml_template_plan *plan, vt_error_t *err)
{
    vt_autofree char *target = vt_xml_attr_of(disk, "target", "dev");
    vt_autofree char *type = (char *)xmlGetProp(disk, BAD_CAST "type");
    vt_autofree char *device = (char *)xmlGetProp(disk, BAD_CAST "device");
    vt_autofree char *format = vt_xml_attr_of(disk, "driver", "type");
    vt_autofree char *source = vt_xml_attr_of(disk, "source", "file");
    const char *t = target ? target : "?";
    const char *why = vt_xml_disk_type_refusal(type ? type : "file");
    if (vt_disk_target_validate(target, err) < 0)
        return -1;
    if (device && strcmp(device, "lun") == 0)
        return vt_error_set(err, 0, "disk '%s' is a SCSI LUN; templates need file-backed disks", t);
    if (why)
        return vt_error_set(err, 0, "disk '%s' is %s; templates need file-backed disks", t, why);
    if (vt_xml_has_child(disk, "shareable"))
        return vt_error_set(err, 0,
                            "disk '%s' is <shareable/>; clones cannot share a writable disk", t);
    if (source == NULL || *source == '\0')
        return vt_error_set(err, 0, "disk '%s' has no source file", t);
    if (format && strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0)
        return vt_error_set(err, 0, "disk '%s' is in format '%s'; templates take raw or qcow2", t,
                            format);
    if (plan->ndisks == VT_META_DISKS_MAX)
        return vt_error_set(err, 0, "domain XML has more than %d writable disks",
                            VT_META_DISKS_MAX);
    struct vt_xml_template_disk *d = &plan->disks[plan->ndisks++];
    snprintf(d->target, sizeof(d->target), "%s", target);
    snprintf(d->format, sizeof(d->format), "%s", format ? format : "raw");
    d->source = vt_steal(source);
    return 0;
}

/* Points `disk` at `path`, an image of `format` with no backing chain. */
static int vt_xml_point_disk(xmlNodePtr disk, const char *path, const char *format, vt_error_t *err)
{
    xmlNodePtr source = vt_xml_child(disk, "source");
    xmlNodePtr driver = vt_xml_child(disk, "driver");
    if (source == NULL || driver == NULL)
        return vt_error_nomem(err);
    xmlUnsetProp(source, BAD_CAST "index");
    for (xmlNodePtr c = disk->children, next; c; c = next) {
        next = c->next;
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "backingStore") == 0) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    if (xmlSetProp(source, BAD_CAST "file", BAD_CAST path) == NULL ||
        xmlSetProp(driver, BAD_CAST "type", BAD_CAST format) == NULL ||
        (xmlHasProp(driver, BAD_CAST "name") == NULL &&
         xmlSetProp(driver, BAD_CAST "name", BAD_CAST "qemu") == NULL))
        return vt_error_nomem(err);
    return 0;
}

int vt_xml_template_disks(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                          struct vt_xml_template_plan *plan, vt_error_t *err)
{
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(x, "/domain/devices/disk", &res);
    for (int i = 0; set && i < set->nodeNr; i++) {
        if (vt_xml_disk_is_shared(set->nodeTab[i]))
            continue;
        if (vt_xml_plan_disk(set->nodeTab[i], plan, err) < 0)
            return -1;
        const struct vt_xml_template_disk *d = &plan->disks[plan->ndisks - 1];
        vt_autofree char *base = vt_path_disk_base(dirs, name, d->target, d->format, err);
        if (base == NULL || vt_xml_point_disk(set->nodeTab[i], base, d->format, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < plan->ndisks; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(plan->disks[i].target, plan->disks[j].target) == 0)
                return vt_error_set(err, 0, "disk target '%s' is used twice",
                                    plan->disks[i].target);
    return 0;
}

int vt_xml_template_nvram(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                          struct vt_xml_template_plan *plan, vt_error_t *err)
{
    xmlNodePtr nvram = vt_xml_find_one(x, "/domain/os/nvram");
    bool efi =
        vt_xml_find_one(x, "/domain/os[@firmware='efi'] | /domain/os/loader[@type='pflash']");
    if (nvram == NULL && !efi)
        return 0;
    vt_autofree char *ours = vt_path_nvram(dirs, name, NULL, err);
    if (ours == NULL)
        return -1;
    if (nvram) {
        vt_autofree char *path = (char *)xmlNodeGetContent(nvram);
        if (path && *path)
            plan->nvram_source = vt_steal(path);
    } else {
        xmlNodePtr os = vt_xml_find_one(x, "/domain/os");
        nvram = os ? xmlNewChild(os, NULL, BAD_CAST "nvram", NULL) : NULL;
    }
    plan->has_nvram = true;
    return vt_xml_set_text(nvram, ours, err);
}

int vt_xml_template_console_log(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                                vt_error_t *err)
{
    /* The first serial port is the console `save --wait-console` reads. */
    xmlNodePtr serial = vt_xml_find_one(x, "/domain/devices/serial[1][not(log) and @type!='file']");
    if (serial == NULL)
        return 0;
    vt_autofree char *log = vt_path_console_log(dirs, name, err);
    if (log == NULL)
        return -1;
    /* virtlogd keeps what a pty console printed before anyone read it, so
     * `save --wait-console` sees a prompt that came and went. */
    xmlNodePtr el = xmlNewChild(serial, NULL, BAD_CAST "log", NULL);
    if (el == NULL || xmlSetProp(el, BAD_CAST "file", BAD_CAST log) == NULL ||
        xmlSetProp(el, BAD_CAST "append", BAD_CAST "off") == NULL)
        return vt_error_nomem(err);
    return 0;
}

/* The target of a disk whose source is template T's base: one of ours. */
static char *vt_xml_base_disk_target(xmlNodePtr disk, const char *template_name,
                                     const struct vt_dirs *dirs)
{
    vt_autofree char *target = vt_xml_attr_of(disk, "target", "dev");
    vt_autofree char *source = vt_xml_attr_of(disk, "source", "file");
    vt_autofree char *format = vt_xml_attr_of(disk, "driver", "type");
    vt_autoerror vt_error_t ignored = NULL;
    if (target == NULL || source == NULL || format == NULL)
        return NULL;
    vt_autofree char *base = vt_path_disk_base(dirs, template_name, target, format, &ignored);
    return base && strcmp(base, source) == 0 ? vt_steal(target) : NULL;
}

int vt_xml_clone_disks(struct vt_xml *x, const char *template_name, const char *clone,
                       const struct vt_dirs *dirs, vt_error_t *err)
{
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(x, "/domain/devices/disk", &res);
    for (int i = 0; set && i < set->nodeNr; i++) {
        vt_autofree char *target = vt_xml_base_disk_target(set->nodeTab[i], template_name, dirs);
        if (target == NULL)
            continue;
        vt_autofree char *overlay = vt_path_disk_clone(dirs, template_name, clone, target, err);
        if (overlay == NULL || vt_xml_point_disk(set->nodeTab[i], overlay, "qcow2", err) < 0)
            return -1;
    }
    xmlNodePtr nvram = vt_xml_find_one(x, "/domain/os/nvram");
    if (nvram == NULL)
        return 0;
    vt_autofree char *own = vt_path_nvram(dirs, template_name, clone, err);
    return own ? vt_xml_set_text(nvram, own, err) : -1;
}

int vt_xml_make_detached(const char *xml, const char *template_name, const char *clone,
                         const struct vt_dirs *dirs, const char *disk_dir, const char *nvram,
                         char **out, vt_error_t *err)
{
    vt_autoxml struct vt_xml x = {0};
    if (vt_xml_open(xml, &x, err) < 0)
        return -1;
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(&x, "/domain/devices/disk", &res);
    for (int i = 0; set && i < set->nodeNr; i++) {
        vt_autofree char *target = vt_xml_attr_of(set->nodeTab[i], "target", "dev");
        vt_autofree char *source = vt_xml_attr_of(set->nodeTab[i], "source", "file");
        vt_autoerror vt_error_t not_ours = NULL;
        vt_autofree char *overlay =
            target ? vt_path_disk_clone(dirs, template_name, clone, target, &not_ours) : NULL;
        if (overlay == NULL || source == NULL || strcmp(overlay, source) != 0)
            continue;
        vt_autofree char *own = vt_xml_detached_disk_path(disk_dir, clone, target, err);
        if (own == NULL || vt_xml_point_disk(set->nodeTab[i], own, "qcow2", err) < 0)
            return -1;
    }
    xmlNodePtr nv = vt_xml_find_one(&x, "/domain/os/nvram");
    if (nv && nvram && vt_xml_set_text(nv, nvram, err) < 0)
        return -1;
    /* An ordinary domain from now on: libvirt's own RAM, no incoming state,
     * no private monitor, no tie to the template. */
    vt_xml_qemu_strip_ours(&x);
    vt_xml_remove_all(&x, "/domain/metadata/vt:template");
    vt_xml_clone_undescribe(&x, template_name);
    return vt_xml_dump(&x, out, err);
}

char *vt_xml_detached_disk_path(const char *disk_dir, const char *clone, const char *target,
                                vt_error_t *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s-%s.qcow2", disk_dir, clone, target) < 0) {
        vt_error_nomem(err);
        return NULL;
    }
    return path;
}
