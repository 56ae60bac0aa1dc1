/* Template metadata: STATE/T/meta.json. Written atomically; the switch of
 * `state` to "saved" is the commit point of `save`, written after the device
 * state and XML are durable, so a half-written save is never taken as saved. */
#ifndef VT_META_H
#define VT_META_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"

enum vt_template_state { VT_TEMPLATE_BOOTING, VT_TEMPLATE_SAVED, VT_TEMPLATE_STATE_LAST };

#define VT_META_DISKS_MAX 16
#define VT_DISK_TARGET_MAX 16

/* A writable disk of the template: its own copy runs the template and
 * becomes the clones' base (paths.h, vt_path_disk_*). */
struct vt_meta_disk {
    char target[VT_DISK_TARGET_MAX + 1]; /* "vda" */
    char format[8];                      /* of the base: "raw" or "qcow2" */
};

struct vt_meta {
    char *name;
    enum vt_template_state state;
    uint64_t memory_bytes;
    uint64_t device_state_bytes;  /* 0 until saved */
    char device_state_digest[VT_DIGEST_HEX_LEN + 1]; /* digest.h; "" until saved */
    /* "state_digest_alg"; metadata saved before it has none: the legacy
     * FNV-1a 64 (VT_DIGEST_FNV1A64). */
    enum vt_digest_alg device_state_digest_alg;
    uid_t qemu_uid;        /* owner QEMU runs as: runtime files are made for it */
    gid_t qemu_gid;
    int64_t created_ms; /* wall clock, ms since the epoch */
    int64_t saved_ms;
    int64_t boot_ms; /* create to ready marker, -1 when not measured */
    int64_t save_ms; /* device-state save, -1 until saved */
    /* Sealed for clones that open the memory file read-only (QEMU >= 8.2):
     * file 0440, root and the QEMU group. Otherwise 0600 owned by the QEMU
     * user. Absent in the file means false. */
    bool readonly_mapping;
    /* Where MEMDIR/T/memory lives when create was given --memory-dir: an
     * absolute directory path. NULL (absent in the file): the configured
     * memory directory. */
    char *memory_dir;
    /* The template's writable disks ("disks"; absent: none) and whether it
     * has UEFI variables of its own ("nvram"). */
    size_t ndisks;
    struct vt_meta_disk disks[VT_META_DISKS_MAX];
    bool nvram;
};

const char *vt_template_state_name(enum vt_template_state state);

/* Parses meta.json text. Unknown keys are ignored; missing or mistyped
 * required keys are an error (a hand-edited file must not half-load). */
int vt_meta_parse(const char *text, struct vt_meta *meta, vt_error_t *err);

char *vt_meta_format(const struct vt_meta *meta, vt_error_t *err);

void vt_meta_clear(struct vt_meta *meta);

/* True if dir may be a template's memory_dir: absolute and plain (no "."
 * or ".." components, no characters QEMU's option syntax splits on). */
bool vt_meta_memory_dir_valid(const char *dir);

#endif
