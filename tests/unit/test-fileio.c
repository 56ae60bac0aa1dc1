/* lib/core/fileio.h against a temporary directory: read limits, symlinks,
 * atomic writes and directories made with an exact owner and mode. */
#include "vt-test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_test_make_tmpdir(f->dir, sizeof(f->dir), "fileio");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vt_test_remove_tree(f->dir);
    free(f);
    return 0;
}

static char *path_in(struct fixture *f, const char *rel)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", f->dir, rel) > 0);
    return path;
}

/* DIR/rel holding `len` bytes of 'x'. */
static char *make_file(struct fixture *f, const char *rel, size_t len)
{
    char *path = path_in(f, rel);
    vt_autofree char *data = malloc(len + 1);
    assert_non_null(data);
    memset(data, 'x', len);
    vt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    return path;
}

static void assert_reads(const char *path, size_t max, size_t want)
{
    vt_autofree char *data = NULL;
    size_t len = 0;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_file_read(path, max, &data, &len, &err);
    if (rc < 0)
        print_error("max %zu: %s\n", max, err->msg);
    assert_int_equal(rc, 0);
    assert_int_equal(len, want);
    assert_int_equal(strlen(data), want); /* NUL-terminated, no NUL inside */
}

static void assert_too_large(const char *path, size_t max)
{
    vt_autofree char *data = NULL;
    vt_autoerror vt_error_t err = NULL;
    char message[128];
    snprintf(message, sizeof(message), "'%s': input is larger than %zu bytes", path, max);
    assert_int_equal(vt_file_read(path, max, &data, NULL, &err), -1);
    assert_null(data);
    vt_test_assert_error(&err, message);
}

/* Exactly `max` bytes are read; one more is refused. Limits below and above
 * the first buffer (4096 bytes) and a file that needs it to grow. */
static void test_read_limits(void **state)
{
    struct fixture *f = *state;
    static const size_t limits[] = {1, 10, 4095, 4096, 4097, 10000, 65536};
    for (size_t i = 0; i < VT_TEST_N(limits); i++) {
        size_t max = limits[i];
        vt_autofree char *exact = make_file(f, "exact", max);
        vt_autofree char *over = make_file(f, "over", max + 1);
        assert_reads(exact, max, max);
        assert_reads(exact, max + 1, max);
        assert_too_large(over, max);
    }
    vt_autofree char *empty = make_file(f, "empty", 0);
    assert_reads(empty, 0, 0);
    assert_reads(empty, 10, 0);
}

static void test_read_missing(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *path = path_in(f, "nope");
    vt_autofree char *data = NULL;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_file_read(path, 100, &data, NULL, &err), -1);
    assert_int_equal(err->errnum, ENOENT);
    vt_test_assert_error(&err, "cannot open '");
}

/* The store and the console are read as root: a planted link is refused. */
static void test_read_refuses_symlink(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *target = make_file(f, "target", 5);
    vt_autofree char *link = path_in(f, "link");
    assert_int_equal(symlink(target, link), 0);
    vt_autofree char *data = NULL;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_file_read(link, 100, &data, NULL, &err), -1);
    assert_null(data);
    assert_int_equal(err->errnum, ELOOP);
    vt_test_assert_error(&err, "cannot open '");
    assert_reads(target, 100, 5);
}

/* stdin (a pipe) longer than the first buffer arrives whole. */
static void test_fd_read_all_pipe(void **state)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char chunk[10000];
    memset(chunk, 'p', sizeof(chunk));
    assert_int_equal(write(fds[1], chunk, sizeof(chunk)), sizeof(chunk));
    close(fds[1]);
    vt_autofree char *data = NULL;
    size_t len = 0;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_fd_read_all(fds[0], 1 << 20, &data, &len, &err), 0);
    close(fds[0]);
    assert_int_equal(len, sizeof(chunk));
    assert_int_equal(strlen(data), sizeof(chunk));
}

/* DIR holds `name` and nothing else (no temporary file left behind). */
static void assert_only(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strcmp(e->d_name, name) != 0)
            print_error("left over in '%s': '%s'\n", dir, e->d_name);
        assert_string_equal(e->d_name, name);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 1);
}

static void assert_mode(const char *path, mode_t type, mode_t mode, uid_t uid, gid_t gid)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & S_IFMT, type);
    assert_int_equal(st.st_mode & 07777, mode);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
}

static void write_ok(const char *path, const char *text, mode_t mode)
{
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_file_write_atomic(path, text, strlen(text), mode, &err);
    if (rc < 0)
        print_error("%s\n", err->msg);
    assert_int_equal(rc, 0);
}

/* The mode asked, whatever the umask; the old file replaced by rename; no
 * temporary file left. */
static void test_write_atomic(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *path = path_in(f, "meta.json");
    mode_t old_umask = umask(077);
    write_ok(path, "first", 0644);
    umask(old_umask);
    assert_mode(path, S_IFREG, 0644, getuid(), getgid());
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    write_ok(path, "second, longer", 0600);
    assert_mode(path, S_IFREG, 0600, getuid(), getgid());
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_not_equal(after.st_ino, before.st_ino);
    vt_autofree char *text = vt_test_read_file(path);
    assert_string_equal(text, "second, longer");
    assert_only(f->dir, "meta.json");
}

/* A rename that fails takes its temporary file with it. */
static void test_write_atomic_failure_cleans_up(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *path = path_in(f, "taken");
    assert_int_equal(mkdir(path, 0700), 0);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_file_write_atomic(path, "x", 1, 0600, &err), -1);
    assert_int_equal(err->errnum, EISDIR);
    vt_test_assert_error(&err, "cannot write '");
    assert_only(f->dir, "taken");
    vt_autofree char *missing = path_in(f, "no-such-dir/file");
    assert_int_equal(vt_file_write_atomic(missing, "x", 1, 0600, &err), -1);
    vt_test_assert_error(&err, "cannot create a temporary file for '");
    assert_only(f->dir, "taken");
}

static void ensure_ok(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_dir_ensure(path, mode, uid, gid, &err);
    if (rc < 0)
        print_error("%s\n", err->msg);
    assert_int_equal(rc, 0);
}

/* Made, or found, then given exactly the owner and mode asked. */
static void test_dir_ensure(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *path = path_in(f, "run");
    mode_t old_umask = umask(077);
    ensure_ok(path, 0751, getuid(), getgid());
    umask(old_umask);
    assert_mode(path, S_IFDIR, 0751, getuid(), getgid());
    assert_int_equal(chmod(path, 0777), 0);
    ensure_ok(path, 0700, getuid(), getgid());
    assert_mode(path, S_IFDIR, 0700, getuid(), getgid());
}

/* The hook makes RUN for the QEMU user (root only). */
static void test_dir_ensure_owner(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *path = path_in(f, "run");
    ensure_ok(path, 0700, 4242, 4343);
    assert_mode(path, S_IFDIR, 0700, 4242, 4343);
    ensure_ok(path, 0711, 0, 0);
    assert_mode(path, S_IFDIR, 0711, 0, 0);
}

static void assert_ensure_refused(const char *path)
{
    vt_autoerror vt_error_t err = NULL;
    char message[160];
    snprintf(message, sizeof(message), "'%s' is not a directory", path);
    assert_int_equal(vt_dir_ensure(path, 0700, getuid(), getgid(), &err), -1);
    vt_test_assert_error(&err, message);
}

/* A symlink (even to a directory) or a file in its place is refused and
 * left as it was: chmod and chown would follow the link. */
static void test_dir_ensure_refusals(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *real = path_in(f, "real");
    vt_autofree char *link = path_in(f, "link");
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(symlink(real, link), 0);
    assert_ensure_refused(link);
    assert_mode(real, S_IFDIR, 0755, getuid(), getgid());
    vt_autofree char *file = make_file(f, "file", 3);
    assert_int_equal(chmod(file, 0644), 0);
    assert_ensure_refused(file);
    assert_mode(file, S_IFREG, 0644, getuid(), getgid());
}

#define FILE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

static const struct CMUnitTest root_tests[] = {
    FILE_TEST(test_dir_ensure_owner),
};

static const struct CMUnitTest tests[] = {
    FILE_TEST(test_read_limits),          FILE_TEST(test_read_missing),
    FILE_TEST(test_read_refuses_symlink), cmocka_unit_test(test_fd_read_all_pipe),
    FILE_TEST(test_write_atomic),         FILE_TEST(test_write_atomic_failure_cleans_up),
    FILE_TEST(test_dir_ensure),           FILE_TEST(test_dir_ensure_refusals),
};

int main(void)
{
    struct CMUnitTest all[VT_TEST_N(root_tests) + VT_TEST_N(tests)];
    size_t n = 0;
    if (geteuid() == 0) {
        for (size_t i = 0; i < VT_TEST_N(root_tests); i++)
            all[n++] = root_tests[i];
    } else {
        printf("# left out %zu tests that need root (chown)\n", VT_TEST_N(root_tests));
    }
    for (size_t i = 0; i < VT_TEST_N(tests); i++)
        all[n++] = tests[i];
    return vt_test_run_group("fileio", all, n);
}
