#include "identity.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "fileio.h"

#define VT_IDENTITY_XML_MAX (16 * 1024 * 1024)
/* How long the courier keeps the connection for a guest that does not read
 * (no kit, or the clone kept paused). */
#define VT_IDENTITY_LINGER_MS (10 * 60 * 1000)

/* A MAC as libvirt formats it: 17 characters, lowercase hex and colons. */
static bool vt_identity_mac_ok(const char *s)
{
    for (int i = 0; i < 17; i++)
        if ((i % 3 == 2) ? s[i] != ':' : strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
            return false;
    return true;
}

size_t vt_identity_scan_macs(const char *xml, char macs[][18], size_t max)
{
    static const char key[] = "<mac address='";
    size_t n = 0;
    for (const char *p = xml; n < max && (p = strstr(p, key)) != NULL; p += sizeof(key) - 1) {
        const char *mac = p + sizeof(key) - 1;
        if (strlen(mac) < 18 || mac[17] != '\'' || !vt_identity_mac_ok(mac))
            continue;
        memcpy(macs[n], mac, 17);
        macs[n++][17] = '\0';
    }
    return n;
}

char *vt_identity_format(const struct vt_identity *id, vt_error_t *err)
{
    size_t size = 256 + id->nmacs * 48 + (id->data ? strlen(id->data) : 0);
    char *out = malloc(size), *p = out;
    if (out == NULL) {
        vt_error_nomem(err);
        return NULL;
    }
    p += sprintf(p, "virt-template-identity 1\nname %s\n", id->name);
    for (size_t i = 0; i < id->nmacs; i++)
        p += sprintf(p, "mac %s %s\n", id->macs[i][0], id->macs[i][1]);
    p += sprintf(p, "time %lld.%03lld\n", (long long)(id->wall_ms / 1000),
                 (long long)(id->wall_ms % 1000));
    if (id->data)
        p += sprintf(p, "data %s\n", id->data);
    strcpy(p, "end\n");
    return out;
}

/* Connects to the unix socket at path, retrying while QEMU is about to
 * listen, until deadline. */
static int vt_identity_connect(const char *path, int64_t deadline, vt_error_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return vt_error_set(err, 0, "identity socket path '%s' is too long", path);
    strcpy(addr.sun_path, path);
    for (;;) {
        vt_autoclose int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return vt_error_set(err, errno, "identity: socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
            return vt_steal_fd(&fd);
        int e = errno;
        if (e != ECONNREFUSED || vt_clock_ms() >= deadline)
            return vt_error_set(err, e, "cannot connect to the identity channel '%s'", path);
        vt_sleep_ms(5);
    }
}

static int vt_identity_write(int fd, const char *text, int64_t deadline, vt_error_t *err)
{
    size_t len = strlen(text), sent = 0;
    while (sent < len) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int64_t left = deadline - vt_clock_ms();
        if (left <= 0 || poll(&p, 1, (int)left) == 0)
            return vt_error_set(err, 0, "timed out writing the identity");
        ssize_t n = send(fd, text + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "cannot write the identity");
        sent += (size_t)n;
    }
    return 0;
}

/* Until QEMU has read all that was written (the kernel's count of unread
 * bytes on a unix socket), QEMU's side closes, or the linger time ends. */
static void vt_identity_courier(int fd)
{
    int64_t deadline = vt_clock_ms() + VT_IDENTITY_LINGER_MS;
    int unread = 1;
    while (vt_clock_ms() < deadline) {
        if (ioctl(fd, SIOCOUTQ, &unread) < 0 || unread == 0)
            return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) > 0 && (p.revents & (POLLHUP | POLLERR)))
            return;
    }
}

/* QEMU reads the socket only into buffers the guest has posted, and drops
 * what it has not read when the client closes (docs/design.md, clone
 * identity): a detached grandchild holds the connection for the courier
 * while the hook returns to libvirt at once. */
static int vt_identity_hand_over(int fd, vt_error_t *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return vt_error_set(err, errno, "identity: fork");
    if (pid == 0) {
        if (setsid() < 0 || fork() != 0)
            _exit(0);
        /* libvirt reads the hook's output until end-of-file. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3 && null >= 0; i++)
            dup2(null, i);
        /* Nothing of the sender's but the socket: a take's courier must not
         * keep its libvirt connection open for minutes. */
        if (fd > 3)
            close_range(3, (unsigned)fd - 1, 0);
        close_range((unsigned)fd + 1, ~0U, 0);
        vt_identity_courier(fd);
        _exit(0);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

/* The template's MACs and the clone's, paired in device order. */
static int vt_identity_pair_macs(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                 const char *clone_xml, struct vt_identity *id, vt_error_t *err)
{
    char template_macs[VT_IDENTITY_MACS_MAX][18], clone_macs[VT_IDENTITY_MACS_MAX][18];
    vt_autofree char *path = vt_path_template(dirs, VT_PATH_XML, meta->name, err);
    vt_autofree char *xml = NULL;
    if (path == NULL || vt_file_read(path, VT_IDENTITY_XML_MAX, &xml, NULL, err) < 0)
        return -1;
    size_t nt = vt_identity_scan_macs(xml, template_macs, VT_IDENTITY_MACS_MAX);
    size_t nc = vt_identity_scan_macs(clone_xml, clone_macs, VT_IDENTITY_MACS_MAX);
    id->nmacs = nt < nc ? nt : nc;
    for (size_t i = 0; i < id->nmacs; i++) {
        memcpy(id->macs[i][0], template_macs[i], 18);
        memcpy(id->macs[i][1], clone_macs[i], 18);
    }
    return 0;
}

int vt_identity_send(const struct vt_dirs *dirs, const struct vt_meta *meta, const char *clone,
                     const char *clone_xml, const struct vt_clone_config *config,
                     int64_t deadline, bool *sent, vt_error_t *err)
{
    struct stat st;
    *sent = false;
    vt_autofree char *path = vt_path_identity(dirs, clone, err);
    if (path == NULL)
        return -1;
    /* A clone of a template made before the channel has none. */
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return 0;
    struct vt_identity id = {.name = clone, .data = config->data};
    if (vt_identity_pair_macs(dirs, meta, clone_xml, &id, err) < 0)
        return -1;
    id.wall_ms = vt_wall_ms();
    vt_autofree char *text = vt_identity_format(&id, err);
    vt_autoclose int fd = text ? vt_identity_connect(path, deadline, err) : -1;
    if (fd < 0 || vt_identity_write(fd, text, deadline, err) < 0 ||
        vt_identity_hand_over(fd, err) < 0)
        return -1;
    *sent = true;
    return 0;
}
