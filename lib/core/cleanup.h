/* Cleanup attributes (after crun/systemd): every destructor accepts an unset
 * value, so a variable can be declared with its cleanup before it is filled. */
#ifndef VT_CLEANUP_H
#define VT_CLEANUP_H

#include <stdlib.h>

void vt_cleanup_freep(void *p);
void vt_cleanup_closep(int *fd);
void vt_cleanup_strvp(char ***strv);

/* Sorts the first n strings of v (strcmp order). */
void vt_strv_sort(char **v, size_t n);

/* The number of strings in a NULL-terminated vector (0 for NULL). */
size_t vt_strv_len(char *const *v);

#define vt_autofree __attribute__((cleanup(vt_cleanup_freep)))
#define vt_autoclose __attribute__((cleanup(vt_cleanup_closep)))
#define vt_autostrv __attribute__((cleanup(vt_cleanup_strvp)))
#define vt_autoerror __attribute__((cleanup(vt_error_free)))

/* Hands ownership out of a cleanup variable. */
#define vt_steal(p)                                                            \
    ({                                                                         \
        __typeof__(p) vt_tmp_ = (p);                                           \
        (p) = NULL;                                                            \
        vt_tmp_;                                                               \
    })

static inline int vt_steal_fd(int *fd)
{
    int tmp = *fd;
    *fd = -1;
    return tmp;
}

#define VT_N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

#endif
