/* lib/core/restore.h: a clone fed its template's device state over the
 * scripted QMP peer (qmp-peer.h), from a store in a temporary directory. */
#include "vt-test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "qmp-peer.h"
#include "restore.h"
#include "store-fixture.h"

#define STATE_TEXT "QEVM: device state of template t1"
#define MISMATCH                                                                                   \
    "the device state of template 't1' does not match its metadata (truncated, corrupted or "      \
    "replaced)"

struct fixture {
    struct vt_store_fixture store;
    struct vt_qmp_peer peer;
    struct vt_meta meta; /* t1, saved */
    char state_path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_store_fixture_make(&f->store, "restore");
    vt_store_fixture_add_saved(&f->store, "t1", STATE_TEXT, VT_DIGEST_SHA256, &f->meta);
    snprintf(f->state_path, sizeof(f->state_path), "%s/t1/state", f->store.state);
    assert_int_equal(mkdir(f->store.run, 0700), 0);
    char socket[128];
    snprintf(socket, sizeof(socket), "%s/c1.qmp", f->store.run);
    vt_qmp_peer_listen(&f->peer, socket, STATE_TEXT);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_stop(&f->peer);
    vt_store_fixture_remove(&f->store);
    free(f);
    return 0;
}

static int restore(struct fixture *f, int timeout_ms, bool *fed, vt_error_t *err)
{
    return vt_restore_clone(&f->store.dirs, &f->meta, "c1", timeout_ms, VT_START_FRESH, fed, err);
}

/* Restores, and says whether it fed the clone itself. */
static bool restore_ok(struct fixture *f)
{
    vt_autoerror vt_error_t err = NULL;
    bool fed = false;
    int rc = restore(f, 5000, &fed, &err);
    if (rc < 0)
        print_error("%s\n", err->msg);
    assert_int_equal(rc, 0);
    vt_qmp_peer_assert_done(&f->peer);
    return fed;
}

/* query-migrate, x-ignore-shared and events, getfd with the state file's
 * fd (read by the peer from its offset: all of it), migrate-incoming,
 * MIGRATION completed, x-ignore-shared off. */
static void test_restore(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_start_restore(&f->peer);
    assert_true(restore_ok(f));
}

/* A store saved before SHA-256 (FNV-1a 64, no state_digest_alg) restores. */
static void test_restore_legacy_digest(void **state)
{
    struct fixture *f = *state;
    vt_store_fixture_add_saved(&f->store, "t2", STATE_TEXT, VT_DIGEST_FNV1A64, &f->meta);
    assert_int_equal(strlen(f->meta.device_state_digest), 16);
    vt_qmp_peer_start_restore(&f->peer); /* the clone's socket, whatever its template */
    assert_true(restore_ok(f));
}

/* A QEMU that libvirt feeds itself (a restore from a save image: its
 * incoming side has a status; an incoming migration: a listening socket)
 * is left alone, whatever the template's state file holds. */
static void test_libvirt_feeds(void **state)
{
    struct fixture *f = *state;
    vt_store_fixture_write(f->store.state, "t1/state", "not the state");
    static const char *const replies[] = {
        "{\"return\": {\"status\": \"completed\", \"total-time\": 230}}\n",
        "{\"return\": {\"socket-address\": [{\"type\": \"inet\", \"host\": \"0.0.0.0\", "
        "\"port\": \"49152\"}]}}\n",
    };
    for (size_t i = 0; i < VT_TEST_N(replies); i++) {
        const struct vt_qmp_peer_step steps[] = {
            vt_qmp_peer_step_capabilities,
            {"query-migrate", NULL, false, replies[i], false},
        };
        vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
        assert_false(restore_ok(f));
    }
}

/* Refused on the digest before any migration command: the peer sees the
 * negotiation and query-migrate (is libvirt feeding it?), then nothing. */
static void assert_refused(struct fixture *f, const char *message)
{
    const struct vt_qmp_peer_step steps[] = {vt_qmp_peer_step_capabilities,
                                             vt_qmp_peer_step_query_fresh};
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(restore(f, 2000, NULL, &err), -1);
    vt_test_assert_error(&err, message);
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_refuses_truncated(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(truncate(f->state_path, (off_t)strlen(STATE_TEXT) - 1), 0);
    assert_refused(f, MISMATCH);
}

/* Same size, one byte changed; then the right file and a wrong digest. */
static void test_refuses_corrupted(void **state)
{
    struct fixture *f = *state;
    char text[] = STATE_TEXT;
    text[10] ^= 0x20;
    vt_store_fixture_write(f->store.state, "t1/state", text);
    assert_refused(f, MISMATCH);
    vt_store_fixture_write(f->store.state, "t1/state", STATE_TEXT);
    f->meta.device_state_digest[0] = f->meta.device_state_digest[0] == '0' ? '1' : '0';
    assert_refused(f, MISMATCH);
}

/* Another template's state (same size) in its place. */
static void test_refuses_swapped(void **state)
{
    struct fixture *f = *state;
    vt_store_fixture_write(f->store.state, "t1/state", "QEVM: device state of template t2");
    assert_refused(f, MISMATCH);
}

static void test_refuses_missing_or_symlink(void **state)
{
    struct fixture *f = *state;
    char moved[160];
    snprintf(moved, sizeof(moved), "%s/state-elsewhere", f->store.root);
    assert_int_equal(rename(f->state_path, moved), 0);
    assert_refused(f, "cannot open the device state of template 't1': No such file");
    assert_int_equal(symlink(moved, f->state_path), 0);
    assert_refused(f, "cannot open the device state of template 't1'");
}

/* A QEMU that never completes: the wait ends at the timeout. */
static void test_timeout(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_start_restore_ending(&f->peer, VT_QMP_PEER_MIGRATION("active"));
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(restore(f, 300, NULL, &err), -1);
    int64_t took = vt_clock_ms() - start;
    assert_true(took >= 300);
    assert_true(took < 1300);
    vt_test_assert_error(&err, "cannot restore clone 'c1' from template 't1': waiting for the "
                               "incoming migration: QMP: timed out");
    vt_qmp_peer_assert_done(&f->peer); /* it saw every command before that */
}

static void test_migration_failed(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_start_restore_ending(&f->peer, VT_QMP_PEER_MIGRATION("active")
                                                   VT_QMP_PEER_MIGRATION("failed"));
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(restore(f, 5000, NULL, &err), -1);
    vt_test_assert_error(&err,
                         "cannot restore clone 'c1' from template 't1': incoming migration failed");
    vt_qmp_peer_assert_done(&f->peer);
}

#define RESTORE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        RESTORE_TEST(test_restore),
        RESTORE_TEST(test_restore_legacy_digest),
        RESTORE_TEST(test_libvirt_feeds),
        RESTORE_TEST(test_refuses_truncated),
        RESTORE_TEST(test_refuses_corrupted),
        RESTORE_TEST(test_refuses_swapped),
        RESTORE_TEST(test_refuses_missing_or_symlink),
        RESTORE_TEST(test_timeout),
        RESTORE_TEST(test_migration_failed),
    };
    return vt_test_run(tests);
}
