#include "pool-members.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "fileio.h"
#include "names.h"

#define VT_POOL_FILE_MAX (256 * 1024)

static const char *const vt_pool_state_names[] = {
    [VT_POOL_FILLING] = "filling",
    [VT_POOL_READY] = "ready",
};
_Static_assert(VT_N_ELEMENTS(vt_pool_state_names) == VT_POOL_STATE_LAST,
               "vt_pool_state_names must cover enum vt_pool_state");

const char *vt_pool_state_name(enum vt_pool_state state)
{
    return state < VT_POOL_STATE_LAST ? vt_pool_state_names[state] : "unknown";
}

static int vt_pool_state_parse(const char *text, enum vt_pool_state *out)
{
    for (size_t i = 0; i < VT_POOL_STATE_LAST; i++)
        if (strcmp(text, vt_pool_state_names[i]) == 0) {
            *out = (enum vt_pool_state)i;
            return 0;
        }
    return -1;
}

void vt_pool_clear(struct vt_pool *pool)
{
    for (size_t i = 0; i < pool->n; i++)
        free(pool->members[i].name);
    free(pool->members);
    free(pool->last_error);
    *pool = (struct vt_pool){0};
}

struct vt_pool_member *vt_pool_find(const struct vt_pool *pool, const char *clone)
{
    for (size_t i = 0; i < pool->n; i++)
        if (strcmp(pool->members[i].name, clone) == 0)
            return &pool->members[i];
    return NULL;
}

size_t vt_pool_count(const struct vt_pool *pool, enum vt_pool_state state)
{
    size_t n = 0;
    for (size_t i = 0; i < pool->n; i++)
        n += pool->members[i].state == state;
    return n;
}

int vt_pool_add(struct vt_pool *pool, const char *clone, enum vt_pool_state state,
                vt_error_t *err)
{
    if (vt_pool_find(pool, clone))
        return vt_error_set(err, 0, "pool: '%s' is a member twice", clone);
    struct vt_pool_member *bigger = realloc(pool->members, (pool->n + 1) * sizeof(*bigger));
    if (bigger == NULL)
        return vt_error_nomem(err);
    pool->members = bigger;
    if ((bigger[pool->n].name = strdup(clone)) == NULL)
        return vt_error_nomem(err);
    bigger[pool->n++].state = state;
    return 0;
}

bool vt_pool_remove(struct vt_pool *pool, const char *clone)
{
    struct vt_pool_member *m = vt_pool_find(pool, clone);
    if (m == NULL)
        return false;
    free(m->name);
    size_t i = (size_t)(m - pool->members);
    memmove(m, m + 1, (pool->n - i - 1) * sizeof(*m));
    pool->n--;
    return true;
}

int vt_pool_set_error(struct vt_pool *pool, const char *msg, vt_error_t *err)
{
    char *copy = msg ? strdup(msg) : NULL;
    if (msg && copy == NULL)
        return vt_error_nomem(err);
    free(pool->last_error);
    pool->last_error = copy;
    return 0;
}

static int vt_pool_parse_member(json_object *m, struct vt_pool *pool, vt_error_t *err)
{
    json_object *name = NULL, *state = NULL;
    enum vt_pool_state s;
    if (!json_object_object_get_ex(m, "name", &name) || !json_object_is_type(name, json_type_string) ||
        !json_object_object_get_ex(m, "state", &state) ||
        !json_object_is_type(state, json_type_string) ||
        vt_pool_state_parse(json_object_get_string(state), &s) < 0)
        return vt_error_set(err, 0, "pool: a member needs a 'name' and a 'state' (filling, ready)");
    if (vt_name_validate(json_object_get_string(name), "clone", err) < 0)
        return vt_error_prefix(err, "pool");
    return vt_pool_add(pool, json_object_get_string(name), s, err);
}

static int vt_pool_parse_obj(json_object *obj, struct vt_pool *pool, vt_error_t *err)
{
    json_object *size = NULL, *members = NULL, *last = NULL;
    if (!json_object_object_get_ex(obj, "size", &size) || !json_object_is_type(size, json_type_int) ||
        json_object_get_int64(size) < 0 || json_object_get_int64(size) > VT_POOL_SIZE_MAX)
        return vt_error_set(err, 0, "pool: 'size' must be a number from 0 to %d", VT_POOL_SIZE_MAX);
    pool->size = (unsigned)json_object_get_int64(size);
    if (!json_object_object_get_ex(obj, "members", &members) ||
        !json_object_is_type(members, json_type_array))
        return vt_error_set(err, 0, "pool: 'members' must be a list");
    for (size_t i = 0; i < json_object_array_length(members); i++)
        if (vt_pool_parse_member(json_object_array_get_idx(members, i), pool, err) < 0)
            return -1;
    if (json_object_object_get_ex(obj, "last_error", &last) &&
        json_object_is_type(last, json_type_string))
        return vt_pool_set_error(pool, json_object_get_string(last), err);
    return 0;
}

int vt_pool_parse(const char *text, struct vt_pool *pool, vt_error_t *err)
{
    *pool = (struct vt_pool){0};
    json_object *obj = json_tokener_parse(text);
    int rc = obj && json_object_is_type(obj, json_type_object)
                 ? vt_pool_parse_obj(obj, pool, err)
                 : vt_error_set(err, 0, "pool: not a JSON object");
    json_object_put(obj);
    if (rc < 0)
        vt_pool_clear(pool);
    return rc;
}

static int vt_pool_add_members(json_object *obj, const struct vt_pool *pool)
{
    json_object *list = json_object_new_array();
    if (list == NULL || json_object_object_add(obj, "members", list) < 0) {
        json_object_put(list);
        return -1;
    }
    for (size_t i = 0; i < pool->n; i++) {
        json_object *m = json_object_new_object();
        if (m == NULL || json_object_array_add(list, m) < 0) {
            json_object_put(m);
            return -1;
        }
        if (json_object_object_add(m, "name", json_object_new_string(pool->members[i].name)) < 0 ||
            json_object_object_add(
                m, "state", json_object_new_string(vt_pool_state_name(pool->members[i].state))) < 0)
            return -1;
    }
    return 0;
}

char *vt_pool_format(const struct vt_pool *pool, vt_error_t *err)
{
    json_object *obj = json_object_new_object();
    char *text = NULL;
    if (obj && json_object_object_add(obj, "size", json_object_new_int64(pool->size)) == 0 &&
        vt_pool_add_members(obj, pool) == 0 &&
        (pool->last_error == NULL ||
         json_object_object_add(obj, "last_error", json_object_new_string(pool->last_error)) == 0))
        text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(obj);
    if (text == NULL)
        vt_error_nomem(err);
    return text;
}

int vt_pool_load(const struct vt_dirs *dirs, const char *name, struct vt_pool *pool,
                 vt_error_t *err)
{
    *pool = (struct vt_pool){0};
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_POOL, name, err);
    vt_autofree char *text = NULL;
    if (path == NULL || vt_file_read_optional(path, VT_POOL_FILE_MAX, &text, err) < 0)
        return -1;
    if (text == NULL)
        return 0;
    if (vt_pool_parse(text, pool, err) < 0)
        return vt_error_prefix(err, "'%s'", path);
    return 0;
}

int vt_pool_save(const struct vt_dirs *dirs, const char *name, const struct vt_pool *pool,
                 vt_error_t *err)
{
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_POOL, name, err);
    vt_autofree char *lock = vt_path_template(dirs, VT_PATH_POOL_LOCK, name, err);
    vt_autofree char *text = path && lock ? vt_pool_format(pool, err) : NULL;
    if (text == NULL)
        return -1;
    vt_autoclose int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return vt_error_set(err, errno, "cannot create '%s'", lock);
    return vt_file_write_atomic(path, text, strlen(text), 0600, err);
}

bool vt_pool_member_filling(const struct vt_dirs *dirs, const char *name, const char *clone)
{
    struct vt_pool pool __attribute__((cleanup(vt_pool_clear))) = {0};
    vt_autoerror vt_error_t ignored = NULL;
    struct vt_pool_member *m;
    return vt_pool_load(dirs, name, &pool, &ignored) == 0 &&
           (m = vt_pool_find(&pool, clone)) != NULL && m->state == VT_POOL_FILLING;
}

/* Never created here: only vt_pool_save makes it (under the store lock),
 * so that nothing brings it back while delete removes the store. */
static int vt_pool_lock_open(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_POOL_LOCK, name, err);
    if (path == NULL)
        return -1;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vt_error_set(err, errno, errno == ENOENT ? "template '%s' has no pool"
                                                        : "cannot open the pool lock of '%s'",
                            name);
    return fd;
}

int vt_pool_lock(const struct vt_dirs *dirs, const char *name, vt_error_t *err)
{
    vt_autoclose int fd = vt_pool_lock_open(dirs, name, err);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return vt_error_set(err, errno, "cannot lock the pool of '%s'", name);
    return vt_steal_fd(&fd);
}

bool vt_pool_refill_running(const struct vt_dirs *dirs, const char *name)
{
    vt_autoerror vt_error_t ignored = NULL;
    vt_autoclose int fd = vt_pool_lock_open(dirs, name, &ignored);
    /* Shared: two callers asking at once never see each other. */
    if (fd < 0)
        return false;
    while (flock(fd, LOCK_SH | LOCK_NB) < 0)
        if (errno != EINTR)
            return errno == EWOULDBLOCK;
    return false;
}
