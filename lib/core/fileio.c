#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"

/* 1 if fd is at its end, 0 if more input follows, -1 (errno set) on error. */
static int vt_fd_at_end(int fd)
{
    char more;
    ssize_t n;
    while ((n = read(fd, &more, 1)) < 0 && errno == EINTR)
        ;
    return n < 0 ? -1 : n == 0;
}

int vt_fd_read_all(int fd, size_t max, char **data, size_t *len, vt_error_t *err)
{
    size_t cap = max < 4096 ? max : 4096, used = 0;
    vt_autofree char *buf = malloc(cap + 1);
    if (buf == NULL)
        return vt_error_nomem(err);
    for (;;) {
        if (used == cap) {
            if (cap >= max) {
                /* Full at max: too large only if more input follows. */
                int end = vt_fd_at_end(fd);
                if (end < 0)
                    return vt_error_set(err, errno, "cannot read input");
                if (end)
                    break;
                return vt_error_set(err, 0, "input is larger than %zu bytes", max);
            }
            cap = cap * 2 > max ? max : cap * 2;
            char *bigger = realloc(buf, cap + 1);
            if (bigger == NULL)
                return vt_error_nomem(err);
            buf = bigger;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "cannot read input");
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *data = vt_steal(buf);
    if (len)
        *len = used;
    return 0;
}

int vt_file_read(const char *path, size_t max, char **data, size_t *len, vt_error_t *err)
{
    vt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vt_error_set(err, errno, "cannot open '%s'", path);
    if (vt_fd_read_all(fd, max, data, len, err) < 0)
        return vt_error_prefix(err, "'%s'", path);
    return 0;
}

int vt_file_read_optional(const char *path, size_t max, char **data, vt_error_t *err)
{
    vt_autoerror vt_error_t read_err = NULL;
    *data = NULL;
    if (vt_file_read(path, max, data, NULL, &read_err) == 0)
        return 0;
    if (read_err->errnum == ENOENT)
        return 0;
    *err = vt_steal(read_err);
    return -1;
}

int vt_dir_sync_parent(const char *path, vt_error_t *err)
{
    vt_autofree char *copy = strdup(path);
    if (copy == NULL)
        return vt_error_nomem(err);
    vt_autoclose int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
        return vt_error_set(err, errno, "cannot sync the directory of '%s'", path);
    return 0;
}

static int vt_write_full(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int vt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         vt_error_t *err)
{
    vt_autofree char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
        return vt_error_nomem(err);
    vt_autoclose int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return vt_error_set(err, errno, "cannot create a temporary file for '%s'", path);
    if (fchmod(fd, mode) < 0 || vt_write_full(fd, data, len) < 0 || fsync(fd) < 0 ||
        rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return vt_error_set(err, saved, "cannot write '%s'", path);
    }
    return vt_dir_sync_parent(path, err);
}

/* Copies all of fd `in` to fd `out`. */
static int vt_copy_fd(int in, int out)
{
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        if (vt_write_full(out, buf, (size_t)n) < 0)
            return -1;
    }
}

int vt_file_copy(const char *src, const char *dst, mode_t mode, vt_error_t *err)
{
    vt_autoclose int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return vt_error_set(err, errno, "cannot open '%s'", src);
    vt_autofree char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.XXXXXX", dst) < 0) {
        tmp = NULL;
        return vt_error_nomem(err);
    }
    vt_autoclose int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0)
        return vt_error_set(err, errno, "cannot create a temporary file for '%s'", dst);
    if (fchmod(out, mode) < 0 || vt_copy_fd(in, out) < 0 || fsync(out) < 0 ||
        rename(tmp, dst) < 0) {
        int saved = errno;
        unlink(tmp);
        return vt_error_set(err, saved, "cannot copy '%s' to '%s'", src, dst);
    }
    return vt_dir_sync_parent(dst, err);
}

int vt_dir_ensure(const char *path, mode_t mode, uid_t uid, gid_t gid, vt_error_t *err)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return vt_error_set(err, errno, "cannot create directory '%s'", path);
    /* Owner and mode are set on what was opened, never by path again: a
     * directory swapped for a symlink meanwhile is refused, not followed. */
    vt_autoclose int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            return vt_error_set(err, 0, "'%s' is not a directory", path);
        return vt_error_set(err, errno, "cannot open directory '%s'", path);
    }
    if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
        return vt_error_set(err, errno, "cannot set owner and mode of '%s'", path);
    return 0;
}

/* From linux/magic.h, which not every libc's headers include. */
#define VT_TMPFS_MAGIC 0x01021994
#define VT_RAMFS_MAGIC 0x858458f6

int vt_fs_is_volatile(const char *path, bool *is_volatile, vt_error_t *err)
{
    struct statfs fs;
    if (statfs(path, &fs) < 0)
        return vt_error_set(err, errno, "cannot read the filesystem of '%s'", path);
    *is_volatile = fs.f_type == VT_TMPFS_MAGIC || fs.f_type == (typeof(fs.f_type))VT_RAMFS_MAGIC;
    return 0;
}
