#ifndef VT_NAMES_H
#define VT_NAMES_H

#include "error.h"

#define VT_NAME_MAX 64

/* Template and clone names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 chars.
 * The rule keeps names safe as path components, QEMU option values (no ',')
 * and unix socket names. `what` names the kind in the error ("template"). */
int vt_name_validate(const char *name, const char *what, vt_error_t *err);

#endif
