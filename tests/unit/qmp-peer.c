#include "qmp-peer.h"

#include "vt-test.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"

const struct vt_qmp_peer_step vt_qmp_peer_step_capabilities = {"qmp_capabilities", NULL, false,
                                                               VT_QMP_PEER_RETURN_EMPTY, false};

const struct vt_qmp_peer_step vt_qmp_peer_step_query_fresh = {"query-migrate", NULL, false,
                                                              VT_QMP_PEER_RETURN_EMPTY, false};

void vt_qmp_peer_listen(struct vt_qmp_peer *p, const char *path, const char *fd_text)
{
    *p = (struct vt_qmp_peer){.listen_fd = -1, .fd_text = fd_text, .pid = -1};
    assert_true(strlen(path) < sizeof(p->path));
    strcpy(p->path, path);
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->listen_fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, p->path);
    assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(p->listen_fd, 1), 0);
}

void vt_qmp_peer_stop(struct vt_qmp_peer *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = -1;
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    p->listen_fd = -1;
}

bool vt_qmp_peer_has_client(struct vt_qmp_peer *p)
{
    struct pollfd pfd = {.fd = p->listen_fd, .events = POLLIN};
    return poll(&pfd, 1, 0) == 1;
}

/* Everything below, up to vt_qmp_peer_start, runs in the forked child. */

struct vt_peer_conn {
    int fd;
    const char *fd_text;
    char buf[65536];
    size_t len;
    int passed_fd; /* received with SCM_RIGHTS, -1 if none */
};

static bool vt_peer_send(struct vt_peer_conn *c, const char *text)
{
    size_t len = strlen(text), sent = 0;
    while (sent < len) {
        ssize_t n = send(c->fd, text + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += (size_t)n;
    }
    return true;
}

static void vt_peer_take_fds(struct vt_peer_conn *c, struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (c->passed_fd >= 0)
                close(c->passed_fd);
            c->passed_fd = fd;
        }
    }
}

/* Reads one line (without its newline) into line; false at EOF. */
static bool vt_peer_read_line(struct vt_peer_conn *c, char *line, size_t size)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            snprintf(line, size, "%.*s", (int)n, c->buf);
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return true;
        }
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof(c->buf) - c->len};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control.buf)};
        ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            return false;
        vt_peer_take_fds(c, &mh);
        c->len += (size_t)n;
    }
}

/* The fd holds exactly fd_text, read from its current offset (as QEMU
 * reads an incoming migration). */
static bool vt_peer_fd_holds(int fd, const char *text)
{
    char buf[4096] = "";
    if (text == NULL)
        return false;
    size_t want = strlen(text);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    return n == (ssize_t)want && memcmp(buf, text, want) == 0;
}

/* NULL if the command matches the step, else what is wrong. */
static const char *vt_peer_check(struct vt_peer_conn *c, const char *line,
                                 const struct vt_qmp_peer_step *s)
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
    else if (s->with_fd != (c->passed_fd >= 0))
        wrong = s->with_fd ? "no fd came with the command" : "an fd came unasked";
    else if (s->with_fd && !vt_peer_fd_holds(c->passed_fd, c->fd_text))
        wrong = "the fd does not hold what was expected";
    json_object_put(cmd);
    json_object_put(want);
    if (c->passed_fd >= 0)
        close(c->passed_fd);
    c->passed_fd = -1;
    return wrong;
}

static int vt_peer_run(int fd, const char *fd_text, const char *greeting,
                       const struct vt_qmp_peer_step *steps, size_t n)
{
    static struct vt_peer_conn c;
    c = (struct vt_peer_conn){.fd = fd, .fd_text = fd_text, .passed_fd = -1};
    static char line[65536];
    if (greeting && !vt_peer_send(&c, greeting))
        return 2;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].command) {
            if (!vt_peer_read_line(&c, line, sizeof(line)))
                return 3;
            const char *wrong = vt_peer_check(&c, line, &steps[i]);
            if (wrong) {
                fprintf(stderr, "# peer: step %zu: %s: %s\n", i, wrong, line);
                vt_peer_send(
                    &c, "{\"error\": {\"class\": \"PeerError\", \"desc\": \"peer: mismatch\"}}\n");
                return 4;
            }
        }
        if (steps[i].hang_up)
            return 0;
        if (steps[i].send && !vt_peer_send(&c, steps[i].send))
            return 5;
    }
    /* Then say nothing more until the client hangs up. */
    if (vt_peer_read_line(&c, line, sizeof(line))) {
        fprintf(stderr, "# peer: a command after the last step: %s\n", line);
        return 6;
    }
    return 0;
}

void vt_qmp_peer_start(struct vt_qmp_peer *p, const char *greeting,
                       const struct vt_qmp_peer_step *steps, size_t n)
{
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        _exit(fd < 0 ? 1 : vt_peer_run(fd, p->fd_text, greeting, steps, n));
    }
}

/* The restore's steps up to migrate-incoming, answered with `events`;
 * then, if `completes`, x-ignore-shared off. */
static void vt_qmp_peer_play_restore(struct vt_qmp_peer *p, const char *events, bool completes)
{
    char incoming_reply[4096];
    int n =
        snprintf(incoming_reply, sizeof(incoming_reply), "%s%s", VT_QMP_PEER_RETURN_EMPTY, events);
    assert_true(n > 0 && (size_t)n < sizeof(incoming_reply));
    const struct vt_qmp_peer_step steps[] = {
        vt_qmp_peer_step_capabilities,
        vt_qmp_peer_step_query_fresh,
        {"migrate-set-capabilities", VT_QMP_PEER_INCOMING_CAPS, false, VT_QMP_PEER_RETURN_EMPTY,
         false},
        {"getfd", VT_QMP_PEER_GETFD, true, VT_QMP_PEER_RETURN_EMPTY, false},
        {"migrate-incoming", VT_QMP_PEER_INCOMING, false, incoming_reply, false},
        {"migrate-set-capabilities", VT_QMP_PEER_SHARED_OFF, false, VT_QMP_PEER_RETURN_EMPTY,
         false},
    };
    /* The child gets its copy of steps and incoming_reply at the fork. */
    vt_qmp_peer_start(p, VT_QMP_PEER_GREETING, steps, VT_N_ELEMENTS(steps) - !completes);
}

void vt_qmp_peer_start_restore(struct vt_qmp_peer *p)
{
    vt_qmp_peer_play_restore(p,
                             VT_QMP_PEER_MIGRATION("setup") VT_QMP_PEER_MIGRATION("active")
                                 VT_QMP_PEER_MIGRATION("completed"),
                             true);
}

void vt_qmp_peer_start_restore_ending(struct vt_qmp_peer *p, const char *events)
{
    vt_qmp_peer_play_restore(p, events, false);
}

void vt_qmp_peer_assert_done(struct vt_qmp_peer *p)
{
    int status = 0;
    assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
    p->pid = -1;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}
