#include "forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "qmp.h"

bool vt_forward_user_netdev(const char *info, char *id, size_t size)
{
    for (const char *line = info; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strcspn(line, "\n");
        const char *user = memmem(line, len, "type=user", 9);
        const char *colon = memchr(line, ':', len);
        if (user == NULL || colon == NULL || colon > user)
            continue;
        const char *start = line + strspn(line, " \\\t");
        if (start >= colon || (size_t)(colon - start) >= size)
            continue;
        snprintf(id, size, "%.*s", (int)(colon - start), start);
        return true;
    }
    return false;
}

/* Runs HMP `command` through QMP; its output in *out. */
static int vt_forward_hmp(struct vt_qmp *qmp, const char *command, int64_t deadline, char **out,
                          vt_error_t *err)
{
    json_object *args = vt_qmp_string_args("command-line", command);
    json_object *ret = NULL;
    int rc = vt_qmp_execute(qmp, "human-monitor-command", args, -1, deadline, &ret, err);
    json_object_put(args);
    if (rc == 0) {
        const char *s = json_object_is_type(ret, json_type_string) ? json_object_get_string(ret) : "";
        if ((*out = strdup(s)) == NULL)
            rc = vt_error_nomem(err);
    }
    json_object_put(ret);
    return rc;
}

static int vt_forward_add(struct vt_qmp *qmp, const char *netdev, const struct vt_forward *f,
                          int64_t deadline, vt_error_t *err)
{
    char command[128];
    vt_autofree char *out = NULL, *gone = NULL;
    /* A forward kept from an earlier run of this QEMU is replaced. */
    snprintf(command, sizeof(command), "hostfwd_remove %s tcp:127.0.0.1:%u", netdev, f->host);
    if (vt_forward_hmp(qmp, command, deadline, &gone, err) < 0)
        return -1;
    snprintf(command, sizeof(command), "hostfwd_add %s tcp:127.0.0.1:%u-:%u", netdev, f->host,
             f->guest);
    if (vt_forward_hmp(qmp, command, deadline, &out, err) < 0)
        return -1;
    if (*out)
        return vt_error_set(err, 0,
                            "cannot forward 127.0.0.1:%u to guest port %u (is the port in use?)",
                            f->host, f->guest);
    return 0;
}

int vt_forward_apply(const struct vt_dirs *dirs, const char *clone,
                     const struct vt_clone_config *config, int64_t deadline, vt_error_t *err)
{
    if (config->nforwards == 0)
        return 0;
    vt_autofree char *socket = vt_path_clone_qmp(dirs, clone, err);
    vt_autoqmp struct vt_qmp *qmp = NULL;
    vt_autofree char *info = NULL;
    char netdev[64];
    if (socket == NULL || vt_qmp_open(socket, deadline, &qmp, err) < 0 ||
        vt_forward_hmp(qmp, "info network", deadline, &info, err) < 0)
        return vt_error_prefix(err, "clone '%s': port forwards", clone);
    if (!vt_forward_user_netdev(info, netdev, sizeof(netdev)))
        return vt_error_set(err, 0,
                            "clone '%s' has port forwards but no user-mode network interface",
                            clone);
    for (size_t i = 0; i < config->nforwards; i++)
        if (vt_forward_add(qmp, netdev, &config->forwards[i], deadline, err) < 0)
            return vt_error_prefix(err, "clone '%s'", clone);
    return 0;
}
