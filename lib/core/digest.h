/* A digest of the saved device state, kept in the metadata and checked by
 * the hook on the very fd it hands to QEMU: a truncated, corrupted or
 * swapped state file (another template's, an older save's) is refused
 * instead of resuming a clone onto RAM it does not describe. SHA-256 also
 * holds against a file made to match, which FNV-1a 64 (kept only to verify
 * old stores) does not. What it does not guard against: whoever can write
 * the root-only store can write the metadata too, so a digest kept beside
 * the file authenticates nothing; that would need a key outside the store. */
#ifndef VT_DIGEST_H
#define VT_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum vt_digest_alg {
    VT_DIGEST_SHA256, /* every save; 0, so a zeroed struct vt_meta has it */
    /* Legacy: templates saved before SHA-256 (their metadata names no
     * algorithm). Only verified, never computed for a new save. */
    VT_DIGEST_FNV1A64,
    VT_DIGEST_ALG_LAST
};

/* Hex digits of the longest digest (SHA-256); FNV-1a 64 has 16. */
#define VT_DIGEST_HEX_LEN 64

/* "sha256", "fnv1a64": the names kept in the metadata. */
const char *vt_digest_alg_name(enum vt_digest_alg alg);

/* False if `name` is no algorithm's name. */
bool vt_digest_alg_from_name(const char *name, enum vt_digest_alg *alg);

/* Digest with `alg` of all of fd (read with pread from offset 0) as
 * lowercase hex, and its length in bytes. */
int vt_digest_fd(int fd, enum vt_digest_alg alg, char hex[VT_DIGEST_HEX_LEN + 1], uint64_t *bytes,
                 vt_error_t *err);

/* True if s is a digest `alg` makes: its number of lowercase hex digits. */
bool vt_digest_valid(enum vt_digest_alg alg, const char *s);

#endif
