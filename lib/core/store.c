#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "names.h"

#define VT_META_MAX (64 * 1024)

int vt_store_lock(const struct vt_dirs *dirs, vt_error_t *err)
{
    if (vt_dir_ensure(dirs->state, 0711, 0, 0, err) < 0)
        return -1;
    vt_autofree char *path = vt_path_store_lock(dirs, err);
    if (path == NULL)
        return -1;
    vt_autoclose int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return vt_error_set(err, errno, "cannot open the store lock '%s'", path);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return vt_error_set(err, errno, "cannot lock the store '%s'", path);
    return vt_steal_fd(&fd);
}

/* STATE/T must be a real directory: O_NOFOLLOW guards only the last
 * component of the paths below it. */
static int vt_store_check_dir(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_STORE_DIR, name, err);
    struct stat st;
    if (dir == NULL)
        return -1;
    if (lstat(dir, &st) < 0) {
        if (errno == ENOENT)
            return vt_error_set(err, 0, "template '%s' does not exist", name);
        return vt_error_set(err, errno, "cannot stat '%s'", dir);
    }
    if (!S_ISDIR(st.st_mode))
        return vt_error_set(err, 0, "template '%s': '%s' is not a directory", name, dir);
    return 0;
}

int vt_store_load(const struct vt_dirs *dirs, const char *name, struct vt_meta *meta,
                  vt_error_t *err)
{
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_META, name, err);
    if (path == NULL || vt_store_check_dir(dirs, name, err) < 0)
        return -1;
    vt_autofree char *text = NULL;
    if (vt_file_read(path, VT_META_MAX, &text, NULL, err) < 0) {
        if (*err && (*err)->errnum == ENOENT)
            return vt_error_set(err, 0, "template '%s' does not exist", name);
        return -1;
    }
    if (vt_meta_parse(text, meta, err) < 0)
        return vt_error_prefix(err, "template '%s'", name);
    if (strcmp(meta->name, name) != 0) {
        vt_meta_clear(meta);
        return vt_error_set(err, 0, "template '%s': metadata names another template", name);
    }
    return 0;
}

int vt_store_load_saved(const struct vt_dirs *dirs, const char *name, struct vt_meta *meta,
                        vt_error_t *err)
{
    if (vt_store_load(dirs, name, meta, err) < 0)
        return -1;
    if (meta->state != VT_TEMPLATE_SAVED) {
        vt_meta_clear(meta);
        return vt_error_set(err, 0, "template '%s' is not saved yet", name);
    }
    if (vt_store_file_size(dirs, VT_PATH_DEVICE_STATE, name) <= 0) {
        vt_meta_clear(meta);
        return vt_error_set(err, 0, "template '%s' has no saved device state", name);
    }
    return 0;
}

void vt_store_template_dirs(const struct vt_dirs *dirs, const struct vt_meta *meta,
                            struct vt_dirs *out)
{
    *out = *dirs;
    if (meta->memory_dir)
        out->mem = meta->memory_dir;
}

int vt_store_check_memory(const struct vt_dirs *dirs, const struct vt_meta *meta, vt_error_t *err)
{
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, meta, &tdirs);
    vt_autofree char *path = vt_path_template(&tdirs, VT_PATH_MEM, meta->name, err);
    struct stat st;
    if (path == NULL)
        return -1;
    if (lstat(path, &st) < 0)
        return vt_error_set(err, errno, "template '%s': memory file '%s'", meta->name, path);
    if (!S_ISREG(st.st_mode))
        return vt_error_set(err, 0, "template '%s': memory file '%s' is not a regular file",
                            meta->name, path);
    if ((uint64_t)st.st_size != meta->memory_bytes)
        return vt_error_set(err, 0, "template '%s': memory file has %lld bytes, expected %llu",
                            meta->name, (long long)st.st_size,
                            (unsigned long long)meta->memory_bytes);
    return 0;
}

int vt_store_save_meta(const struct vt_dirs *dirs, const struct vt_meta *meta, vt_error_t *err)
{
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_META, meta->name, err);
    vt_autofree char *text = path ? vt_meta_format(meta, err) : NULL;
    if (text == NULL)
        return -1;
    return vt_file_write_atomic(path, text, strlen(text), 0600, err);
}

bool vt_store_exists(const struct vt_dirs *dirs, const char *name)
{
    vt_autoerror vt_error_t ignored = NULL;
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_STORE_DIR, name, &ignored);
    struct stat st;
    return path && lstat(path, &st) == 0;
}

/* Can the QEMU user of meta enter directory st? (Its supplementary groups
 * are not looked at: a directory open to the QEMU group or to all passes.) */
static bool vt_store_qemu_can_enter(const struct stat *st, const struct vt_meta *meta)
{
    return (st->st_mode & S_IXOTH) || (st->st_uid == meta->qemu_uid && (st->st_mode & S_IXUSR)) ||
           (st->st_gid == meta->qemu_gid && (st->st_mode & S_IXGRP));
}

int vt_store_check_reachable(const char *dir, const struct vt_meta *meta, vt_error_t *err)
{
    vt_autofree char *prefix = strdup(dir);
    if (prefix == NULL)
        return vt_error_nomem(err);
    for (char *slash = prefix;; slash++) {
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        struct stat st;
        const char *here = *prefix ? prefix : "/";
        if (stat(here, &st) == 0 && !vt_store_qemu_can_enter(&st, meta))
            return vt_error_set(err, 0,
                                "directory '%s' is not reachable by the QEMU user (uid %u): "
                                "'%s' is closed to it",
                                dir, (unsigned)meta->qemu_uid, here);
        if (slash == NULL)
            return 0;
        *slash = '/';
    }
}

/* A memory directory the user chose is theirs: it must exist and let the
 * QEMU user through, and we change nothing about it. The configured one is
 * ours, made root's and 0711. */
static int vt_store_check_memory_dir(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                     vt_error_t *err)
{
    struct stat st;
    if (meta->memory_dir == NULL)
        return vt_dir_ensure(dirs->mem, 0711, 0, 0, err);
    if (!vt_meta_memory_dir_valid(meta->memory_dir))
        return vt_error_set(err, 0, "memory directory '%s' must be an absolute path", meta->memory_dir);
    if (stat(meta->memory_dir, &st) < 0)
        return vt_error_set(err, errno, "memory directory '%s'", meta->memory_dir);
    if (!S_ISDIR(st.st_mode))
        return vt_error_set(err, 0, "memory directory '%s' is not a directory", meta->memory_dir);
    return vt_store_check_reachable(meta->memory_dir, meta, err);
}

static int vt_store_unlink(const struct vt_dirs *dirs, enum vt_path_kind kind, const char *name,
                           vt_error_t *err)
{
    vt_autofree char *path = vt_path_template(dirs, kind, name, err);
    if (path == NULL)
        return -1;
    int rc = (kind == VT_PATH_STORE_DIR || kind == VT_PATH_MEM_DIR) ? rmdir(path) : unlink(path);
    if (rc < 0 && errno != ENOENT)
        return vt_error_set(err, errno, "cannot remove '%s'", path);
    return 0;
}

/* Removes every file of T that the store knows, then its directories, with
 * the memory in tdirs->mem. Metadata goes first: a template without it no
 * longer loads, so an interrupted removal never leaves something usable
 * (delete finishes it). */
static int vt_store_remove_files(const struct vt_dirs *tdirs, const char *name, vt_error_t *err)
{
    static const enum vt_path_kind order[] = {VT_PATH_META, VT_PATH_MEM, VT_PATH_MEM_DIR,
                                              VT_PATH_DEVICE_STATE, VT_PATH_XML,
                                              VT_PATH_POOL,         VT_PATH_POOL_LOCK,
                                              VT_PATH_STORE_DIR};
    for (size_t i = 0; i < VT_N_ELEMENTS(order); i++)
        if (vt_store_unlink(tdirs, order[i], name, err) < 0)
            return -1;
    return 0;
}

int vt_store_create(const struct vt_dirs *dirs, const struct vt_meta *meta, vt_error_t *err)
{
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, meta, &tdirs);
    vt_autofree char *store = vt_path_template(dirs, VT_PATH_STORE_DIR, meta->name, err);
    vt_autofree char *mem = store ? vt_path_template(&tdirs, VT_PATH_MEM_DIR, meta->name, err) : NULL;
    if (mem == NULL || vt_store_check_memory_dir(dirs, meta, err) < 0)
        return -1;
    if (mkdir(store, 0700) < 0) {
        if (errno == EEXIST)
            return vt_error_set(err, 0, "template '%s' already exists", meta->name);
        return vt_error_set(err, errno, "cannot create '%s'", store);
    }
    /* QEMU (as the QEMU user) creates and maps the memory file in MEM/T.
     * A leftover MEM/T (no store directory: not a template) is reused. */
    if (vt_dir_ensure(mem, 0700, meta->qemu_uid, meta->qemu_gid, err) < 0 ||
        ((meta->ndisks > 0 || meta->nvram) && vt_store_disk_dirs_create(dirs, meta->name, err) < 0) ||
        vt_store_save_meta(dirs, meta, err) < 0) {
        vt_autoerror vt_error_t ignored = NULL;
        vt_store_remove_files(&tdirs, meta->name, &ignored);
        vt_store_disk_dir_remove(dirs, meta->name, &ignored);
        return -1;
    }
    return 0;
}

int vt_store_remove(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    /* The metadata says where the memory is: read it first. */
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autoerror vt_error_t unreadable = NULL;
    struct vt_dirs tdirs = *dirs;
    if (vt_store_load(dirs, name, &meta, &unreadable) == 0)
        vt_store_template_dirs(dirs, &meta, &tdirs);
    if (vt_store_clone_configs_remove(dirs, name, err) < 0 ||
        vt_store_remove_files(&tdirs, name, err) < 0)
        return -1;
    return vt_store_disk_dir_remove(dirs, name, err);
}

/* Some filesystems leave d_type unknown: ask them then. */
static bool vt_store_is_dir(DIR *d, const struct dirent *e)
{
    struct stat st;
    if (e->d_type != DT_UNKNOWN)
        return e->d_type == DT_DIR;
    return fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int vt_store_list(const struct vt_dirs *dirs, char ***names, vt_error_t *err)
{
    vt_autostrv char **list = calloc(1, sizeof(char *));
    size_t n = 0;
    DIR *d = opendir(dirs->state);
    if (d == NULL && errno != ENOENT)
        return vt_error_set(err, errno, "cannot read '%s'", dirs->state);
    for (struct dirent *e; d && (e = readdir(d));) {
        vt_autoerror vt_error_t ignored = NULL;
        if (!vt_store_is_dir(d, e) || vt_name_validate(e->d_name, "template", &ignored) < 0)
            continue;
        char **bigger = realloc(list, (n + 2) * sizeof(char *));
        if (bigger == NULL || (bigger[n] = strdup(e->d_name)) == NULL) {
            list = bigger ? bigger : list;
            closedir(d);
            return vt_error_nomem(err);
        }
        list = bigger;
        list[++n] = NULL;
    }
    if (d)
        closedir(d);
    vt_strv_sort(list, n);
    *names = vt_steal(list);
    return 0;
}

long long vt_store_file_size(const struct vt_dirs *dirs, enum vt_path_kind kind, const char *name)
{
    vt_autoerror vt_error_t ignored = NULL;
    vt_autofree char *path = vt_path_template(dirs, kind, name, &ignored);
    struct stat st;
    if (path == NULL || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    return (long long)st.st_size;
}
