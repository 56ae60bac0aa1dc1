/* libFuzzer harness for the template metadata parser, vt_meta_parse
 * (lib/meta.c): meta.json as read from the store. What parses must format
 * and parse back to the same values (the store rewrites it at save). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "input.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int vt_fuzz_meta_equal(const struct vt_meta *a, const struct vt_meta *b)
{
    return strcmp(a->name, b->name) == 0 && a->state == b->state &&
           a->memory_bytes == b->memory_bytes && a->device_state_bytes == b->device_state_bytes &&
           strcmp(a->device_state_digest, b->device_state_digest) == 0 &&
           a->device_state_digest_alg == b->device_state_digest_alg && a->qemu_uid == b->qemu_uid &&
           a->qemu_gid == b->qemu_gid && a->created_ms == b->created_ms &&
           a->saved_ms == b->saved_ms && a->boot_ms == b->boot_ms && a->save_ms == b->save_ms;
}

static void vt_fuzz_round_trip(const struct vt_meta *meta)
{
    vt_error_t err = NULL;
    if (meta->name == NULL || vt_name_validate(meta->name, "template", &err) < 0 ||
        meta->state >= VT_TEMPLATE_STATE_LAST)
        abort(); /* store paths are built from the name */
    char *text = vt_meta_format(meta, &err);
    if (text == NULL)
        abort();
    struct vt_meta again;
    if (vt_meta_parse(text, &again, &err) < 0 || !vt_fuzz_meta_equal(meta, &again))
        abort();
    vt_meta_clear(&again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The store reads meta.json into a NUL-terminated string. */
    char *text = vt_fuzz_cstring(data, size);
    if (text == NULL)
        return 0;
    struct vt_meta meta;
    vt_error_t err = NULL;
    if (vt_meta_parse(text, &meta, &err) == 0) {
        vt_fuzz_round_trip(&meta);
        vt_meta_clear(&meta);
    } else if (err == NULL || err->msg == NULL || meta.name != NULL) {
        abort(); /* a failure says why and owns nothing */
    }
    vt_error_free(&err);
    free(text);
    return 0;
}
