#include "detach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "clone-config.h"
#include "disk.h"
#include "fileio.h"
#include "meta.h"
#include "store.h"
#include "virt.h"
#include "xml.h"

/* The clone's template, if `dom` is a clone that may be detached now. */
static int vt_detach_check(virDomainPtr dom, const char *clone, struct vt_xml_metadata *md,
                           vt_error_t *err)
{
    vt_autofree char *el = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, VT_XML_NS, 0);
    if (el == NULL || vt_xml_read_metadata_element(el, md, err) < 0 || md->role != VT_ROLE_CLONE) {
        vt_error_free(err);
        return vt_error_set(err, 0, "domain '%s' is not a virt-template clone", clone);
    }
    if (virDomainIsActive(dom) != 0)
        return vt_error_set(err, 0, "clone '%s' is running; shut it down first", clone);
    /* The image resumes RAM that maps the template: it would not survive. */
    if (virDomainHasManagedSaveImage(dom, 0) == 1)
        return vt_error_set(err, 0,
                            "clone '%s' has a managed save image; start it and shut it down, "
                            "or remove the image (virsh managedsave-remove)",
                            clone);
    return 0;
}

struct vt_detach_files {
    size_t n;
    char *paths[VT_META_DISKS_MAX + 1]; /* made so far, removed on a failure */
};

static void vt_detach_files_undo(struct vt_detach_files *f)
{
    for (size_t i = 0; i < f->n; i++) {
        unlink(f->paths[i]);
        free(f->paths[i]);
    }
    f->n = 0;
}

static void vt_detach_files_keep(struct vt_detach_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->paths[i]);
    f->n = 0;
}

/* Standalone copies of the clone's overlays, and of its variables. */
static int vt_detach_copy(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                          const char *disk_dir, const char *nvram, struct vt_detach_files *f,
                          vt_error_t *err)
{
    for (size_t i = 0; i <= meta->ndisks; i++) {
        bool is_nvram = i == meta->ndisks;
        if (is_nvram && nvram == NULL)
            break;
        vt_autofree char *from =
            is_nvram ? vt_path_nvram(dirs, meta->name, clone, err)
                     : vt_path_disk_clone(dirs, meta->name, clone, meta->disks[i].target, err);
        char *to = from == NULL ? NULL
                   : is_nvram
                       ? strdup(nvram)
                       : vt_xml_detached_disk_path(disk_dir, clone, meta->disks[i].target, err);
        if (to == NULL)
            return from ? vt_error_nomem(err) : -1;
        if (access(to, F_OK) == 0) {
            vt_error_set(err, 0, "'%s' exists; detach will not overwrite it", to);
            free(to);
            return -1;
        }
        int rc = is_nvram ? vt_file_copy(from, to, 0600, err) : vt_disk_flatten(from, to, err);
        if (rc < 0) {
            free(to);
            return -1;
        }
        f->paths[f->n++] = to;
    }
    return 0;
}

static int vt_detach_define(virConnectPtr conn, virDomainPtr dom, const struct vt_dirs *dirs,
                            const struct vt_meta *meta, const char *clone, const char *disk_dir,
                            const char *nvram, vt_error_t *err)
{
    vt_autofree char *xml =
        virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    vt_autofree char *detached = NULL;
    if (xml == NULL)
        return vt_error_set_virt(err, "cannot read the XML of clone '%s'", clone);
    if (vt_xml_make_detached(xml, meta->name, clone, dirs, disk_dir, nvram, &detached, err) < 0)
        return -1;
    /* It may have been started while its disks were copied. */
    if (virDomainIsActive(dom) != 0)
        return vt_error_set(err, 0, "clone '%s' was started meanwhile; shut it down first", clone);
    vt_autodomain virDomainPtr defined = virDomainDefineXML(conn, detached);
    if (defined == NULL)
        return vt_error_set_virt(err, "cannot redefine clone '%s'", clone);
    return 0;
}

int vt_clone_detach(virConnectPtr conn, const struct vt_dirs *dirs, const char *clone,
                    const char *disk_dir, vt_error_t *err)
{
    bool missing;
    struct vt_xml_metadata md;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(conn, clone, &missing, err);
    if (dom == NULL || vt_detach_check(dom, clone, &md, err) < 0)
        return -1;
    vt_autoclose int lock = vt_store_lock(dirs, err);
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    if (lock < 0 || vt_store_load_saved(dirs, md.template_name, &meta, err) < 0 ||
        vt_store_check_reachable(disk_dir, &meta, err) < 0)
        return -1;
    vt_autofree char *nvram = NULL;
    if (meta.nvram && asprintf(&nvram, "%s/%s_VARS.fd", disk_dir, clone) < 0) {
        nvram = NULL;
        return vt_error_nomem(err);
    }
    struct vt_detach_files made = {0};
    if (vt_detach_copy(dirs, &meta, clone, disk_dir, nvram, &made, err) < 0 ||
        vt_detach_define(conn, dom, dirs, &meta, clone, disk_dir, nvram, err) < 0) {
        vt_detach_files_undo(&made);
        return -1;
    }
    vt_detach_files_keep(&made);
    vt_autoerror vt_error_t ignored = NULL;
    vt_store_clone_files_remove(dirs, &meta, clone, &ignored);
    vt_clone_config_remove(dirs, meta.name, clone, &ignored);
    return 0;
}
