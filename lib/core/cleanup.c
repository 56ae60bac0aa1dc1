#include "cleanup.h"

#include <errno.h>
#include <unistd.h>

void vt_cleanup_freep(void *p)
{
    free(*(void **)p);
}

void vt_cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

void vt_cleanup_strvp(char ***strv)
{
    if (*strv == NULL)
        return;
    for (char **s = *strv; *s; s++)
        free(*s);
    free(*strv);
}
