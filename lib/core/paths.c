#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#ifndef VT_STATEDIR
#error "VT_STATEDIR must be defined by the build"
#endif

static struct vt_dirs vt_configured_dirs = {
    .state = VT_STATEDIR,
    .mem = VT_MEMDIR,
    .run = VT_RUNDIR,
    .data = VT_DATADIR,
    .console_log = VT_CONSOLE_LOGDIR,
    .qemu_run = VT_LIBVIRT_QEMU_RUNDIR,
};

/* DIR/NAME followed by these. */
static const char *const vt_path_suffixes[] = {
    [VT_PATH_STORE_DIR] = "",
    [VT_PATH_META] = "/meta.json",
    [VT_PATH_XML] = "/domain.xml",
    [VT_PATH_DEVICE_STATE] = "/state",
    [VT_PATH_MEM_DIR] = "",
    [VT_PATH_MEM] = "/memory",
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
    const char *dir = kind >= VT_PATH_MEM_DIR ? dirs->mem : dirs->state;
    return vt_path_join(err, dir, name, vt_path_suffixes[kind]);
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
