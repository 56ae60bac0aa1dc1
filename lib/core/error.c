#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What *err points to when even the error cannot be allocated: a caller's
 * -1 always comes with a message. */
static struct vt_error vt_error_out_of_memory = {.errnum = ENOMEM, .msg = (char *)"out of memory"};

static char *vt_vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

static int vt_error_store(vt_error_t *err, int errnum, char *msg)
{
    if (err == NULL) {
        free(msg);
        return -1;
    }
    vt_error_free(err);
    *err = msg ? calloc(1, sizeof(**err)) : NULL;
    if (*err == NULL) {
        free(msg);
        *err = &vt_error_out_of_memory;
        return -1;
    }
    (*err)->errnum = errnum;
    (*err)->msg = msg;
    return -1;
}

int vt_error_set(vt_error_t *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *base = vt_vformat(fmt, ap);
    va_end(ap);
    char *msg = base;
    if (base && errnum != 0) {
        if (asprintf(&msg, "%s: %s", base, strerror(errnum)) < 0)
            msg = NULL;
        free(base);
    }
    return vt_error_store(err, errnum, msg);
}

int vt_error_nomem(vt_error_t *err)
{
    if (err != NULL) {
        vt_error_free(err);
        *err = &vt_error_out_of_memory;
    }
    return -1;
}

int vt_error_prefix(vt_error_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    if (*err == NULL) /* a bug: never let it pass as success or crash */
        return vt_error_set(err, 0, "unknown error");
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vt_vformat(fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (ctx == NULL || asprintf(&msg, "%s: %s", ctx, (*err)->msg) < 0)
        msg = NULL;
    free(ctx);
    if (msg == NULL)
        return -1; /* the cause is kept, without the context */
    return vt_error_store(err, (*err)->errnum, msg);
}

void vt_error_free(vt_error_t *err)
{
    if (err == NULL || *err == NULL)
        return;
    if (*err != &vt_error_out_of_memory) {
        free((*err)->msg);
        free(*err);
    }
    *err = NULL;
}
