/* Disk images through qemu-img, the tool QEMU ships for them: checks of a
 * source image and its backing chain, copies, overlays. The tool's side
 * only; the hook copies files it made earlier (store.c). */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

extern char **environ;

#define VT_QEMU_IMG "qemu-img"
#define VT_DISK_STDERR_MAX (64 * 1024)

/* The last line qemu-img printed on stderr, its reason. */
static void vt_disk_reason(char *text, const char **reason)
{
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *last = strrchr(text, '\n');
    *reason = last ? last + 1 : text;
    if (strncmp(*reason, "qemu-img: ", 10) == 0)
        *reason += 10;
}

/* Runs qemu-img with argv (argv[0] is "qemu-img"); on failure its reason
 * follows `what` in *err. */
static int vt_disk_run(char *const argv[], const char *what, vt_error_t *err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return vt_error_set(err, errno, "%s", what);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    vt_autoclose int out = pipefd[0];
    if (rc != 0)
        return vt_error_set(err, rc, "%s: cannot run %s", what, argv[0]);
    vt_autofree char *text = NULL;
    vt_autoerror vt_error_t read_err = NULL;
    vt_fd_read_all(out, VT_DISK_STDERR_MAX, &text, NULL, &read_err);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return vt_error_set(err, errno, "%s", what);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    const char *reason = "qemu-img failed";
    if (text && *text)
        vt_disk_reason(text, &reason);
    return vt_error_set(err, 0, "%s: %s", what, reason);
}

int vt_disk_check_source(const char *target, const char *path, const char *format, vt_error_t *err)
{
    vt_autofree char *what = NULL;
    struct stat st;
    if (asprintf(&what, "disk '%s' ('%s')", target, path) < 0) {
        what = NULL;
        return vt_error_nomem(err);
    }
    if (stat(path, &st) < 0)
        return vt_error_set(err, errno, "%s", what);
    if (!S_ISREG(st.st_mode))
        return vt_error_set(err, 0, "%s is not a regular file", what);
    if (access(path, R_OK) < 0)
        return vt_error_set(err, errno, "%s", what);
    /* qemu-img follows the whole backing chain: a missing or looping link,
     * an unreadable layer or a wrong format fails here, before anything
     * exists. -U: the source's domain may have it open (read-only use). */
    char *const argv[] = {VT_QEMU_IMG, "info",         "-U",         "--backing-chain",
                          "-f",        (char *)format, (char *)path, NULL};
    return vt_disk_run(argv, what, err);
}

/* Writes to `dst`.tmp.XXXXXX with `argv` (its last-but-one slot is the
 * temporary name), then renames it into place with `mode`. */
static int vt_disk_make(char **argv, size_t tmp_slot, const char *dst, mode_t mode,
                        const char *what, vt_error_t *err)
{
    vt_autofree char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.XXXXXX", dst) < 0) {
        tmp = NULL;
        return vt_error_nomem(err);
    }
    vt_autoclose int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return vt_error_set(err, errno, "%s: cannot create '%s'", what, tmp);
    argv[tmp_slot] = tmp;
    int rc = vt_disk_run(argv, what, err);
    if (rc == 0 && (chmod(tmp, mode) < 0 || rename(tmp, dst) < 0))
        rc = vt_error_set(err, errno, "%s: cannot write '%s'", what, dst);
    if (rc < 0) {
        unlink(tmp);
        return -1;
    }
    return vt_dir_sync_parent(dst, err);
}

int vt_disk_copy(const char *src, const char *format, const char *dst, vt_error_t *err)
{
    /* convert: sparse, and a qcow2 source comes out with its backing chain
     * folded in, so the copy depends on nothing of the source domain's. */
    char *argv[] = {VT_QEMU_IMG, "convert",      "-U",        "-f", (char *)format,
                    "-O",        (char *)format, (char *)src, NULL, NULL};
    vt_autofree char *what = NULL;
    if (asprintf(&what, "cannot copy '%s'", src) < 0) {
        what = NULL;
        return vt_error_nomem(err);
    }
    return vt_disk_make(argv, 8, dst, 0600, what, err);
}

int vt_disk_overlay(const char *base, const char *format, const char *overlay, vt_error_t *err)
{
    char *argv[] = {VT_QEMU_IMG,    "create", "-q",         "-f", "qcow2", "-F",
                    (char *)format, "-b",     (char *)base, NULL, NULL};
    vt_autofree char *what = NULL;
    if (asprintf(&what, "cannot create an overlay on '%s'", base) < 0) {
        what = NULL;
        return vt_error_nomem(err);
    }
    return vt_disk_make(argv, 9, overlay, 0600, what, err);
}

int vt_disk_flatten(const char *overlay, const char *dst, vt_error_t *err)
{
    char *argv[] = {VT_QEMU_IMG, "convert",       "-f", "qcow2", "-O",
                    "qcow2",     (char *)overlay, NULL, NULL};
    vt_autofree char *what = NULL;
    if (asprintf(&what, "cannot flatten '%s'", overlay) < 0) {
        what = NULL;
        return vt_error_nomem(err);
    }
    return vt_disk_make(argv, 7, dst, 0600, what, err);
}
