/* The template store: STATE/T/{meta.json,domain.xml,state} and MEM/T/memory.
 * Changes are serialised by an exclusive lock on STATE/.lock; readers (the
 * hook) take no lock because every file is replaced atomically. */
#ifndef VT_STORE_H
#define VT_STORE_H

#include <stdbool.h>

#include "error.h"
#include "meta.h"
#include "paths.h"

/* Takes the store lock, creating STATE if needed. Returns the lock fd. */
int vt_store_lock(const struct vt_dirs *dirs, vt_error_t *err);

/* Loads T's metadata; "template 'T' does not exist" if there is none. */
int vt_store_load(const struct vt_dirs *dirs, const char *name, struct vt_meta *meta,
                  vt_error_t *err);

/* Loads T's metadata and insists that T is saved with its state present. */
int vt_store_load_saved(const struct vt_dirs *dirs, const char *name, struct vt_meta *meta,
                        vt_error_t *err);

/* dirs as seen by template `meta`: its memory directory in place of the
 * configured one when it has its own (create --memory-dir). */
void vt_store_template_dirs(const struct vt_dirs *dirs, const struct vt_meta *meta,
                            struct vt_dirs *out);

/* The memory file of a saved template must be there, a regular file (not a
 * symlink) of the guest RAM's size: QEMU would otherwise create an empty one
 * and the clone would resume onto zeroed memory. */
int vt_store_check_memory(const struct vt_dirs *dirs, const struct vt_meta *meta, vt_error_t *err);

int vt_store_save_meta(const struct vt_dirs *dirs, const struct vt_meta *meta, vt_error_t *err);

bool vt_store_exists(const struct vt_dirs *dirs, const char *name);

/* Creates STATE/T and MEM/T (owned by the QEMU user; MEM is meta's
 * memory_dir when set, which must exist and let the QEMU user through) and
 * the first metadata. Fails if T exists. */
int vt_store_create(const struct vt_dirs *dirs, const struct vt_meta *meta, vt_error_t *err);

/* Removes every file of T that the store knows, then its directories. */
int vt_store_remove(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* Every directory from / down to dir lets meta's QEMU user through. */
int vt_store_check_reachable(const char *dir, const struct vt_meta *meta, vt_error_t *err);

/* store-disks.c. DISK/, DISK/T and DISK/T/clones, root's (0711). */
int vt_store_disk_dirs_create(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* Removes STATE/T/clones, the clones' configs (clone-config.h). */
int vt_store_clone_configs_remove(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* Removes DISK/T with every file in it and in DISK/T/clones. */
int vt_store_disk_dir_remove(const struct vt_dirs *dirs, const char *name, vt_error_t *err);

/* Gives clone `clone` of saved template `meta` disks at the template point:
 * each overlay a fresh copy of the pristine one (what an earlier run wrote
 * is gone), its UEFI variables a fresh copy of the frozen ones. */
int vt_store_clone_files_reset(const struct vt_dirs *dirs, const struct vt_meta *meta,
                               const char *clone, vt_error_t *err);

/* Removes clone `clone`'s overlays and variables. */
int vt_store_clone_files_remove(const struct vt_dirs *dirs, const struct vt_meta *meta,
                                const char *clone, vt_error_t *err);

/* Names of all templates, sorted, NULL-terminated. */
int vt_store_list(const struct vt_dirs *dirs, char ***names, vt_error_t *err);

/* Size of a file of T (VT_PATH_DEVICE_STATE, VT_PATH_MEM), -1 if missing.
 * For the memory file pass vt_store_template_dirs' view. */
long long vt_store_file_size(const struct vt_dirs *dirs, enum vt_path_kind kind, const char *name);

#endif
