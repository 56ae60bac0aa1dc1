/* One error contract for the whole tree (after crun's libcrun_error_t):
 * a function that can fail takes `vt_error_t *err`, returns -1 (or NULL) and
 * fills *err with one line. Library code never prints; only main() does. */
#ifndef VT_ERROR_H
#define VT_ERROR_H

#include <stdarg.h>

typedef struct vt_error {
    int errnum; /* errno that caused it, 0 if none */
    char *msg;  /* one line, no trailing newline */
} *vt_error_t;

/* Sets *err to the formatted message (plus ": strerror(errnum)" when errnum
 * is not 0) and returns -1, so callers can `return vt_error_set (...)`. */
int vt_error_set(vt_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets *err to "out of memory" (a static error that needs no allocation)
 * and returns -1: the one way to report a failed allocation. */
int vt_error_nomem(vt_error_t *err);

/* Prefixes an existing error with context: "context: old message". */
int vt_error_prefix(vt_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void vt_error_free(vt_error_t *err);

#endif
