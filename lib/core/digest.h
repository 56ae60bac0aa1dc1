/* A digest of the saved device state, kept in the metadata and checked by
 * the hook on the very fd it hands to QEMU: a truncated, corrupted or
 * swapped state file is refused instead of resuming a clone onto RAM it
 * does not describe. FNV-1a 64 guards against accidents, not attackers:
 * whoever can write the root-only store can write the metadata too. */
#ifndef VT_DIGEST_H
#define VT_DIGEST_H

#include <stdint.h>

#include "error.h"

#define VT_DIGEST_HEX_LEN 16

/* Digest of all of fd (read with pread from offset 0) as 16 hex digits,
 * and its length in bytes. */
int vt_digest_fd(int fd, char hex[VT_DIGEST_HEX_LEN + 1], uint64_t *bytes, vt_error_t *err);

/* True if s is 16 lowercase hex digits. */
int vt_digest_valid(const char *s);

#endif
