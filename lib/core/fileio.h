#ifndef VT_FILEIO_H
#define VT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Reads a whole regular file (never through a symlink), at most `max` bytes.
 * The result is NUL-terminated. */
int vt_file_read(const char *path, size_t max, char **data, size_t *len, vt_error_t *err);

/* vt_file_read for a file that may be absent: 0 with *data NULL then. */
int vt_file_read_optional(const char *path, size_t max, char **data, vt_error_t *err);

/* Reads all of an fd (e.g. stdin), at most `max` bytes, NUL-terminated. */
int vt_fd_read_all(int fd, size_t max, char **data, size_t *len, vt_error_t *err);

/* Writes `path` atomically: a temporary file in the same directory, fsync,
 * rename, fsync of the directory. A reader sees the old file or the new one,
 * never a partial one. */
int vt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         vt_error_t *err);

/* Copies `src` (never through a symlink) to `dst` atomically, as
 * vt_file_write_atomic writes, with `mode`. */
int vt_file_copy(const char *src, const char *dst, mode_t mode, vt_error_t *err);

/* fsync of the directory holding `path`, so a rename in it is durable. */
int vt_dir_sync_parent(const char *path, vt_error_t *err);

/* mkdir that treats an existing directory (not a symlink) as success, then
 * sets owner and mode exactly. */
int vt_dir_ensure(const char *path, mode_t mode, uid_t uid, gid_t gid, vt_error_t *err);

/* Whether the filesystem holding path keeps nothing across a reboot
 * (tmpfs, ramfs). */
int vt_fs_is_volatile(const char *path, bool *is_volatile, vt_error_t *err);

#endif
