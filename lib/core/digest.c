/* SHA-256 from nettle, not libcrypto: the hook links this and libvirt execs
 * it for every operation of every domain. Linking libnettle (300 KiB, no
 * initialisation; libvirt's GnuTLS loads it in the tool anyway) costs an
 * exec ~0.09 ms here (0.85 -> 0.95 ms), libcrypto (4.6 MiB) ~0.55 ms. */
#include "digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <nettle/version.h>

#include "cleanup.h"

#define VT_DIGEST_CHUNK (64 * 1024)

/* nettle 4.0 dropped the digest length argument. */
#if NETTLE_VERSION_MAJOR >= 4
#define vt_sha256_digest(ctx, out) sha256_digest((ctx), (out))
#else
#define vt_sha256_digest(ctx, out) sha256_digest((ctx), SHA256_DIGEST_SIZE, (out))
#endif

/* Legacy FNV-1a 64: only to verify templates saved before SHA-256. */
#define VT_FNV_OFFSET 0xcbf29ce484222325ULL
#define VT_FNV_PRIME 0x100000001b3ULL

static const char *const vt_digest_alg_names[] = {
    [VT_DIGEST_SHA256] = "sha256",
    [VT_DIGEST_FNV1A64] = "fnv1a64",
};
_Static_assert(VT_N_ELEMENTS(vt_digest_alg_names) == VT_DIGEST_ALG_LAST,
               "vt_digest_alg_names must cover enum vt_digest_alg");

static const size_t vt_digest_hex_lens[] = {
    [VT_DIGEST_SHA256] = SHA256_DIGEST_SIZE * 2,
    [VT_DIGEST_FNV1A64] = 16,
};
_Static_assert(VT_N_ELEMENTS(vt_digest_hex_lens) == VT_DIGEST_ALG_LAST,
               "vt_digest_hex_lens must cover enum vt_digest_alg");
_Static_assert(SHA256_DIGEST_SIZE * 2 == VT_DIGEST_HEX_LEN, "VT_DIGEST_HEX_LEN is SHA-256's");

struct vt_digest_ctx {
    enum vt_digest_alg alg;
    struct sha256_ctx sha256;
    uint64_t fnv1a64;
};

const char *vt_digest_alg_name(enum vt_digest_alg alg)
{
    return alg < VT_DIGEST_ALG_LAST ? vt_digest_alg_names[alg] : "unknown";
}

bool vt_digest_alg_from_name(const char *name, enum vt_digest_alg *alg)
{
    for (int i = 0; i < VT_DIGEST_ALG_LAST; i++)
        if (strcmp(name, vt_digest_alg_names[i]) == 0) {
            *alg = i;
            return true;
        }
    return false;
}

static void vt_digest_init(struct vt_digest_ctx *c, enum vt_digest_alg alg)
{
    c->alg = alg;
    sha256_init(&c->sha256);
    c->fnv1a64 = VT_FNV_OFFSET;
}

static void vt_digest_update(struct vt_digest_ctx *c, const unsigned char *p, size_t n)
{
    if (c->alg == VT_DIGEST_SHA256) {
        sha256_update(&c->sha256, n, p);
        return;
    }
    for (size_t i = 0; i < n; i++)
        c->fnv1a64 = (c->fnv1a64 ^ p[i]) * VT_FNV_PRIME;
}

static void vt_digest_hex(struct vt_digest_ctx *c, char hex[VT_DIGEST_HEX_LEN + 1])
{
    if (c->alg == VT_DIGEST_FNV1A64) {
        snprintf(hex, VT_DIGEST_HEX_LEN + 1, "%016llx", (unsigned long long)c->fnv1a64);
        return;
    }
    uint8_t out[SHA256_DIGEST_SIZE];
    vt_sha256_digest(&c->sha256, out);
    for (size_t i = 0; i < sizeof(out); i++)
        snprintf(hex + 2 * i, 3, "%02x", out[i]);
}

int vt_digest_fd(int fd, enum vt_digest_alg alg, char hex[VT_DIGEST_HEX_LEN + 1], uint64_t *bytes,
                 vt_error_t *err)
{
    if (alg >= VT_DIGEST_ALG_LAST)
        return vt_error_set(err, 0, "unknown digest algorithm %d", (int)alg);
    unsigned char buf[VT_DIGEST_CHUNK];
    struct vt_digest_ctx c;
    vt_digest_init(&c, alg);
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_set(err, errno, "cannot read the device state");
        if (n == 0)
            break;
        vt_digest_update(&c, buf, (size_t)n);
        off += n;
    }
    vt_digest_hex(&c, hex);
    *bytes = (uint64_t)off;
    return 0;
}

bool vt_digest_valid(enum vt_digest_alg alg, const char *s)
{
    if (alg >= VT_DIGEST_ALG_LAST || s == NULL)
        return false;
    size_t len = vt_digest_hex_lens[alg];
    return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}
