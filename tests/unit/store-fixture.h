/* A template store in a temporary directory, for the tests of the store
 * and of what reads it (restore, the hook): struct vt_dirs points every
 * directory there. */
#ifndef VT_STORE_FIXTURE_H
#define VT_STORE_FIXTURE_H

#include <stdint.h>

#include "digest.h"
#include "meta.h"
#include "paths.h"

struct vt_store_fixture {
    char root[64];                    /* /tmp/vt-test-NAME-XXXXXX */
    char state[96], mem[96], run[96]; /* ROOT/state, made (0711); ROOT/mem, ROOT/run, not */
    struct vt_dirs dirs;
};

void vt_store_fixture_make(struct vt_store_fixture *s, const char *name);

/* Removes the whole temporary directory. */
void vt_store_fixture_remove(struct vt_store_fixture *s);

/* Newly allocated DIR/REL. */
char *vt_store_fixture_path(const char *dir, const char *rel);

/* Writes `text` to DIR/REL (created or truncated). */
void vt_store_fixture_write(const char *dir, const char *rel, const char *text);

/* Metadata of a booting template owned by the calling user. */
struct vt_meta vt_store_fixture_booting_meta(const char *name);

/* Template `name` saved as `save` would leave it: STATE/T/meta.json,
 * STATE/T/state holding `device_state` (digested with `alg`), and
 * MEM/T/memory, a sparse file of the guest RAM's size. *meta (if not NULL)
 * gets the metadata written; its name is `name`, not a copy. */
void vt_store_fixture_add_saved(struct vt_store_fixture *s, const char *name,
                                const char *device_state, enum vt_digest_alg alg,
                                struct vt_meta *meta);

#endif
