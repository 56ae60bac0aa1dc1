#include "vt-test.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct vt_dirs vt_test_dirs = {
    .state = "/var/lib/virt-template",
    .mem = "/dev/shm/virt-template",
    .disk = "/var/lib/virt-template/.disks",
    .console_log = "/var/log/libvirt/qemu",
    .run = "/run/virt-template",
    .data = "/usr/share/virt-template",
};

static char *vt_test_path(const char *name)
{
    char *path = NULL;
    if (name[0] == '/')
        path = strdup(name);
    else if (asprintf(&path, "%s/%s", VT_TEST_DATADIR, name) < 0)
        path = NULL;
    assert_non_null(path);
    return path;
}

/* NULL if the file cannot be opened (errno set). */
static char *vt_test_slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    assert_non_null(mem);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        assert_int_equal(fwrite(buf, 1, n, mem), n);
    assert_false(ferror(f));
    fclose(f);
    assert_int_equal(fclose(mem), 0);
    return text;
}

char *vt_test_read_file(const char *name)
{
    char *path = vt_test_path(name);
    char *text = vt_test_slurp(path);
    if (text == NULL)
        print_error("cannot read '%s': %s\n", path, strerror(errno));
    free(path);
    assert_non_null(text);
    return text;
}

static void vt_test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Prints the first line where the two texts differ. */
static void vt_test_report_diff(const char *expected, const char *actual, const char *path)
{
    size_t line = 1, i = 0;
    size_t start = 0;
    for (; expected[i] && expected[i] == actual[i]; i++)
        if (expected[i] == '\n') {
            line++;
            start = i + 1;
        }
    int elen = (int)strcspn(expected + start, "\n");
    int alen = (int)strcspn(actual + start, "\n");
    print_error("output differs from '%s' at line %zu:\n"
                "expected: %.*s\n"
                "actual:   %.*s\n"
                "(VT_TEST_REGENERATE_OUTPUT=1 rewrites the golden file)\n",
                path, line, elen, expected + start, alen, actual + start);
}

void vt_test_golden_at(const char *actual, const char *name, const char *file, int line)
{
    if (actual == NULL) {
        print_error("no output to compare with '%s'\n", name);
        _fail(file, line);
    }
    char *path = vt_test_path(name);
    const char *regen = getenv("VT_TEST_REGENERATE_OUTPUT");
    if (regen && strcmp(regen, "1") == 0) {
        vt_test_write_file(path, actual);
        free(path);
        return;
    }
    char *expected = vt_test_slurp(path);
    if (expected == NULL) {
        print_error("cannot read golden file '%s': %s\n", path, strerror(errno));
        free(path);
        _fail(file, line);
    }
    bool same = strcmp(expected, actual) == 0;
    if (!same)
        vt_test_report_diff(expected, actual, path);
    free(expected);
    free(path);
    if (!same)
        _fail(file, line);
}

void vt_test_error_at(vt_error_t *err, const char *needle, const char *file, int line)
{
    if (*err == NULL || (*err)->msg == NULL) {
        print_error("expected an error containing \"%s\", got none\n", needle);
        _fail(file, line);
    }
    bool found = strstr((*err)->msg, needle) != NULL;
    if (!found)
        print_error("error \"%s\" does not contain \"%s\"\n", (*err)->msg, needle);
    vt_error_free(err);
    if (!found)
        _fail(file, line);
}

void vt_test_contains_at(const char *haystack, const char *needle, bool want, const char *file,
                         int line)
{
    if (haystack == NULL) {
        print_error("NULL text, looking for \"%s\"\n", needle);
        _fail(file, line);
    }
    if ((strstr(haystack, needle) != NULL) != want) {
        print_error("text %s \"%s\"\n", want ? "lacks" : "contains", needle);
        _fail(file, line);
    }
}

void vt_test_make_tmpdir(char *dir, size_t size, const char *name)
{
    int n = snprintf(dir, size, "/tmp/vt-test-%s-XXXXXX", name);
    assert_true(n > 0 && (size_t)n < size);
    assert_non_null(mkdtemp(dir));
}

static int vt_test_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (remove(path) < 0)
        print_error("cannot remove '%s': %s\n", path, strerror(errno));
    return 0;
}

void vt_test_remove_tree(const char *path)
{
    nftw(path, vt_test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int vt_test_run_group(const char *name, const struct CMUnitTest *tests, size_t n)
{
    /* The environment (CMOCKA_MESSAGE_OUTPUT) still wins, as cmocka intends. */
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}
