/* lib/qmp.h: message parsing, and the client against a scripted peer.
 * The peer (a forked child on a unix socket) only tests the client's
 * protocol handling; it does not stand in for QEMU anywhere else. */
#include "vt-test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "clock.h"
#include "qmp.h"

#define GREETING                                                                                   \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "              \
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u6\"}, \"capabilities\": [\"oob\"]}}\n"
#define RETURN_EMPTY "{\"return\": {}}\n"
#define MIGRATION(status)                                                                          \
    "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250}, \"event\": "                \
    "\"MIGRATION\", \"data\": {\"status\": \"" status "\"}}\n"
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
    parse_ok(GREETING, VT_QMP_GREETING, &msg);
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
    parse_ok(MIGRATION("active"), VT_QMP_EVENT, &msg);
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

/* The client parses one line in a buffer that holds more after it. */
static void test_parse_line_in_buffer(void **state)
{
    const char buffer[] = "{\"return\": {}}\n" MIGRATION("completed");
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

struct step {
    const char *command;   /* the "execute" expected next; NULL: none */
    const char *arguments; /* its "arguments" as JSON; NULL: none allowed */
    bool with_fd;          /* must carry the state file's fd */
    const char *send;      /* sent after it (may hold several lines) */
    bool hang_up;          /* close the connection instead */
};

struct fixture {
    char dir[64];
    char path[128];
    int listen_fd;
    int state_fd;
    pid_t peer;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/vt-test-qmp-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/clone.qmp", f->dir);
    f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(f->listen_fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, f->path);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(f->listen_fd, 1), 0);
    char state_path[128];
    snprintf(state_path, sizeof(state_path), "%s/state", f->dir);
    f->state_fd = open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(f->state_fd >= 0);
    assert_int_equal(write(f->state_fd, STATE_TEXT, strlen(STATE_TEXT)), strlen(STATE_TEXT));
    f->peer = -1;
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->peer > 0) {
        kill(f->peer, SIGKILL);
        waitpid(f->peer, NULL, 0);
    }
    close(f->listen_fd);
    close(f->state_fd);
    nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Peer side: everything below runs in the forked child. */

struct peer {
    int fd;
    char buf[65536];
    size_t len;
    int passed_fd; /* received with SCM_RIGHTS, -1 if none */
};

static bool peer_send(struct peer *p, const char *text)
{
    size_t len = strlen(text), sent = 0;
    while (sent < len) {
        ssize_t n = send(p->fd, text + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += (size_t)n;
    }
    return true;
}

static void peer_take_fds(struct peer *p, struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (p->passed_fd >= 0)
                close(p->passed_fd);
            p->passed_fd = fd;
        }
    }
}

/* Reads one line (without its newline) into p->buf; false at EOF. */
static bool peer_read_line(struct peer *p, char *line, size_t size)
{
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf);
            snprintf(line, size, "%.*s", (int)n, p->buf);
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            return true;
        }
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = p->buf + p->len, .iov_len = sizeof(p->buf) - p->len};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control.buf)};
        ssize_t n = recvmsg(p->fd, &mh, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            return false;
        peer_take_fds(p, &mh);
        p->len += (size_t)n;
    }
}

static bool peer_fd_is_state(int fd)
{
    char buf[128] = "";
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    return n == (ssize_t)strlen(STATE_TEXT) && memcmp(buf, STATE_TEXT, (size_t)n) == 0;
}

/* NULL if the command matches the step, else what is wrong. */
static const char *peer_check(struct peer *p, const char *line, const struct step *s)
{
    json_object *cmd = json_tokener_parse(line), *v = NULL, *args = NULL;
    const char *wrong = NULL;
    json_object *want = s->arguments ? json_tokener_parse(s->arguments) : NULL;
    if (cmd == NULL || !json_object_object_get_ex(cmd, "execute", &v) ||
        strcmp(json_object_get_string(v), s->command) != 0)
        wrong = "unexpected command";
    else if (json_object_object_get_ex(cmd, "arguments", &args) != (want != NULL) ||
             (want && !json_object_equal(want, args)))
        wrong = "unexpected arguments";
    else if (s->with_fd != (p->passed_fd >= 0))
        wrong = s->with_fd ? "no fd came with the command" : "an fd came unasked";
    else if (s->with_fd && !peer_fd_is_state(p->passed_fd))
        wrong = "the fd is not the state file";
    json_object_put(cmd);
    json_object_put(want);
    if (p->passed_fd >= 0)
        close(p->passed_fd);
    p->passed_fd = -1;
    return wrong;
}

static int peer_run(int fd, const char *greeting, const struct step *steps, size_t n)
{
    static struct peer p;
    p = (struct peer){.fd = fd, .passed_fd = -1};
    char line[65536];
    if (greeting && !peer_send(&p, greeting))
        return 2;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].command) {
            if (!peer_read_line(&p, line, sizeof(line)))
                return 3;
            const char *wrong = peer_check(&p, line, &steps[i]);
            if (wrong) {
                fprintf(stderr, "# peer: step %zu: %s: %s\n", i, wrong, line);
                peer_send(
                    &p, "{\"error\": {\"class\": \"PeerError\", \"desc\": \"peer: mismatch\"}}\n");
                return 4;
            }
        }
        if (steps[i].hang_up)
            return 0;
        if (steps[i].send && !peer_send(&p, steps[i].send))
            return 5;
    }
    /* Then say nothing more until the client hangs up. */
    while (peer_read_line(&p, line, sizeof(line)))
        ;
    return 0;
}

static void start_peer(struct fixture *f, const char *greeting, const struct step *steps, size_t n)
{
    f->peer = fork();
    assert_true(f->peer >= 0);
    if (f->peer == 0) {
        int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        _exit(fd < 0 ? 1 : peer_run(fd, greeting, steps, n));
    }
}

/* The peer saw every command it expected. */
static void assert_peer_done(struct fixture *f)
{
    int status = 0;
    assert_int_equal(waitpid(f->peer, &status, 0), f->peer);
    f->peer = -1;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
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

#define CAPS_ARGS                                                                                  \
    "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}, "                 \
    "{\"capability\": \"events\", \"state\": true}]}"

static const struct step step_capabilities = {"qmp_capabilities", NULL, false, RETURN_EMPTY, false};

/* The hook's sequence (docs/design.md, Flows: start), events after the return. */
static void test_incoming_migration(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {
        step_capabilities,
        {"migrate-set-capabilities", CAPS_ARGS, false, RETURN_EMPTY, false},
        {"getfd", "{\"fdname\": \"vt-state\"}", true, RETURN_EMPTY, false},
        {"migrate-incoming", "{\"uri\": \"fd:vt-state\"}", false,
         MIGRATION("setup") RETURN_EMPTY MIGRATION("active") MIGRATION("completed"), false},
        {"query-status", NULL, false,
         "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\n",
         false},
    };
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-set-capabilities", CAPS_ARGS, -1, NULL);
    execute_ok(q, "getfd", "{\"fdname\": \"vt-state\"}", f->state_fd, NULL);
    execute_ok(q, "migrate-incoming", "{\"uri\": \"fd:vt-state\"}", -1, NULL);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_wait_migration(q, vt_clock_ms() + 5000, &err), 0);
    json_object *ret = NULL, *status = NULL;
    execute_ok(q, "query-status", NULL, -1, &ret);
    assert_true(json_object_object_get_ex(ret, "status", &status));
    assert_string_equal(json_object_get_string(status), "running");
    json_object_put(ret);
    vt_qmp_close(&q);
    assert_null(q);
    assert_peer_done(f);
}

/* "completed" read while waiting for a return still counts afterwards. */
static void test_completed_before_return(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {
        step_capabilities,
        {"migrate-incoming", "{\"uri\": \"fd:vt-state\"}", false,
         MIGRATION("setup") MIGRATION("active") MIGRATION("completed") RETURN_EMPTY, false},
    };
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-incoming", "{\"uri\": \"fd:vt-state\"}", -1, NULL);
    int64_t start = vt_clock_ms();
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_wait_migration(q, start + 3000, &err), 0);
    assert_true(vt_clock_ms() - start < 1000); /* no read was needed */
    vt_qmp_close(&q);
    assert_peer_done(f);
}

static void test_migration_failed(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {
        step_capabilities,
        {"migrate-incoming", "{\"uri\": \"fd:vt-state\"}", false,
         RETURN_EMPTY MIGRATION("active") MIGRATION("failed"), false},
    };
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-incoming", "{\"uri\": \"fd:vt-state\"}", -1, NULL);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_wait_migration(q, vt_clock_ms() + 5000, &err), -1);
    vt_test_assert_error(&err, "incoming migration failed");
    vt_qmp_close(&q);
    assert_peer_done(f);
}

static void test_command_error(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {
        step_capabilities,
        {"bogus", NULL, false,
         "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command bogus has not "
         "been found\"}}\n",
         false},
    };
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    vt_autoerror vt_error_t err = NULL;
    json_object *ret = NULL;
    assert_int_equal(vt_qmp_execute(q, "bogus", NULL, -1, vt_clock_ms() + 5000, &ret, &err), -1);
    assert_null(ret);
    vt_test_assert_error(&err, "bogus: The command bogus has not been found");
    vt_qmp_close(&q);
    assert_peer_done(f);
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
    const struct step steps[] = {step_capabilities, {"big", NULL, false, reply, false}};
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    free(reply); /* the child has its copy */
    struct vt_qmp *q = open_ok(f);
    json_object *ret = NULL, *blob = NULL;
    execute_ok(q, "big", NULL, -1, &ret);
    assert_true(json_object_object_get_ex(ret, "blob", &blob));
    assert_int_equal(json_object_get_string_len(blob), n);
    json_object_put(ret);
    vt_qmp_close(&q);
    assert_peer_done(f);
}

static void test_garbage_reply(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {step_capabilities,
                                 {"query-status", NULL, false, "{\"return\": {}} oops\n", false}};
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_execute(q, "query-status", NULL, -1, vt_clock_ms() + 5000, NULL, &err),
                     -1);
    vt_test_assert_error(&err, "query-status: QMP: malformed JSON");
    vt_qmp_close(&q);
    assert_peer_done(f);
}

static void test_no_greeting(void **state)
{
    struct fixture *f = *state;
    start_peer(f, RETURN_EMPTY, NULL, 0);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_open(f->path, vt_clock_ms() + 5000, &q, &err), -1);
    assert_null(q);
    vt_test_assert_error(&err, "QMP: no greeting from '");
    assert_peer_done(f);
}

static void test_peer_hangs_up(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {step_capabilities, {"query-status", NULL, false, NULL, true}};
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_qmp_execute(q, "query-status", NULL, -1, vt_clock_ms() + 5000, NULL, &err),
                     -1);
    vt_test_assert_error(&err, "query-status: QMP: QEMU closed the monitor");
    vt_qmp_close(&q);
    assert_peer_done(f);
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
    start_peer(f, NULL, NULL, 0);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_open(f->path, start + 300, &q, &err), -1);
    assert_timed_out(start, 300);
    vt_test_assert_error(&err, "QMP greeting: QMP: timed out");
    assert_peer_done(f);
}

static void test_capabilities_timeout(void **state)
{
    struct fixture *f = *state;
    start_peer(f, GREETING, NULL, 0);
    struct vt_qmp *q = NULL;
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_open(f->path, start + 300, &q, &err), -1);
    assert_timed_out(start, 300);
    vt_test_assert_error(&err, "qmp_capabilities: QMP: timed out");
    assert_peer_done(f);
}

static void test_migration_timeout(void **state)
{
    struct fixture *f = *state;
    const struct step steps[] = {
        step_capabilities,
        {"migrate-incoming", "{\"uri\": \"fd:vt-state\"}", false, RETURN_EMPTY MIGRATION("active"),
         false},
    };
    start_peer(f, GREETING, steps, VT_TEST_N(steps));
    struct vt_qmp *q = open_ok(f);
    execute_ok(q, "migrate-incoming", "{\"uri\": \"fd:vt-state\"}", -1, NULL);
    vt_autoerror vt_error_t err = NULL;
    int64_t start = vt_clock_ms();
    assert_int_equal(vt_qmp_wait_migration(q, start + 300, &err), -1);
    assert_timed_out(start, 300);
    vt_test_assert_error(&err, "waiting for the incoming migration: QMP: timed out");
    vt_qmp_close(&q);
    assert_peer_done(f);
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
