/* lib/store.h against a temporary directory. */
#include "vt-test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "store-fixture.h"
#include "store.h"

/* Any 64 lowercase hex digits: the store never digests the state. */
#define SHA256_HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static int setup(void **state)
{
    struct vt_store_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_store_fixture_make(f, "store");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    vt_store_fixture_remove(*state);
    free(*state);
    return 0;
}

/* A template made by hand, so that tests other than create's run as any user. */
static void add_template(struct vt_store_fixture *f, const char *name, enum vt_template_state st)
{
    vt_autofree char *store = vt_store_fixture_path(f->state, name);
    vt_autofree char *mem = vt_store_fixture_path(f->mem, name);
    assert_int_equal(mkdir(store, 0700), 0);
    mkdir(f->mem, 0711);
    assert_int_equal(mkdir(mem, 0700), 0);
    struct vt_meta m = vt_store_fixture_booting_meta(name);
    if (st == VT_TEMPLATE_SAVED) {
        m.state = st;
        m.device_state_bytes = 600000;
        strcpy(m.device_state_digest, SHA256_HEX);
    }
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_save_meta(&f->dirs, &m, &err), 0);
}

static void assert_mode(const char *path, mode_t type, mode_t mode, uid_t uid, gid_t gid)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        print_error("cannot stat '%s': %s\n", path, strerror(errno));
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & S_IFMT, type);
    assert_int_equal(st.st_mode & 07777, mode);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
}

static void test_create(void **state)
{
    struct vt_store_fixture *f = *state;
    struct vt_meta m = vt_store_fixture_booting_meta("t1");
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_create(&f->dirs, &m, &err), 0);
    vt_autofree char *store = vt_store_fixture_path(f->state, "t1");
    vt_autofree char *meta = vt_store_fixture_path(f->state, "t1/meta.json");
    vt_autofree char *mem = vt_store_fixture_path(f->mem, "t1");
    assert_mode(store, S_IFDIR, 0700, 0, 0);
    assert_mode(meta, S_IFREG, 0600, 0, 0);
    assert_mode(f->mem, S_IFDIR, 0711, 0, 0);
    assert_mode(mem, S_IFDIR, 0700, getuid(), getgid());
    assert_true(vt_store_exists(&f->dirs, "t1"));
    struct vt_meta loaded;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &loaded, &err), 0);
    assert_string_equal(loaded.name, "t1");
    assert_int_equal(loaded.state, VT_TEMPLATE_BOOTING);
    assert_int_equal(loaded.memory_bytes, 268435456);
    assert_int_equal(loaded.created_ms, 1700000000000);
    assert_int_equal(loaded.boot_ms, -1);
    vt_meta_clear(&loaded);
}

/* MEM/T belongs to the QEMU user, who creates the memory file in it. */
static void test_create_chowns_mem_dir(void **state)
{
    struct vt_store_fixture *f = *state;
    struct vt_meta m = vt_store_fixture_booting_meta("t1");
    m.qemu_uid = 4242;
    m.qemu_gid = 4343;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_create(&f->dirs, &m, &err), 0);
    vt_autofree char *mem = vt_store_fixture_path(f->mem, "t1");
    vt_autofree char *store = vt_store_fixture_path(f->state, "t1");
    assert_mode(mem, S_IFDIR, 0700, 4242, 4343);
    assert_mode(store, S_IFDIR, 0700, 0, 0);
}

static void test_create_twice(void **state)
{
    struct vt_store_fixture *f = *state;
    struct vt_meta m = vt_store_fixture_booting_meta("t1");
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_create(&f->dirs, &m, &err), 0);
    m.memory_bytes = 4096;
    assert_int_equal(vt_store_create(&f->dirs, &m, &err), -1);
    vt_test_assert_error(&err, "template 't1' already exists");
    struct vt_meta loaded;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &loaded, &err), 0);
    assert_int_equal(loaded.memory_bytes, 268435456); /* the first one is untouched */
    vt_meta_clear(&loaded);
}

static void test_create_bad_name(void **state)
{
    struct vt_store_fixture *f = *state;
    struct vt_meta m = vt_store_fixture_booting_meta("../escape");
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_create(&f->dirs, &m, &err), -1);
    vt_test_assert_error(&err, "invalid template name '../escape'");
    vt_autofree char *escaped = vt_store_fixture_path(f->root, "escape");
    assert_int_equal(access(escaped, F_OK), -1);
}

static void test_load_missing(void **state)
{
    struct vt_store_fixture *f = *state;
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load(&f->dirs, "nope", &m, &err), -1);
    vt_test_assert_error(&err, "template 'nope' does not exist");
    assert_int_equal(vt_store_load(&f->dirs, "a/b", &m, &err), -1);
    vt_test_assert_error(&err, "invalid template name 'a/b'");
}

static void test_load_saved_refuses_booting(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load_saved(&f->dirs, "t1", &m, &err), -1);
    vt_test_assert_error(&err, "template 't1' is not saved yet");
    assert_null(m.name);
}

static void assert_no_state(struct vt_store_fixture *f)
{
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load_saved(&f->dirs, "t1", &m, &err), -1);
    vt_test_assert_error(&err, "template 't1' has no saved device state");
    assert_null(m.name);
}

static void test_load_saved_needs_state_file(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_SAVED);
    assert_no_state(f);
    vt_store_fixture_write(f->state, "t1/state", "");
    assert_no_state(f); /* empty */
    vt_autofree char *path = vt_store_fixture_path(f->state, "t1/state");
    vt_autofree char *elsewhere = vt_store_fixture_path(f->root, "real-state");
    vt_store_fixture_write(f->root, "real-state", "QEVM");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(elsewhere, path), 0);
    assert_no_state(f); /* a symlink is not the state */
    assert_int_equal(unlink(path), 0);
    vt_store_fixture_write(f->state, "t1/state", "QEVM device state");
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load_saved(&f->dirs, "t1", &m, &err), 0);
    assert_int_equal(m.state, VT_TEMPLATE_SAVED);
    assert_int_equal(m.device_state_bytes, 600000);
    vt_meta_clear(&m);
}

static ino_t inode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_ino;
}

/* Only meta.json is left in the directory, and it is replaced by rename. */
static void assert_only_meta(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strcmp(e->d_name, "meta.json") != 0)
            print_error("left over: '%s'\n", e->d_name);
        assert_string_equal(e->d_name, "meta.json");
        n++;
    }
    closedir(d);
    assert_int_equal(n, 1);
}

static void test_save_meta_atomic(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    vt_autofree char *dir = vt_store_fixture_path(f->state, "t1");
    vt_autofree char *meta = vt_store_fixture_path(f->state, "t1/meta.json");
    ino_t before = inode_of(meta);
    struct vt_meta m = vt_store_fixture_booting_meta("t1");
    m.state = VT_TEMPLATE_SAVED;
    m.device_state_bytes = 4242;
    strcpy(m.device_state_digest, SHA256_HEX);
    m.save_ms = 90;
    vt_autoerror vt_error_t err = NULL;
    for (int i = 0; i < 3; i++)
        assert_int_equal(vt_store_save_meta(&f->dirs, &m, &err), 0);
    assert_int_not_equal(inode_of(meta), before);
    assert_mode(meta, S_IFREG, 0600, getuid(), getgid());
    assert_only_meta(dir);
    struct vt_meta loaded;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &loaded, &err), 0);
    assert_int_equal(loaded.state, VT_TEMPLATE_SAVED);
    assert_int_equal(loaded.device_state_bytes, 4242);
    assert_int_equal(loaded.save_ms, 90);
    vt_meta_clear(&loaded);
}

static void test_save_meta_without_dir(void **state)
{
    struct vt_store_fixture *f = *state;
    struct vt_meta m = vt_store_fixture_booting_meta("gone");
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_save_meta(&f->dirs, &m, &err), -1);
    vt_test_assert_error(&err, "cannot create a temporary file for");
    assert_false(vt_store_exists(&f->dirs, "gone"));
}

static void assert_list(struct vt_store_fixture *f, const char *const *want, size_t n)
{
    vt_autostrv char **names = NULL;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_list(&f->dirs, &names, &err), 0);
    assert_non_null(names);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(names[i]);
        assert_string_equal(names[i], want[i]);
    }
    assert_null(names[n]);
}

static void test_list(void **state)
{
    struct vt_store_fixture *f = *state;
    assert_list(f, NULL, 0);
    const char *made[] = {"web", "B2", "a0", "a-1", "a.1"};
    for (size_t i = 0; i < VT_TEST_N(made); i++)
        add_template(f, made[i], VT_TEMPLATE_BOOTING);
    /* Junk: files, invalid names, a symlink to a template, the lock. */
    vt_store_fixture_write(f->state, ".lock", "");
    vt_store_fixture_write(f->state, "notes.txt", "hello");
    const char *bad_dirs[] = {".hidden", "a,b", "-x", "with space"};
    for (size_t i = 0; i < VT_TEST_N(bad_dirs); i++) {
        vt_autofree char *path = vt_store_fixture_path(f->state, bad_dirs[i]);
        assert_int_equal(mkdir(path, 0700), 0);
    }
    vt_autofree char *link = vt_store_fixture_path(f->state, "link");
    assert_int_equal(symlink("web", link), 0);
    const char *want[] = {"B2", "a-1", "a.1", "a0", "web"}; /* strcmp order */
    assert_list(f, want, VT_TEST_N(want));
}

static void test_list_without_state_dir(void **state)
{
    struct vt_store_fixture *f = *state;
    assert_int_equal(rmdir(f->state), 0);
    assert_list(f, NULL, 0);
}

static void test_remove(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_SAVED);
    add_template(f, "t2", VT_TEMPLATE_BOOTING);
    vt_store_fixture_write(f->state, "t1/state", "QEVM");
    vt_store_fixture_write(f->state, "t1/domain.xml", "<domain/>");
    vt_store_fixture_write(f->mem, "t1/memory", "RAM");
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_remove(&f->dirs, "t1", &err), 0);
    vt_autofree char *store = vt_store_fixture_path(f->state, "t1");
    vt_autofree char *mem = vt_store_fixture_path(f->mem, "t1");
    assert_int_equal(access(store, F_OK), -1);
    assert_int_equal(access(mem, F_OK), -1);
    assert_false(vt_store_exists(&f->dirs, "t1"));
    assert_true(vt_store_exists(&f->dirs, "t2"));
    const char *want[] = {"t2"};
    assert_list(f, want, 1);
    /* Removing what is gone is not an error (an interrupted delete is re-run). */
    assert_int_equal(vt_store_remove(&f->dirs, "t1", &err), 0);
}

static void test_remove_unknown_file(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    vt_store_fixture_write(f->state, "t1/unknown", "x");
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_remove(&f->dirs, "t1", &err), -1);
    assert_int_equal(err->errnum, ENOTEMPTY);
    vt_test_assert_error(&err, "cannot remove '");
    /* The metadata went first: what is left is no longer a template. */
    struct vt_meta m;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &m, &err), -1);
    vt_test_assert_error(&err, "template 't1' does not exist");
}

static void test_exists(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    assert_true(vt_store_exists(&f->dirs, "t1"));
    assert_false(vt_store_exists(&f->dirs, "t2"));
    assert_false(vt_store_exists(&f->dirs, ""));
    assert_false(vt_store_exists(&f->dirs, "../state/t1"));
    assert_false(vt_store_exists(&f->dirs, "."));
}

/* O_NOFOLLOW: a meta.json planted as a symlink is not followed. */
static void test_meta_symlink_refused(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    vt_autofree char *meta = vt_store_fixture_path(f->state, "t1/meta.json");
    vt_autofree char *copy = vt_store_fixture_path(f->root, "copy.json");
    assert_int_equal(rename(meta, copy), 0);
    assert_int_equal(symlink(copy, meta), 0);
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &m, &err), -1);
    assert_int_equal(err->errnum, ELOOP);
    vt_test_assert_error(&err, "t1/meta.json'");
}

/* A store directory planted as a symlink is refused, not followed. */
static void test_store_dir_symlink_refused(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    vt_autofree char *dir = vt_store_fixture_path(f->state, "t1");
    vt_autofree char *moved = vt_store_fixture_path(f->root, "elsewhere");
    assert_int_equal(rename(dir, moved), 0);
    assert_int_equal(symlink(moved, dir), 0);
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &m, &err), -1);
    vt_test_assert_error(&err, "template 't1': ");
    assert_int_equal(vt_store_load(&f->dirs, "t2", &m, &err), -1);
    vt_test_assert_error(&err, "template 't2' does not exist");
}

static void test_meta_names_other_template(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    vt_autofree char *t2 = vt_store_fixture_path(f->state, "t2");
    assert_int_equal(mkdir(t2, 0700), 0);
    vt_autofree char *src = vt_store_fixture_path(f->state, "t1/meta.json");
    vt_autofree char *json = vt_test_read_file(src);
    vt_store_fixture_write(f->state, "t2/meta.json", json);
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load(&f->dirs, "t2", &m, &err), -1);
    vt_test_assert_error(&err, "template 't2': metadata names another template");
    assert_null(m.name);
}

static void test_meta_damaged(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_BOOTING);
    vt_store_fixture_write(f->state, "t1/meta.json", "{\"version\": 1, \"name\": \"t1\"");
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load(&f->dirs, "t1", &m, &err), -1);
    vt_test_assert_error(&err, "template 't1': template metadata is not valid JSON");
}

static void test_file_size(void **state)
{
    struct vt_store_fixture *f = *state;
    add_template(f, "t1", VT_TEMPLATE_SAVED);
    assert_int_equal(vt_store_file_size(&f->dirs, VT_PATH_DEVICE_STATE, "t1"), -1);
    vt_store_fixture_write(f->state, "t1/state", "0123456789");
    assert_int_equal(vt_store_file_size(&f->dirs, VT_PATH_DEVICE_STATE, "t1"), 10);
    vt_store_fixture_write(f->mem, "t1/memory", "RAM");
    assert_int_equal(vt_store_file_size(&f->dirs, VT_PATH_MEM, "t1"), 3);
    assert_int_equal(vt_store_file_size(&f->dirs, VT_PATH_DEVICE_STATE, "a/b"), -1);
    assert_int_equal(vt_store_file_size(&f->dirs, VT_PATH_STORE_DIR, "t1"), -1);
}

static void test_lock(void **state)
{
    struct vt_store_fixture *f = *state;
    assert_int_equal(rmdir(f->state), 0);
    vt_autoerror vt_error_t err = NULL;
    int fd = vt_store_lock(&f->dirs, &err);
    assert_true(fd >= 0);
    assert_mode(f->state, S_IFDIR, 0711, 0, 0);
    vt_autofree char *path = vt_store_fixture_path(f->state, ".lock");
    assert_mode(path, S_IFREG, 0600, 0, 0);
    /* Another open file description cannot take it while it is held. */
    int other = open(path, O_RDWR | O_CLOEXEC);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    close(fd);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);
    /* The lock file is not a template. */
    assert_list(f, NULL, 0);
}

#define STORE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

/* vt_store_create and vt_store_lock chown MEM and STATE to root. cmocka's
 * skip() prints "not ok # SKIP", which tap-driver.sh counts as a failure:
 * as another user these tests are left out instead. */
static const struct CMUnitTest root_tests[] = {
    STORE_TEST(test_create),
    STORE_TEST(test_create_chowns_mem_dir),
    STORE_TEST(test_create_twice),
    STORE_TEST(test_lock),
};

static const struct CMUnitTest tests[] = {
    STORE_TEST(test_create_bad_name),
    STORE_TEST(test_load_missing),
    STORE_TEST(test_load_saved_refuses_booting),
    STORE_TEST(test_load_saved_needs_state_file),
    STORE_TEST(test_save_meta_atomic),
    STORE_TEST(test_save_meta_without_dir),
    STORE_TEST(test_list),
    STORE_TEST(test_list_without_state_dir),
    STORE_TEST(test_remove),
    STORE_TEST(test_remove_unknown_file),
    STORE_TEST(test_exists),
    STORE_TEST(test_meta_symlink_refused),
    STORE_TEST(test_store_dir_symlink_refused),
    STORE_TEST(test_meta_names_other_template),
    STORE_TEST(test_meta_damaged),
    STORE_TEST(test_file_size),
};

int main(void)
{
    struct CMUnitTest all[VT_TEST_N(root_tests) + VT_TEST_N(tests)];
    size_t n = 0;
    if (geteuid() == 0) {
        for (size_t i = 0; i < VT_TEST_N(root_tests); i++)
            all[n++] = root_tests[i];
    } else {
        printf("# left out %zu tests that need root (store create and lock)\n",
               VT_TEST_N(root_tests));
    }
    for (size_t i = 0; i < VT_TEST_N(tests); i++)
        all[n++] = tests[i];
    return vt_test_run_group("store", all, n);
}
