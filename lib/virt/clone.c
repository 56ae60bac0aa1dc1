#include "clone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"
#include "meta.h"
#include "names.h"
#include "store.h"
#include "virt.h"
#include "xml.h"

#define VT_XML_FILE_MAX (16 * 1024 * 1024)

static char *vt_clone_xml_from(const struct vt_dirs *dirs, const struct vt_meta *meta,
                               const char *live, const char *clone, vt_error_t *err)
{
    char *xml = NULL;
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, meta, &tdirs);
    enum vt_ram_mapping mapping = meta->readonly_mapping ? VT_RAM_PRIVATE_READONLY : VT_RAM_PRIVATE;
    if (vt_name_validate(clone, "clone", err) < 0 ||
        vt_xml_make_clone(live, meta->name, clone, &tdirs, meta->memory_bytes, mapping, &xml, err) <
            0)
        return NULL;
    return xml;
}

/* A template sealed read-only needs a QEMU that opens it so: say so rather
 * than let QEMU fail. */
static int vt_clone_check_qemu(virConnectPtr conn, const struct vt_meta *meta, vt_error_t *err)
{
    struct vt_versions v;
    if (!meta->readonly_mapping)
        return 0;
    if (vt_virt_versions(conn, &v, err) < 0)
        return -1;
    return vt_versions_check_readonly_mapping(&v, meta->name, err);
}

static int vt_clone_load(const struct vt_dirs *dirs, const char *template_name,
                         struct vt_meta *meta, char **live, vt_error_t *err)
{
    if (vt_store_load_saved(dirs, template_name, meta, err) < 0)
        return -1;
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_XML, template_name, err);
    if (path == NULL || vt_file_read(path, VT_XML_FILE_MAX, live, NULL, err) < 0) {
        vt_meta_clear(meta);
        return -1;
    }
    return 0;
}

/* Explicit names must be valid, distinct and free; checked before any
 * domain is made so a bad list makes nothing. */
static int vt_clone_check_names(virConnectPtr conn, const struct vt_dirs *dirs, char **names,
                                vt_error_t *err)
{
    for (size_t i = 0; names[i]; i++) {
        if (vt_name_validate(names[i], "clone", err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return vt_error_set(err, 0, "clone name '%s' is given twice", names[i]);
        if (vt_virt_domain_exists(conn, names[i]))
            return vt_error_set(err, 0, "a domain named '%s' already exists", names[i]);
        if (vt_store_exists(dirs, names[i]))
            return vt_error_set(err, 0, "'%s' is the name of a template", names[i]);
    }
    return 0;
}

/* The first `count` free names PREFIX1, PREFIX2, ... (PREFIX defaults to
 * "TEMPLATE-"). */
static int vt_clone_pick_names(virConnectPtr conn, const struct vt_dirs *dirs,
                               const struct vt_clone_request *req, char ***out, vt_error_t *err)
{
    unsigned count = req->count;
    vt_autostrv char **names = calloc((size_t)count + 1, sizeof(char *));
    if (names == NULL)
        return vt_error_nomem(err);
    size_t n = 0;
    for (unsigned long i = 1; n < count; i++) {
        vt_autofree char *name = NULL;
        int rc = req->prefix ? asprintf(&name, "%s%lu", req->prefix, i)
                             : asprintf(&name, "%s-%lu", req->template_name, i);
        if (rc < 0) {
            name = NULL;
            return vt_error_nomem(err);
        }
        if (vt_name_validate(name, "clone", err) < 0)
            return -1;
        if (!vt_virt_domain_exists(conn, name) && !vt_store_exists(dirs, name))
            names[n++] = vt_steal(name);
    }
    *out = vt_steal(names);
    return 0;
}

/* Removes the clones this run made, with their disk files; names any that
 * stay in the error. */
static void vt_clone_rollback(virConnectPtr conn, const struct vt_dirs *dirs,
                              const struct vt_meta *meta, char **made, vt_error_t *err)
{
    for (size_t i = 0; made && made[i]; i++) {
        vt_autoerror vt_error_t rm_err = NULL;
        if (vt_virt_domain_remove(conn, made[i], &rm_err) < 0)
            vt_error_prefix(err, "clone '%s' is left defined (%s)", made[i], rm_err->msg);
        else if (vt_store_clone_files_remove(dirs, meta, made[i], &rm_err) < 0 ||
                 vt_clone_config_remove(dirs, meta->name, made[i], &rm_err) < 0)
            vt_error_prefix(err, "the files of clone '%s' are left (%s)", made[i], rm_err->msg);
    }
}

/* --data is read once, for every clone; a host port given with --forward
 * can only be one clone's. */
static int vt_clone_check_extras(const struct vt_clone_request *req, char **names, char **data,
                                 vt_error_t *err)
{
    for (size_t i = 0; i < req->nforwards; i++)
        if (req->forwards[i].host && vt_strv_len(names) > 1)
            return vt_error_set(err, 0,
                                "--forward %u:%u names one host port: it is for one clone only",
                                req->forwards[i].host, req->forwards[i].guest);
    if (req->data_file == NULL)
        return 0;
    vt_autofree char *raw = NULL;
    size_t len = 0;
    if (vt_file_read(req->data_file, VT_CLONE_DATA_MAX, &raw, &len, err) < 0)
        return -1;
    if ((*data = vt_base64((const unsigned char *)raw, len)) == NULL)
        return vt_error_nomem(err);
    return 0;
}

/* Clone `name`'s port forwards and data, saved where the hook reads them. */
static int vt_clone_save_config(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                const char *name, const struct vt_clone_request *req,
                                const char *data, bool *used_ports, vt_error_t *err)
{
    struct vt_clone_config c = {.nforwards = req->nforwards, .data = (char *)data};
    if (req->nforwards == 0 && data == NULL)
        return 0;
    for (size_t i = 0; i < req->nforwards; i++) {
        c.forwards[i] = req->forwards[i];
        if (c.forwards[i].host == 0 &&
            (c.forwards[i].host = vt_clone_config_pick_port(used_ports, VT_FORWARD_PORT_FIRST,
                                                            VT_FORWARD_PORT_LAST)) == 0)
            return vt_error_set(err, 0, "no free host port in %d-%d for a forward",
                                VT_FORWARD_PORT_FIRST, VT_FORWARD_PORT_LAST);
    }
    return vt_clone_config_save(dirs, meta->name, name, &c, err);
}

static int vt_clone_make_one(virConnectPtr conn, const struct vt_dirs *dirs,
                             const struct vt_meta *meta, const char *live, const char *name,
                             bool start, vt_error_t *err)
{
    vt_autofree char *xml = vt_clone_xml_from(dirs, meta, live, name, err);
    if (xml == NULL || vt_store_clone_files_reset(dirs, meta, name, err) < 0)
        return -1;
    vt_autodomain virDomainPtr dom = virDomainDefineXML(conn, xml);
    char *one[] = {(char *)name, NULL};
    if (dom == NULL) {
        vt_error_set_virt(err, "cannot define clone '%s'", name);
        vt_autoerror vt_error_t ignored = NULL;
        vt_store_clone_files_remove(dirs, meta, name, &ignored);
        return -1;
    }
    if (start && virDomainCreate(dom) < 0) {
        vt_error_set_virt(err, "cannot start clone '%s'", name);
        vt_clone_rollback(conn, dirs, meta, one, err);
        return -1;
    }
    return 0;
}

static int vt_clone_names(virConnectPtr conn, const struct vt_dirs *dirs,
                          const struct vt_clone_request *req, char ***names, vt_error_t *err)
{
    if (req->names == NULL)
        return vt_clone_pick_names(conn, dirs, req, names, err);
    if (vt_clone_check_names(conn, dirs, req->names, err) < 0)
        return -1;
    size_t n = vt_strv_len(req->names);
    *names = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; *names && i < n; i++)
        if (((*names)[i] = strdup(req->names[i])) == NULL)
            return vt_error_nomem(err);
    return *names ? 0 : vt_error_nomem(err);
}

int vt_clone_preview(virConnectPtr conn, const struct vt_dirs *dirs,
                     const struct vt_clone_request *req, char ***xmls, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autofree char *live = NULL;
    vt_autostrv char **names = NULL;
    if (vt_clone_load(dirs, req->template_name, &meta, &live, err) < 0 ||
        vt_clone_names(conn, dirs, req, &names, err) < 0)
        return -1;
    size_t n = vt_strv_len(names);
    vt_autostrv char **out = calloc(n + 1, sizeof(char *));
    if (out == NULL)
        return vt_error_nomem(err);
    for (size_t i = 0; i < n; i++)
        if ((out[i] = vt_clone_xml_from(dirs, &meta, live, names[i], err)) == NULL)
            return -1;
    *xmls = vt_steal(out);
    return 0;
}

int vt_clone_create(virConnectPtr conn, const struct vt_dirs *dirs,
                    const struct vt_clone_request *req, char ***made, vt_error_t *err)
{
    /* The lock makes name picking and definition atomic against other
     * clone and delete runs. */
    vt_autoclose int lock = vt_store_lock(dirs, err);
    if (lock < 0)
        return -1;
    return vt_clone_create_locked(conn, dirs, req, made, err);
}

int vt_clone_create_locked(virConnectPtr conn, const struct vt_dirs *dirs,
                           const struct vt_clone_request *req, char ***made, vt_error_t *err)
{
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autofree char *live = NULL;
    vt_autostrv char **names = NULL;
    vt_autofree char *data = NULL;
    vt_autofree bool *used_ports = calloc(65536, sizeof(bool));
    if (used_ports == NULL)
        return vt_error_nomem(err);
    if (vt_clone_load(dirs, req->template_name, &meta, &live, err) < 0 ||
        vt_clone_check_qemu(conn, &meta, err) < 0 ||
        vt_clone_names(conn, dirs, req, &names, err) < 0 ||
        vt_clone_check_extras(req, names, &data, err) < 0 ||
        vt_clone_config_used_ports(dirs, used_ports, err) < 0)
        return -1;
    size_t n = vt_strv_len(names);
    for (size_t i = 0; names[i]; i++) {
        if (req->start)
            vt_progress_step(req->progress, "starting clone '%s' (%zu of %zu)", names[i], i + 1, n);
        if (vt_clone_save_config(dirs, &meta, names[i], req, data, used_ports, err) < 0 ||
            vt_clone_make_one(conn, dirs, &meta, live, names[i], req->start, err) < 0) {
            vt_autoerror vt_error_t ignored = NULL;
            vt_clone_config_remove(dirs, meta.name, names[i], &ignored);
            char *failed = names[i];
            names[i] = NULL;
            vt_clone_rollback(conn, dirs, &meta, names, err);
            names[i] = failed;
            return -1;
        }
    }
    *made = vt_steal(names);
    return 0;
}

int vt_clone_remove(virConnectPtr conn, const struct vt_dirs *dirs, const struct vt_meta *meta,
                    const char *name, vt_error_t *err)
{
    if (vt_virt_domain_remove(conn, name, err) < 0 ||
        vt_store_clone_files_remove(dirs, meta, name, err) < 0 ||
        vt_clone_config_remove(dirs, meta->name, name, err) < 0)
        return vt_error_prefix(err, "cannot remove clone '%s'", name);
    return 0;
}
