/* Helpers shared by the unit tests: golden files, error checks, TAP. */
#ifndef VT_TEST_H
#define VT_TEST_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "paths.h"

#ifndef VT_TEST_DATADIR
#error "VT_TEST_DATADIR must be defined by the build"
#endif

/* Fixed directories, so golden files do not depend on configure options. */
extern const struct vt_dirs vt_test_dirs;

/* Contents of VT_TEST_DATADIR/name, or of an absolute path; fails the test
 * if it cannot be read. The caller frees it. */
char *vt_test_read_file(const char *name);

/* Compares `actual` with the golden file VT_TEST_DATADIR/name. With
 * VT_TEST_REGENERATE_OUTPUT=1 in the environment it rewrites the golden
 * file instead (then read the diff before committing it). */
#define vt_test_assert_golden(actual, name) vt_test_golden_at((actual), (name), __FILE__, __LINE__)
void vt_test_golden_at(const char *actual, const char *name, const char *file, int line);

/* Asserts that *err is set and its message contains `needle`; frees it. */
#define vt_test_assert_error(err, needle) vt_test_error_at((err), (needle), __FILE__, __LINE__)
void vt_test_error_at(vt_error_t *err, const char *needle, const char *file, int line);

/* Asserts that `haystack` contains (or lacks) `needle`. */
#define vt_test_assert_contains(haystack, needle)                                                  \
    vt_test_contains_at((haystack), (needle), true, __FILE__, __LINE__)
#define vt_test_assert_lacks(haystack, needle)                                                     \
    vt_test_contains_at((haystack), (needle), false, __FILE__, __LINE__)
void vt_test_contains_at(const char *haystack, const char *needle, bool want, const char *file,
                         int line);

/* Makes a fresh directory /tmp/vt-test-NAME-XXXXXX into dir (its size). */
void vt_test_make_tmpdir(char *dir, size_t size, const char *name);

/* Removes `path` and everything under it, following no symlink. */
void vt_test_remove_tree(const char *path);

/* Runs one group with TAP output (automake's tap-driver.sh reads it). */
#define vt_test_run(tests) vt_test_run_group(#tests, (tests), VT_TEST_N(tests))
#define VT_TEST_N(a) (sizeof(a) / sizeof((a)[0]))
int vt_test_run_group(const char *name, const struct CMUnitTest *tests, size_t n);

#endif
