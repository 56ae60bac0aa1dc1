/* The store's disk files: DISK/T/ holds the template's disk copies (its
 * clones' bases once saved), a pristine empty overlay per disk, the frozen
 * UEFI variables, and clones/ each clone's overlays and variables
 * (docs/design.md, Flows: disks). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "store.h"

/* DISK/T/clones: made for the clones' files, or removed with them. */
static char *vt_store_clones_dir(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_DISK_DIR, name, err);
    char *clones = NULL;
    if (dir && asprintf(&clones, "%s/clones", dir) < 0) {
        clones = NULL;
        vt_error_nomem(err);
    }
    return clones;
}

int vt_store_disk_dirs_create(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    /* Root's, and only entered by QEMU: libvirt hands QEMU each image it
     * names (DAC relabelling); nobody but root creates or removes one. */
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_DISK_DIR, name, err);
    vt_autofree char *clones = dir ? vt_store_clones_dir(dirs, name, err) : NULL;
    if (clones == NULL || vt_dir_ensure(dirs->disk, 0711, 0, 0, err) < 0 ||
        vt_dir_ensure(dir, 0711, 0, 0, err) < 0 || vt_dir_ensure(clones, 0711, 0, 0, err) < 0)
        return -1;
    return 0;
}

/* Unlinks every regular file in dir (ours all: nothing else writes there),
 * then dir itself. A missing dir is no error. */
static int vt_store_empty_dir(const char *dir, vt_error_t *err)
{
    vt_autoclose int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : vt_error_set(err, errno, "cannot open '%s'", dir);
    DIR *d = fdopendir(dfd);
    if (d == NULL)
        return vt_error_set(err, errno, "cannot read '%s'", dir);
    dfd = -1;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
            unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
            rc = vt_error_set(err, errno, "cannot remove '%s/%s'", dir, e->d_name);
    }
    closedir(d);
    if (rc == 0 && rmdir(dir) < 0 && errno != ENOENT)
        rc = vt_error_set(err, errno, "cannot remove '%s'", dir);
    return rc;
}

int vt_store_clone_configs_remove(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_STORE_DIR, name, err);
    vt_autofree char *clones = NULL;
    if (dir == NULL)
        return -1;
    if (asprintf(&clones, "%s/clones", dir) < 0) {
        clones = NULL;
        return vt_error_nomem(err);
    }
    return vt_store_empty_dir(clones, err);
}

int vt_store_disk_dir_remove(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_DISK_DIR, name, err);
    vt_autofree char *clones = dir ? vt_store_clones_dir(dirs, name, err) : NULL;
    if (clones == NULL || vt_store_empty_dir(clones, err) < 0)
        return -1;
    return vt_store_empty_dir(dir, err);
}

int vt_store_clone_files_reset(const struct vt_dirs *dirs, const struct vt_meta *meta,
                               const char *clone, vt_error_t *err)
{
    for (size_t i = 0; i < meta->ndisks; i++) {
        const char *target = meta->disks[i].target;
        vt_autofree char *pristine = vt_path_disk_pristine(dirs, meta->name, target, err);
        vt_autofree char *own =
            pristine ? vt_path_disk_clone(dirs, meta->name, clone, target, err) : NULL;
        if (own == NULL || vt_file_copy(pristine, own, 0600, err) < 0)
            return vt_error_prefix(err, "cannot reset the disk '%s' of clone '%s'", target, clone);
    }
    if (!meta->nvram)
        return 0;
    vt_autofree char *frozen = vt_path_nvram(dirs, meta->name, NULL, err);
    vt_autofree char *own = frozen ? vt_path_nvram(dirs, meta->name, clone, err) : NULL;
    if (own == NULL || vt_file_copy(frozen, own, 0600, err) < 0)
        return vt_error_prefix(err, "cannot reset the UEFI variables of clone '%s'", clone);
    return 0;
}

int vt_store_clone_files_remove(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                const char *clone, vt_error_t *err)
{
    for (size_t i = 0; i <= meta->ndisks; i++) {
        vt_autofree char *path = i < meta->ndisks ? vt_path_disk_clone(dirs, meta->name, clone,
                                                                       meta->disks[i].target, err)
                                                  : vt_path_nvram(dirs, meta->name, clone, err);
        if (path == NULL)
            return -1;
        if (unlink(path) < 0 && errno != ENOENT)
            return vt_error_set(err, errno, "cannot remove '%s'", path);
    }
    return 0;
}
