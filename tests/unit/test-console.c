/* lib/core/console.h: waiting for a line on a console log that a forked
 * child writes as a guest would, bounded by a deadline and a liveness check. */
#include "vt-test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "console.h"

struct fixture {
    char dir[64];
    char path[96];
    pid_t writer;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_test_make_tmpdir(f->dir, sizeof(f->dir), "console");
    snprintf(f->path, sizeof(f->path), "%s/console.log", f->dir);
    f->writer = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->writer > 0) {
        kill(f->writer, SIGKILL);
        waitpid(f->writer, NULL, 0);
    }
    vt_test_remove_tree(f->dir);
    free(f);
    return 0;
}

static bool append(const char *path, const char *text)
{
    vt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
}

/* A child that writes `lines` to the log one by one, `gap_ms` apart, the
 * first after one gap (the file does not exist until then, as before
 * virtlogd opens it). */
static void start_writer(struct fixture *f, const char *const *lines, int gap_ms)
{
    f->writer = fork();
    assert_true(f->writer >= 0);
    if (f->writer == 0) {
        for (size_t i = 0; lines[i]; i++) {
            vt_sleep_ms(gap_ms);
            if (!append(f->path, lines[i]))
                _exit(1);
        }
        _exit(0);
    }
}

static void test_matches_growing_file(void **state)
{
    struct fixture *f = *state;
    const char *const lines[] = {"[    0.000000] Linux version 6.1\n", "Welcome\n",
                                 "vt-guest login: ", NULL};
    int64_t start = vt_clock_ms();
    start_writer(f, lines, 150);
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_console_wait(f->path, "^[a-z-]+ login:", start + 5000, NULL, NULL, &err);
    if (rc < 0)
        print_error("%s\n", err->msg);
    assert_int_equal(rc, 0);
    int64_t took = vt_clock_ms() - start;
    assert_true(took >= 3 * 150); /* not before the last line was there */
    assert_true(took < 3 * 150 + 1000);
}

static void test_times_out(void **state)
{
    struct fixture *f = *state;
    const char *const lines[] = {"Welcome\n", "almost login\n", NULL};
    start_writer(f, lines, 20);
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_console_wait(f->path, "^login:", start + 300, NULL, NULL, &err), -1);
    int64_t took = vt_clock_ms() - start;
    assert_true(took >= 300);
    assert_true(took < 1300);
    vt_test_assert_error(&err, "timed out waiting for the console to match '^login:'");
}

struct alive {
    int calls;
    int dies_after; /* calls that still say alive */
};

static bool alive_until(void *data)
{
    struct alive *a = data;
    return a->calls++ < a->dies_after;
}

/* Asked at once, then about every half second: the wait ends at the first
 * false, long before the deadline. */
static void test_stops_when_dead(void **state)
{
    struct fixture *f = *state;
    const char *const lines[] = {"Welcome\n", NULL};
    start_writer(f, lines, 10);
    for (int dies_after = 0; dies_after < 2; dies_after++) {
        struct alive a = {.dies_after = dies_after};
        vt_autoerror vt_error_t err = NULL;
        int64_t start = vt_clock_ms();
        assert_int_equal(vt_console_wait(f->path, "^login:", start + 10000, alive_until, &a, &err),
                         -1);
        assert_true(vt_clock_ms() - start < 500 * dies_after + 1000);
        assert_int_equal(a.calls, dies_after + 1);
        vt_test_assert_error(&err, "the domain stopped before its console matched '^login:'");
    }
}

static void test_bad_pattern(void **state)
{
    struct fixture *f = *state;
    struct alive a = {.dies_after = 100};
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(
        vt_console_wait(f->path, "login: (", vt_clock_ms() + 5000, alive_until, &a, &err), -1);
    vt_test_assert_error(&err, "invalid console pattern 'login: ('");
    assert_int_equal(a.calls, 0); /* refused before any wait */
}

/* A missing file is waited for; one that cannot be read is an error. */
static void test_unreadable_file(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *target = NULL;
    assert_true(asprintf(&target, "%s/elsewhere.log", f->dir) > 0);
    assert_true(append(target, "login: \n"));
    assert_int_equal(symlink(target, f->path), 0);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_console_wait(f->path, "login:", vt_clock_ms() + 5000, NULL, NULL, &err),
                     -1);
    assert_int_equal(err->errnum, ELOOP);
    vt_test_assert_error(&err, "cannot open '");
}

#define CONSOLE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CONSOLE_TEST(test_matches_growing_file), CONSOLE_TEST(test_times_out),
        CONSOLE_TEST(test_stops_when_dead),      CONSOLE_TEST(test_bad_pattern),
        CONSOLE_TEST(test_unreadable_file),
    };
    return vt_test_run(tests);
}
