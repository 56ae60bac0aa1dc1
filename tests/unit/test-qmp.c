/* lib/core/qmp.h: message parsing, and the client against the scripted
 * peer (qmp-peer.h). */
#include "vt-test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "clock.h"
#include "qmp-peer.h"
#include "qmp.h"

#define STATE_TEXT "QEVM: device state of the template"

/* --- vt_qmp_parse_message --- */

static void parse_ok(const char *text, enum vt_qmp_kind kind, struct vt_qmp_message *msg)
{
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_qmp_parse_message(text, strlen(text), msg, &err);
    if (rc < 0)
        print_error("%s: %s\n", text, err->msg);
    assert_int_equal(rc, 0);
    assert_int_equal(msg->kind, kind);
}

static void parse_fails(const char *text, size_t len, const char *message)
{
    struct vt_qmp_message msg;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_parse_message(text, len, &msg, &err), -1);
    assert_null(msg.root);
    vt_test_assert_error(&err, message);
}

static void test_parse_greeting(void **state)
{
    struct vt_qmp_message msg;
    parse_ok(VT_QMP_PEER_GREETING, VT_QMP_GREETING, &msg);
    json_object *version = NULL, *caps = NULL;
    assert_true(json_object_object_get_ex(msg.value, "version", &version));
    assert_true(json_object_object_get_ex(msg.value, "capabilities", &caps));
    assert_int_equal(json_object_array_length(caps), 1);
    vt_qmp_message_clear(&msg);
    assert_null(msg.root);
}

static void test_parse_return(void **state)
{
    struct vt_qmp_message msg;
    parse_ok("{\"return\": {\"status\": \"completed\", \"total-time\": 12}}", VT_QMP_RETURN, &msg);
    assert_true(json_object_is_type(msg.value, json_type_object));
    assert_string_equal(vt_qmp_migration_status(msg.value), "completed");
    vt_qmp_message_clear(&msg);

    parse_ok("{\"return\": {}, \"id\": 1}\r\n", VT_QMP_RETURN, &msg);
    assert_true(json_object_is_type(msg.value, json_type_object));
    assert_int_equal(json_object_object_length(msg.value), 0);
    assert_null(vt_qmp_migration_status(msg.value));
    vt_qmp_message_clear(&msg);

    parse_ok("{\"return\": [{\"name\": \"qmp_capabilities\"}]}", VT_QMP_RETURN, &msg);
    assert_true(json_object_is_type(msg.value, json_type_array));
    vt_qmp_message_clear(&msg);
}

static void test_parse_error(void **state)
{
    struct vt_qmp_message msg;
    parse_ok("{\"error\": {\"class\": \"GenericError\", \"desc\": \"No migration in progress\"}}",
             VT_QMP_ERROR, &msg);
    assert_string_equal(msg.error_class, "GenericError");
    assert_string_equal(msg.error_desc, "No migration in progress");
    vt_qmp_message_clear(&msg);

    parse_ok("{\"error\": {\"class\": \"CommandNotFound\"}}", VT_QMP_ERROR, &msg);
    assert_string_equal(msg.error_class, "CommandNotFound");
    assert_string_equal(msg.error_desc, "unknown error");
    vt_qmp_message_clear(&msg);
}

static void test_parse_event(void **state)
{
    struct vt_qmp_message msg;
    parse_ok(VT_QMP_PEER_MIGRATION("active"), VT_QMP_EVENT, &msg);
    assert_string_equal(msg.event, "MIGRATION");
    assert_string_equal(vt_qmp_migration_status(msg.value), "active");
    vt_qmp_message_clear(&msg);

    parse_ok("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}",
             VT_QMP_EVENT, &msg);
    assert_string_equal(msg.event, "RESUME");
    assert_null(msg.value);
    assert_null(vt_qmp_migration_status(msg.value));
    vt_qmp_message_clear(&msg);
}

static void test_migration_status(void **state)
{
    json_object *v = json_tokener_parse("{\"status\": 42}");
    assert_null(vt_qmp_migration_status(v));
    json_object_put(v);
    v = json_tokener_parse("{\"status\": \"failed\", \"error-desc\": \"x\"}");
    assert_string_equal(vt_qmp_migration_status(v), "failed");
    json_object_put(v);
    assert_null(vt_qmp_migration_status(NULL));
}

static void test_parse_refusals(void **state)
{
    const char *cases[][2] = {
        {"{\"return\": ", "QMP: malformed JSON"},
        {"{\"return\": {}} x", "QMP: malformed JSON"},
        {"{\"return\": {}}{\"return\": {}}", "QMP: malformed JSON"},
        {"", "QMP: malformed JSON"},
        {"\"return\"", "QMP: message is not a JSON object"},
        {"[]", "QMP: message is not a JSON object"},
        {"[{\"return\": {}}]", "QMP: message is not a JSON object"},
        {"{\"greeting\": 1}", "QMP: unexpected message"},
        {"{\"error\": \"bad\"}", "QMP: unexpected message"},
    };
    for (size_t i = 0; i < VT_TEST_N(cases); i++)
        parse_fails(cases[i][0], strlen(cases[i][0]), cases[i][1]);
}

/* QEMU writes strict JSON: a comment (json-c takes them by default) is
 * refused, and so is a NUL byte, inside one or after the value (a line the
 * fuzzer found). */
static void test_parse_refuses_comments_and_nul(void **state)
{
    const char comment[] = "{\"return\": {}} // x";
    const char nul_in_comment[] = "{\"event\": \"\", \"data\": {}}//\001\000\n";
    const char nul_after[] = "{\"return\": {}}\0";
    parse_fails(comment, sizeof(comment) - 1, "QMP: malformed JSON");
    parse_fails(nul_in_comment, sizeof(nul_in_comment) - 1, "QMP: malformed JSON");
    parse_fails(nul_after, sizeof(nul_after) - 1, "QMP: malformed JSON");
}

/* The client parses one line in a buffer that holds more after it. */
static void test_parse_line_in_buffer(void **state)
{
    const char buffer[] = "{\"return\": {}}\n" VT_QMP_PEER_MIGRATION("completed");
    struct vt_qmp_message msg;
    vt_autoerror vt_error_t err = NULL;
    size_t first = strcspn(buffer, "\n");
    assert_int_equal(vt_qmp_parse_message(buffer, first, &msg, &err), 0);
    assert_int_equal(msg.kind, VT_QMP_RETURN);
    vt_qmp_message_clear(&msg);
    /* Only `len` bytes count: a cut line is incomplete, never the next one. */
    parse_fails(buffer, first - 1, "QMP: malformed JSON");
}

/* --- the client against a scripted peer --- */

struct fixture {
    char dir[64];
    char path[128];
    int state_fd;
    struct vt_qmp_peer peer;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_test_make_tmpdir(f->dir, sizeof(f->dir), "qmp");
    snprintf(f->path, sizeof(f->path), "%s/clone.qmp", f->dir);
    vt_qmp_peer_listen(&f->peer, f->path, STATE_TEXT);
    char state_path[128];
    snprintf(state_path, sizeof(state_path), "%s/state", f->dir);
    f->state_fd = open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(f->state_fd >= 0);
    assert_int_equal(write(f->state_fd, STATE_TEXT, strlen(STATE_TEXT)), strlen(STATE_TEXT));
    assert_int_equal(lseek(f->state_fd, 0, SEEK_SET), 0); /* the peer reads from here */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_stop(&f->peer);
    close(f->state_fd);
    vt_test_remove_tree(f->dir);
    free(f);
    return 0;
}

static struct vt_qmp *open_ok(struct fixture *f)
{
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_qmp_open(f->path, vt_clock_ms() + 5000, &q, &err);
    if (rc < 0)
        print_error("open: %s\n", err->msg);
    assert_int_equal(rc, 0);
    assert_non_null(q);
    return q;
}

static void execute_ok(struct vt_qmp *q, const char *command, const char *args, int fd,
                       json_object **ret)
{
    json_object *a = args ? json_tokener_parse(args) : NULL;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_qmp_execute(q, command, a, fd, vt_clock_ms() + 5000, ret, &err);
    json_object_put(a); /* execute took its own reference */
    if (rc < 0)
        print_error("%s: %s\n", command, err->msg);
    assert_int_equal(rc, 0);
}

/* The hook's sequence (docs/design.md, Flows: start), events after the return. */
static void test_incoming_migration(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        {"migrate-set-capabilities", VT_QMP_PEER_INCOMING_CAPS, false, VT_QMP_PEER_RETURN_EMPTY,
         false},
        {"getfd", VT_QMP_PEER_GETFD, true, VT_QMP_PEER_RETURN_EMPTY, false},
        {"migrate-incoming", VT_QMP_PEER_INCOMING, false,
         VT_QMP_PEER_MIGRATION("setup") VT_QMP_PEER_RETURN_EMPTY VT_QMP_PEER_MIGRATION("active")
             VT_QMP_PEER_MIGRATION("completed"),
         false},
        {"query-status", NULL, false,
         "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\n",
         false},
    };
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-set-capabilities", VT_QMP_PEER_INCOMING_CAPS, -1, NULL);
    execute_ok(q, "getfd", VT_QMP_PEER_GETFD, f->state_fd, NULL);
    execute_ok(q, "migrate-incoming", VT_QMP_PEER_INCOMING, -1, NULL);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_wait_migration(q, vt_clock_ms() + 5000, &err), 0);
    json_object *ret = NULL, *status = NULL;
    execute_ok(q, "query-status", NULL, -1, &ret);
    assert_true(json_object_object_get_ex(ret, "status", &status));
    assert_string_equal(json_object_get_string(status), "running");
    json_object_put(ret);
    vt_qmp_close(&q);
    assert_null(q);
    vt_qmp_peer_assert_done(&f->peer);
}

/* "completed" read while waiting for a return still counts afterwards. */
static void test_completed_before_return(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        {"migrate-incoming", VT_QMP_PEER_INCOMING, false,
         VT_QMP_PEER_MIGRATION("setup") VT_QMP_PEER_MIGRATION("active")
             VT_QMP_PEER_MIGRATION("completed") VT_QMP_PEER_RETURN_EMPTY,
         false},
    };
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-incoming", VT_QMP_PEER_INCOMING, -1, NULL);
    int64_t start = vt_clock_ms();
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_wait_migration(q, start + 3000, &err), 0);
    assert_true(vt_clock_ms() - start < 1000); /* no read was needed */
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_migration_failed(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        {"migrate-incoming", VT_QMP_PEER_INCOMING, false,
         VT_QMP_PEER_RETURN_EMPTY VT_QMP_PEER_MIGRATION("active") VT_QMP_PEER_MIGRATION("failed"),
         false},
    };
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-incoming", VT_QMP_PEER_INCOMING, -1, NULL);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_wait_migration(q, vt_clock_ms() + 5000, &err), -1);
    vt_test_assert_error(&err, "incoming migration failed");
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_command_error(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        {"bogus", NULL, false,
         "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command bogus has not "
         "been found\"}}\n",
         false},
    };
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    vt_autoerror vt_error_t err = NULL;
    json_object *ret = NULL;
    assert_int_equal(vt_qmp_execute(q, "bogus", NULL, -1, vt_clock_ms() + 5000, &ret, &err), -1);
    assert_null(ret);
    vt_test_assert_error(&err, "bogus: The command bogus has not been found");
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

/* A reply larger than the client's first buffer arrives whole. */
static void test_long_reply(void **state)
{
    struct fixture *f = *state;
    size_t n = 20000;
    char *reply = malloc(n + 64);
    assert_non_null(reply);
    int len = sprintf(reply, "{\"return\": {\"blob\": \"");
    memset(reply + len, 'x', n);
    strcpy(reply + len + n, "\"}}\n");
    const struct vt_qmp_peer_step steps[] = {vt_qmp_peer_step_capabilities,
                                             {"big", NULL, false, reply, false}};
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    free(reply); /* the child has its copy */
    struct vt_qmp *q = open_ok(f);
    json_object *ret = NULL, *blob = NULL;
    execute_ok(q, "big", NULL, -1, &ret);
    assert_true(json_object_object_get_ex(ret, "blob", &blob));
    assert_int_equal(json_object_get_string_len(blob), n);
    json_object_put(ret);
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_garbage_reply(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        {"query-status", NULL, false, "{\"return\": {}} oops\n", false}};
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_execute(q, "query-status", NULL, -1, vt_clock_ms() + 5000, NULL, &err),
                     -1);
    vt_test_assert_error(&err, "query-status: QMP: malformed JSON");
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_no_greeting(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_RETURN_EMPTY, NULL, 0);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_open(f->path, vt_clock_ms() + 5000, &q, &err), -1);
    assert_null(q);
    vt_test_assert_error(&err, "QMP: no greeting from '");
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_peer_hangs_up(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {vt_qmp_peer_step_capabilities,
                                             {"query-status", NULL, false, NULL, true}};
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_execute(q, "query-status", NULL, -1, vt_clock_ms() + 5000, NULL, &err),
                     -1);
    vt_test_assert_error(&err, "query-status: QMP: QEMU closed the monitor");
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

/* Every wait ends at its deadline, whatever the peer does. */
static void assert_timed_out(int64_t start, int64_t budget)
{
    int64_t took = vt_clock_ms() - start;
    assert_true(took >= budget);
    assert_true(took < budget + 1000);
}

static void test_greeting_timeout(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_start(&f->peer, NULL, NULL, 0);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_open(f->path, start + 300, &q, &err), -1);
    assert_timed_out(start, 300);
    vt_test_assert_error(&err, "QMP greeting: QMP: timed out");
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_capabilities_timeout(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step unanswered = {"qmp_capabilities", NULL, false, NULL, false};
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, &unanswered, 1);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_open(f->path, start + 300, &q, &err), -1);
    assert_timed_out(start, 300);
    vt_test_assert_error(&err, "qmp_capabilities: QMP: timed out");
    vt_qmp_peer_assert_done(&f->peer);
}

static void test_migration_timeout(void **state)
{
    struct fixture *f = *state;
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        {"migrate-incoming", VT_QMP_PEER_INCOMING, false,
         VT_QMP_PEER_RETURN_EMPTY VT_QMP_PEER_MIGRATION("active"), false},
    };
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-incoming", VT_QMP_PEER_INCOMING, -1, NULL);
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_wait_migration(q, start + 300, &err), -1);
    assert_timed_out(start, 300);
    vt_test_assert_error(&err, "waiting for the incoming migration: QMP: timed out");
    vt_qmp_close(&q);
    vt_qmp_peer_assert_done(&f->peer);
}

/* Nobody listening: bounded retries, then the connect error. */
static void test_connect_fails(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(unlink(f->path), 0);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_open(f->path, start + 100, &q, &err), -1);
    assert_timed_out(start, 100);
    assert_int_equal(err->errnum, ENOENT);
    vt_test_assert_error(&err, "cannot connect to QMP socket '");
}

#define PEER_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_greeting),
        cmocka_unit_test(test_parse_return),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_parse_event),
        cmocka_unit_test(test_migration_status),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_refuses_comments_and_nul),
        cmocka_unit_test(test_parse_line_in_buffer),
        PEER_TEST(test_incoming_migration),
        PEER_TEST(test_completed_before_return),
        PEER_TEST(test_migration_failed),
        PEER_TEST(test_command_error),
        PEER_TEST(test_long_reply),
        PEER_TEST(test_garbage_reply),
        PEER_TEST(test_no_greeting),
        PEER_TEST(test_peer_hangs_up),
        PEER_TEST(test_greeting_timeout),
        PEER_TEST(test_capabilities_timeout),
        PEER_TEST(test_migration_timeout),
        PEER_TEST(test_connect_fails),
    };
    return vt_test_run(tests);
}
