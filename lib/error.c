#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    *err = calloc(1, sizeof(**err));
    if (*err == NULL) {
        free(msg);
        return -1;
    }
    (*err)->errnum = errnum;
    (*err)->msg = msg ? msg : strdup("out of memory");
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

int vt_error_prefix(vt_error_t *err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vt_vformat(fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (ctx == NULL || asprintf(&msg, "%s: %s", ctx, (*err)->msg) < 0)
        msg = NULL;
    free(ctx);
    if (msg) {
        free((*err)->msg);
        (*err)->msg = msg;
    }
    return -1;
}

void vt_error_free(vt_error_t *err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}
