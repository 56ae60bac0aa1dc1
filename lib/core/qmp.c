#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"

#define VT_QMP_LINE_MAX (1024 * 1024)

struct vt_qmp {
    int fd;
    char *buf;
    size_t len, cap;
    char *migration_status; /* last MIGRATION event seen, kept across calls */
};

static const char *vt_json_string(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int vt_qmp_classify(struct vt_qmp_message *msg, vt_error_t *err)
{
    json_object *v = NULL;
    if (json_object_object_get_ex(msg->root, "return", &v)) {
        msg->kind = VT_QMP_RETURN;
        msg->value = v;
    } else if (json_object_object_get_ex(msg->root, "error", &v) &&
               json_object_is_type(v, json_type_object)) {
        msg->kind = VT_QMP_ERROR;
        msg->error_class = vt_json_string(v, "class");
        msg->error_desc = vt_json_string(v, "desc");
        if (msg->error_desc == NULL)
            msg->error_desc = "unknown error";
    } else if ((msg->event = vt_json_string(msg->root, "event")) != NULL) {
        msg->kind = VT_QMP_EVENT;
        json_object_object_get_ex(msg->root, "data", &msg->value);
    } else if (json_object_object_get_ex(msg->root, "QMP", &v)) {
        msg->kind = VT_QMP_GREETING;
        msg->value = v;
    } else {
        return vt_error_set(err, 0, "QMP: unexpected message");
    }
    return 0;
}

int vt_qmp_parse_message(const char *text, size_t len, struct vt_qmp_message *msg,
                         vt_error_t *err)
{
    memset(msg, 0, sizeof(*msg));
    if (len > VT_QMP_LINE_MAX)
        return vt_error_set(err, 0, "QMP: message too long");
    /* JSON text has no NUL byte: one means a damaged line. */
    if (memchr(text, '\0', len) != NULL)
        return vt_error_set(err, 0, "QMP: malformed JSON");
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return vt_error_nomem(err);
    /* QEMU writes strict JSON; json-c's default also takes comments, and a
     * comment would hide anything to the line's end. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    msg->root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (used < len && strchr(" \t\r\n", text[used]) != NULL)
        used++;
    /* One message per line: anything after the JSON value is an error. */
    if (msg->root == NULL || jerr != json_tokener_success || used != len) {
        vt_qmp_message_clear(msg);
        return vt_error_set(err, 0, "QMP: malformed JSON");
    }
    if (!json_object_is_type(msg->root, json_type_object)) {
        vt_qmp_message_clear(msg);
        return vt_error_set(err, 0, "QMP: message is not a JSON object");
    }
    if (vt_qmp_classify(msg, err) < 0) {
        vt_qmp_message_clear(msg);
        return -1;
    }
    return 0;
}

void vt_qmp_message_clear(struct vt_qmp_message *msg)
{
    json_object_put(msg->root);
    memset(msg, 0, sizeof(*msg));
}

const char *vt_qmp_migration_status(json_object *value)
{
    return value ? vt_json_string(value, "status") : NULL;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int vt_qmp_poll(int fd, short events, int64_t deadline, vt_error_t *err)
{
    for (;;) {
        int64_t left = deadline - vt_clock_ms();
        if (left <= 0)
            return vt_error_set(err, 0, "QMP: timed out");
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "QMP: poll");
        if (n > 0)
            return 0;
    }
}

/* Returns the next complete line from the socket (pointer into q->buf,
 * valid until the next call), waiting at most until the deadline. */
static int vt_qmp_read_line(struct vt_qmp *q, char **line, size_t *len, int64_t deadline,
                            vt_error_t *err)
{
    for (;;) {
        char *nl = memchr(q->buf, '\n', q->len);
        if (nl) {
            *line = q->buf;
            *len = (size_t)(nl - q->buf);
            return 0;
        }
        if (q->len == q->cap) {
            if (q->cap >= VT_QMP_LINE_MAX)
                return vt_error_set(err, 0, "QMP: message too long");
            char *bigger = realloc(q->buf, q->cap * 2);
            if (bigger == NULL)
                return vt_error_nomem(err);
            q->buf = bigger;
            q->cap *= 2;
        }
        if (vt_qmp_poll(q->fd, POLLIN, deadline, err) < 0)
            return -1;
        ssize_t n = recv(q->fd, q->buf + q->len, q->cap - q->len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "QMP: read");
        if (n == 0)
            return vt_error_set(err, 0, "QMP: QEMU closed the monitor");
        q->len += (size_t)n;
    }
}

static void vt_qmp_drop_line(struct vt_qmp *q, size_t len)
{
    size_t skip = len + 1;
    memmove(q->buf, q->buf + skip, q->len - skip);
    q->len -= skip;
}

static void vt_qmp_note_event(struct vt_qmp *q, const struct vt_qmp_message *msg)
{
    const char *status = vt_qmp_migration_status(msg->value);
    if (strcmp(msg->event, "MIGRATION") != 0 || status == NULL)
        return;
    free(q->migration_status);
    q->migration_status = strdup(status);
}

/* Reads messages until one that is not an event; events are noted. */
static int vt_qmp_read_reply(struct vt_qmp *q, struct vt_qmp_message *msg, int64_t deadline,
                             bool stop_at_event, vt_error_t *err)
{
    for (;;) {
        char *line = NULL;
        size_t len = 0;
        if (vt_qmp_read_line(q, &line, &len, deadline, err) < 0)
            return -1;
        int rc = vt_qmp_parse_message(line, len, msg, err);
        vt_qmp_drop_line(q, len);
        if (rc < 0)
            return -1;
        if (msg->kind != VT_QMP_EVENT)
            return 0;
        vt_qmp_note_event(q, msg);
        if (stop_at_event)
            return 0;
        vt_qmp_message_clear(msg);
    }
}

static int vt_qmp_send(struct vt_qmp *q, const char *text, int pass_fd, int64_t deadline,
                       vt_error_t *err)
{
    size_t len = strlen(text), sent = 0;
    while (sent < len) {
        if (vt_qmp_poll(q->fd, POLLOUT, deadline, err) < 0)
            return -1;
        struct iovec iov = {.iov_base = (char *)text + sent, .iov_len = len - sent};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (pass_fd >= 0 && sent == 0) {
            memset(&control, 0, sizeof(control));
            mh.msg_control = control.buf;
            mh.msg_controllen = sizeof(control.buf);
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        ssize_t n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "QMP: write");
        sent += (size_t)n;
    }
    return 0;
}

char *vt_qmp_command_text(const char *command, json_object *args, vt_error_t *err)
{
    json_object *cmd = json_object_new_object();
    if (cmd == NULL) {
        vt_error_nomem(err);
        return NULL;
    }
    json_object_object_add(cmd, "execute", json_object_new_string(command));
    if (args)
        json_object_object_add(cmd, "arguments", json_object_get(args));
    const char *plain = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN);
    char *text = plain ? strdup(plain) : NULL;
    json_object_put(cmd);
    if (text == NULL)
        vt_error_nomem(err);
    return text;
}

int vt_qmp_reply_take(const char *command, struct vt_qmp_message *msg, json_object **ret,
                      vt_error_t *err)
{
    int rc = 0;
    if (msg->kind == VT_QMP_ERROR)
        rc = vt_error_set(err, 0, "%s: %s", command, msg->error_desc);
    else if (msg->kind != VT_QMP_RETURN)
        rc = vt_error_set(err, 0, "%s: unexpected QMP message", command);
    else if (ret)
        *ret = json_object_get(msg->value);
    vt_qmp_message_clear(msg);
    return rc;
}

json_object *vt_qmp_capabilities_args(const char *const *names, size_t count, bool state)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        json_object *cap = json_object_new_object();
        json_object_object_add(cap, "capability", json_object_new_string(names[i]));
        json_object_object_add(cap, "state", json_object_new_boolean(state));
        json_object_array_add(list, cap);
    }
    json_object *args = json_object_new_object();
    json_object_object_add(args, "capabilities", list);
    return args;
}

json_object *vt_qmp_string_args(const char *key, const char *value)
{
    json_object *args = json_object_new_object();
    json_object_object_add(args, key, json_object_new_string(value));
    return args;
}

bool vt_qmp_migration_failed(const char *status)
{
    return status && (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0);
}

int vt_qmp_execute(struct vt_qmp *q, const char *command, json_object *args, int pass_fd,
                   int64_t deadline, json_object **ret, vt_error_t *err)
{
    vt_autofree char *text = vt_qmp_command_text(command, args, err);
    vt_autofree char *line = NULL;
    if (text == NULL)
        return -1;
    if (asprintf(&line, "%s\n", text) < 0) {
        line = NULL;
        return vt_error_nomem(err);
    }
    struct vt_qmp_message msg;
    if (vt_qmp_send(q, line, pass_fd, deadline, err) < 0 ||
        vt_qmp_read_reply(q, &msg, deadline, false, err) < 0)
        return vt_error_prefix(err, "%s", command);
    return vt_qmp_reply_take(command, &msg, ret, err);
}

static int vt_qmp_connect(const char *path, int64_t deadline, vt_error_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return vt_error_set(err, 0, "QMP socket path '%s' is too long", path);
    strcpy(addr.sun_path, path);
    for (;;) {
        vt_autoclose int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return vt_error_set(err, errno, "QMP: socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
            return vt_steal_fd(&fd);
        int e = errno;
        if ((e != ENOENT && e != ECONNREFUSED) || vt_clock_ms() >= deadline)
            return vt_error_set(err, e, "cannot connect to QMP socket '%s'", path);
        /* QEMU creates the socket early in its start; a short bounded retry
         * covers a race with a slow start. */
        vt_sleep_ms(2);
    }
}

int vt_qmp_open(const char *path, int64_t deadline, struct vt_qmp **out, vt_error_t *err)
{
    vt_autoqmp struct vt_qmp *q = calloc(1, sizeof(*q));
    if (q == NULL || (q->buf = malloc(q->cap = 4096)) == NULL)
        return vt_error_nomem(err);
    q->fd = -1;
    if ((q->fd = vt_qmp_connect(path, deadline, err)) < 0)
        return -1;
    struct vt_qmp_message greeting;
    if (vt_qmp_read_reply(q, &greeting, deadline, false, err) < 0)
        return vt_error_prefix(err, "QMP greeting");
    bool ok = greeting.kind == VT_QMP_GREETING;
    vt_qmp_message_clear(&greeting);
    if (!ok)
        return vt_error_set(err, 0, "QMP: no greeting from '%s'", path);
    if (vt_qmp_execute(q, "qmp_capabilities", NULL, -1, deadline, NULL, err) < 0)
        return -1;
    *out = vt_steal(q);
    return 0;
}

void vt_qmp_close(struct vt_qmp **qmp)
{
    if (*qmp == NULL)
        return;
    if ((*qmp)->fd >= 0)
        close((*qmp)->fd);
    free((*qmp)->buf);
    free((*qmp)->migration_status);
    free(*qmp);
    *qmp = NULL;
}

int vt_qmp_wait_migration(struct vt_qmp *q, int64_t deadline, vt_error_t *err)
{
    for (;;) {
        const char *status = q->migration_status;
        if (status && strcmp(status, "completed") == 0)
            return 0;
        if (vt_qmp_migration_failed(status))
            return vt_error_set(err, 0, "incoming migration %s", status);
        struct vt_qmp_message msg;
        if (vt_qmp_read_reply(q, &msg, deadline, true, err) < 0)
            return vt_error_prefix(err, "waiting for the incoming migration");
        vt_qmp_message_clear(&msg);
    }
}
