#include "paths.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "names.h"

#ifndef VT_STATEDIR
#error "VT_STATEDIR must be defined by the build"
#endif

static struct vt_dirs vt_configured_dirs = {
    .state = VT_STATEDIR,
    .mem = VT_MEMDIR,
    .disk = VT_DISKDIR,
    .run = VT_RUNDIR,
    .data = VT_DATADIR,
    .console_log = VT_CONSOLE_LOGDIR,
    .qemu_run = VT_LIBVIRT_QEMU_RUNDIR,
};

/* DIR/NAME followed by these. */
static const char *const vt_path_suffixes[] = {
    [VT_PATH_STORE_DIR] = "",          [VT_PATH_META] = "/meta.json", [VT_PATH_XML] = "/domain.xml",
    [VT_PATH_DEVICE_STATE] = "/state", [VT_PATH_POOL] = "/pool.json", [VT_PATH_POOL_LOCK] = "/pool.lock",
    [VT_PATH_MEM_DIR] = "",            [VT_PATH_MEM] = "/memory",     [VT_PATH_DISK_DIR] = "",
};
_Static_assert(sizeof(vt_path_suffixes) / sizeof(vt_path_suffixes[0]) == VT_PATH_KIND_LAST,
               "vt_path_suffixes must cover enum vt_path_kind");

const struct vt_dirs *vt_dirs_default(void)
{
    const char *data = getenv("VIRT_TEMPLATE_DATADIR");
    if (data && *data)
        vt_configured_dirs.data = data;
    return &vt_configured_dirs;
}

static char *vt_path_join(vt_error_t *err, const char *dir, const char *name, const char *suffix)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s%s", dir, name, suffix) < 0) {
        vt_error_nomem(err);
        return NULL;
    }
    return path;
}

char *vt_path_template(const struct vt_dirs *dirs, enum vt_path_kind kind, const char *name,
                       vt_error_t *err)
{
    if (vt_name_validate(name, "template", err) < 0)
        return NULL;
    const char *dir = kind == VT_PATH_DISK_DIR  ? dirs->disk
                      : kind >= VT_PATH_MEM_DIR ? dirs->mem
                                                : dirs->state;
    return vt_path_join(err, dir, name, vt_path_suffixes[kind]);
}

int vt_disk_target_validate(const char *target, vt_error_t *err)
{
    size_t len = target ? strlen(target) : 0;
    if (len == 0 || len > 16 || strspn(target, "abcdefghijklmnopqrstuvwxyz0123456789") != len)
        return vt_error_set(err, 0, "invalid disk target '%s'", target ? target : "");
    return 0;
}

/* DISK/T/ followed by a formatted file name. */
static char *vt_path_in_disk_dir(const struct vt_dirs *dirs, const char *template_name,
                                 vt_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static char *vt_path_in_disk_dir(const struct vt_dirs *dirs, const char *template_name,
                                 vt_error_t *err, const char *fmt, ...)
{
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_DISK_DIR, template_name, err);
    vt_autofree char *file = NULL;
    va_list ap;
    if (dir == NULL)
        return NULL;
    va_start(ap, fmt);
    int rc = vasprintf(&file, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        file = NULL;
        vt_error_nomem(err);
        return NULL;
    }
    return vt_path_join(err, dir, file, "");
}

char *vt_path_disk_base(const struct vt_dirs *dirs, const char *template_name, const char *target,
                        const char *format, vt_error_t *err)
{
    if (vt_disk_target_validate(target, err) < 0)
        return NULL;
    if (strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0) {
        vt_error_set(err, 0, "unsupported disk format '%s'", format);
        return NULL;
    }
    return vt_path_in_disk_dir(dirs, template_name, err, "base-%s.%s", target, format);
}

char *vt_path_disk_pristine(const struct vt_dirs *dirs, const char *template_name,
                            const char *target, vt_error_t *err)
{
    if (vt_disk_target_validate(target, err) < 0)
        return NULL;
    return vt_path_in_disk_dir(dirs, template_name, err, "pristine-%s.qcow2", target);
}

char *vt_path_disk_clone(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                         const char *target, vt_error_t *err)
{
    if (vt_disk_target_validate(target, err) < 0 || vt_name_validate(clone, "clone", err) < 0)
        return NULL;
    return vt_path_in_disk_dir(dirs, template_name, err, "clones/%s-%s.qcow2", clone, target);
}

char *vt_path_nvram(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                    vt_error_t *err)
{
    if (clone == NULL)
        return vt_path_in_disk_dir(dirs, template_name, err, "nvram.fd");
    if (vt_name_validate(clone, "clone", err) < 0)
        return NULL;
    return vt_path_in_disk_dir(dirs, template_name, err, "clones/%s-nvram.fd", clone);
}

char *vt_path_identity(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    if (vt_name_validate(name, "domain", err) < 0)
        return NULL;
    return vt_path_join(err, dirs->run, name, ".identity");
}

char *vt_path_clone_config(const struct vt_dirs *dirs, const char *template_name,
                           const char *clone, vt_error_t *err)
{
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_STORE_DIR, template_name, err);
    if (dir == NULL || vt_name_validate(clone, "clone", err) < 0)
        return NULL;
    char *path = NULL;
    if (asprintf(&path, "%s/clones/%s.json", dir, clone) < 0) {
        vt_error_nomem(err);
        return NULL;
    }
    return path;
}

char *vt_path_clone_marker(const struct vt_dirs *dirs, const char *clone, const char *suffix,
                           vt_error_t *err)
{
    if (vt_name_validate(clone, "clone", err) < 0)
        return NULL;
    return vt_path_join(err, dirs->run, clone, suffix);
}

char *vt_path_clone_qmp(const struct vt_dirs *dirs, const char *clone, vt_error_t *err)
{
    if (vt_name_validate(clone, "clone", err) < 0)
        return NULL;
    return vt_path_join(err, dirs->run, clone, ".qmp");
}

char *vt_path_console_log(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    if (vt_name_validate(name, "domain", err) < 0)
        return NULL;
    return vt_path_join(err, dirs->console_log, name, "-console.log");
}

char *vt_path_base_xml(const struct vt_dirs *dirs, const char *file, vt_error_t *err)
{
    return vt_path_join(err, dirs->data, file, "");
}

char *vt_path_qemu_pid(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    if (vt_name_validate(name, "domain", err) < 0)
        return NULL;
    return vt_path_join(err, dirs->qemu_run, name, ".pid");
}

char *vt_path_store_lock(const struct vt_dirs *dirs, vt_error_t *err)
{
    return vt_path_join(err, dirs->state, ".lock", "");
}
