#include "clone-config.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <nettle/base64.h>

#include "cleanup.h"
#include "fileio.h"
#include "store.h"

#define VT_CLONE_CONFIG_MAX (128 * 1024)

void vt_clone_config_clear(struct vt_clone_config *c)
{
    free(c->data);
    *c = (struct vt_clone_config){0};
}

static int vt_clone_config_port(json_object *f, const char *key, unsigned *out, vt_error_t *err)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(f, key, &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 1 || json_object_get_int64(v) > 65535)
        return vt_error_set(err, 0, "clone config: a forward needs '%s', a port", key);
    *out = (unsigned)json_object_get_int64(v);
    return 0;
}

static int vt_clone_config_forwards(json_object *obj, struct vt_clone_config *c, vt_error_t *err)
{
    json_object *list = NULL;
    if (!json_object_object_get_ex(obj, "forwards", &list))
        return 0;
    if (!json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) > VT_FORWARDS_MAX)
        return vt_error_set(err, 0, "clone config: 'forwards' is not a list of at most %d",
                            VT_FORWARDS_MAX);
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *f = json_object_array_get_idx(list, i);
        if (vt_clone_config_port(f, "host", &c->forwards[i].host, err) < 0 ||
            vt_clone_config_port(f, "guest", &c->forwards[i].guest, err) < 0)
            return -1;
        c->nforwards = i + 1;
    }
    return 0;
}

static int vt_clone_config_data(json_object *obj, struct vt_clone_config *c, vt_error_t *err)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, "data", &v))
        return 0;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    size_t len = s ? strlen(s) : 0;
    if (s == NULL || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len)
        return vt_error_set(err, 0, "clone config: 'data' is not base64");
    c->data = strdup(s);
    return c->data ? 0 : vt_error_nomem(err);
}

int vt_clone_config_parse(const char *text, struct vt_clone_config *c, vt_error_t *err)
{
    *c = (struct vt_clone_config){0};
    json_object *obj = json_tokener_parse(text);
    int rc = obj && json_object_is_type(obj, json_type_object)
                 ? 0
                 : vt_error_set(err, 0, "clone config is not a JSON object");
    if (rc == 0 && (vt_clone_config_forwards(obj, c, err) < 0 || vt_clone_config_data(obj, c, err) < 0))
        rc = -1;
    json_object_put(obj);
    if (rc < 0)
        vt_clone_config_clear(c);
    return rc;
}

char *vt_clone_config_format(const struct vt_clone_config *c, vt_error_t *err)
{
    json_object *obj = json_object_new_object();
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < c->nforwards; i++) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "host", json_object_new_int((int)c->forwards[i].host));
        json_object_object_add(f, "guest", json_object_new_int((int)c->forwards[i].guest));
        json_object_array_add(list, f);
    }
    json_object_object_add(obj, "forwards", list);
    if (c->data)
        json_object_object_add(obj, "data", json_object_new_string(c->data));
    const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY);
    char *out = s ? malloc(strlen(s) + 2) : NULL;
    if (out)
        strcat(strcpy(out, s), "\n");
    json_object_put(obj);
    if (out == NULL)
        vt_error_nomem(err);
    return out;
}

int vt_clone_config_load(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                         struct vt_clone_config *c, vt_error_t *err)
{
    *c = (struct vt_clone_config){0};
    vt_autofree char *path = vt_path_clone_config(dirs, template_name, clone, err);
    vt_autofree char *text = NULL;
    if (path == NULL || vt_file_read_optional(path, VT_CLONE_CONFIG_MAX, &text, err) < 0)
        return -1;
    if (text == NULL)
        return 0;
    if (vt_clone_config_parse(text, c, err) < 0)
        return vt_error_prefix(err, "clone '%s'", clone);
    return 0;
}

int vt_clone_config_save(const struct vt_dirs *dirs, const char *template_name, const char *clone,
                         const struct vt_clone_config *c, vt_error_t *err)
{
    vt_autofree char *path = vt_path_clone_config(dirs, template_name, clone, err);
    vt_autofree char *text = path ? vt_clone_config_format(c, err) : NULL;
    if (text == NULL)
        return -1;
    /* STATE/T/clones: beside the template's files, root's alone. */
    vt_autofree char *dir = strdup(path);
    if (dir == NULL)
        return vt_error_nomem(err);
    *strrchr(dir, '/') = '\0';
    if (vt_dir_ensure(dir, 0700, 0, 0, err) < 0)
        return -1;
    return vt_file_write_atomic(path, text, strlen(text), 0600, err);
}

int vt_clone_config_remove(const struct vt_dirs *dirs, const char *template_name,
                           const char *clone, vt_error_t *err)
{
    vt_autofree char *path = vt_path_clone_config(dirs, template_name, clone, err);
    if (path == NULL)
        return -1;
    if (unlink(path) < 0 && errno != ENOENT)
        return vt_error_set(err, errno, "cannot remove '%s'", path);
    return 0;
}

char *vt_base64(const unsigned char *data, size_t len)
{
    /* nettle: already linked for the state's digest. */
    char *out = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
    if (out == NULL)
        return NULL;
    base64_encode_raw(out, len, data);
    out[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
    return out;
}

/* Marks the ports of every clone config (STATE/T/clones/CLONE.json) of
 * template `name`. */
static void vt_clone_config_mark(const struct vt_dirs *dirs, const char *name, bool *used)
{
    vt_autoerror vt_error_t ignored = NULL;
    vt_autofree char *dir = vt_path_template(dirs, VT_PATH_STORE_DIR, name, &ignored);
    vt_autofree char *clones = NULL;
    if (dir == NULL || asprintf(&clones, "%s/clones", dir) < 0)
        return;
    DIR *d = opendir(clones);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        vt_autofree char *clone = strndup(e->d_name, len - 5);
        struct vt_clone_config c;
        vt_autoerror vt_error_t skip = NULL;
        if (clone == NULL || vt_clone_config_load(dirs, name, clone, &c, &skip) < 0)
            continue;
        for (size_t i = 0; i < c.nforwards; i++)
            used[c.forwards[i].host] = true;
        vt_clone_config_clear(&c);
    }
    if (d)
        closedir(d);
}

int vt_clone_config_used_ports(const struct vt_dirs *dirs, bool *used, vt_error_t *err)
{
    vt_autostrv char **names = NULL;
    if (vt_store_list(dirs, &names, err) < 0)
        return -1;
    for (char **n = names; *n; n++)
        vt_clone_config_mark(dirs, *n, used);
    return 0;
}

static bool vt_clone_config_port_free(unsigned port)
{
    vt_autoclose int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
}

unsigned vt_clone_config_pick_port(bool *used, unsigned first, unsigned last)
{
    for (unsigned port = first; port <= last && port < 65536; port++)
        if (!used[port] && vt_clone_config_port_free(port)) {
            used[port] = true;
            return port;
        }
    return 0;
}
