/* Work that must outlive the command that asks for it (the warm pool's
 * refill after take): a detached process, in a session of its own, with
 * no terminal and no inherited descriptors. */
#ifndef VT_BACKGROUND_H
#define VT_BACKGROUND_H

#include "error.h"

/* Runs this program (/proc/self/exe) again with argv, detached; returns
 * once it runs, without waiting for it. */
int vt_spawn_self_detached(char *const argv[], vt_error_t *err);

#endif
