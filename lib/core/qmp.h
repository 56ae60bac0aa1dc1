/* A small QMP client: unix socket, fd passing with SCM_RIGHTS, json-c.
 * Every call takes an absolute deadline (vt_clock_ms(), clock.h): nothing the
 * hook does may wait without bound inside libvirt's start job. */
#ifndef VT_QMP_H
#define VT_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

enum vt_qmp_kind { VT_QMP_GREETING, VT_QMP_RETURN, VT_QMP_ERROR, VT_QMP_EVENT };

struct vt_qmp_message {
    enum vt_qmp_kind kind;
    json_object *root;       /* owns everything below */
    json_object *value;      /* "return" value, event "data", or greeting "QMP" */
    const char *event;       /* event name */
    const char *error_class; /* "class" of an error */
    const char *error_desc;  /* "desc" of an error */
};

/* Classifies one QMP message (a JSON text). */
int vt_qmp_parse_message(const char *text, size_t len, struct vt_qmp_message *msg,
                         vt_error_t *err);
void vt_qmp_message_clear(struct vt_qmp_message *msg);

/* "status" of a query-migrate reply or a MIGRATION event's data. */
const char *vt_qmp_migration_status(json_object *value);

/* True for a migration status that ends without success. */
bool vt_qmp_migration_failed(const char *status);

/* {"execute": command, "arguments": args} as one line of JSON text (no
 * newline); args may be NULL. The same text goes to QEMU directly or
 * through libvirt's monitor passthrough. */
char *vt_qmp_command_text(const char *command, json_object *args, vt_error_t *err);

/* The outcome of `command` from its reply: QEMU's error as "command: desc",
 * or the "return" value (a new reference in *ret, if not NULL). Clears msg. */
int vt_qmp_reply_take(const char *command, struct vt_qmp_message *msg, json_object **ret,
                      vt_error_t *err);

/* migrate-set-capabilities arguments setting each of names to state. */
json_object *vt_qmp_capabilities_args(const char *const *names, size_t count, bool state);

/* {key: value}, e.g. getfd's {"fdname": ...}. */
json_object *vt_qmp_string_args(const char *key, const char *value);

struct vt_qmp;

/* Connects, reads the greeting and leaves capabilities negotiation done. */
int vt_qmp_open(const char *socket_path, int64_t deadline, struct vt_qmp **out, vt_error_t *err);
void vt_qmp_close(struct vt_qmp **qmp);
#define vt_autoqmp __attribute__((cleanup(vt_qmp_close)))

/* Runs `command` with `args` (reference taken; may be NULL). With
 * pass_fd >= 0 the fd travels with the command (for getfd). *ret, if not
 * NULL, receives a new reference to the "return" value. */
int vt_qmp_execute(struct vt_qmp *qmp, const char *command, json_object *args, int pass_fd,
                   int64_t deadline, json_object **ret, vt_error_t *err);

/* Waits for the MIGRATION event to reach "completed" (0) or an end state
 * that is not (error). Needs the "events" migration capability. */
int vt_qmp_wait_migration(struct vt_qmp *qmp, int64_t deadline, vt_error_t *err);

#endif
