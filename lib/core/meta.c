#include "meta.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "names.h"
#include "paths.h"

#define VT_META_VERSION 1

static const char *const vt_state_names[] = {
    [VT_TEMPLATE_BOOTING] = "booting",
    [VT_TEMPLATE_SAVED] = "saved",
};
_Static_assert(VT_N_ELEMENTS(vt_state_names) == VT_TEMPLATE_STATE_LAST,
               "vt_state_names must cover enum vt_template_state");

const char *vt_template_state_name(enum vt_template_state state)
{
    return state < VT_TEMPLATE_STATE_LAST ? vt_state_names[state] : "unknown";
}

static int vt_meta_get_int(json_object *obj, const char *key, int64_t min, int64_t *out,
                           vt_error_t *err)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return vt_error_set(err, 0, "template metadata: '%s' is missing or not an integer", key);
    /* json-c clamps integers beyond int64 to INT64_MAX and reports nothing. */
    int64_t n = json_object_get_int64(v);
    if (n == INT64_MAX || n < min)
        return vt_error_set(err, 0, "template metadata: '%s' is out of range", key);
    *out = n;
    return 0;
}

static int vt_meta_get_state(json_object *obj, enum vt_template_state *out, vt_error_t *err)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, "state", &v) || !json_object_is_type(v, json_type_string))
        return vt_error_set(err, 0, "template metadata: 'state' is missing or not a string");
    const char *s = json_object_get_string(v);
    for (int i = 0; i < VT_TEMPLATE_STATE_LAST; i++)
        if (strcmp(s, vt_state_names[i]) == 0) {
            *out = i;
            return 0;
        }
    return vt_error_set(err, 0, "template metadata: unknown state '%s'", s);
}

static int vt_meta_get_name(json_object *obj, char **out, vt_error_t *err)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, "name", &v) || !json_object_is_type(v, json_type_string))
        return vt_error_set(err, 0, "template metadata: 'name' is missing or not a string");
    if (vt_name_validate(json_object_get_string(v), "template", err) < 0)
        return vt_error_prefix(err, "template metadata");
    *out = strdup(json_object_get_string(v));
    return *out ? 0 : vt_error_set(err, ENOMEM, "template metadata");
}

/* Absent: a template saved before the key existed, digested with FNV-1a. */
static int vt_meta_get_digest_alg(json_object *obj, enum vt_digest_alg *out, vt_error_t *err)
{
    json_object *v = NULL;
    *out = VT_DIGEST_FNV1A64;
    if (!json_object_object_get_ex(obj, "state_digest_alg", &v))
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return vt_error_set(err, 0, "template metadata: 'state_digest_alg' is not a string");
    if (!vt_digest_alg_from_name(json_object_get_string(v), out))
        return vt_error_set(err, 0, "template metadata: unknown state_digest_alg '%s'",
                            json_object_get_string(v));
    return 0;
}

static int vt_meta_get_digest(json_object *obj, struct vt_meta *m, vt_error_t *err)
{
    json_object *v = NULL;
    if (vt_meta_get_digest_alg(obj, &m->device_state_digest_alg, err) < 0)
        return -1;
    if (!json_object_object_get_ex(obj, "state_digest", &v) ||
        !json_object_is_type(v, json_type_string))
        return vt_error_set(err, 0, "template metadata: 'state_digest' is missing or not a string");
    const char *s = json_object_get_string(v);
    bool saved = m->state == VT_TEMPLATE_SAVED;
    if (saved ? !vt_digest_valid(m->device_state_digest_alg, s) : *s != '\0')
        return vt_error_set(err, 0, "template metadata: invalid state_digest '%s'", s);
    strcpy(m->device_state_digest, s);
    return 0;
}

/* An optional boolean: absent is false, any other type an error. */
static int vt_meta_get_bool(json_object *obj, const char *key, bool *out, vt_error_t *err)
{
    json_object *v = NULL;
    *out = false;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return vt_error_set(err, 0, "template metadata: '%s' is not a boolean", key);
    *out = json_object_get_boolean(v);
    return 0;
}

/* True for an absolute path without "." or ".." components, repeated or
 * trailing slashes, or characters QEMU's option syntax would split on. */
static bool vt_meta_dir_ok(const char *s)
{
    if (s[0] != '/' || strlen(s) > 1024 || strpbrk(s, ",=\n\"'") != NULL)
        return false;
    for (const char *p = s; (p = strchr(p, '/')) != NULL; p++) {
        const char *c = p + 1;
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return strcmp(s, "/") == 0;
    }
    return true;
}

/* An optional directory path: absent is NULL. */
static int vt_meta_get_dir(json_object *obj, const char *key, char **out, vt_error_t *err)
{
    json_object *v = NULL;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_string) || !vt_meta_dir_ok(json_object_get_string(v)))
        return vt_error_set(err, 0, "template metadata: '%s' is not an absolute directory", key);
    *out = strdup(json_object_get_string(v));
    return *out ? 0 : vt_error_nomem(err);
}

bool vt_meta_memory_dir_valid(const char *dir)
{
    return dir && vt_meta_dir_ok(dir);
}

static int vt_meta_get_disk(json_object *d, struct vt_meta_disk *disk, vt_error_t *err)
{
    json_object *target = NULL, *format = NULL;
    vt_autoerror vt_error_t invalid = NULL;
    if (!json_object_is_type(d, json_type_object) ||
        !json_object_object_get_ex(d, "target", &target) ||
        !json_object_object_get_ex(d, "format", &format) ||
        !json_object_is_type(target, json_type_string) ||
        !json_object_is_type(format, json_type_string))
        return vt_error_set(err, 0, "template metadata: a disk needs a 'target' and a 'format'");
    const char *t = json_object_get_string(target), *f = json_object_get_string(format);
    if (vt_disk_target_validate(t, &invalid) < 0 || (strcmp(f, "raw") != 0 && strcmp(f, "qcow2") != 0))
        return vt_error_set(err, 0, "template metadata: invalid disk '%s' (%s)", t, f);
    strcpy(disk->target, t);
    strcpy(disk->format, f);
    return 0;
}

/* "disks": an optional array of {target, format}, targets distinct. */
static int vt_meta_get_disks(json_object *obj, struct vt_meta *m, vt_error_t *err)
{
    json_object *list = NULL;
    if (!json_object_object_get_ex(obj, "disks", &list))
        return 0;
    if (!json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) > VT_META_DISKS_MAX)
        return vt_error_set(err, 0, "template metadata: 'disks' is not a list of at most %d disks",
                            VT_META_DISKS_MAX);
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        if (vt_meta_get_disk(json_object_array_get_idx(list, i), &m->disks[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->disks[i].target, m->disks[j].target) == 0)
                return vt_error_set(err, 0, "template metadata: disk '%s' is listed twice",
                                    m->disks[i].target);
        m->ndisks = i + 1;
    }
    return 0;
}

static json_object *vt_meta_disks_json(const struct vt_meta *m)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < m->ndisks; i++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "target", json_object_new_string(m->disks[i].target));
        json_object_object_add(d, "format", json_object_new_string(m->disks[i].format));
        json_object_array_add(list, d);
    }
    return list;
}

static int vt_meta_fill(json_object *obj, struct vt_meta *m, vt_error_t *err)
{
    int64_t version, mem, state, uid, gid, created, saved, boot, save;
    if (vt_meta_get_int(obj, "version", VT_META_VERSION, &version, err) < 0 ||
        vt_meta_get_name(obj, &m->name, err) < 0 || vt_meta_get_state(obj, &m->state, err) < 0 ||
        vt_meta_get_int(obj, "memory_bytes", 1, &mem, err) < 0 ||
        vt_meta_get_int(obj, "state_bytes", 0, &state, err) < 0 ||
        vt_meta_get_int(obj, "qemu_uid", 0, &uid, err) < 0 ||
        vt_meta_get_int(obj, "qemu_gid", 0, &gid, err) < 0 ||
        vt_meta_get_int(obj, "created_ms", 0, &created, err) < 0 ||
        vt_meta_get_int(obj, "saved_ms", 0, &saved, err) < 0 ||
        vt_meta_get_int(obj, "boot_ms", -1, &boot, err) < 0 ||
        vt_meta_get_int(obj, "save_ms", -1, &save, err) < 0 ||
        vt_meta_get_digest(obj, m, err) < 0 ||
        vt_meta_get_bool(obj, "readonly_mapping", &m->readonly_mapping, err) < 0 ||
        vt_meta_get_dir(obj, "memory_dir", &m->memory_dir, err) < 0 ||
        vt_meta_get_disks(obj, m, err) < 0 || vt_meta_get_bool(obj, "nvram", &m->nvram, err) < 0)
        return -1;
    if (version != VT_META_VERSION)
        return vt_error_set(err, 0, "template metadata: unsupported version %lld",
                            (long long)version);
    if (uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1)
        return vt_error_set(err, 0, "template metadata: qemu_uid/qemu_gid out of range");
    if (m->state == VT_TEMPLATE_SAVED && state == 0)
        return vt_error_set(err, 0, "template metadata: saved template has no state size");
    m->memory_bytes = (uint64_t)mem;
    m->device_state_bytes = (uint64_t)state;
    m->qemu_uid = (uid_t)uid;
    m->qemu_gid = (gid_t)gid;
    m->created_ms = created;
    m->saved_ms = saved;
    m->boot_ms = boot;
    m->save_ms = save;
    return 0;
}

int vt_meta_parse(const char *text, struct vt_meta *meta, vt_error_t *err)
{
    memset(meta, 0, sizeof(*meta));
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return vt_error_set(err, ENOMEM, "template metadata");
    /* Strict: trailing garbage or commas mean a damaged file, not a valid one. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *obj = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (obj == NULL || jerr != json_tokener_success) {
        json_object_put(obj);
        return vt_error_set(err, 0, "template metadata is not valid JSON");
    }
    int rc = json_object_is_type(obj, json_type_object)
                 ? vt_meta_fill(obj, meta, err)
                 : vt_error_set(err, 0, "template metadata is not a JSON object");
    json_object_put(obj);
    if (rc < 0)
        vt_meta_clear(meta);
    return rc;
}

char *vt_meta_format(const struct vt_meta *m, vt_error_t *err)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "version", json_object_new_int(VT_META_VERSION));
    json_object_object_add(obj, "name", json_object_new_string(m->name));
    json_object_object_add(obj, "state", json_object_new_string(vt_template_state_name(m->state)));
    json_object_object_add(obj, "memory_bytes", json_object_new_int64((int64_t)m->memory_bytes));
    json_object_object_add(obj, "state_bytes", json_object_new_int64((int64_t)m->device_state_bytes));
    json_object_object_add(obj, "state_digest", json_object_new_string(m->device_state_digest));
    json_object_object_add(obj, "state_digest_alg",
                           json_object_new_string(vt_digest_alg_name(m->device_state_digest_alg)));
    json_object_object_add(obj, "qemu_uid", json_object_new_int64(m->qemu_uid));
    json_object_object_add(obj, "qemu_gid", json_object_new_int64(m->qemu_gid));
    json_object_object_add(obj, "created_ms", json_object_new_int64(m->created_ms));
    json_object_object_add(obj, "saved_ms", json_object_new_int64(m->saved_ms));
    json_object_object_add(obj, "boot_ms", json_object_new_int64(m->boot_ms));
    json_object_object_add(obj, "save_ms", json_object_new_int64(m->save_ms));
    json_object_object_add(obj, "readonly_mapping", json_object_new_boolean(m->readonly_mapping));
    if (m->memory_dir)
        json_object_object_add(obj, "memory_dir", json_object_new_string(m->memory_dir));
    json_object_object_add(obj, "disks", vt_meta_disks_json(m));
    json_object_object_add(obj, "nvram", json_object_new_boolean(m->nvram));
    const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY);
    char *out = s ? malloc(strlen(s) + 2) : NULL;
    if (out)
        strcat(strcpy(out, s), "\n");
    json_object_put(obj);
    if (out == NULL)
        vt_error_set(err, ENOMEM, "cannot format template metadata");
    return out;
}

void vt_meta_clear(struct vt_meta *meta)
{
    free(meta->name);
    free(meta->memory_dir);
    memset(meta, 0, sizeof(*meta));
}
