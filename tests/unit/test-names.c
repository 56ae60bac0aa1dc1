/* lib/core/names.h: which template and clone names are accepted. */
#include "vt-test.h"

#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "names.h"

static void test_names_valid(void **state)
{
    char longest[VT_NAME_MAX + 1];
    memset(longest, 'a', VT_NAME_MAX);
    longest[VT_NAME_MAX] = '\0';
    const char *names[] = {"a", "Z", "7", "tmpl", "web-1", "base_2.v3", "a..b", "a.", longest};
    for (size_t i = 0; i < VT_TEST_N(names); i++) {
        vt_autoerror vt_error_t err = NULL;
        int rc = vt_name_validate(names[i], "template", &err);
        if (rc < 0)
            print_error("'%s': %s\n", names[i], err->msg);
        assert_int_equal(rc, 0);
        assert_null(err);
    }
}

static void assert_name_invalid(const char *name, const char *message)
{
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_name_validate(name, "clone", &err), -1);
    vt_test_assert_error(&err, message);
}

static void test_names_invalid(void **state)
{
    char too_long[VT_NAME_MAX + 2];
    memset(too_long, 'a', VT_NAME_MAX + 1);
    too_long[VT_NAME_MAX + 1] = '\0';
    assert_name_invalid(NULL, "clone name must not be empty");
    assert_name_invalid("", "clone name must not be empty");
    assert_name_invalid(too_long, "is longer than 64 characters");
    static const char *const bad[] = {
        "../x",
        "a/b",
        "/abs",
        ".",
        "..",
        ".hidden",
        "-x",
        "_x",
        "a,b",
        "a b",
        " a",
        "a\tb",
        "a\n",
        "a:b",
        "a;b",
        "a$b",
        "a*",
        "caf\xc3\xa9",
        "\xe2\x80\x8b"
        "a",
    };
    for (size_t i = 0; i < VT_TEST_N(bad); i++) {
        char message[128];
        snprintf(message, sizeof(message),
                 "invalid clone name '%s': use [A-Za-z0-9][A-Za-z0-9_.-]*", bad[i]);
        assert_name_invalid(bad[i], message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_valid),
        cmocka_unit_test(test_names_invalid),
    };
    return vt_test_run(tests);
}
