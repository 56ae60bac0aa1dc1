/* lib/core/digest.h: SHA-256 against published vectors, a file read in
 * several chunks, and the legacy FNV-1a 64 that old stores were saved with. */
#include "vt-test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"

/* An fd holding `len` bytes of `data`, at offset 0. */
static int fd_with(const void *data, size_t len)
{
    int fd = memfd_create("vt-test-digest", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    return fd;
}

static void assert_digest(enum vt_digest_alg alg, const void *data, size_t len, const char *want)
{
    vt_autoclose int fd = fd_with(data, len);
    char hex[VT_DIGEST_HEX_LEN + 1];
    uint64_t bytes = 42;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_digest_fd(fd, alg, hex, &bytes, &err), 0);
    assert_string_equal(hex, want);
    assert_int_equal(bytes, len);
    assert_true(vt_digest_valid(alg, hex));
}

#define assert_text_digest(alg, text, want) assert_digest((alg), (text), strlen(text), (want))

/* FIPS 180-2 appendix B, and the empty message. */
static void test_sha256_vectors(void **state)
{
    assert_text_digest(VT_DIGEST_SHA256, "",
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_text_digest(VT_DIGEST_SHA256, "abc",
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_text_digest(VT_DIGEST_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* A million 'a': more than one 64 KiB read. */
    size_t n = 1000000;
    vt_autofree char *a = malloc(n);
    assert_non_null(a);
    memset(a, 'a', n);
    assert_digest(VT_DIGEST_SHA256, a, n,
                  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The published FNV-1a 64 values: what stores saved before SHA-256 hold. */
static void test_fnv1a64_legacy_vectors(void **state)
{
    assert_text_digest(VT_DIGEST_FNV1A64, "", "cbf29ce484222325");
    assert_text_digest(VT_DIGEST_FNV1A64, "a", "af63dc4c8601ec8c");
    assert_text_digest(VT_DIGEST_FNV1A64, "foobar", "85944171f73967e8");
}

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/vt-test-digest-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/state", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* 3 chunks and a bit of (i % 251), digested by Python's hashlib and FNV. */
#define PATTERN_LEN (3 * 65536 + 17)
#define PATTERN_SHA256 "4bb7439bc39bc2d0e3d6a915d7c81e38250a9c5bb320a94a19a95bba0d5fe40a"
#define PATTERN_FNV1A64 "da49deeb898b570a"

static void write_pattern(const char *path)
{
    vt_autofree unsigned char *data = malloc(PATTERN_LEN);
    assert_non_null(data);
    for (size_t i = 0; i < PATTERN_LEN; i++)
        data[i] = (unsigned char)(i % 251);
    vt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, PATTERN_LEN), PATTERN_LEN);
}

static void assert_file_digest(int fd, enum vt_digest_alg alg, const char *want)
{
    char hex[VT_DIGEST_HEX_LEN + 1];
    uint64_t bytes = 0;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_digest_fd(fd, alg, hex, &bytes, &err), 0);
    assert_string_equal(hex, want);
    assert_int_equal(bytes, PATTERN_LEN);
}

/* All of the file, whatever the fd's offset, which it leaves alone (the
 * hook hands the same fd to QEMU, which reads from the current offset). */
static void test_file_digest(void **state)
{
    struct fixture *f = *state;
    write_pattern(f->path);
    vt_autoclose int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_file_digest(fd, VT_DIGEST_SHA256, PATTERN_SHA256);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
    assert_int_equal(lseek(fd, 1000, SEEK_SET), 1000);
    assert_file_digest(fd, VT_DIGEST_SHA256, PATTERN_SHA256);
    assert_file_digest(fd, VT_DIGEST_FNV1A64, PATTERN_FNV1A64);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 1000);
}

static void test_read_error(void **state)
{
    struct fixture *f = *state;
    vt_autoclose int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    char hex[VT_DIGEST_HEX_LEN + 1];
    uint64_t bytes = 0;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_digest_fd(fd, VT_DIGEST_SHA256, hex, &bytes, &err), -1);
    assert_int_equal(err->errnum, EISDIR);
    vt_test_assert_error(&err, "cannot read the device state");
    assert_int_equal(vt_digest_fd(fd, VT_DIGEST_ALG_LAST, hex, &bytes, &err), -1);
    vt_test_assert_error(&err, "unknown digest algorithm");
}

static void test_valid(void **state)
{
    const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_true(vt_digest_valid(VT_DIGEST_SHA256, sha));
    assert_false(vt_digest_valid(VT_DIGEST_FNV1A64, sha));
    assert_true(vt_digest_valid(VT_DIGEST_FNV1A64, "0123456789abcdef"));
    assert_false(vt_digest_valid(VT_DIGEST_SHA256, "0123456789abcdef"));
    assert_false(vt_digest_valid(VT_DIGEST_FNV1A64, "0123456789ABCDEF"));
    assert_false(vt_digest_valid(VT_DIGEST_FNV1A64, "0123456789abcdeg"));
    assert_false(vt_digest_valid(VT_DIGEST_FNV1A64, "0123456789abcde"));
    assert_false(vt_digest_valid(VT_DIGEST_FNV1A64, "0123456789abcdef0"));
    assert_false(vt_digest_valid(VT_DIGEST_SHA256, ""));
    assert_false(vt_digest_valid(VT_DIGEST_SHA256, NULL));
    assert_false(vt_digest_valid(VT_DIGEST_ALG_LAST, "0123456789abcdef"));
}

static void test_alg_names(void **state)
{
    enum vt_digest_alg alg = VT_DIGEST_ALG_LAST;
    assert_string_equal(vt_digest_alg_name(VT_DIGEST_SHA256), "sha256");
    assert_string_equal(vt_digest_alg_name(VT_DIGEST_FNV1A64), "fnv1a64");
    assert_string_equal(vt_digest_alg_name(VT_DIGEST_ALG_LAST), "unknown");
    assert_true(vt_digest_alg_from_name("sha256", &alg));
    assert_int_equal(alg, VT_DIGEST_SHA256);
    assert_true(vt_digest_alg_from_name("fnv1a64", &alg));
    assert_int_equal(alg, VT_DIGEST_FNV1A64);
    assert_false(vt_digest_alg_from_name("unknown", &alg));
    assert_false(vt_digest_alg_from_name("SHA256", &alg));
    assert_false(vt_digest_alg_from_name("", &alg));
    assert_int_equal(alg, VT_DIGEST_FNV1A64); /* untouched */
}

#define FILE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_fnv1a64_legacy_vectors),
        FILE_TEST(test_file_digest),           FILE_TEST(test_read_error),
        cmocka_unit_test(test_valid),          cmocka_unit_test(test_alg_names),
    };
    return vt_test_run(tests);
}
