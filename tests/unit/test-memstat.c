/* lib/memstat: smaps_rollup, the template file's mapping in smaps, and
 * MemAvailable in /proc/meminfo. */
#include "vt-test.h"

#include <unistd.h>

#include "memstat.h"

#define KiB 1024ULL

static const char rollup[] = "55d0-7ffd ---p 00000000 00:00 0   [rollup]\n"
                             "Rss:              100000 kB\n"
                             "Pss:               60000 kB\n"
                             "Pss_Anon:          41000 kB\n"
                             "Pss_File:           2000 kB\n";

/* A heap, the template file mapped privately (some of it copied on write:
 * "Anonymous"), a file whose name starts like the template's, and a second
 * VMA of the template file. */
static const char smaps[] =
    "55b066c8e000-55b067d28000 rw-p 00000000 00:00 0                          [heap]\n"
    "Rss:                4848 kB\n"
    "Pss:                4848 kB\n"
    "Anonymous:          4848 kB\n"
    "7f649fdff000-7f64afdff000 rw-p 00000000 00:2b 3                          /dev/shm/virt-template/t/memory\n"
    "Size:             262144 kB\n"
    "Rss:               84148 kB\n"
    "Pss:               42074 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:      80000 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:      4148 kB\n"
    "Anonymous:          2320 kB\n"
    "VmFlags: rd wr mr mw me ac sd\n"
    "7f64b0000000-7f64b0100000 rw-p 00000000 00:2b 4                          /dev/shm/virt-template/t/memory2\n"
    "Rss:                1024 kB\n"
    "Pss:                1024 kB\n"
    "Anonymous:          1024 kB\n"
    "7f64c0000000-7f64c0100000 rw-p 10000000 00:2b 3                          /dev/shm/virt-template/t/memory\n"
    "Rss:                1000 kB\n"
    "Pss:                1000 kB\n"
    "Anonymous:           500 kB\n";

static void test_rollup(void **state)
{
    struct vt_memstat st = {0};
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_parse_rollup(rollup, &st, &err), 0);
    assert_int_equal(st.pss, 60000 * KiB);
    assert_int_equal(st.rss, 100000 * KiB);
}

static void test_rollup_without_pss(void **state)
{
    struct vt_memstat st = {0};
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_parse_rollup("Rss: 4 kB\nPss_Anon: 4 kB\n", &st, &err), -1);
    vt_test_assert_error(&err, "no Pss");
}

static void test_template_mapping(void **state)
{
    struct vt_memstat st = {0};
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_parse_smaps(smaps, "/dev/shm/virt-template/t/memory", &st, &err), 0);
    /* Both VMAs of the file count; "memory2" and the heap do not. */
    assert_int_equal(st.ram_rss, (84148 + 1000) * KiB);
    assert_int_equal(st.ram_pss, (42074 + 1000) * KiB);
    assert_int_equal(st.ram_private, (2320 + 500) * KiB);
    assert_int_equal(st.ram_shared, (84148 + 1000 - 2320 - 500) * KiB);
    assert_int_equal(st.ram_multi, 80000 * KiB);
}

static void test_no_mapping(void **state)
{
    struct vt_memstat st = {0};
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_parse_smaps(smaps, "/dev/shm/virt-template/other/memory", &st, &err), 0);
    assert_int_equal(st.ram_rss, 0);
    assert_int_equal(st.ram_private, 0);
}

static void test_inconsistent_mapping(void **state)
{
    struct vt_memstat st = {0};
    vt_error_t err = NULL;
    const char *bad = "7f00-7f10 rw-p 00000000 00:2b 3   /m\nRss: 4 kB\nAnonymous: 8 kB\n";
    assert_int_equal(vt_memstat_parse_smaps(bad, "/m", &st, &err), -1);
    vt_test_assert_error(&err, "inconsistent mapping of '/m'");
}

/* /proc/meminfo as Linux writes it: MemAvailable, not MemFree, and in KiB. */
static void test_available(void **state)
{
    static const char meminfo[] = "MemTotal:       16314192 kB\n"
                                  "MemFree:          812344 kB\n"
                                  "MemAvailable:    9876543 kB\n"
                                  "Buffers:          412000 kB\n";
    uint64_t bytes = 0;
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_parse_available(meminfo, &bytes, &err), 0);
    assert_int_equal(bytes, 9876543 * KiB);
    /* The last line, without a newline. */
    assert_int_equal(vt_memstat_parse_available("MemFree: 1 kB\nMemAvailable: 2 kB", &bytes, &err),
                     0);
    assert_int_equal(bytes, 2 * KiB);
}

/* A kernel before 3.14 has no MemAvailable; the text is not guessed at. */
static void test_available_missing(void **state)
{
    static const char *const bad[] = {
        "MemTotal:       16314192 kB\nMemFree:          812344 kB\nBuffers:  412000 kB\n",
        "MemAvailable:\n",
        "MemAvailable: unknown kB\n",
        "",
    };
    for (size_t i = 0; i < VT_TEST_N(bad); i++) {
        uint64_t bytes = 42;
        vt_error_t err = NULL;
        assert_int_equal(vt_memstat_parse_available(bad[i], &bytes, &err), -1);
        vt_test_assert_error(&err, "/proc/meminfo has no 'MemAvailable:' line");
        assert_int_equal(bytes, 42);
    }
}

/* This host's, through the same parser. */
static void test_available_host(void **state)
{
    uint64_t bytes = 0;
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_available(&bytes, &err), 0);
    assert_true(bytes > 0);
}

static void test_read_own_process(void **state)
{
    /* The test's own process: real /proc files parse, and nothing maps the path. */
    struct vt_memstat st;
    vt_error_t err = NULL;
    assert_int_equal(vt_memstat_read(getpid(), "/nonexistent/memory", &st, &err), 0);
    assert_true(st.pss > 0);
    assert_int_equal(st.ram_rss, 0);
    assert_int_equal(st.overhead, st.pss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollup),
        cmocka_unit_test(test_rollup_without_pss),
        cmocka_unit_test(test_template_mapping),
        cmocka_unit_test(test_no_mapping),
        cmocka_unit_test(test_inconsistent_mapping),
        cmocka_unit_test(test_available),
        cmocka_unit_test(test_available_missing),
        cmocka_unit_test(test_available_host),
        cmocka_unit_test(test_read_own_process),
    };
    return vt_test_run(tests);
}
