#include "background.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

/* posix_spawn (vfork-like: no copy of a large process) in a new session,
 * stdio on /dev/null, nothing else open: the caller's libvirt connection
 * and locks stay its own, and a ^C of the caller's terminal does not reach
 * the child. The child outlives the caller, who does not wait for it. */
int vt_spawn_self_detached(char *const argv[], vt_error_t *err)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    pid_t pid;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0)
        return vt_error_set(err, rc, "cannot start a detached process");
    if ((rc = posix_spawnattr_init(&attr)) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return vt_error_set(err, rc, "cannot start a detached process");
    }
    for (int fd = 0; fd < 3 && rc == 0; fd++)
        rc = posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    if (rc == 0)
        rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        return vt_error_set(err, rc, "cannot start a detached process");
    return 0;
}
