/* A clone's host port forwards on its user-mode (SLIRP) network: libslirp
 * keeps them as host state, which no migration or save carries, so the
 * hook adds them after every start (docs/design.md, clone identity). */
#ifndef VT_FORWARD_H
#define VT_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clone-config.h"
#include "error.h"
#include "paths.h"

/* Adds config's forwards to clone `clone`'s first user-mode netdev through
 * its private monitor, at most until deadline: 127.0.0.1:HOST to the
 * guest's GUEST port. */
int vt_forward_apply(const struct vt_dirs *dirs, const char *clone,
                     const struct vt_clone_config *config, int64_t deadline, vt_error_t *err);

/* The id of the first user-mode netdev in HMP "info network" output
 * (" \ hostnet0: index=0,type=user,..."), or false. */
bool vt_forward_user_netdev(const char *info, char *id, size_t size);

#endif
