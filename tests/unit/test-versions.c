/* lib/versions: the supported range and the features chosen by version. */
#include "vt-test.h"

#include "cleanup.h"
#include "versions.h"

static const struct vt_versions debian12 = {VT_VERSION(9, 0, 0), VT_VERSION(9, 0, 0),
                                            VT_VERSION(7, 2, 19)};

static void test_format(void **state)
{
    char buf[32];
    vt_version_format(VT_VERSION(10, 0, 13), buf, sizeof(buf));
    assert_string_equal(buf, "10.0.13");
    vt_version_format(VT_VERSION(9, 0, 0), buf, sizeof(buf));
    assert_string_equal(buf, "9.0.0");
}

static void test_supported(void **state)
{
    vt_autoerror vt_error_t err = NULL;
    const struct vt_versions debian13 = {VT_VERSION(11, 3, 0), VT_VERSION(11, 3, 0),
                                         VT_VERSION(10, 0, 13)};
    assert_int_equal(vt_versions_check(&debian12, &err), 0);
    assert_int_equal(vt_versions_check(&debian13, &err), 0);
    assert_null(err);
}

static void assert_refused(struct vt_versions v, const char *message)
{
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_versions_check(&v, &err), -1);
    vt_test_assert_error(&err, message);
}

static void test_refused(void **state)
{
    struct vt_versions v = debian12;
    v.library = VT_VERSION(8, 10, 0);
    assert_refused(v, "the libvirt library 8.10.0 is older than 9.0.0, the oldest "
                      "virt-template supports");
    v = debian12;
    v.daemon = VT_VERSION(8, 0, 0);
    assert_refused(v, "libvirtd 8.0.0 is older than 9.0.0");
    v = debian12;
    v.qemu = VT_VERSION(7, 1, 99);
    assert_refused(v, "QEMU 7.1.99 is older than 7.2.0");
}

/* Ubuntu 24.04's QEMU 8.2.0 is the first with readonly=on,rom=off. */
static void test_readonly_mapping(void **state)
{
    struct vt_versions v = debian12;
    assert_false(vt_versions_readonly_mapping(&v));
    v.qemu = VT_VERSION(8, 1, 5);
    assert_false(vt_versions_readonly_mapping(&v));
    v.qemu = VT_VERSION(8, 2, 0);
    assert_true(vt_versions_readonly_mapping(&v));
    v.qemu = VT_VERSION(10, 0, 13);
    assert_true(vt_versions_readonly_mapping(&v));
}

/* A template sealed for the read-only mapping, then the QEMU went back. */
static void test_readonly_mapping_refused(void **state)
{
    vt_autoerror vt_error_t err = NULL;
    struct vt_versions v = debian12;
    assert_int_equal(vt_versions_check_readonly_mapping(&v, "t", &err), -1);
    vt_test_assert_error(&err, "template 't' was sealed read-only for QEMU >= 8.2.0; QEMU 7.2.19 "
                               "cannot map it (create the template again)");
    v.qemu = VT_VERSION(8, 2, 0);
    vt_autoerror vt_error_t none = NULL;
    assert_int_equal(vt_versions_check_readonly_mapping(&v, "t", &none), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_supported),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_readonly_mapping),
        cmocka_unit_test(test_readonly_mapping_refused),
    };
    return vt_test_run(tests);
}
