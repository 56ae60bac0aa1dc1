/* A scripted QMP peer for the unit tests: a forked child on a unix socket
 * that expects the client's commands in order and answers as scripted. It
 * tests the client side of the protocol (lib/core/qmp.c and its callers);
 * it does not stand in for QEMU anywhere else. */
#ifndef VT_QMP_PEER_H
#define VT_QMP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#define VT_QMP_PEER_GREETING                                                                       \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "              \
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u6\"}, \"capabilities\": [\"oob\"]}}\n"
#define VT_QMP_PEER_RETURN_EMPTY "{\"return\": {}}\n"
#define VT_QMP_PEER_MIGRATION(status)                                                              \
    "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250}, \"event\": "                \
    "\"MIGRATION\", \"data\": {\"status\": \"" status "\"}}\n"

struct vt_qmp_peer_step {
    const char *command;   /* the "execute" expected next; NULL: none */
    const char *arguments; /* its "arguments" as JSON; NULL: none allowed */
    bool with_fd;          /* must carry an fd that holds the peer's fd_text */
    const char *send;      /* sent after it (may hold several lines) */
    bool hang_up;          /* close the connection instead */
};

/* The negotiation every client starts with (vt_qmp_open). */
extern const struct vt_qmp_peer_step vt_qmp_peer_step_capabilities;

/* What a clone's restore sends (lib/core/restore.c): x-ignore-shared must
 * be set on the destination too, and events to wait for MIGRATION; once
 * fed, x-ignore-shared goes off again. */
#define VT_QMP_PEER_INCOMING_CAPS                                                                  \
    "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}, "                 \
    "{\"capability\": \"events\", \"state\": true}]}"
#define VT_QMP_PEER_GETFD "{\"fdname\": \"vt-state\"}"
#define VT_QMP_PEER_INCOMING "{\"uri\": \"fd:vt-state\"}"
#define VT_QMP_PEER_SHARED_OFF                                                                     \
    "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": false}]}"

/* The restore first asks whether libvirt feeds this QEMU itself: for a
 * clone started from the template point, QEMU's incoming side has no
 * status yet. */
extern const struct vt_qmp_peer_step vt_qmp_peer_step_query_fresh;

struct vt_qmp_peer {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int listen_fd;
    const char *fd_text; /* what an fd passed with a command must hold */
    pid_t pid;           /* the child, -1 when none runs */
};

/* Listens on `path`, so that a client can connect before the peer runs. */
void vt_qmp_peer_listen(struct vt_qmp_peer *p, const char *path, const char *fd_text);

/* Forks the peer: it accepts one connection, sends `greeting` (if not NULL)
 * and plays the n steps, then stays silent until the client hangs up; a
 * command after the last step is a failure (vt_qmp_peer_assert_done). */
void vt_qmp_peer_start(struct vt_qmp_peer *p, const char *greeting,
                       const struct vt_qmp_peer_step *steps, size_t n);

/* Starts the peer on a whole restore of a fresh clone: query-migrate,
 * capabilities, getfd with an fd holding fd_text, migrate-incoming answered
 * by MIGRATION up to "completed", x-ignore-shared off. */
void vt_qmp_peer_start_restore(struct vt_qmp_peer *p);

/* The same up to migrate-incoming, answered with `events`, which must not
 * complete it (a failure, or nothing: a timeout). */
void vt_qmp_peer_start_restore_ending(struct vt_qmp_peer *p, const char *events);

/* Waits for the peer and asserts that it saw every command it expected. */
void vt_qmp_peer_assert_done(struct vt_qmp_peer *p);

/* True if a client is waiting to be accepted (the peer was not started). */
bool vt_qmp_peer_has_client(struct vt_qmp_peer *p);

/* Kills a peer still running and stops listening. */
void vt_qmp_peer_stop(struct vt_qmp_peer *p);

#endif
