#include "store-fixture.h"

#include "vt-test.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "store.h"

void vt_store_fixture_make(struct vt_store_fixture *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    vt_test_make_tmpdir(s->root, sizeof(s->root), name);
    snprintf(s->state, sizeof(s->state), "%s/state", s->root);
    snprintf(s->mem, sizeof(s->mem), "%s/mem", s->root);
    snprintf(s->run, sizeof(s->run), "%s/run", s->root);
    /* vt_store_lock makes STATE in real use; create itself expects it. */
    assert_int_equal(mkdir(s->state, 0711), 0);
    s->dirs = (struct vt_dirs){.state = s->state, .mem = s->mem, .run = s->run, .data = s->root};
}

void vt_store_fixture_remove(struct vt_store_fixture *s)
{
    vt_test_remove_tree(s->root);
}

char *vt_store_fixture_path(const char *dir, const char *rel)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", dir, rel) > 0);
    return path;
}

void vt_store_fixture_write(const char *dir, const char *rel, const char *text)
{
    vt_autofree char *path = vt_store_fixture_path(dir, rel);
    FILE *file = fopen(path, "we");
    assert_non_null(file);
    fputs(text, file);
    assert_int_equal(fclose(file), 0);
}

struct vt_meta vt_store_fixture_booting_meta(const char *name)
{
    return (struct vt_meta){
        .name = (char *)name,
        .state = VT_TEMPLATE_BOOTING,
        .memory_bytes = 268435456,
        .qemu_uid = getuid(),
        .qemu_gid = getgid(),
        .created_ms = 1700000000000,
        .boot_ms = -1,
        .save_ms = -1,
    };
}

static void vt_store_fixture_add_dirs(struct vt_store_fixture *s, const char *name)
{
    vt_autofree char *store = vt_store_fixture_path(s->state, name);
    vt_autofree char *mem = vt_store_fixture_path(s->mem, name);
    assert_int_equal(mkdir(store, 0700), 0);
    mkdir(s->mem, 0711);
    assert_int_equal(mkdir(mem, 0700), 0);
}

void vt_store_fixture_add_saved(struct vt_store_fixture *s, const char *name,
                                const char *device_state, enum vt_digest_alg alg,
                                struct vt_meta *meta)
{
    vt_store_fixture_add_dirs(s, name);
    struct vt_meta m = vt_store_fixture_booting_meta(name);
    vt_autofree char *state_rel = NULL, *mem_path = NULL;
    assert_true(asprintf(&state_rel, "%s/state", name) > 0);
    vt_store_fixture_write(s->state, state_rel, device_state);
    vt_autofree char *state_path = vt_store_fixture_path(s->state, state_rel);
    vt_autoclose int fd = open(state_path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_digest_fd(fd, alg, m.device_state_digest, &m.device_state_bytes, &err), 0);
    m.device_state_digest_alg = alg;
    m.state = VT_TEMPLATE_SAVED;
    m.saved_ms = m.created_ms + 3000;
    m.save_ms = 15;
    assert_true(asprintf(&mem_path, "%s/%s/memory", s->mem, name) > 0);
    vt_autoclose int mem = open(mem_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(mem >= 0);
    assert_int_equal(ftruncate(mem, (off_t)m.memory_bytes), 0);
    assert_int_equal(vt_store_save_meta(&s->dirs, &m, &err), 0);
    if (meta)
        *meta = m;
}
