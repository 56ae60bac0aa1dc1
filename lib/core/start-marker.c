#include "start-marker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

/* restore/migrate begin and the prepare of the same start run within
 * milliseconds; a note older than this is from a start that failed in
 * between, and must not keep the disks of a later, fresh one. */
#define VT_START_NOTE_MAX_AGE_MS 10000

static const char *const vt_start_names[] = {
    [VT_START_UNKNOWN] = "unknown",
    [VT_START_FRESH] = "fresh",
    [VT_START_INCOMING] = "incoming",
};

/* This boot and the time since it began: a note is this boot's or none. */
static void vt_start_now(char *boot_id, size_t size, int64_t *ms)
{
    vt_autofree char *id = NULL;
    vt_autoerror vt_error_t ignored = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    *ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (vt_file_read("/proc/sys/kernel/random/boot_id", 64, &id, NULL, &ignored) < 0)
        snprintf(boot_id, size, "unknown");
    else
        snprintf(boot_id, size, "%.*s", (int)strcspn(id, "\n"), id);
}

int vt_start_note_incoming(const struct vt_dirs *dirs, const char *clone, vt_error_t *err)
{
    char boot_id[64], text[128];
    int64_t ms;
    vt_autofree char *path = vt_path_clone_marker(dirs, clone, ".incoming", err);
    if (path == NULL)
        return -1;
    vt_start_now(boot_id, sizeof(boot_id), &ms);
    snprintf(text, sizeof(text), "%s %" PRId64 "\n", boot_id, ms);
    return vt_file_write_atomic(path, text, strlen(text), 0600, err);
}

bool vt_start_take_incoming(const struct vt_dirs *dirs, const char *clone)
{
    vt_autoerror vt_error_t ignored = NULL;
    vt_autofree char *path = vt_path_clone_marker(dirs, clone, ".incoming", &ignored);
    vt_autofree char *text = NULL;
    if (path == NULL || vt_file_read(path, 256, &text, NULL, &ignored) < 0)
        return false;
    unlink(path);
    char boot_id[64], noted_boot[64];
    int64_t now, noted;
    vt_start_now(boot_id, sizeof(boot_id), &now);
    if (sscanf(text, "%63s %" SCNd64, noted_boot, &noted) != 2)
        return false;
    return strcmp(noted_boot, boot_id) == 0 && noted <= now &&
           now - noted <= VT_START_NOTE_MAX_AGE_MS;
}

int vt_start_record(const struct vt_dirs *dirs, const char *clone, enum vt_start_kind kind,
                    vt_error_t *err)
{
    vt_autofree char *path = vt_path_clone_marker(dirs, clone, ".start", err);
    if (path == NULL)
        return -1;
    const char *name = vt_start_names[kind];
    return vt_file_write_atomic(path, name, strlen(name), 0600, err);
}

enum vt_start_kind vt_start_take_record(const struct vt_dirs *dirs, const char *clone)
{
    vt_autoerror vt_error_t ignored = NULL;
    vt_autofree char *path = vt_path_clone_marker(dirs, clone, ".start", &ignored);
    vt_autofree char *text = NULL;
    if (path == NULL || vt_file_read(path, 64, &text, NULL, &ignored) < 0)
        return VT_START_UNKNOWN;
    unlink(path);
    for (int k = VT_START_FRESH; k <= VT_START_INCOMING; k++)
        if (strcmp(text, vt_start_names[k]) == 0)
            return (enum vt_start_kind)k;
    return VT_START_UNKNOWN;
}

void vt_start_forget(const struct vt_dirs *dirs, const char *clone)
{
    static const char *const suffixes[] = {".incoming", ".start"};
    for (size_t i = 0; i < VT_N_ELEMENTS(suffixes); i++) {
        vt_autoerror vt_error_t ignored = NULL;
        vt_autofree char *path = vt_path_clone_marker(dirs, clone, suffixes[i], &ignored);
        if (path)
            unlink(path);
    }
}
