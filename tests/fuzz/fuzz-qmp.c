/* libFuzzer harness for the QMP reply parser, vt_qmp_parse_message and
 * vt_qmp_migration_status (lib/qmp.c). The input is one line as the reader
 * hands it over: a pointer and a length, with no NUL after it, so a read
 * past the end is an ASan error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the hook relies on after a successful parse. */
static void vt_fuzz_check_message(const struct vt_qmp_message *msg)
{
    if (msg->root == NULL || !json_object_is_type(msg->root, json_type_object))
        abort();
    switch (msg->kind) {
    case VT_QMP_ERROR:
        if (msg->error_desc == NULL)
            abort(); /* the hook prints it */
        if (msg->error_class)
            (void)strlen(msg->error_class);
        (void)strlen(msg->error_desc);
        break;
    case VT_QMP_EVENT:
        if (msg->event == NULL)
            abort();
        (void)strlen(msg->event);
        break;
    case VT_QMP_RETURN:
    case VT_QMP_GREETING: break;
    default: abort();
    }
    const char *status = vt_qmp_migration_status(msg->value);
    if (status)
        (void)strlen(status);
    /* Serialising walks every object the parser made. */
    (void)json_object_to_json_string(msg->root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vt_qmp_message msg;
    vt_error_t err = NULL;
    if (vt_qmp_parse_message((const char *)data, size, &msg, &err) == 0) {
        /* JSON text has no NUL byte: one means a damaged line. */
        if (memchr(data, '\0', size) != NULL)
            abort();
        vt_fuzz_check_message(&msg);
        vt_qmp_message_clear(&msg);
    } else if (err == NULL || err->msg == NULL || msg.root != NULL) {
        abort(); /* a failure says why and owns nothing */
    }
    vt_error_free(&err);
    return 0;
}
