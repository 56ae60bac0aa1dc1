#include "cleanup.h"

#include <errno.h>
#include <string.h>
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

static int vt_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void vt_strv_sort(char **v, size_t n)
{
    qsort(v, n, sizeof(char *), vt_strcmp_p);
}

size_t vt_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}
