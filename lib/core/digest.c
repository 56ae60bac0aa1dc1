#include "digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define VT_FNV_OFFSET 0xcbf29ce484222325ULL
#define VT_FNV_PRIME 0x100000001b3ULL
#define VT_DIGEST_CHUNK (64 * 1024)

int vt_digest_fd(int fd, char hex[VT_DIGEST_HEX_LEN + 1], uint64_t *bytes, vt_error_t *err)
{
    unsigned char buf[VT_DIGEST_CHUNK];
    uint64_t h = VT_FNV_OFFSET;
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "cannot read the device state");
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * VT_FNV_PRIME;
        off += n;
    }
    snprintf(hex, VT_DIGEST_HEX_LEN + 1, "%016llx", (unsigned long long)h);
    *bytes = (uint64_t)off;
    return 0;
}

int vt_digest_valid(const char *s)
{
    return s && strlen(s) == VT_DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == VT_DIGEST_HEX_LEN;
}
